"""A leaner engine.io websocket transport for the hot path.

engine.io's own websocket handler passes every outgoing packet to a writer task
through an asyncio.Queue (a wait_for, a Future and a task wake-up per packet)
and reads every incoming packet through a fresh task wrapped in wait_for. At
500 avatars that machinery, not ours, was most of the server's CPU
(`bench/load.py --profile`). On a websocket without compression a LeanSocket
writes each frame straight to the TCP transport, in call order, and reads with
aiohttp's own receive timeout; a frame built once for a room emit is written to
every recipient without encoding it again (`write_frame`).

Order is never changed: a packet goes straight out only when nothing is waiting
in engine.io's queue. The queue is still used where direct writing cannot be:
the engine.io open packet written before the websocket exists, polling clients,
polling→websocket upgrades (engine.io's own handler) and permessage-deflate.

A client that stops reading does not grow the server's memory without end:
past SEND_BUFFER_LIMIT unsent bytes its connection is cut, and its client
reconnects and resumes with a full resync (the world keeps its seat for the
grace period).
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import aiohttp
import engineio
import socketio
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("peerspace.transport")

SEND_BUFFER_LIMIT = 1 << 20  # ~5 minutes of snapshots from a 10-person room where all walk
_BINARY, _TEXT = 0x2, 0x1
# aiohttp hands over frames already read without suspending: a client sending a burst would otherwise keep
# the loop (every room's tick and sends) for a whole read buffer of frames; let others run every so often
YIELD_EVERY = 16
IDLE_SWEEP_S = 2.0  # how often connections are checked for silence (instead of a timer around every read)


def ws_frame(payload: bytes | str) -> bytes:
    """One unmasked, uncompressed, final websocket frame (RFC 6455 §5.2) carrying `payload`."""
    opcode = _BINARY
    if isinstance(payload, str):
        payload, opcode = payload.encode(), _TEXT
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, n))
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return head + payload


class LeanSocket(AsyncSocket):  # type: ignore[misc]  # python-engineio is untyped
    _transport: asyncio.Transport | None = None  # set while frames may be written directly
    _backlog = 0  # packets queued for engine.io's writer, not yet written
    _frames_in = 0  # frames read so far: the idle sweep compares it with what it saw last time
    _frames_seen = -1  # _frames_in as the idle sweep last saw it
    _idle_since = 0.0  # loop time the sweep last saw _frames_in change
    _on_cut: Callable[[], None] | None = None  # called when a client that stopped reading is cut off
    _ended: asyncio.Event | None = None  # made by wait_ended, set by close
    connected: bool  # engine.io's own flags (its base is untyped)
    upgraded: bool
    upgrading: bool
    closing: bool

    @classmethod
    def adopt(cls, sock: AsyncSocket, on_cut: Callable[[], None] | None = None) -> None:
        """Make a socket engine.io has just created a LeanSocket.

        engine.io builds its socket class by name inside a long connect method;
        switching the class of the new instance (a subclass that only adds
        methods and two counters) is smaller than copying that method.
        """
        if type(sock) is AsyncSocket:
            sock.__class__ = cls
            sock._backlog = sock.queue.qsize()
            sock._on_cut = on_cut

    def write_frame(self, frame: bytes) -> bool:
        """Write an encoded websocket frame now if order allows; False means use send()."""
        t = self._transport
        if t is None or self._backlog or self.closed or t.is_closing():
            return False
        if t.get_write_buffer_size() > SEND_BUFFER_LIMIT:
            log.info(
                "client %s stopped reading (over %d KiB unsent); closing so it can resync",
                self.sid,
                SEND_BUFFER_LIMIT >> 10,
            )
            self._transport = None
            t.abort()
            if self._on_cut is not None:
                self._on_cut()
            return True
        t.write(frame)
        return True

    async def send(self, pkt: eio_packet.Packet) -> None:
        if not await self.check_ping_timeout():
            return
        if self._transport is not None and self.write_frame(ws_frame(pkt.encode())):
            return
        self._backlog += 1
        await self.queue.put(pkt)

    async def close(self, wait: bool = True, abort: bool = False, reason: str | None = None) -> None:
        # engine.io only writes a CLOSE packet and waits for the client to hang up; a client that never does
        # would hold the websocket until the receive timeout. The packet is written: end the TCP stream too.
        t = self._transport
        long_poll = not self.closed and not self.closing and not self.upgraded and not self.upgrading
        await super().close(wait=wait, abort=abort, reason=reason)
        if t is not None and not t.is_closing():
            self._transport = None
            t.close()
        if long_poll:
            # a GET long-poll in flight would otherwise wait for packets until its poll timeout (20 s), and a
            # client that hangs up waits for that GET: let it end now (engine.io answers it with what is queued)
            self.queue.put_nowait(None)
        if self._ended is not None:
            self._ended.set()

    async def wait_ended(self, timeout: float) -> None:
        """Wait until the socket closes (its client hangs up, or anything else ends it), at most `timeout` s."""
        if self.closed:
            return
        if self._ended is None:
            self._ended = asyncio.Event()
        try:
            await asyncio.wait_for(self._ended.wait(), timeout)
        except TimeoutError:
            pass

    async def _websocket_handler(self, ws: Any) -> None:  # ws: engine.io's aiohttp WebSocket wrapper
        if self.connected:  # a polling -> websocket upgrade: engine.io's own path
            await super()._websocket_handler(ws)
            return
        self.connected = self.upgraded = True
        resp: aiohttp.web.WebSocketResponse = ws._sock  # the one engine.io prepared
        writer = getattr(resp, "_writer", None)
        if not resp.compress and writer is not None and getattr(writer, "transport", None) is not None:
            self._transport = writer.transport
        queued = asyncio.ensure_future(self._write_queued(ws))
        self._idle_since = asyncio.get_running_loop().time()
        sweep = IdleSweep.of(self.server)
        sweep.watched.add(self)
        # engine.io hands a binary websocket message to Socket.IO unchanged (a MESSAGE packet of those bytes):
        # the hot intents (move, look, say) go straight to that handler, without a Packet and the
        # handler lookup, logging and wrapping of engine.io's receive and _trigger_event for each
        on_message = self.server.handlers.get("message") if not self.server.async_handlers else None
        handled = 0
        try:
            while True:
                handled += 1
                if handled % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
                # no timer around each read: IdleSweep cuts a connection that has sent nothing (not even
                # engine.io's pong) for ping_interval + ping_timeout
                msg = await resp.receive()
                self._frames_in += 1
                if msg.type is aiohttp.WSMsgType.BINARY and on_message is not None:
                    if self.closed:
                        break
                    try:
                        await on_message(self.sid, msg.data)
                    except Exception:
                        self.server.logger.exception("message async handler error")
                    continue
                if msg.type not in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                    break
                try:
                    await self.receive(eio_packet.Packet(encoded_packet=msg.data))
                except eio_exceptions.UnknownPacketError:
                    pass
                except eio_exceptions.SocketIsClosedError:
                    break
                except Exception:
                    self.server.logger.exception("Unknown receive error")
        except (TimeoutError, OSError, RuntimeError):
            pass
        finally:
            sweep.watched.discard(self)
            self._transport = None
            await self.queue.put(None)  # lets the queue writer finish
            await queued
            await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    def cut_if_silent(self, now: float, limit: float) -> bool:
        """Close the connection under a socket that has read nothing for `limit` seconds; True if it did."""
        if self._frames_in != self._frames_seen:
            self._frames_seen, self._idle_since = self._frames_in, now
            return False
        if now - self._idle_since < limit:
            return False
        t, self._transport = self._transport, None
        log.info("client %s sent nothing for %.0f s; closing", self.sid, now - self._idle_since)
        if t is not None:
            t.abort()  # the read loop ends, and the session with it
        return True

    async def _write_queued(self, ws: Any) -> None:
        """Write what engine.io queued (the open packet, anything sent while a backlog exists).

        Waits on the queue without engine.io's poll timeout: with direct writes the
        queue is idle for good, which must not read as a dead connection.
        """
        try:
            while True:
                pkt = await self.queue.get()
                self.queue.task_done()
                if pkt is None:
                    break
                await ws.send(pkt.encode())
                self._backlog -= 1
        except Exception:
            pass
        finally:
            while not self.queue.empty():  # close(wait=True) joins the queue
                self.queue.get_nowait()
                self.queue.task_done()
            await ws.close()


class IdleSweep:
    """One task per engine.io server that cuts silent websocket connections every IDLE_SWEEP_S.

    A timer around each read (aiohttp's receive timeout: an asyncio timeout scheduled and cancelled per
    message) was about 5 % of the server's CPU at 1,000 avatars (#20). Clients answer engine.io's pings,
    so a live connection is never silent for ping_interval + ping_timeout; one that is gets cut, as the
    receive timeout did (a little later: up to one sweep period).
    """

    def __init__(self, server: Any) -> None:
        self.server = server
        self.watched: set[LeanSocket] = set()
        self.task = asyncio.get_running_loop().create_task(self._run())

    @classmethod
    def of(cls, server: Any) -> IdleSweep:
        sweep: IdleSweep | None = getattr(server, "_idle_sweep", None)
        if sweep is None or sweep.task.done():
            sweep = server._idle_sweep = cls(server)
        return sweep

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(IDLE_SWEEP_S)
            limit = self.server.ping_interval + self.server.ping_timeout
            now = loop.time()
            for sock in list(self.watched):
                if sock.cut_if_silent(now, limit):
                    self.watched.discard(sock)


class FanoutManager(socketio.AsyncManager):  # type: ignore[misc]  # python-socketio is untyped
    """Room emits encoded once, down to the websocket frame, with no task per recipient.

    python-socketio encodes a room emit once, then creates one asyncio task per
    recipient to queue it. Here the packet becomes one websocket frame that is
    written to each LeanSocket's transport in a plain loop; a socket that cannot
    take it directly (polling, a backlog) gets the packet through engine.io.
    Emits with ack callbacks (per-recipient packets) keep python-socketio's path.
    """

    # a room emit writes to local sockets and waits for nothing on the network (World.tick sends room by room)
    emit_awaits_network = False

    async def emit(
        self,
        event: str,
        data: object,
        namespace: str,
        room: str | None = None,
        skip_sid: str | list[str] | None = None,
        callback: Callable[..., object] | None = None,
        to: str | None = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        if callback is not None or namespace not in self.rooms:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs)
            return
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        encoded = self.server.packet_class(
            socketio.packet.EVENT, namespace=namespace, data=[event] + ([] if data is None else [data])
        ).encode()
        parts = encoded if isinstance(encoded, list) else [encoded]
        frame = (
            ws_frame(engineio.packet.Packet(engineio.packet.MESSAGE, parts[0]).encode()) if len(parts) == 1 else None
        )
        members = self.rooms[namespace].get(room)
        if not members:
            return
        sockets = self.server.eio.sockets
        # the room's sid -> engine.io sid map as python-socketio keeps it (get_participants would copy it into a
        # generator per emit); a tuple, because a write that cuts a slow client may end its membership
        for sid, eio_sid in tuple(members.items()):
            if sid in skip:
                continue
            sock = sockets.get(eio_sid)
            if frame is not None and type(sock) is LeanSocket and sock.write_frame(frame):
                continue
            # a packet of its own per recipient: engine.io caches a packet's first encoding, and a polling
            # client needs the base64 text form ('b' + base64) where a websocket takes the bytes
            for p in parts:
                await self.server._send_eio_packet(eio_sid, engineio.packet.Packet(engineio.packet.MESSAGE, p))


class RedisFanoutManager(socketio.AsyncRedisManager, FanoutManager):  # type: ignore[misc]  # untyped base
    """Scale-out: emits travel through Redis to every node (python-socketio's AsyncRedisManager), and each
    node delivers its local share with FanoutManager's loop (it comes after the pub/sub layer in the MRO)."""

    # Node.delivers_locally: the node knows which rooms have people elsewhere
    local_only: Callable[[str], bool] | None = None
    emit_awaits_network = True  # a Redis publish per emit: World.tick runs the rooms' sends together

    async def emit(
        self,
        event: str,
        data: object,
        namespace: str | None = None,
        room: str | None = None,
        skip_sid: str | list[str] | None = None,
        callback: Callable[..., object] | None = None,
        to: str | None = None,
        **kwargs: Any,
    ) -> None:
        target = to or room
        if callback is None and isinstance(target, str) and self.local_only is not None and self.local_only(target):
            await FanoutManager.emit(self, event, data, namespace or "/", room=target, skip_sid=skip_sid)
            return
        pubsub: Any = super()  # python-socketio's pub/sub layer (untyped) comes first in the MRO
        await pubsub.emit(
            event, data, namespace=namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs
        )

    def _redis_connect(self) -> None:
        self.redis = redis_client(self.redis_url)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True


def redis_client(url: str) -> Redis:
    """A Redis client whose pool makes a burst of publishes wait for a connection.

    redis-py's default pool fails with "Too many connections" past 100 at once; a
    world tick of many rooms plus forwarded intents reaches that on a busy node,
    and python-socketio then drops the emit after one retry (lost chat lines).
    """
    import redis.asyncio as aioredis

    return aioredis.Redis(connection_pool=aioredis.BlockingConnectionPool.from_url(url, max_connections=64, timeout=10))
