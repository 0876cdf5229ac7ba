"""Core intents: rooms, movement, chat, expression, gesture, consent.

Each handler gets a validated payload; it decides, records (before
broadcasting) and broadcasts. Cast avatars (coach, partners) are driven
through the very same intents, with `avatar` naming the claimed avatar.
"""

from __future__ import annotations

import time
from typing import Any

from wire import events

from ..gateway import Ctx, intent


@intent(events.LIST_ROOMS, in_room=False)
async def list_rooms(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return {"rooms": [r.summary() for r in await ctx.world.rooms_for(ctx.user)]}


@intent(events.CREATE_ROOM, roles=events.STAFF, in_room=False)
async def create_room(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    room = await ctx.world.create_room_async(p["name"], p["scene"], p["capacity"], created_by=ctx.user["id"])
    return {"room": room.summary()}


@intent(events.JOIN, in_room=False)
async def join(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    room = await ctx.world.join(ctx.conn, p["room"])
    return {"room": room.summary(), "you": room.members[ctx.user["id"]].avatar}


@intent(events.LEAVE, in_room=False)
async def leave(ctx: Ctx, p: dict[str, Any]) -> None:
    await ctx.world.leave(ctx.conn)


@intent(events.MOVE)
async def move(ctx: Ctx, p: dict[str, Any]) -> None:
    room, _ = ctx.in_room()
    room.set_input(ctx.acting_avatar(p), p["forward"], p["strafe"], p["turn"])


@intent(events.LOOK)
async def look(ctx: Ctx, p: dict[str, Any]) -> None:
    room, _ = ctx.in_room()
    aid = ctx.acting_avatar(p)
    if "at" in p:
        room.face(aid, p["at"])
    elif "yaw" in p:
        room.set_yaw(aid, p["yaw"])


async def speak(ctx: Ctx, aid: int, text: str, **meta: Any) -> dict[str, Any]:
    """Record then broadcast one line said by an avatar; the one path for chat and cast lines."""
    room, _ = ctx.in_room()
    av = room.avatar(aid)
    line = {"avatar": aid, "name": av.name, "text": text, "ts": time.time(), **meta}
    subject = av.user_id if av.kind == "person" else ctx.user["id"]
    for speaking in ctx.world.calls["speaking"]:  # moderation: may refuse (muted, paused)
        await speaking(ctx, av, text)
    recorded = None
    for recording in ctx.world.calls["recording_said"]:  # e.g. a scenario run records its own lines
        recorded = await recording(ctx, av, text, meta)
        if recorded is not None:
            break
    # A line the store cannot take now comes back as None and is retried in the background: the line is
    # still said, and a crisis alert still goes out (people before records).
    event_id = (
        recorded[0]
        if recorded is not None
        else await ctx.world.record(
            room, "said", av.name, {"text": text, "avatar_role": av.role, **meta}, user_id=subject
        )
    )
    await ctx.world.broadcast(room, events.SAID, line)
    for said in ctx.world.calls["said"]:  # e.g. crisis-language alerts
        await said(ctx, av, line, event_id)
    return line


@intent(events.SAY)
async def say(ctx: Ctx, p: dict[str, Any]) -> None:
    """A line, optionally with the face and gesture it is said with (as `expression` and `gesture` would set
    them, just before the line): a program acting at a human pace spends one intent per line, not three."""
    text = " ".join(p["text"].split())
    if not text:
        return None
    aid = ctx.acting_avatar(p)
    if "expression" in p:
        await show_expression(ctx, aid, p["expression"], float(p.get("intensity", 1.0)))
    if "gesture" in p and p["gesture"] != "none":
        await show_gesture(ctx, aid, p["gesture"])
    meta = {"suggestion": p["suggestion"]} if "suggestion" in p else {}
    await speak(ctx, aid, text, **meta)


async def show_expression(ctx: Ctx, aid: int, name: str, intensity: float) -> None:
    room, _ = ctx.in_room()
    av = room.avatar(aid)
    av.expression, av.intensity = name, intensity
    await ctx.world.broadcast(
        room, events.MEMBER_UPDATED, {"avatar": av.id, "expression": av.expression, "intensity": av.intensity}
    )


async def show_gesture(ctx: Ctx, aid: int, name: str) -> None:
    room, _ = ctx.in_room()
    av = room.avatar(aid)
    av.gesture = name
    await ctx.world.broadcast(room, events.MEMBER_UPDATED, {"avatar": av.id, "gesture": av.gesture})


@intent(events.EXPRESSION)
async def expression(ctx: Ctx, p: dict[str, Any]) -> None:
    await show_expression(ctx, ctx.acting_avatar(p), p["name"], float(p["intensity"]))


@intent(events.GESTURE)
async def gesture(ctx: Ctx, p: dict[str, Any]) -> None:
    await show_gesture(ctx, ctx.acting_avatar(p), p["name"])


@intent(events.CONSENT)
async def consent(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    # Durable per user: World.record() reads users.consent_recording.
    await ctx.world.store.aio.set_consent(ctx.user["id"], p["recording"])
    ctx.user["consent_recording"] = int(p["recording"])
    _, member = ctx.in_room()
    member.consented = p["recording"]
    await ctx.world.send(
        ctx.conn.sid,
        events.NOTICE,
        {
            "kind": "recording",
            "recording": p["recording"],
            "text": "Your lines in this room are now recorded for your sessions."
            if p["recording"]
            else "Your lines are not recorded. You can change this at any time.",
        },
    )
    return {"recording": member.consented}
