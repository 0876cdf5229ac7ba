"""The `voice` intent: the text safety rules, enforced on every packet, then one emit to the room.

Who may speak: a member of the room (the gateway checks membership, so a kicked or banned person is out), not
muted by staff, not taking a pause in the quiet room; as a cast avatar (`as_role`) only while holding that role's
claim (`room.drivers`), so an unclaimed cast avatar is never a voice. Who hears: the room's other members with a
connection, except anyone who blocked the speaking person or whom they blocked (whichever avatar that person
speaks through: a voice is the person's own, even through a character) and anyone taking a pause (the quiet room
hears no one). Voice has a rate budget of its own per sender, apart from the intents' budget that 25 packets a
second would drain; it counts frames (`wire.voice.FRAME_RATE`), not packets, so packing more frames into a packet
buys no more voice.

Nothing here stores, decodes or logs a frame; refusals reach the gateway's log as counts by code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from wire import controllers as wire_controllers
from wire import errors, events
from wire import voice as wire_voice
from wire.errors import WireError

from ..gateway import Ctx, intent
from ..world import Member, Room

BUCKET_KEY = "voice_budget"  # member.extra: the sender's frame budget, gone with their membership


@dataclass
class FrameBudget:
    tokens: float
    stamp: float

    def take(self, now: float, frames: int) -> bool:
        self.tokens = min(wire_voice.FRAME_BURST, self.tokens + (now - self.stamp) * wire_voice.FRAME_RATE)
        self.stamp = now
        if self.tokens < frames:
            return False
        self.tokens -= frames
        return True


def _budget(member: Member) -> FrameBudget:
    budget = member.extra.get(BUCKET_KEY)
    if not isinstance(budget, FrameBudget):
        budget = member.extra[BUCKET_KEY] = FrameBudget(wire_voice.FRAME_BURST, time.monotonic())
    return budget


def _cast_avatar(room: Room, role: str, user_id: int) -> int:
    """The cast avatar playing `role` in this room, if this person holds its claim."""
    for aid, av in room.avatars.items():
        if av.kind == "cast" and av.role == role:
            if room.drivers.get(aid) != user_id:
                raise WireError(
                    errors.FORBIDDEN,
                    f"You do not hold the role '{role}', so you cannot speak as it. Claim the role first.",
                )
            return aid
    raise WireError(errors.NOT_FOUND, f"No cast role '{role}' is in this room.")


@intent(wire_voice.VOICE, own_rate=True)
async def voice(ctx: Ctx, p: dict[str, Any]) -> None:
    room, member = ctx.in_room()
    uid = ctx.user["id"]
    if not _budget(member).take(time.monotonic(), len(p["frames"])):
        raise WireError(
            errors.RATE_LIMITED,
            f"Your voice is arriving faster than {wire_voice.FRAME_RATE:.0f} frames a second. "
            "Send each packet of 20 ms frames as it fills.",
        )
    safety = ctx.world.safety
    assert safety is not None  # the app assembles the world with its safety feature before any intent runs
    if uid in safety.paused:
        raise WireError(
            errors.FORBIDDEN, "You are paused in a quiet room, so no one hears you. Press pause again to go back first."
        )
    if safety.is_muted(room, uid):
        raise WireError(errors.FORBIDDEN, "Staff have paused your chat and voice in this room for a while.")
    driver: str | None = None
    speaker = member.avatar
    if p.get("as_role") is not None:
        speaker = _cast_avatar(room, p["as_role"], uid)
        driver = wire_controllers.AGENT_DRIVEN if ctx.role == events.AGENT else wire_controllers.TELEOP
    not_to = [m.sid for m in room.members.values() if m.sid is not None and _deaf_to(ctx, m, uid)]
    await ctx.world.sio.emit(
        wire_voice.VOICED,
        {"avatar": speaker, "seq": p["seq"], "frames": p["frames"], "driver": driver},
        room=room.id,
        skip_sid=not_to,
    )


def _deaf_to(ctx: Ctx, listener: Member, speaker_uid: int) -> bool:
    """Whether `listener` must not get this voice: the speaker themselves, a blocked pair, a pause."""
    safety = ctx.world.safety
    assert safety is not None
    other = listener.user["id"]
    return other == speaker_uid or other in safety.paused or safety.blocked(speaker_uid, other)
