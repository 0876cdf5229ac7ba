"""The websocket transport (server/transport.py): frames written straight to the socket, in order;
a client that stops reading is cut off without hurting its room; compressed websockets still work."""

import asyncio
import socket

import aiohttp
import msgpack

from server import transport
from server.appkeys import SIO
from server.transport import LeanSocket
from wire import events


def server_socket(server, bot):
    """The engine.io socket on the server that serves this bot."""
    sio = server.app[SIO]
    return sio.eio.sockets[sio.manager.eio_sid_from_sid(bot.sio.get_sid(), "/")]


async def test_room_emits_are_written_straight_to_the_websocket_in_order(server, monkeypatch):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    sock = server_socket(server, ben)
    assert isinstance(sock, LeanSocket) and sock._transport is not None

    direct = []
    write_frame = LeanSocket.write_frame

    def counting(self, frame):
        ok = write_frame(self, frame)
        direct.append(ok)
        return ok

    monkeypatch.setattr(LeanSocket, "write_frame", counting)

    start = len(ben.inbox)
    for i in range(15):  # within the rate limit's burst
        await ana.sio.emit(events.SAY, {"text": f"line {i}"})  # room emits, no waiting on answers
        await ana.sio.emit(events.MOVE, {"forward": (-1) ** i * 0.5})
    await ben.wait_until(lambda: sum(e == events.SAID for e, _ in ben.inbox[start:]) >= 15, timeout=10)
    said = [d["text"] for e, d in ben.inbox[start:] if e == events.SAID]
    assert said == [f"line {i}" for i in range(15)]
    assert not ana.errors
    assert direct and all(direct), "every room emit went straight to the transport"
    assert sock._backlog == 0 and sock.queue.empty()


async def test_a_client_that_stops_reading_is_cut_off_and_the_room_goes_on(server, monkeypatch):
    monkeypatch.setattr(transport, "SEND_BUFFER_LIMIT", 64 * 1024)
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    uid = server.store.find_user("Ben")["id"]
    stalled_sid = server.world.member_of(uid)[1].sid
    # Ben's machine stops reading; small kernel buffers on both ends so the server's own buffer fills
    ben_tcp = ben.sio.eio.ws._conn.transport
    ben_tcp.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ben_tcp.pause_reading()
    server_socket(server, ben)._transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)

    sio = server.app[SIO]
    start = len(ana.inbox)
    for i in range(40):  # 40 x 16 KiB to the room
        await sio.emit("filler", {"i": i, "pad": b"x" * 16384}, to="cafe")
        await asyncio.sleep(0.01)
    await ana.wait_until(lambda: sum(e == "filler" for e, _ in ana.inbox[start:]) == 40, timeout=10)
    for _ in range(100):  # the stalled link is cut, Ben's seat is kept
        if stalled_sid not in server.world.conns:
            break
        await asyncio.sleep(0.05)
    assert stalled_sid not in server.world.conns
    assert server.world.member_of(uid)[0] is not None
    async with aiohttp.ClientSession() as http, http.get(server.url + "/metrics") as resp:
        assert "peerspace_slow_clients_cut_total 1.0" in await resp.text()  # operators can see it

    # the room carries on for Ana
    assert (await ana.say("still here"))["ok"]
    # Ben's client notices when it reads again, reconnects by itself and resumes his seat
    ben_tcp.resume_reading()
    await ben.wait_until(lambda: server.world.member_of(uid)[1].sid not in (None, stalled_sid), timeout=15)
    assert server.world.member_of(uid)[1].sid == ben.sio.get_sid()


async def test_a_compressed_websocket_keeps_engineio_s_queue_and_works(server):
    """Browsers offer permessage-deflate; frames then need the shared compressor, so no direct writes."""
    ana = await server.bot("Ana", room="cafe")
    cleo = await server.bot("Cleo")  # for a token only
    token = cleo.token
    await cleo.close()
    url = server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http, http.ws_connect(url, compress=15) as ws:
        assert (await ws.receive()).data.startswith("0")  # engine.io open
        await ws.send_bytes(msgpack.packb({"type": 0, "nsp": "/", "data": {"token": token}}))
        assert msgpack.unpackb((await ws.receive()).data)["type"] == 0  # socket.io connect
        seen = set()

        async def until(what: str) -> None:
            while what not in seen:
                msg = await asyncio.wait_for(ws.receive(), 5)
                if msg.type == aiohttp.WSMsgType.TEXT:  # engine.io ping
                    await ws.send_str("3")
                    continue
                pkt = msgpack.unpackb(msg.data)
                if pkt["type"] == 3:
                    assert pkt["data"][0]["ok"]
                    seen.add("ack")
                elif pkt["data"][0] == events.SAID and pkt["data"][1]["text"] == "hello compressed":
                    seen.add(events.SAID)

        await ws.send_bytes(msgpack.packb({"type": 2, "nsp": "/", "id": 1, "data": [events.JOIN, {"room": "cafe"}]}))
        await until("ack")  # in the room (joining reads the store off the loop) before Ana speaks
        await ana.say("hello compressed")
        await until(events.SAID)
        sid = next(s for s, c in server.world.conns.items() if c.user["name"] == "Cleo")
        sio = server.app[SIO]
        sock = sio.eio.sockets[sio.manager.eio_sid_from_sid(sid, "/")]
        assert ws.compress and sock._transport is None


