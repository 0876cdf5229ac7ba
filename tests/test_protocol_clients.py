"""Any standard Socket.IO client can speak the protocol (#18 item 1): raw python-socketio clients, as an outside
developer would write them from docs/protocol.md, on the websocket and on long-polling, with and without the
msgpack parser."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import socketio

import wire
from client.bot import Bot
from conftest import PASSWORD, eventually
from server.appkeys import SIO
from wire import codec, events

ROOT = Path(__file__).resolve().parent.parent


async def login(server, name: str) -> str:
    server.add_user(name)
    bot = Bot(server.url)
    await bot.login(name, PASSWORD)
    assert bot.token is not None
    return bot.token


class RawClient:
    """A python-socketio client with nothing of wire/session.py: records every event it is sent."""

    def __init__(self, **kw):
        self.sio = socketio.AsyncClient(reconnection=False, **kw)
        self.inbox: list[tuple[str, object]] = []
        self.refusals: list[object] = []
        self.sio.on("*", self._record)
        self.sio.on("connect_error", self._refused)

    async def _record(self, event, data=None):
        self.inbox.append((event, data))

    async def _refused(self, data=None):
        self.refusals.append(data)

    def events(self, name: str) -> list:
        return [d for e, d in self.inbox if e == name]


async def test_a_refused_token_gets_a_connect_error_map_with_its_code(server):
    for transport in ("websocket", "polling"):
        client = RawClient(serializer="msgpack")
        try:
            await client.sio.connect(server.url, transports=[transport], auth={"token": "forged"}, wait_timeout=5)
            raise AssertionError("a forged token was accepted")
        except socketio.exceptions.ConnectionError:
            pass
        [refusal] = client.refusals
        # python-socketio hands over the map; socket.io-client (JavaScript) reads `message` and `data` of it
        assert isinstance(refusal, dict)
        assert refusal["code"] == "unauthorized" and refusal["message"]
        assert refusal["data"] == {"code": "unauthorized", "message": refusal["message"]}
        await client.sio.disconnect()


async def test_an_oversized_message_is_acked_with_the_error_and_the_event_named(server):
    client = RawClient(serializer="msgpack")
    await client.sio.connect(server.url, transports=["websocket"], auth={"token": await login(server, "Ana")})
    try:
        assert (await client.sio.call(events.HELLO, {"protocol": wire.PROTOCOL_VERSION}, timeout=5))["ok"]
        ack = await client.sio.call(events.SAY, {"text": "x" * 20 * 1024}, timeout=5)  # over 16 KiB
        assert ack["ok"] is False and ack["error"]["code"] == "too_large"
        [error] = await eventually(lambda: client.events(events.ERROR))
        assert error["code"] == "too_large" and error["event"] == events.SAY
        # the connection goes on
        assert (await client.sio.call(events.LIST_ROOMS, {}, timeout=5))["ok"]
    finally:
        await client.sio.disconnect()


async def test_a_long_polling_client_completes_a_session(server):
    ana = await server.bot("Ana", room="cafe")
    client = RawClient(serializer="msgpack")
    await client.sio.connect(server.url, transports=["polling"], auth={"token": await login(server, "Pol")})
    try:
        assert client.sio.transport() == "polling"
        assert (await client.sio.call(events.HELLO, {"protocol": wire.PROTOCOL_VERSION}, timeout=5))["ok"]
        joined = await client.sio.call(events.JOIN, {"room": "cafe"}, timeout=5)
        assert joined["ok"] and joined["room"]["id"] == "cafe"
        [state] = await eventually(lambda: client.events(events.ROOM_STATE))
        ids = codec.decode_poses(state["poses"])["id"].tolist()
        assert ana.avatar in ids and state["you"] in ids
        # room emits (poses, lines said) reach a polling client: the fan-out's base64 text form
        await ana.emit(events.MOVE, {"forward": 1.0})
        snaps = await eventually(
            lambda: [s for s in client.events(events.SNAPSHOT) if ana.avatar in _ids(s)], timeout=5
        )
        tick, blob = snaps[0]
        assert isinstance(tick, int) and isinstance(blob, bytes)
        await ana.emit(events.MOVE, {"forward": 0.0})
        assert (await client.sio.call(events.SAY, {"text": "hello from polling"}, timeout=5))["ok"]
        await ana.wait_until(lambda: any(s["text"] == "hello from polling" for s in ana.said), timeout=5)
        await ana.call(events.SAY, {"text": "hello back"})
        await eventually(lambda: any(d["text"] == "hello back" for d in client.events(events.SAID)), timeout=5)
        assert (await client.sio.call(events.LEAVE, {}, timeout=5))["ok"]
    finally:
        await client.sio.disconnect()
    assert not ana.errors


def _ids(snap: list) -> list[int]:
    return codec.decode_poses(snap[1])["id"].tolist()


async def test_a_client_with_the_json_parser_is_told_in_json_and_let_go(server):
    token = await login(server, "Jay")
    for transport in ("websocket", "polling"):
        client = RawClient()  # python-socketio's default parser: JSON text
        try:
            await client.sio.connect(server.url, transports=[transport], auth={"token": token}, wait_timeout=5)
            raise AssertionError("a JSON client was let in")
        except socketio.exceptions.ConnectionError:
            pass
        [refusal] = client.refusals
        assert refusal["code"] == "protocol" and "msgpack" in refusal["message"]
        assert refusal["data"]["code"] == "protocol"
        await client.sio.disconnect()
    # the server does not keep their sessions
    assert not await eventually(lambda: dict(server.app[SIO].eio.sockets), ok=lambda s: not s, timeout=3)


async def run_bot_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "client.bot",
        *args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_the_bot_from_the_command_line_prints_its_usage_and_joins_walks_and_says(server):
    code, out = await run_bot_cli("--help")
    assert code == 0 and out.startswith("usage: python -m client.bot") and "--room" in out
    ana = await server.bot("Ana", room="cafe")
    server.add_user("Cli-bot")
    args = ("--server", server.url, "--user", "Cli-bot", "--walk", "0.3", "--say", "hello from the shell")
    code, out = await run_bot_cli(*args, env={"PEERSPACE_PASSWORD": PASSWORD})
    assert code == 0, out
    assert "joined The cafe as avatar" in out and "walked to" in out and "said: hello from the shell" in out
    await ana.wait_until(lambda: any(s["text"] == "hello from the shell" and s["name"] == "Cli-bot" for s in ana.said))


async def test_every_refusal_is_acked_while_error_events_are_throttled_as_documented(server):
    ana = await server.bot("Ana", room="cafe")
    acks = await asyncio.gather(*(ana.sio.call(events.EXPRESSION, {"name": "smug"}, timeout=5) for _ in range(10)))
    assert [a["ok"] for a in acks] == [False] * 10 and {a["error"]["code"] for a in acks} == {"invalid"}
    errs = await eventually(lambda: list(ana.errors), ok=lambda e: len(e) >= 5)
    # docs/protocol.md: the first 5 refusals in a row each get an error event, then at most one per 0.2 s
    assert 5 <= len(errs) <= 10 and all(e["event"] == events.EXPRESSION for e in errs)
    # an intent that succeeds starts the count again: the next refusal gets its error event at once
    assert (await ana.say("fine now"))["ok"]
    before = len(ana.errors)
    assert not (await ana.sio.call(events.GESTURE, {"name": "dab"}, timeout=5))["ok"]
    after = await eventually(lambda: ana.errors[before:])
    assert [e["event"] for e in after] == [events.GESTURE]
