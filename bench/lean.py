"""A lean Socket.IO client for load generation: engine.io v4 over a raw websocket, no extras.

python-socketio's AsyncClient, and even a bare aiohttp websocket with one task
per bot, cost more CPU per message than the server does, so hundreds of them
on the same two cores would measure the bots, not the server. This is an
asyncio Protocol: the websocket handshake and frames (RFC 6455) parsed in
`data_received`, no task per bot, engine.io ping/pong, and Socket.IO packets as
msgpack (peerspace) or JSON text (the naive baseline). Frames it sends are
masked with a zero key, which RFC 6455 allows and leaves the payload as is.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
from urllib.parse import urlsplit

import msgpack

EVENT, ACK, CONNECT, CONNECT_ERROR = 2, 3, 0, 4
_TEXT, _BINARY, _CLOSE, _PING, _PONG = 0x1, 0x2, 0x8, 0x9, 0xA
_ZERO_MASK = b"\0\0\0\0"


def ws_overhead(n: int) -> int:
    """Bytes a server->client websocket frame header adds to an n-byte payload."""
    return 2 if n < 126 else 4 if n < 65536 else 10


def _client_frame(payload: bytes, opcode: int) -> bytes:
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + _ZERO_MASK + payload


class LeanClient(asyncio.Protocol):
    def __init__(self, url: str, binary: bool = True):
        u = urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.binary = binary
        self.on_event = None  # fn(event, data, nbytes)
        self.bytes_in = 0
        self.frames_in = 0
        self.closed = asyncio.Event()
        self._acks: dict[int, asyncio.Future] = {}
        self._next_id = 0
        self._buf = bytearray()
        self._handshaken = False
        self._opened: asyncio.Future | None = None
        self._connected: asyncio.Future | None = None
        self.transport: asyncio.Transport | None = None

    # --- connection ------------------------------------------------------------------------------
    async def connect(self, auth: dict | None = None, timeout: float = 20.0) -> None:
        loop = asyncio.get_running_loop()
        self._opened, self._connected = loop.create_future(), loop.create_future()
        await asyncio.wait_for(loop.create_connection(lambda: self, self.host, self.port), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write(
            (
                f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {self.host}:{self.port}"
                f"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        await asyncio.wait_for(self._opened, timeout)  # the engine.io open packet
        self._send({"type": CONNECT, "nsp": "/", "data": auth or {}})
        await asyncio.wait_for(self._connected, timeout)

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        for fut in (self._opened, self._connected, *self._acks.values()):
            if fut is not None and not fut.done():
                fut.set_exception(ConnectionError("connection lost"))
        self.closed.set()

    async def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_client_frame(struct.pack("!H", 1000), _CLOSE))
            self.transport.close()

    # --- sending -----------------------------------------------------------------------------------
    def _send(self, packet: dict) -> None:
        if self.binary:
            self.transport.write(_client_frame(msgpack.packb(packet, use_bin_type=True), _BINARY))
            return
        text = "4" + str(packet["type"]) + (str(packet["id"]) if "id" in packet else "")
        if "data" in packet:
            text += json.dumps(packet["data"], separators=(",", ":"))
        self.transport.write(_client_frame(text.encode(), _TEXT))

    async def emit(self, event: str, data) -> None:
        self._send({"type": EVENT, "nsp": "/", "data": [event, data]})

    async def call(self, event: str, data, timeout: float = 20.0):
        self._next_id += 1
        i = self._next_id
        fut = self._acks[i] = asyncio.get_running_loop().create_future()
        self._send({"type": EVENT, "nsp": "/", "data": [event, data], "id": i})
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._acks.pop(i, None)

    # --- receiving ---------------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        if not self._handshaken:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self._opened.set_exception(ConnectionError(bytes(buf[:80]).decode(errors="replace")))
                self.transport.close()
                return
            del buf[: end + 4]
            self._handshaken = True
        pos, size = 0, len(buf)
        while size - pos >= 2:
            opcode, n = buf[pos] & 0x0F, buf[pos + 1] & 0x7F
            head = 2
            if n == 126:
                if size - pos < 4:
                    break
                n, head = struct.unpack_from("!H", buf, pos + 2)[0], 4
            elif n == 127:
                if size - pos < 10:
                    break
                n, head = struct.unpack_from("!Q", buf, pos + 2)[0], 10
            if size - pos < head + n:
                break
            payload = bytes(buf[pos + head : pos + head + n])
            pos += head + n
            self._frame(opcode, payload)
        del buf[:pos]

    def _frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if opcode == _BINARY:
            packet = msgpack.unpackb(payload, raw=False)
        elif opcode == _TEXT:
            text = payload.decode()
            if text == "2":  # engine.io ping
                self.transport.write(_client_frame(b"3", _TEXT))
                return
            if text.startswith("0"):
                if not self._opened.done():
                    self._opened.set_result(None)
                return
            if not text.startswith("4"):
                return
            packet = self._decode_text(text)
        elif opcode == _PING:
            self.transport.write(_client_frame(payload, _PONG))
            return
        else:
            if opcode == _CLOSE:
                self.transport.close()
            return
        self.bytes_in += n + ws_overhead(n)
        self.frames_in += 1
        t = packet.get("type")
        if t == EVENT:
            data = packet["data"]
            if self.on_event is not None:
                self.on_event(data[0], data[1] if len(data) > 1 else None, n)
        elif t == ACK:
            fut = self._acks.get(packet.get("id"))
            if fut is not None and not fut.done():
                args = packet.get("data") or [None]
                fut.set_result(args[0])
        elif t == CONNECT and not self._connected.done():
            self._connected.set_result(packet.get("data"))
        elif t == CONNECT_ERROR and not self._connected.done():
            self._connected.set_exception(ConnectionError(str(packet.get("data"))))

    @staticmethod
    def _decode_text(text: str) -> dict:
        # "4" + type digit + optional ack id + JSON
        t = int(text[1])
        rest = text[2:]
        j = 0
        while j < len(rest) and rest[j].isdigit():
            j += 1
        return {"type": t, "id": int(rest[:j]) if j else None, "data": json.loads(rest[j:]) if rest[j:] else None}
