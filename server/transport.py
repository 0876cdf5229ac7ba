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

import aiohttp
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket

log = logging.getLogger("peerspace.transport")

SEND_BUFFER_LIMIT = 1 << 20     # ~6 minutes of a 10-avatar room's snapshots
_BINARY, _TEXT = 0x2, 0x1


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


class LeanSocket(AsyncSocket):
    _transport: asyncio.Transport | None = None   # set while frames may be written directly
    _backlog = 0                                   # packets queued for engine.io's writer, not yet written

    @classmethod
    def adopt(cls, sock: AsyncSocket) -> None:
        """Make a socket engine.io has just created a LeanSocket.

        engine.io builds its socket class by name inside a long connect method;
        switching the class of the new instance (a subclass that only adds
        methods and two counters) is smaller than copying that method.
        """
        if type(sock) is AsyncSocket:
            sock.__class__ = cls
            sock._backlog = sock.queue.qsize()

    def write_frame(self, frame: bytes) -> bool:
        """Write an encoded websocket frame now if order allows; False means use send()."""
        t = self._transport
        if t is None or self._backlog or self.closed or t.is_closing():
            return False
        if t.get_write_buffer_size() > SEND_BUFFER_LIMIT:
            log.info("client %s stopped reading (over %d KiB unsent); closing so it can resync",
                     self.sid, SEND_BUFFER_LIMIT >> 10)
            self._transport = None
            t.abort()
            return True
        t.write(frame)
        return True

    async def send(self, pkt):
        if not await self.check_ping_timeout():
            return
        if self._transport is not None and self.write_frame(ws_frame(pkt.encode())):
            return
        self._backlog += 1
        await self.queue.put(pkt)

    async def _websocket_handler(self, ws):
        if self.connected:                      # a polling -> websocket upgrade: engine.io's own path
            return await super()._websocket_handler(ws)
        self.connected = self.upgraded = True
        resp = ws._sock                          # the aiohttp WebSocketResponse engine.io prepared
        writer = getattr(resp, "_writer", None)
        if not resp.compress and writer is not None and getattr(writer, "transport", None) is not None:
            self._transport = writer.transport
        queued = asyncio.ensure_future(self._write_queued(ws))
        timeout = self.server.ping_interval + self.server.ping_timeout
        try:
            while True:
                msg = await resp.receive(timeout=timeout)
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
        except (asyncio.TimeoutError, OSError, RuntimeError):
            pass
        finally:
            self._transport = None
            await self.queue.put(None)           # lets the queue writer finish
            await queued
            await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    async def _write_queued(self, ws) -> None:
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
            while not self.queue.empty():            # close(wait=True) joins the queue
                self.queue.get_nowait()
                self.queue.task_done()
            await ws.close()
