"""The remote autonomous driver: the ScriptedDriver as its own process, over Socket.IO as role `agent`.

    python -m server.controllers.agent --server http://127.0.0.1:8642 --name coach-bot --password PW \\
        --room interview --role coach

It logs in (the account must have role `agent`: `peerspace user add coach-bot --role agent`), joins the room,
claims the cast role (before or during a scenario: a claim by role waits for the run), and then feeds
what it receives (`scenario_state` with the cue palette, `cue`, `said`, `controller`, member events) to
the very same `ScriptedDriver` the server runs in-process, sending its actions as ordinary intents. This
is the path a future AI avatar takes: replace the driver, keep everything else.

Only `wire` (the contract and `wire.session`, the protocol client) and the driver are used; nothing of
client/. If the link drops, the session reconnects and resumes; the server gives the avatar back.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import Any

from wire import controllers as wc
from wire import events
from wire import scenario as wsc
from wire.errors import WireError
from wire.session import WELCOME, Session

from .base import Controller, Observation, obs
from .scripted import ScriptedDriver

log = logging.getLogger("peerspace.agent")

OBSERVED = (
    wsc.SCENARIO_STATE,
    wc.CUE,
    events.SAID,
    wc.CONTROLLER,
    events.MEMBER_JOINED,
    events.MEMBER_LEFT,
    events.MEMBER_UPDATED,
)


def one_intent_per_line(actions: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """Fold a line's face and gesture into its `say` (one intent against the rate budget instead of three).

    Only the plain case is folded: at most one expression and one gesture for the same avatar, right before
    the line; anything else goes out as it came, in order."""
    out: list[tuple[str, dict[str, Any]]] = []
    pending: list[tuple[str, dict[str, Any]]] = []
    for event, payload in actions:
        if event in (events.EXPRESSION, events.GESTURE):
            pending.append((event, payload))
            continue
        kinds = [e for e, _ in pending]
        if (
            event == events.SAY
            and pending
            and len(set(kinds)) == len(kinds)
            and all(p.get("avatar") == payload.get("avatar") for _, p in pending)
        ):
            line = dict(payload)
            for e, p in pending:
                if e == events.EXPRESSION:
                    line["expression"] = p["name"]
                    if "intensity" in p:
                        line["intensity"] = p["intensity"]
                else:
                    line["gesture"] = p["name"]
            out.append((events.SAY, line))
        else:
            out += pending
            out.append((event, payload))
        pending = []
    return out + pending


class RemoteAgent:
    """Drive one cast role of one room with `driver`, over the protocol."""

    def __init__(self, url: str, name: str, password: str, room: str, role: str, driver: Controller | None = None):
        self.url, self.name, self.password, self.room, self.role = url, name, password, room, role
        self.driver = driver or ScriptedDriver(role)
        self.session = Session(url)
        self.queue: asyncio.Queue[Observation] = asyncio.Queue()
        self.sent: list[tuple[str, dict[str, Any]]] = []  # actions sent (for tests and logs; no content logged)
        self.ready = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        for event in OBSERVED:

            def observed(data: Any, event: str = event) -> None:
                self.queue.put_nowait(obs(event, data))

            self.session.on(event, observed)
        self.session.on(WELCOME, self._welcomed)
        await self.session.login(self.name, self.password)
        await self.session.connect()
        self._worker = asyncio.get_running_loop().create_task(self._work())

    async def _welcomed(self, ack: dict[str, Any]) -> None:
        # first connect, a resume after a drop, or a fresh server after a restart: be in the room, hold the role
        asyncio.get_running_loop().create_task(self._enter(ack))

    async def _enter(self, ack: dict[str, Any]) -> None:
        try:
            if ack.get("room") != self.room:
                await self.session.call(events.JOIN, {"room": self.room})
            claimed = await self.session.call(wc.CLAIM, {"role": self.role})
            if claimed.get("avatar") is not None:
                self.driver.avatar = claimed["avatar"]
            self.ready.set()
            log.info("agent holds role in room %s", self.room)
        except WireError as e:
            log.warning("agent could not take its role: %s", e.code)

    async def _work(self) -> None:
        while True:
            observation = await self.queue.get()
            for event, payload in one_intent_per_line(self.driver.observe(observation)):
                try:
                    await self.session.call(event, payload)
                    self.sent.append((event, payload))
                except WireError as e:
                    log.info("agent action %s refused: %s", event, e.code)
                except Exception:
                    log.info("agent action %s not sent (link down)", event)

    async def close(self) -> None:
        if self._worker:
            self._worker.cancel()
        await self.session.close()


async def run_agent(
    url: str, name: str, password: str, room: str, role: str = "coach", stop: asyncio.Event | None = None
) -> None:
    """Run until `stop` is set (or forever). The demo launcher can call this in its own event loop."""
    agent = RemoteAgent(url, name, password, room, role)
    await agent.start()
    try:
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        await agent.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m server.controllers.agent",
        description="Drive a scenario's cast role with the scripted autonomous driver.",
    )
    ap.add_argument("--server", default="http://127.0.0.1:8642")
    ap.add_argument("--name", required=True, help="an account with role 'agent'")
    ap.add_argument(
        "--password", default=os.environ.get("PEERSPACE_AGENT_PASSWORD"), help="or set PEERSPACE_AGENT_PASSWORD"
    )
    ap.add_argument("--room", required=True)
    ap.add_argument("--role", default="coach", help="the scenario's cast role to drive (default: coach)")
    ap.add_argument("--ready-file", default=None, help="write 'ready' here once the role is held")
    args = ap.parse_args(argv)
    if not args.password:
        ap.error("give --password or set PEERSPACE_AGENT_PASSWORD")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def amain() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        agent = RemoteAgent(args.server, args.name, args.password, args.room, args.role)
        try:
            await agent.start()
        except WireError as e:
            print(f"agent: {e.message}", file=sys.stderr)
            return 2
        await asyncio.wait_for(agent.ready.wait(), 30)
        if args.ready_file:
            with open(args.ready_file, "w") as f:
                f.write("ready")
        print(f"agent driving '{args.role}' in room '{args.room}'", flush=True)
        await stop.wait()
        await agent.close()
        return 0

    return asyncio.run(amain())


if __name__ == "__main__":
    sys.exit(main())
