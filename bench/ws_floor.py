"""Server CPU per incoming message: from the bare event loop up to a peerspace intent (#20).

    .venv/bin/python bench/ws_floor.py [--rate 2000] [--connections 200] [--seconds 6] [--repeat 3]

Where does an intent's CPU go? Each phase starts one server process (on `--server-cpus`), opens
`--connections` sockets to it from this process (on `--bot-cpus`), measures the server's CPU (user and
system, /proc) over an idle window, then over a window in which `--rate` messages a second arrive, each in
its own write as clients send them. (busy - idle) / messages is the cost of one message.

    raw       a uvloop Protocol that only counts what it reads: the event loop and the kernel (the baseline)
    aiohttp   aiohttp's websocket read with `await ws.receive()`, the path peerspace's sockets read with
    drained   the same parser, drained synchronously as data arrives (no future and no task wake-up per
              message): the most a synchronous read path could save
    move      the peerspace server and a `move` intent (held input 0: nobody walks, so nothing is sent back),
              the whole path: engine.io, the gateway's checks, the intent

Every phase gets the same bytes (a Socket.IO msgpack `move` packet in a masked websocket frame). Phases
alternate `--repeat` times; medians are printed with each phase's ratio to `raw`, and the server's CPU over
the idle window (for `move`: the peerspace server with its avatars connected, standing still in rooms of 10).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path

import msgpack

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lean import _BINARY, LeanClient, _client_frame  # noqa: E402
from load import ROOT, cpu_split, pinned, prepare_peerspace, serve_command, wait_file  # noqa: E402

PHASES = ("raw", "aiohttp", "drained", "move")
MOVE = {"type": 2, "nsp": "/", "data": ["move", {"forward": 0.0, "strafe": 0.0, "turn": 0.0}]}
UPGRADE = (
    b"GET /ws HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


# --- the bare servers (`ws_floor.py serve MODE`), each its own process ---------------------------------------
def serve(mode: str) -> None:
    import uvloop
    from aiohttp import web

    async def read_each(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        while (await ws.receive()).type is web.WSMsgType.BINARY:
            pass
        return ws

    class Drained:
        """aiohttp's websocket parser with its queue read out as soon as it is fed (the parser's internals)."""

        def __init__(self, parser, queue) -> None:
            self.parser, self.queue = parser, queue

        def feed_data(self, data: bytes):
            result = self.parser.feed_data(data)
            while self.queue._buffer:
                try:
                    self.queue.read().send(None)  # a message is waiting: the coroutine returns it at once
                except StopIteration:
                    pass
            return result

        def feed_eof(self) -> None:
            self.parser.feed_eof()

    async def read_drained(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        request.protocol._payload_parser = Drained(request.protocol._payload_parser, ws._reader)
        await asyncio.Event().wait()
        return ws

    class Discard(asyncio.Protocol):
        def data_received(self, data: bytes) -> None:
            pass

    async def listen() -> None:
        if mode == "raw":
            server = await asyncio.get_running_loop().create_server(Discard, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
        else:
            app = web.Application()
            app.router.add_get("/ws", read_each if mode == "aiohttp" else read_drained)
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            port = runner.addresses[0][1]
        print(port, flush=True)
        await asyncio.Event().wait()

    uvloop.run(listen())


# --- the senders -----------------------------------------------------------------------------------------------
class Sink(asyncio.Protocol):
    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        pass


async def bare_connections(mode: str, port: int, n: int) -> list:
    loop = asyncio.get_running_loop()
    out = []
    for _ in range(n):
        _, sink = await loop.create_connection(Sink, "127.0.0.1", port)
        if mode != "raw":
            sink.transport.write(UPGRADE)
        out.append(sink.transport)
    return out


async def peerspace_connections(url: str, rooms: list[list[str]]) -> list:
    out = []
    for r, tokens in enumerate(rooms):
        for token in tokens:
            cl = LeanClient(url)
            await cl.connect({"token": token})
            ack = await cl.call("join", {"room": f"bench-{r}"})
            if not ack or not ack.get("ok"):
                raise RuntimeError(f"join refused: {ack}")
            out.append(cl.transport)
    return out


async def measured(pid: int, connecting: Awaitable[list], args: argparse.Namespace) -> dict:
    """Idle window, then busy window: the server's CPU per message sent in the busy one."""
    transports = await connecting
    frame = _client_frame(msgpack.packb(MOVE, use_bin_type=True), _BINARY)
    try:
        await asyncio.sleep(1.0)
        idle0 = cpu_split(pid)
        await asyncio.sleep(args.seconds)
        idle1 = cpu_split(pid)
        per_slot = max(1, args.rate // 100)  # every 10 ms, round the connections
        sent = 0
        busy0 = cpu_split(pid)
        t0 = nxt = time.perf_counter()
        while time.perf_counter() - t0 < args.seconds:
            for _ in range(per_slot):
                transports[sent % len(transports)].write(frame)
                sent += 1
            nxt += 0.01
            await asyncio.sleep(max(0.0, nxt - time.perf_counter()))
        await asyncio.sleep(0.3)  # the last messages are read
        busy1 = cpu_split(pid)
    finally:
        for t in transports:
            t.close()
    user = (busy1[0] - busy0[0]) - (idle1[0] - idle0[0])
    system = (busy1[1] - busy0[1]) - (idle1[1] - idle0[1])
    idle = 100 * (sum(idle1) - sum(idle0)) / args.seconds
    return {
        "rate": round(sent / args.seconds),
        "user_us": 1e6 * user / sent,
        "sys_us": 1e6 * system / sent,
        "idle": idle,
    }


def run_phase(phase: str, args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"wsfloor-{phase}-"))
    if phase == "move":
        rooms = prepare_peerspace(tmp, -(-args.connections // 10), 10)
        env = {**os.environ, "PEERSPACE_LOG_LEVEL": "WARNING", "PEERSPACE_MAX_PER_ADDRESS": "100000"}
        cmd = pinned(args.server_cpus, serve_command(tmp, tmp / "ready"))
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    else:
        cmd = pinned(args.server_cpus, [sys.executable, __file__, "serve", phase])
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        if phase == "move":
            url = f"http://127.0.0.1:{wait_file(tmp / 'ready', proc)}"
            figures = asyncio.run(measured(proc.pid, peerspace_connections(url, rooms), args))
        else:
            port = int(proc.stdout.readline())
            figures = asyncio.run(measured(proc.pid, bare_connections(phase, port, args.connections), args))
        return {"phase": phase, **figures}
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "serve":
        serve(sys.argv[2])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=int, default=2000, help="messages a second, all connections together")
    ap.add_argument("--connections", type=int, default=200, help="sockets (peerspace: rooms of 10)")
    ap.add_argument("--seconds", type=float, default=6.0, help="each window (idle, then busy)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per phase (alternating); medians")
    ap.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES))
    ap.add_argument("--server-cpus", default="0")
    ap.add_argument("--bot-cpus", default="1")
    args = ap.parse_args()
    if args.bot_cpus:
        os.sched_setaffinity(0, {int(c) for c in args.bot_cpus.split(",")})
    runs: dict[str, list[dict]] = {p: [] for p in args.phases}
    for _ in range(args.repeat):
        for phase in args.phases:
            runs[phase].append(run_phase(phase, args))
    base = statistics.median(r["user_us"] + r["sys_us"] for r in runs["raw"]) if "raw" in runs else None
    print("| phase | messages/s | user µs | system µs | total µs per message | / raw | idle server CPU % |")
    print("|---|---|---|---|---|---|---|")
    for phase, rs in runs.items():
        user = statistics.median(r["user_us"] for r in rs)
        system = statistics.median(r["sys_us"] for r in rs)
        total = statistics.median(r["user_us"] + r["sys_us"] for r in rs)
        ratio = f"{total / base:.2f}" if base else "–"
        idle = statistics.median(r["idle"] for r in rs)
        print(f"| {phase} | {rs[0]['rate']} | {user:.1f} | {system:.1f} | {total:.1f} | {ratio} | {idle:.1f} |")
    print(
        f"({args.connections} connections, {args.seconds:g} s windows, medians of {args.repeat}, "
        f"server on CPU {args.server_cpus}, senders on CPU {args.bot_cpus})"
    )


if __name__ == "__main__":
    main()
