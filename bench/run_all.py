"""The benchmark run for docs/performance.md: peerspace vs the naive JSON relay, a big room with and
without interest management, the 20 Hz tick and the single-burst tick for comparison, and 1 vs 2 nodes.
Prints one table; takes a few minutes.

    .venv/bin/python bench/run_all.py [--rooms 50 --per-room 10 --seconds 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402

KEYS = (
    "latency_ms_p50",
    "latency_ms_p99",
    "server_cpu_pct",
    "bytes_per_client_s",
    "bytes_per_avatar_update",
    "deliveries_per_s",
    "intents_per_s",
    "said_delivered",
    "latency_missing",
    "errors",
    "bot_cpu_pct",
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rooms", type=int, default=50)
    ap.add_argument("--per-room", type=int, default=10)
    ap.add_argument("--big", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=10.0)
    a = ap.parse_args()
    base = ["--seconds", str(a.seconds), "--warmup", "2"]
    phases = [
        (f"peerspace {a.rooms}x{a.per_room}", ["--rooms", str(a.rooms), "--per-room", str(a.per_room)]),
        (
            f"naive JSON relay {a.rooms}x{a.per_room}",
            ["--mode", "naive", "--rooms", str(a.rooms), "--per-room", str(a.per_room)],
        ),
        (
            f"1 room x {a.big}, interest off",
            ["--rooms", "1", "--per-room", str(a.big), "--interest-min", "0", "--workers", "1"],
        ),
        (f"1 room x {a.big}, interest on", ["--rooms", "1", "--per-room", str(a.big), "--workers", "1"]),
        (
            f"peerspace {a.rooms}x{a.per_room}, 20 Hz tick",
            ["--rooms", str(a.rooms), "--per-room", str(a.per_room)],
            {"PEERSPACE_TICK_HZ": "20"},
        ),
        (
            f"peerspace {a.rooms}x{a.per_room}, one burst",
            ["--rooms", str(a.rooms), "--per-room", str(a.per_room)],
            {"PEERSPACE_TICK_PHASES": "1"},
        ),
    ]
    if shutil.which("redis-server"):
        two = ["--nodes", "2", "--rooms", str(a.rooms), "--per-room", str(a.per_room)]
        phases.append((f"2 nodes, room affinity {a.rooms}x{a.per_room}", two))
        phases.append((f"2 nodes, rooms split {a.rooms}x{a.per_room}", two + ["--split"]))
    rows = []
    for name, extra, *env in phases:
        print(f"... {name}", file=sys.stderr, flush=True)
        saved = dict(os.environ)
        os.environ.update(env[0] if env else {})
        try:
            rows.append((name, load.run(load.parser().parse_args(base + extra))))
        finally:
            os.environ.clear()
            os.environ.update(saved)
    print(f"{'phase':<34}" + "".join(f"{k:>24}" for k in KEYS))
    for name, r in rows:
        print(f"{name:<34}" + "".join(f"{str(r[k]):>24}" for k in KEYS))
    ps, naive = rows[0][1], rows[1][1]
    owed = naive["intents_per_s"] * (a.per_room - 1)  # the relay owes each pose to the rest of the room
    p99 = naive["latency_ms_p99"]
    ratio = (
        f"x{p99 / ps['latency_ms_p99']:.0f}"
        if isinstance(p99, float) and isinstance(ps["latency_ms_p99"], float)
        else f"{p99} ms vs {ps['latency_ms_p99']} ms"
    )
    cpu_ratio = naive["server_cpu_pct"] / max(ps["server_cpu_pct"], 0.1)
    print(
        f"\nnaive / peerspace: latency p99 {ratio}; server CPU x{cpu_ratio:.1f}; "
        f"the relay delivered {naive['deliveries_per_s']}/s of the {owed}/s it owes "
        f"({100 * naive['deliveries_per_s'] / max(owed, 1):.0f} %); peerspace delivered {ps['deliveries_per_s']}/s "
        f"with {ps['latency_missing']} markers missing"
    )
    off, on = rows[2][1], rows[3][1]
    saved = off["bytes_per_client_s"] / max(on["bytes_per_client_s"], 1)
    print(
        f"interest management in a {a.big}-avatar room: bytes per client per second "
        f"{off['bytes_per_client_s']} -> {on['bytes_per_client_s']} (x{saved:.2f})"
    )


if __name__ == "__main__":
    main()
