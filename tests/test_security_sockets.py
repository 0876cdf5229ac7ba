"""Issue #11, holes 1, 7 and 8: the Socket.IO / engine.io boundary under attack.

Real server on loopback, real python-socketio bots and raw websocket / TCP / HTTP clients, a real SQLite file.
Each test reproduces an attack that got through before the fix.
"""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import msgpack
import pytest

from client.bot import Bot
from conftest import PASSWORD
from server.appkeys import GATEWAY, SIO
from server.gateway import REFUSAL_FETCH_WAIT
from wire import events
from wire import safety as ws
from wire.errors import WireError


def sio_rooms(srv, bot) -> set:
    """The Socket.IO rooms the server's manager has this bot's socket in (its own sid room left out)."""
    sid = bot.sio.get_sid()
    return {r for r in srv.app[SIO].manager.get_rooms(sid, "/") if r != sid}


def seen_since(bot, start: int, *names: str) -> list:
    return [e for e, _ in bot.inbox[start:] if e in names]


async def until(predicate, timeout: float, step: float = 0.02) -> float:
    """Wait for predicate(); returns the seconds it took, or fails the test after `timeout`."""
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"not true within {timeout} s")
        await asyncio.sleep(step)
    return time.monotonic() - t0


# --- hole 1: reserved event names ---------------------------------------------------------------------------
async def test_client_sent_disconnect_and_connect_events_never_reach_the_lifecycle_handlers(make_server):
    srv = await make_server(resume_grace=0.3)  # a forged `disconnect` would remove Ana after 0.3 s
    ana = await srv.bot("Ana", room="cafe")
    ben = await srv.bot("Ben", room="cafe")
    uid = srv.store.find_user("Ana")["id"]
    sid = ana.sio.get_sid()

    ack = await ana.sio.call("disconnect", {})
    assert ack["ok"] is False and ack["error"]["code"] == "unknown_event"
    await ana.sio.emit("disconnect", "transport close")
    await ana.sio.emit("connect", ({}, {"token": ana.token}))
    await ana.sio.emit("connect_error", {})
    await ana.sio.emit("disconnecting", {})
    await asyncio.sleep(0.8)  # past the resume grace
    assert ana.avatar in ben.members and not seen_since(ben, 0, events.MEMBER_LEFT)
    room, member = srv.world.member_of(uid)
    assert room.id == "cafe" and member.sid == sid and sid in srv.world.conns
    assert [d["code"] for d in ana.errors] and {d["code"] for d in ana.errors} == {"unknown_event"}

    # the socket is in one room: moving to the park takes it out of the cafe's events
    await ana.join("park")
    assert sio_rooms(srv, ana) == {"park"}
    start = len(ana.inbox)
    await ben.say("only for the cafe")
    await asyncio.sleep(0.3)
    assert not seen_since(ana, start, events.SAID)

    # a forged `connect` does not refill the rate bucket: drain it, forge, and most calls are still refused
    await asyncio.gather(*(ana.sio.call(events.EXPRESSION, {"name": "happy"}) for _ in range(60)))
    await ana.sio.emit("connect", ({}, {"token": ana.token}))
    acks = await asyncio.gather(*(ana.sio.call(events.EXPRESSION, {"name": "happy"}) for _ in range(30)))
    refused = [a for a in acks if not a["ok"] and a["error"]["code"] == "rate_limited"]
    assert len(refused) >= 20, f"only {len(refused)} of 30 refused: the bucket was refilled"


