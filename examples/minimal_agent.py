"""A minimal third-party agent for peerspace: it drives one cast role of a practice scenario.

It uses only python-socketio (with its msgpack serializer, as the server speaks msgpack) and the standard
library; no peerspace code. What it does, end to end (docs/controllers.md describes each message):

  1. log in as an account with role `agent`:  POST /api/login {name, password} -> {ok, token, user}
  2. connect Socket.IO with auth {token} (websocket transport), then `hello {protocol: 2}`
  3. `join {room}` and `claim {role}`: the ack says who drives the role now ({avatar, role, driver, by, ...})
  4. on every `cue` for its role: say the line with `say {text, suggestion: cue id, avatar}`; the scene waits
     for it (the participant is offered nothing until it is said) up to the cue's `deadline`

  python examples/minimal_agent.py --server http://127.0.0.1:8642 --name partner-bot --password ... \
      --room cafe --role alex [--delay 0.2] [--frozen] [--ready-file PATH]

--delay: seconds to think before each line; --frozen: claim, then never say anything (a hung program whose
connection stays open; the cue's deadline then applies the scenario's on_operator_drop rule).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

import socketio


def login(server: str, name: str, password: str) -> str:
    request = urllib.request.Request(
        f"{server}/api/login",
        data=json.dumps({"name": name, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        body = json.loads(resp.read())
    if not body.get("ok"):
        raise SystemExit(f"login refused: {body.get('error', {}).get('message', 'unknown reason')}")
    return str(body["token"])


async def call(sio: socketio.AsyncClient, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Send an intent and return its ack; a refusal ({ok: false, error: {code, message}}) raises."""
    ack = await sio.call(event, payload, timeout=10)
    if not isinstance(ack, dict) or not ack.get("ok"):
        raise RuntimeError(f"{event} refused: {ack}")
    return ack


async def main(args: argparse.Namespace) -> None:
    token = await asyncio.to_thread(login, args.server, args.name, args.password)
    sio = socketio.AsyncClient(serializer="msgpack", reconnection=False)
    lines: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @sio.on("cue")
    async def on_cue(cue: dict[str, Any]) -> None:
        if cue.get("role") == args.role:
            await lines.put(cue)  # said in order, one after another

    await sio.connect(args.server, transports=["websocket"], auth={"token": token})
    await call(sio, "hello", {"protocol": 2})
    await call(sio, "join", {"room": args.room})
    claimed = await call(sio, "claim", {"role": args.role})
    print(f"agent claimed {args.role!r}: driver {claimed.get('driver')}", flush=True)
    if args.ready_file:
        Path(args.ready_file).write_text("ready")
    while True:
        cue = await lines.get()
        if args.frozen:
            continue  # a hung program: never answers its cues
        await asyncio.sleep(args.delay)
        payload = {"text": cue["text"], "suggestion": cue["id"]}
        if cue.get("avatar") is not None:
            payload["avatar"] = cue["avatar"]
        try:
            await call(sio, "say", payload)
        except RuntimeError as err:  # e.g. the run ended meanwhile: keep listening
            print(err, file=sys.stderr, flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--room", required=True)
    parser.add_argument("--role", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--frozen", action="store_true")
    parser.add_argument("--ready-file")
    try:
        asyncio.run(main(parser.parse_args()))
    except KeyboardInterrupt:
        pass
