"""Helpers for playing whole scenarios in rooms with real bots (used by the scenario-room and controller tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.controllers import hosts
from server.scenarios import load_file
from server.scenarios.paths import full_run_inputs
from wire import controllers as wc
from wire import events
from wire import scenario as wsc

ROOT = Path(__file__).resolve().parent.parent
CONVERSATION = load_file(ROOT / "scenarios" / "starting_a_conversation.yaml")


def _owed(srv, room: str) -> list:
    rr = srv.world.scenarios.active.get(room) if srv.world.scenarios is not None else None
    return rr.run.owed if rr is not None and not (rr.run.paused or rr.run.held) else []


async def settled(srv, room: str = "cafe", timeout: float = 5.0) -> None:
    """Wait until every cue sent to a teleoperator or agent has been said, and the run owes no line."""
    host = hosts(srv.world).get(room) if srv is not None else None
    deadline = asyncio.get_running_loop().time() + timeout
    while host is not None and (any(host.outstanding.values()) or _owed(srv, room)):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"cues not said: {host.outstanding}")
        await asyncio.sleep(0.02)


async def play(srv, participant, inputs, room: str = "cafe", start: int = 0) -> list[dict]:
    """Send the participant's inputs one by one, each after the cast has said its lines."""
    acks = []
    for method, arg in inputs[start:]:
        await settled(srv, room)
        if method == "choose":
            acks.append(await participant.call(wsc.SCENARIO_CHOOSE, {"option": arg}))
        else:
            acks.append(await participant.call(wsc.SCENARIO_ANSWER, {"text": arg}))
    await settled(srv, room)
    return acks


def teleoperate(bot) -> None:
    """A peer specialist's client that sends every cue it gets, verbatim, as the palette's line."""

    def on_cue(cue):
        asyncio.get_running_loop().create_task(
            bot.call(events.SAY, {"text": cue["text"], "suggestion": cue["id"], "avatar": cue["avatar"]})
        )

    bot.on(wc.CUE, on_cue)


def kinds(store, run_id: int) -> list[str]:
    return [e["kind"] for e in store.run_events(run_id)]


def cast_lines(store, run_id: int) -> list[tuple]:
    return [
        (e["data"]["cast"], e["data"]["suggestion"])
        for e in store.run_events(run_id)
        if e["kind"] == "said" and "cast" in e["data"]
    ]


def inputs(scenario=CONVERSATION, difficulty="easy"):
    return full_run_inputs(scenario, difficulty)