async def test_a_second_connect_packet_on_a_connected_socket_is_refused(server):
    server.add_user("Ana")
    ana = Bot(server.url, reconnect=False)
    await ana.login("Ana", PASSWORD)
    async with aiohttp.ClientSession() as http:
        wsock = await http.ws_connect(server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket")
        await wsock.receive(timeout=5)
        connect = msgpack.packb({"type": 0, "nsp": "/", "data": {"token": ana.token}})
        await wsock.send_bytes(connect)
        first = msgpack.unpackb((await wsock.receive(timeout=5)).data)
        assert first["type"] == 0
        await wsock.send_bytes(connect)  # again, on the same connection
        again = msgpack.unpackb((await wsock.receive(timeout=5)).data)
        assert again["type"] == 2 and again["data"][0] == events.ERROR and again["data"][1]["code"] == "invalid"
        assert list(server.world.conns) == [first["data"]["sid"]]
        await wsock.close()


# --- hole 1: removing a person takes every socket of theirs out of every room ------------------------------
@pytest.mark.parametrize("how", ["kick", "ban", "delete"])
async def test_kick_ban_and_delete_take_every_socket_of_the_person_out_of_the_room(server, how):
    ana = await server.bot("Ana", room="cafe", reconnect=False)
    ana2 = await server.bot("Ana", reconnect=False)  # a second window: it drives her avatar from now on
    ben = await server.bot("Ben", room="cafe")
    sam = await server.bot("Sam", role="facilitator", room="cafe")
    uid = ana.user["id"]
    assert server.world.member_of(uid)[1].sid == ana2.sio.get_sid() and not sio_rooms(server, ana)
    # The first socket is back in the room whatever the world's bookkeeping says (as the forged-disconnect
    # hole left sockets): removing her must still take it out.
    await server.app[SIO].enter_room(ana.sio.get_sid(), "cafe")
    start = len(ben.inbox)
    await sam.say("before")
    for bot in (ana, ana2):
        await bot.wait_for(events.SAID, lambda d: d["text"] == "before")

    if how == "delete":
        async with aiohttp.ClientSession() as http:
            async with http.post(
                server.url + "/api/me/delete", json={"confirm": "Ana"}, headers={"Authorization": f"Bearer {ana.token}"}
            ) as resp:
                assert (await resp.json())["ok"]
    else:
        await sam.call(ws.KICK, {"avatar": ana2.avatar, "ban_minutes": 60 if how == "ban" else 0})
    await ben.wait_until(lambda: ana2.avatar not in ben.members)
    assert server.world.member_of(uid) == (None, None)
    for bot in (ana, ana2):
        if bot.sio.connected:
            assert sio_rooms(server, bot) == set()
    marks = {id(b): len(b.inbox) for b in (ana, ana2)}
    await sam.say("after")
    await ben.move(1.0)
    await ben.wait_for(events.SAID, lambda d: d["text"] == "after", since=start)
    await asyncio.sleep(0.4)  # a dozen ticks of snapshots
    for bot in (ana, ana2):
        assert not seen_since(bot, marks[id(bot)], events.SAID, events.SNAPSHOT), how
    if how != "kick":
        await until(lambda: not ana.sio.connected and not ana2.sio.connected, 3)


# --- hole 1: a ban or delete from the CLI reaches the running server ----------------------------------------
async def test_cli_delete_and_ban_cut_off_a_connected_person_within_a_second(server_process):
    proc = server_process().start()
    for name in ("Ana", "Ben", "Cai"):
        assert proc.cli("user", "add", name, "--password", PASSWORD).returncode == 0
    bots = []
    try:
        for name in ("Ana", "Ben", "Cai"):
            bot = Bot(proc.url, reconnect=True)
            await bot.login(name, PASSWORD)
            await bot.connect()
            await bot.join("cafe")
            bots.append(bot)
        ana, ben, cai = bots
        for _name, bot, args in (("Ana", ana, ("delete", "Ana", "--yes")), ("Ben", ben, ("ban", "Ben"))):
            done = await asyncio.to_thread(proc.cli, *args)
            assert done.returncode == 0, done.stderr
            took = await until(lambda: not bot.sio.connected, 2.5)
            assert took < 2.5
            await cai.wait_until(lambda: bot.avatar not in cai.members, timeout=2)
            notices = [d for e, d in bot.inbox if e == events.NOTICE and d.get("kind") == "removed"]
            assert notices, "told calmly before the connection closed"
            again = Bot(proc.url, reconnect=False)
            again.token = bot.token
            with pytest.raises(WireError):
                await again.connect()
            await again.close()
        ok = await asyncio.to_thread(proc.cli, "unban", "Ben")
        assert ok.returncode == 0
    finally:
        for bot in bots:
            await bot.close()


# --- hole 7: refusal floods ---------------------------------------------------------------------------------
async def test_a_socket_that_keeps_sending_past_its_limit_is_cut_off_and_must_wait(make_server):
    srv = await make_server(flood_limit=100, flood_window=5.0, flood_cooldown=30.0)
    ana = await srv.bot("Ana", room="cafe", reconnect=False)
    ben = await srv.bot("Ben", room="cafe")
    token = ana.token
    await ana.close()
    # a raw client that floods and never reads: the server must close the connection itself
    async with aiohttp.ClientSession() as http:
        wsock = await http.ws_connect(srv.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket")
        await wsock.receive(timeout=5)
        await wsock.send_bytes(msgpack.packb({"type": 0, "nsp": "/", "data": {"token": token}}))
        assert msgpack.unpackb((await wsock.receive(timeout=5)).data)["type"] == 0
        frame = msgpack.packb({"type": 2, "nsp": "/", "data": ["no-such-event", {}]})
        for _ in range(600):
            await wsock.send_bytes(frame)
        got, t0 = [], time.monotonic()
        while True:
            msg = await wsock.receive(timeout=3)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                break
            if msg.type == aiohttp.WSMsgType.BINARY:
                got.append(msgpack.unpackb(msg.data))
        assert time.monotonic() - t0 < 3
        await wsock.close()
    errors_back = [p["data"][1] for p in got if p.get("type") == 2 and p["data"][0] == events.ERROR]
    assert any(e["code"] == "rate_limited" and "disconnected you" in e["message"] for e in errors_back)
    assert len(errors_back) < 30
    await until(
        lambda: not srv.app[SIO].eio.sockets.keys() - {srv.app[SIO].manager.eio_sid_from_sid(ben.sio.get_sid(), "/")}, 3
    )
    assert srv.world.member_of(ana.user["id"])[1].sid is None  # seat kept for the resume grace
    again = Bot(srv.url, reconnect=False)
    again.token = token
    with pytest.raises(WireError) as e:
        await again.connect()
    assert e.value.code == "rate_limited"
    await again.close()
    assert (await ben.say("the room goes on"))["ok"]


async def test_refusals_are_logged_as_one_line_per_socket_per_interval(server, caplog):
    caplog.set_level(logging.INFO, logger="peerspace.gateway")
    ana = await server.bot("Ana", room="cafe")
    for _ in range(300):
        await ana.sio.emit("no-such-event", {})
    conn = server.world.conns[ana.sio.get_sid()]
    await until(lambda: conn.refused == 300, 5)  # every packet has been handled
    lines = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(lines) == 1, lines  # the first refusal, at once; the rest are counted
    server.app[GATEWAY]._log_refusals(conn, time.monotonic())  # (the housekeeping, 10 s later)
    lines = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert sum(int(line.split("refused ")[1].split()[0]) for line in lines) == 300
    assert all("unknown_event x" in line for line in lines)


async def test_the_rate_limit_is_per_person_not_per_socket(server):
    bots = [await server.bot("Ana", reconnect=False) for _ in range(3)]
    acks = await asyncio.gather(*(b.sio.call(ws.BLOCKS, {}) for b in bots for _ in range(40)))
    accepted = sum(1 for a in acks if a["ok"])
    assert accepted <= 50, f"{accepted} of 120 accepted: each socket had its own bucket"
    assert accepted >= 35


async def test_a_person_holds_at_most_max_sockets_per_user(make_server):
    srv = await make_server(max_sockets_per_user=3)
    bots = [await srv.bot("Ana", reconnect=False) for _ in range(3)]
    uid = bots[0].user["id"]
    for _ in range(2):
        more = Bot(srv.url, reconnect=False)
        more.token = bots[0].token
        with pytest.raises(WireError) as e:
            await more.connect()
        assert e.value.code == "too_many_connections" and "Close a window" in e.value.message
        await more.close()
    assert all(b.sio.connected for b in bots) and len(srv.world.sids_of(uid)) == 3
    await bots[0].close()  # one closes: one more may come
    await until(lambda: len(srv.world.sids_of(uid)) == 2, 3)
    assert (await srv.bot("Ana", reconnect=False)).sio.connected


async def test_one_address_holds_at_most_max_per_address_tcp_connections(make_server):
    srv = await make_server(max_per_address=8)
    held = [await asyncio.open_connection("127.0.0.1", srv.port) for _ in range(8)]
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
    answer = await asyncio.wait_for(reader.read(), 3)  # read to EOF: the server closed it
    assert answer.startswith(b"HTTP/1.1 503") and b"too_many_connections" in answer
    writer.close()
    for _, w in held[:2]:  # two leave: two may come
        w.close()
    await asyncio.sleep(0.2)
    async with aiohttp.ClientSession() as http, http.get(srv.url + "/api/health") as resp:
        assert resp.status == 200
    for _, w in held[2:]:
        w.close()


async def test_one_address_holds_at_most_max_per_address_engineio_sessions(make_server):
    srv = await make_server(max_per_address=4)
    statuses = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        for _ in range(6):  # polling handshakes: no TCP connection kept
            async with http.get(srv.url + "/socket.io/?EIO=4&transport=polling") as resp:
                statuses.append((resp.status, await resp.text()))
    assert [s for s, _ in statuses] == [200] * 4 + [401] * 2
    assert "too_many_connections" in statuses[-1][1]
    assert len(srv.app[SIO].eio.sockets) == 4


# --- hole 8: unauthenticated exhaustion ---------------------------------------------------------------------
async def test_a_refused_socketio_connect_closes_the_websocket(server):
    async with aiohttp.ClientSession() as http:
        wsock = await http.ws_connect(server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket")
        opened = await wsock.receive(timeout=5)
        assert opened.data.startswith("0")  # engine.io open
        await wsock.send_bytes(msgpack.packb({"type": 0, "nsp": "/", "data": {"token": "forged"}}))
        refused = msgpack.unpackb((await wsock.receive(timeout=5)).data)
        assert refused["type"] == 4 and refused["data"]["code"] == "unauthorized"  # connect_error
        t0 = time.monotonic()
        while True:  # this client does not hang up: the server closes the websocket itself
            msg = await wsock.receive(timeout=REFUSAL_FETCH_WAIT + 1)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                break
        assert time.monotonic() - t0 < REFUSAL_FETCH_WAIT + 1
        await wsock.close()
    await until(lambda: not server.app[SIO].eio.sockets, 2)


async def test_a_refused_client_hangs_up_first_and_the_server_does_not_race_it(server):
    """A close packet from the server while python-engineio's client is closing made that client empty its send
    queue under its own writer, which then waited 15 s before the refusal (a ban, an expired token) reached the
    person. The server now lets the client hang up first and closes only a session that does not."""
    async with aiohttp.ClientSession() as http:
        wsock = await http.ws_connect(server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket")
        await wsock.receive(timeout=5)  # engine.io open
        await wsock.send_bytes(msgpack.packb({"type": 0, "nsp": "/", "data": {"token": "forged"}}))
        refused = msgpack.unpackb((await wsock.receive(timeout=5)).data)
        assert refused["type"] == 4 and refused["data"]["code"] == "unauthorized"
        with pytest.raises(asyncio.TimeoutError):  # no engine.io close ("1"), no websocket close, for now
            await wsock.receive(timeout=0.5)
        await wsock.send_str("1")  # the client's own engine.io close, as python-engineio sends it
        await until(lambda: not server.app[SIO].eio.sockets, 1)
        await wsock.close()
    # a python-socketio client: the refusal comes back as the person's error, at once
    bot = Bot(server.url, reconnect=False)
    bot.token = "forged"
    t0 = time.monotonic()
    with pytest.raises(WireError) as refusal:
        await bot.connect()
    assert refusal.value.code == "unauthorized" and time.monotonic() - t0 < 2
    await bot.close()


async def test_an_engineio_session_that_never_authenticates_is_closed(make_server):
    srv = await make_server(auth_timeout=0.5)
    sio = srv.app[SIO]
    async with aiohttp.ClientSession() as http:
        wsock = await http.ws_connect(srv.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket")
        await wsock.receive(timeout=5)  # engine.io open; then nothing
        async with http.get(srv.url + "/socket.io/?EIO=4&transport=polling") as resp:
            assert resp.status == 200  # a polling session that never connects
        assert len(sio.eio.sockets) == 2
        took = await until(lambda: not sio.eio.sockets, 3)
        assert took < 3
        msg = await wsock.receive(timeout=3)
        while msg.type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            msg = await wsock.receive(timeout=3)
        await wsock.close()
    # a person who connects properly is not affected
    ana = await srv.bot("Ana", room="cafe")
    await asyncio.sleep(0.8)
    assert ana.sio.connected and (await ana.say("hello"))["ok"]


async def test_a_session_that_leaves_the_namespace_but_stays_open_is_closed(make_server):
    srv = await make_server(auth_timeout=0.5)
    srv.add_user("Ana")
    ana = Bot(srv.url, reconnect=False)
    await ana.login("Ana", PASSWORD)
    async with aiohttp.ClientSession() as http:
        wsock = await http.ws_connect(srv.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket")
        await wsock.receive(timeout=5)
        await wsock.send_bytes(msgpack.packb({"type": 0, "nsp": "/", "data": {"token": ana.token}}))
        assert msgpack.unpackb((await wsock.receive(timeout=5)).data)["type"] == 0
        await wsock.send_bytes(msgpack.packb({"type": 1, "nsp": "/"}))  # socket.io disconnect; stays
        t0 = time.monotonic()
        msg = await wsock.receive(timeout=3)
        while msg.type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            msg = await wsock.receive(timeout=3)
        assert time.monotonic() - t0 < 2.5
        await wsock.close()


async def test_a_slowloris_connection_is_closed_at_the_header_timeout(make_server):
    srv = await make_server(header_timeout=0.6)
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
    writer.write(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
    t0 = time.monotonic()
    closed = False
    for i in range(40):  # one more header line every 0.1 s
        try:
            writer.write(b"X-Slow-%d: y\r\n" % i)
            await writer.drain()
            data = await asyncio.wait_for(reader.read(100), 0.1)
            if data == b"":
                closed = True
                break
        except TimeoutError:
            continue
        except (ConnectionError, OSError):
            closed = True
            break
    took = time.monotonic() - t0
    writer.close()
    assert closed and took < 2.5, f"still open after {took:.1f} s"
    # a complete request on a fresh connection is answered as usual
    async with aiohttp.ClientSession() as http, http.get(srv.url + "/api/health") as resp:
        assert resp.status == 200