async def test_a_client_that_starts_on_polling_and_upgrades_still_works(server):
    """Browsers and some proxies start with HTTP long-polling; engine.io's own path carries them."""
    import socketio

    ana = await server.bot("Ana", room="cafe")
    cleo = await server.bot("Cleo")
    token = cleo.token
    await cleo.close()
    got = []
    sio = socketio.AsyncClient(serializer="msgpack", reconnection=False)
    sio.on(events.SAID, lambda d: got.append(d["text"]))
    await sio.connect(server.url, transports=["polling", "websocket"], auth={"token": token})
    try:
        assert (await sio.call(events.JOIN, {"room": "cafe"}, timeout=5))["ok"]
        for _ in range(50):  # the upgrade to websocket happens meanwhile
            if sio.eio.current_transport == "websocket":
                break
            await asyncio.sleep(0.05)
        assert sio.eio.current_transport == "websocket"
        await ana.say("to the upgraded one")
        assert (await sio.call(events.SAY, {"text": "from the upgraded one"}, timeout=5))["ok"]
        await ana.wait_until(lambda: any(s["text"] == "from the upgraded one" for s in ana.said))
        for _ in range(50):
            if "to the upgraded one" in got:
                break
            await asyncio.sleep(0.05)
        assert "to the upgraded one" in got
        sid = next(s for s, c in server.world.conns.items() if c.user["name"] == "Cleo")
        sock = server.app[SIO].eio.sockets[server.app[SIO].manager.eio_sid_from_sid(sid, "/")]
        assert sock.upgraded and sock._transport is None  # engine.io's queue, not direct writes
    finally:
        await sio.disconnect()


async def test_a_silent_websocket_is_cut_and_a_talking_one_kept_without_a_timer_per_read(server, monkeypatch):
    """Reads carry no timer (#20): the idle sweep, and engine.io's pings, still cut a client that says nothing."""
    monkeypatch.setattr(transport, "IDLE_SWEEP_S", 0.1)
    eio = server.app[SIO].eio
    monkeypatch.setattr(eio, "ping_interval", 1.0)  # silent for 2 s: cut
    monkeypatch.setattr(eio, "ping_timeout", 1.0)
    ana = await server.bot("Ana", room="cafe")  # answers pings: stays
    cleo = await server.bot("Cleo")
    token = cleo.token
    await cleo.close()
    url = server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        assert (await ws.receive()).data.startswith("0")  # engine.io open
        await ws.send_bytes(msgpack.packb({"type": 0, "nsp": "/", "data": {"token": token}}))
        assert msgpack.unpackb((await ws.receive()).data)["type"] == 0  # socket.io connect
        loop = asyncio.get_running_loop()
        started = loop.time()
        while (await asyncio.wait_for(ws.receive(), 10)).type not in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.ERROR,
        ):
            pass  # pings, never answered
        assert loop.time() - started < 8  # 2 s, and generous margins for a busy machine
    await ana.say("still here")  # 2-3 s of answering pings only: kept
    await ana.wait_for(events.SAID, lambda d: d.get("text") == "still here", timeout=5)


def test_the_idle_sweep_cuts_only_a_socket_that_read_nothing_for_the_limit():
    class FakeTransport:
        aborted = False

        def abort(self):
            self.aborted = True

    sock = LeanSocket.__new__(LeanSocket)
    sock.sid, t = "s1", FakeTransport()
    sock._transport = t
    assert not sock.cut_if_silent(100.0, 20.0)  # first look: starts the clock
    sock._frames_in += 1
    assert not sock.cut_if_silent(119.0, 20.0)  # it read something: the clock starts again
    assert not sock.cut_if_silent(138.0, 20.0)
    assert sock.cut_if_silent(139.5, 20.0) and t.aborted and sock._transport is None
