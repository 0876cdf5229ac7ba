"""Protocol fuzzing over a real socket: arbitrary bytes, msgpack values and Socket.IO event packets.

The server (its own OS process) must stay up, answer bad input with `error` events (or an error ack),
and people using it properly must not notice.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request

import aiohttp
import msgpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client.bot import Bot
from conftest import PASSWORD
from wire import events, messages

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=40),
)
values = st.recursive(
    scalars,
    lambda c: st.one_of(st.lists(c, max_size=5), st.dictionaries(st.text(max_size=12), c, max_size=5)),
    max_leaves=20,
)
event_names = st.one_of(st.sampled_from(sorted(messages.SCHEMAS)), st.text(max_size=70), scalars)
payloads = st.one_of(
    values,
    st.fixed_dictionaries(
        {},
        optional={
            "forward": values,
            "strafe": values,
            "turn": values,
            "text": values,
            "room": values,
            "avatar": values,
            "name": values,
            "yaw": values,
            "at": values,
            "protocol": values,
            "recording": values,
        },
    ),
)
event_packets = st.builds(
    lambda ev, p, ack, t: {"type": t, "nsp": "/", "data": [ev, p], **({"id": ack} if ack else {})},
    event_names,
    payloads,
    st.one_of(st.none(), st.integers(0, 2**31)),
    st.sampled_from([2, 2, 2, 3, 5, 6]),
)
frames = st.one_of(
    st.binary(max_size=300),  # raw garbage
    values.map(lambda v: msgpack.packb(v, use_bin_type=True)),  # valid msgpack, not a packet
    event_packets.map(lambda p: msgpack.packb(p, use_bin_type=True)),  # packets with hostile payloads
    st.text(max_size=100),  # text frames (engine.io level)
)


def _login(url: str, name: str) -> str:
    req = urllib.request.Request(
        url + "/api/login",
        data=json.dumps({"name": name, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["token"]


async def _fuzz_once(url: str, token: str, frame) -> list:
    """Connect raw, join the cafe, send one hostile frame; return the events that came back."""
    got = []
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket")
        try:
            await ws.receive(timeout=5)  # engine.io open
            await ws.send_bytes(msgpack.packb({"type": 0, "nsp": "/", "data": {"token": token}}))
            await ws.receive(timeout=5)  # socket.io connect
            await ws.send_bytes(msgpack.packb({"type": 2, "nsp": "/", "data": ["join", {"room": "cafe"}], "id": 1}))
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
            else:
                await ws.send_str(frame)
            await ws.send_bytes(msgpack.packb({"type": 2, "nsp": "/", "data": ["list_rooms", {}], "id": 99}))
            deadline = asyncio.get_running_loop().time() + 3
            while asyncio.get_running_loop().time() < deadline:
                msg = await ws.receive(timeout=deadline - asyncio.get_running_loop().time())
                if msg.type != aiohttp.WSMsgType.BINARY:
                    if msg.type == aiohttp.WSMsgType.TEXT and msg.data == "2":
                        await ws.send_str("3")
                        continue
                    break
                p = msgpack.unpackb(msg.data, raw=False)
                got.append(p)
                if p.get("type") == 3 and p.get("id") == 99:
                    break
        except (TimeoutError, aiohttp.ClientError):
            pass
        finally:
            await ws.close()
    return got


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(frame=frames)
def test_hostile_frames_never_crash_the_server(fuzz_target, frame):
    proc, token = fuzz_target
    got = asyncio.run(_fuzz_once(proc.url, token, frame))
    assert proc.proc.poll() is None, "the server process died"
    if isinstance(frame, bytes):
        try:
            packet = msgpack.unpackb(frame, raw=False)
        except Exception:
            packet = None
        bad_event = (
            isinstance(packet, dict)
            and packet.get("type") == 2
            and packet.get("nsp") == "/"
            and isinstance(packet.get("data"), list)
            and packet["data"]
            and packet["data"][0] not in messages.SCHEMAS
        )
        if bad_event:  # a well-formed packet for an unknown event must be answered with an error event
            assert any(p.get("type") == 2 and p["data"][0] == events.ERROR for p in got), got


_state: dict = {}


def _get_target(server_process):
    if "proc" not in _state:
        proc = server_process(PEERSPACE_LOG_LEVEL="ERROR", PEERSPACE_RATE_PER_S="1000", PEERSPACE_RATE_BURST="1000")
        for name in ("Fuzz", "Ana", "Ben"):
            proc.cli("user", "add", name, "--password", PASSWORD)
        proc.start()
        _state["proc"] = proc
        _state["token"] = _login(proc.url, "Fuzz")
    return _state["proc"], _state["token"]


import pytest  # noqa: E402


@pytest.fixture
def fuzz_target(server_process):
    return _get_target(server_process)


async def test_people_are_unaffected_after_fuzzing(server_process):
    """Runs after the fuzz test (same server): two people still meet, move and talk normally."""
    if "proc" in _state and _state["proc"].proc.poll() is not None:
        _state.clear()  # run on its own: start a server here
    proc, token = _get_target(server_process)
    for _ in range(20):  # a few more hostile frames right before, for good measure
        await _fuzz_once(proc.url, token, b"\x93\x01\x02" + bytes(range(40)))
    ana, ben = Bot(proc.url), Bot(proc.url)
    try:
        for bot, name in ((ana, "Ana"), (ben, "Ben")):
            await bot.login(name, PASSWORD)
            await bot.connect()
            await bot.join("park")
        await ana.say("still fine")
        await ben.wait_until(lambda: any(s["text"] == "still fine" for s in ben.said), timeout=5)
        assert proc.proc.poll() is None
    finally:
        for bot in (ana, ben):
            await asyncio.wait_for(bot.close(), 5)
        proc.stop()
        _state.clear()
