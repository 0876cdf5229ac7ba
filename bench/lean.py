"""A lean Socket.IO client for load generation: engine.io v4 over one aiohttp websocket, no extras.

python-socketio's AsyncClient costs far more CPU per message than the server
does, so hundreds of them would measure the bots, not the server. This speaks
the wire directly: the engine.io open packet, ping/pong, and Socket.IO packets
as msgpack (peerspace) or JSON text (the naive baseline).
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import msgpack

EVENT, ACK, CONNECT = 2, 3, 0


def ws_overhead(n: int) -> int:
    """Bytes a server->client websocket frame header adds to an n-byte payload."""
    return 2 if n < 126 else 4 if n < 65536 else 10


class LeanClient:
    def __init__(self, url: str, session: aiohttp.ClientSession, binary: bool = True):
        self.url = url.replace("http://", "ws://").rstrip("/") + "/socket.io/?EIO=4&transport=websocket"
        self.http, self.binary = session, binary
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.on_event = None                     # fn(event, data, nbytes)
        self.bytes_in = 0
        self.frames_in = 0
        self._acks: dict[int, asyncio.Future] = {}
        self._next_id = 0
        self._reader: asyncio.Task | None = None
        self.closed = asyncio.Event()

    async def connect(self, auth: dict | None = None, timeout: float = 20.0) -> None:
        self.ws = await self.http.ws_connect(self.url, max_msg_size=0, timeout=aiohttp.ClientWSTimeout(ws_close=5))
        msg = await asyncio.wait_for(self.ws.receive(), timeout)
        if msg.type != aiohttp.WSMsgType.TEXT or not msg.data.startswith("0"):
            raise ConnectionError(f"no engine.io open packet: {msg.type} {str(msg.data)[:80]}")
        loop = asyncio.get_running_loop()
        self._connected = loop.create_future()
        self._reader = loop.create_task(self._read())
        await self._send({"type": CONNECT, "nsp": "/", "data": auth or {}})
        await asyncio.wait_for(self._connected, timeout)

    def _encode(self, packet: dict):
        if self.binary:
            return msgpack.packb(packet, use_bin_type=True)
        t = packet["type"]
        text = "4" + str(t) + (str(packet["id"]) if "id" in packet else "")
        if "data" in packet:
            text += json.dumps(packet["data"], separators=(",", ":"))
        return text

    async def _send(self, packet: dict) -> None:
        data = self._encode(packet)
        if isinstance(data, bytes):
            await self.ws.send_bytes(data)
        else:
            await self.ws.send_str(data)

    async def emit(self, event: str, data) -> None:
        await self._send({"type": EVENT, "nsp": "/", "data": [event, data]})

    async def call(self, event: str, data, timeout: float = 20.0):
        self._next_id += 1
        i = self._next_id
        fut = self._acks[i] = asyncio.get_running_loop().create_future()
        await self._send({"type": EVENT, "nsp": "/", "data": [event, data], "id": i})
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._acks.pop(i, None)

    def _decode_text(self, text: str):
        # "4" + type digit + optional ack id + JSON
        t = int(text[1])
        rest = text[2:]
        j = 0
        while j < len(rest) and rest[j].isdigit():
            j += 1
        pid = int(rest[:j]) if j else None
        data = json.loads(rest[j:]) if rest[j:] else None
        return {"type": t, "id": pid, "data": data}

    async def _read(self) -> None:
        ws = self.ws
        try:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.BINARY:
                    n = len(msg.data)
                    packet = msgpack.unpackb(msg.data, raw=False)
                elif msg.type == aiohttp.WSMsgType.TEXT:
                    n = len(msg.data.encode())
                    if msg.data == "2":
                        await ws.send_str("3")
                        continue
                    if not msg.data.startswith("4"):
                        continue
                    packet = self._decode_text(msg.data)
                else:
                    break
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
                elif t == 4 and not self._connected.done():   # CONNECT_ERROR
                    self._connected.set_exception(ConnectionError(str(packet.get("data"))))
        except (asyncio.CancelledError, ConnectionResetError):
            pass
        finally:
            self.closed.set()

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
