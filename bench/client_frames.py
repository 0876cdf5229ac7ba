"""Client frame time offscreen with 10 and 50 avatars, against an empty-room baseline in the same run.

Each case loads the cafe scene, adds N remote avatars (name tags, faces with
expressions, some gesturing, some with speech bubbles) and feeds the client
20 Hz pose deltas of everyone walking slow circles, through the same decode
and interpolation path as real server snapshots. A frame is the client's
whole per-frame work: interpolation, avatar animation, camera, HUD and the
render itself (`taskMgr.step()` + `graphicsEngine.syncFrame()`).

    .venv/bin/python bench/client_frames.py [--frames 240] [--size 960x600] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from client.app import Options, PeerspaceClient  # noqa: E402
from client.avatars.face import EXPRESSION_PARAMS  # noqa: E402
from client.preview import sample_members  # noqa: E402
from client.testing import reset  # noqa: E402
from wire import codec  # noqa: E402

GESTURES = ["wave", "nod", "shake_head", "point", "shrug", "thumbs_up"]


def poses_at(n: int, t: float):
    ids = np.arange(n + 1)
    k = np.arange(n + 1, dtype=np.float64)
    radius = 2.0 + (k % 5) * 1.6
    ang = k * 2.399963 + t * 0.25
    xy = np.stack([np.sin(ang) * radius, np.cos(ang) * radius + 1.0], axis=1)
    xy[0] = (0.0, -4.0)  # you, looking at the crowd
    yaw = (np.degrees(ang) + 90.0) % 360.0
    yaw[0] = 0.0
    return ids, xy.astype(np.float32), yaw.astype(np.float32)


def run_case(app: PeerspaceClient, n: int, frames: int, warmup: int = 20) -> list[float]:
    reset(app)
    members = sample_members(n + 1, cast_every=5)
    exprs = list(EXPRESSION_PARAMS)
    for i, m in enumerate(members):
        m["expression"], m["intensity"] = exprs[i % len(exprs)], 0.4 + 0.6 * ((i * 37) % 10) / 10
    ids, xy, yaw = poses_at(n, 0.0)
    blob = codec.encode_poses(codec.quantise(ids, xy, yaw, np.zeros(n + 1, np.uint8)))
    app.on_room_state(
        {
            "room": {"id": "bench", "name": "Bench", "scene": "cafe", "capacity": 200},
            "you": 0,
            "members": members,
            "poses": blob,
            "t": 0,
        }
    )
    for i in range(1, n + 1, 4):
        app.on_said({"avatar": i, "name": members[i]["name"], "text": "Nice to see everyone here today."})
    tick_dt = 1 / 20
    t0 = time.perf_counter()
    tick = 0
    times = []
    for f in range(frames + warmup):
        now = time.perf_counter()
        while (tick + 1) * tick_dt <= now - t0:  # deliver due 20 Hz snapshots
            tick += 1
            ids, xy, yaw = poses_at(n, tick * tick_dt)
            flags = np.full(n + 1, codec.FLAG_MOVING, np.uint8)
            app.on_snap(codec.snapshot(tick, codec.encode_poses(codec.quantise(ids, xy, yaw, flags))))
        if n and f % 20 == 0:
            app.avatars[1 + (f // 20) % n].play_gesture(GESTURES[(f // 20) % len(GESTURES)])
        start = time.perf_counter()
        app.taskMgr.step()
        app.graphicsEngine.syncFrame()
        if f >= warmup:
            times.append(time.perf_counter() - start)
    assert sum(1 for a in app.avatars.values() if a.placed) == n + 1
    return [t * 1000 for t in times]


def summarise(n: int, ms: list[float]) -> dict:
    ms = sorted(ms)
    return {
        "avatars": n,
        "frames": len(ms),
        "median_ms": statistics.median(ms),
        "p95_ms": ms[int(0.95 * (len(ms) - 1))],
        "mean_ms": statistics.fmean(ms),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=100, help="timed frames per case per round")
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="cases run interleaved this many times, so machine load hits all of them alike",
    )
    ap.add_argument("--size", default="960x600")
    ap.add_argument("--json", help="also write the results here")
    a = ap.parse_args(argv)
    w, h = (int(v) for v in a.size.split("x"))
    app = PeerspaceClient(Options(offscreen=True, size=(w, h), settings_path=None, server=None))
    gsg = app.win.getGsg()
    renderer = f"{app.pipe_name}: {gsg.getDriverRenderer()}"
    cases = (0, 10, 50)
    times: dict[int, list[float]] = {n: [] for n in cases}
    for _ in range(a.rounds):
        for n in cases:
            times[n] += run_case(app, n, a.frames)
    results = [summarise(n, times[n]) for n in cases]
    base = results[0]["median_ms"]
    print(f"peerspace client frame time, offscreen {w}x{h}, {renderer}, {a.rounds} interleaved rounds")
    print(f"{'case':<22}{'median ms':>10}{'p95 ms':>9}{'fps':>7}{'x baseline':>12}")
    for r in results:
        name = "empty room (baseline)" if r["avatars"] == 0 else f"{r['avatars']} avatars"
        r["ratio"] = r["median_ms"] / base if base else float("nan")
        print(f"{name:<22}{r['median_ms']:>10.2f}{r['p95_ms']:>9.2f}{1000 / r['median_ms']:>7.0f}{r['ratio']:>12.2f}")
    if a.json:
        Path(a.json).write_text(json.dumps({"renderer": renderer, "size": [w, h], "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
