"""The baseline: what a naive server does. Plain python-socketio (default JSON serializer), no tick:
every pose a client sends is relayed at once, as JSON, to everyone else in the room; chat likewise.

    python bench/naive_server.py --port P --ready-file F
"""

from __future__ import annotations

import argparse
import asyncio

import socketio
from aiohttp import web


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ready-file")
    args = ap.parse_args()
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins=[], logger=False, engineio_logger=False)
    app = web.Application()
    sio.attach(app)
    ids: dict[str, int] = {}

    @sio.on("join")
    async def join(sid, data):
        await sio.enter_room(sid, data["room"])
        ids[sid] = len(ids)
        return {"ok": True, "you": ids[sid]}

    @sio.on("pose")
    async def pose(sid, data):
        data["id"] = ids.get(sid)
        await sio.emit("pose", data, room=data.pop("room"), skip_sid=sid)

    @sio.on("say")
    async def say(sid, data):
        await sio.emit("said", {"id": ids.get(sid), "text": data["text"]}, room=data["room"])

    async def run():
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        if args.ready_file:
            with open(args.ready_file, "w") as f:
                f.write(str(port))
        await asyncio.Event().wait()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
