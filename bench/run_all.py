"""The benchmark run for docs/performance.md: peerspace vs the naive JSON relay, a big room with and
without interest management, and 1 vs 2 nodes. Prints one table; takes a few minutes.

    .venv/bin/python bench/run_all.py [--rooms 50 --per-room 10 --seconds 10]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402

KEYS = ("latency_ms_p50", "latency_ms_p99", "server_cpu_pct", "bytes_per_client_s", "bytes_per_avatar_update",
        "deliveries_per_s", "intents_per_s", "said_delivered", "errors")


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
        (f"naive JSON relay {a.rooms}x{a.per_room}", ["--mode", "naive", "--rooms", str(a.rooms),
                                                      "--per-room", str(a.per_room)]),
        (f"1 room x {a.big}, interest off", ["--rooms", "1", "--per-room", str(a.big), "--interest-min", "0",
                                              "--workers", "1"]),
        (f"1 room x {a.big}, interest on", ["--rooms", "1", "--per-room", str(a.big), "--workers", "1"]),
    ]
    if shutil.which("redis-server"):
        phases.append((f"2 nodes + redis {a.rooms}x{a.per_room}",
                       ["--nodes", "2", "--rooms", str(a.rooms), "--per-room", str(a.per_room)]))
    rows = []
    for name, extra in phases:
        print(f"... {name}", file=sys.stderr, flush=True)
        rows.append((name, load.run(load.parser().parse_args(base + extra))))
    print(f"{'phase':<34}" + "".join(f"{k:>24}" for k in KEYS))
    for name, r in rows:
        print(f"{name:<34}" + "".join(f"{str(r[k]):>24}" for k in KEYS))
    ps, naive = rows[0][1], rows[1][1]
    print(f"\nnaive / peerspace: bytes per client per second x{naive['bytes_per_client_s'] / ps['bytes_per_client_s']:.1f}, "
          f"server CPU x{naive['server_cpu_pct'] / max(ps['server_cpu_pct'], 0.1):.1f}, "
          f"latency p99 x{(naive['latency_ms_p99'] or 0) / max(ps['latency_ms_p99'] or 1, 0.01):.1f}")
    off, on = rows[2][1], rows[3][1]
    print(f"interest management in a {a.big}-avatar room: bytes per client per second "
          f"{off['bytes_per_client_s']} -> {on['bytes_per_client_s']} (x{off['bytes_per_client_s'] / max(on['bytes_per_client_s'], 1):.2f})")


if __name__ == "__main__":
    main()
