"""What the coach console needs beyond the run's state: the participant's draft, and the run's transcript.

scenario_draft       the run's participant, while the run offers free text: what they have typed so far.
                     Relayed at once, as `scenario_typing`, to the staff who follow the run (RoomRun.watchers)
                     and to nobody else; never stored, never logged (it is not yet something they said).
                     A draft that comes when no free text is offered (the run moved on) is dropped quietly
                     (ack `relayed: false`), as is one within DRAFT_MIN_INTERVAL of the last.
scenario_transcript  staff who follow the run: its said lines, read from the store off the event loop, so a
                     console that (re)joins mid-run shows what was said before it came.
"""

from __future__ import annotations

import time
from typing import Any

from wire import errors, events
from wire import scenario as wsc
from wire.errors import WireError

from ..gateway import Ctx, intent
from ..world import room_state
from .intents import RoomRun, _active, _room, _rooms
from .phases import kind_of
from .runner import ScenarioRun

# drafts closer together than this are not relayed (the client sends at most 2 a second; this is the floor
# for a client that does not)
DRAFT_MIN_INTERVAL = 0.2


def offers_free_text(run: ScenarioRun) -> bool:
    """The participant may type their own words now (as scenario_state.free_text says)."""
    phase = run.phase
    if phase is None or run.finished or run.paused is not None:
        return False
    return bool(kind_of(phase).free_text(run))


class DraftClock:
    """Per room (room.state): when the participant's last draft was relayed (time.monotonic)."""

    def __init__(self) -> None:
        self.last = 0.0


@intent(wsc.SCENARIO_DRAFT, roles=(events.PARTICIPANT,))
async def scenario_draft(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rr = _active(ctx)
    if ctx.user["id"] != rr.participant:
        raise WireError(errors.FORBIDDEN, "Only the person practising in this scenario types its answers.")
    if not offers_free_text(rr.run):
        # the run moved on between a keystroke and its draft: nothing to show, and nothing the person did wrong
        return {"relayed": False}
    now = time.monotonic()
    clock = room_state(rr.room, DraftClock, DraftClock)
    if now - clock.last < DRAFT_MIN_INTERVAL:
        return {"relayed": False}
    clock.last = now
    typing = {"run": rr.run.run_id, "text": p["text"]}
    for sid in _staff_sids(rr):
        await ctx.world.send(sid, wsc.SCENARIO_TYPING, typing)
    return {"relayed": True}


def _staff_sids(rr: RoomRun) -> list[str]:
    return [
        m.sid
        for uid, m in rr.room.members.items()
        if m.sid is not None and uid in rr.watchers and m.user["role"] in events.STAFF
    ]


@intent(wsc.SCENARIO_TRANSCRIPT, roles=events.STAFF)
async def scenario_transcript(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rr = _active(ctx)
    run_id = rr.run.run_id
    rows = await ctx.world.store.aio.run_events(run_id)
    lines = [_line(r) for r in rows if r["kind"] == "said"][-wsc.MAX_TRANSCRIPT :]
    if _rooms(ctx).run_in(_room(ctx)) is not rr:
        raise WireError(errors.CONFLICT, "This scenario has already ended.")
    return {"run": run_id, "lines": lines}


def _line(row: dict[str, Any]) -> dict[str, Any]:
    data = row["data"]
    line = {
        "name": row["actor"] or "",
        "role": data.get("cast") or data.get("avatar_role"),
        "text": data.get("text"),
        "ts": row["ts"],
    }
    if data.get("text_withheld") or "text" not in data:
        line["text"], line["withheld"] = None, True
    return line
