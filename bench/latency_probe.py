"""Move->seen latency with the real client session (python-socketio), in a quiet room and a busy one.

    .venv/bin/python bench/latency_probe.py [--people 10] [--seconds 8]

The load generator (bench/load.py) uses a lean engine.io client to afford
hundreds of bots; this probe uses the very `wire.session` client the 3D client
uses, with a handful of people, to measure what a person sees: one person
turns to a marker yaw, another times the snapshot that carries it. Baseline
in the same run: the same markers with nobody else moving.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the tests' ServerProcess imports tools/ from the checkout

from client.bot import Bot  # noqa: E402
from conftest import ServerProcess  # noqa: E402
from server.config import Config  # noqa: E402
from wire import codec  # noqa: E402

PASSWORD = "a long pass"


async def probe(url: str, people: int, seconds: float, others_move: bool) -> list[float]:
    bots = []
    for i in range(people):
        b = Bot(url)
        await b.login(f"Probe{i:02d}", PASSWORD)
        await b.connect()
        await b.join("cafe")
        bots.append(b)
    pending: dict[int, tuple[int, float]] = {}
    lat: list[float] = []

    def on_snap(d):
        now = time.perf_counter()
        for r in codec.decode_poses(d[1]):
            p = pending.get(int(r["id"]))
            if p and p[0] == int(r["yaw"]):
                lat.append(now - p[1])
                del pending[int(r["id"])]

    bots[0].on("snap", on_snap)
    rng = random.Random(1)
    end, k = time.time() + seconds, 0
    while time.time() < end:
        k += 1
        b = bots[1 + k % (people - 1)]
        if k % 3 == 0:
            mark = (k * 37) % 256
            pending[b.avatar] = (mark, time.perf_counter())
            await b.emit("look", {"yaw": mark * 360 / 256})
        elif others_move:
            a = rng.random() * 2 * math.pi
            await b.emit("move", {"forward": math.cos(a) * 0.5, "strafe": math.sin(a) * 0.5, "turn": 0.0})
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)
    for b in bots:
        await b.close()
    return sorted(lat)


def pct(lat: list[float], p: float) -> float:
    return round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 1)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=8.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp))
        for i in range(args.people):
            server.cli("user", "add", f"Probe{i:02d}", "--password", PASSWORD)
        server.start()
        try:
            quiet = await probe(server.url, args.people, args.seconds, others_move=False)
            busy = await probe(server.url, args.people, args.seconds, others_move=True)
        finally:
            server.stop()
    print(f"{'room':<28}{'samples':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, lat in (("nobody else moving", quiet), ("everybody moving", busy)):
        print(f"{name:<28}{len(lat):>8}{pct(lat, 0.5):>9}{pct(lat, 0.9):>9}{pct(lat, 0.99):>9}{pct(lat, 1):>9}")
    hz = Config.from_env().tick_hz
    print(
        f"ratio busy/quiet p99: {pct(busy, 0.99) / pct(quiet, 0.99):.2f}x  "
        f"(the tick alone adds 0-{1000 / hz:.0f} ms at {hz:g} Hz)"
    )


if __name__ == "__main__":
    asyncio.run(main())
