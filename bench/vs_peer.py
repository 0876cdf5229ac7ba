"""peerspace and Colyseus side by side: the same room workload, the same bots, back to back in one run.

    python bench/vs_peer.py                          # 50x10 and 100x10, 30 Hz (~2.5 min)
    python bench/vs_peer.py --sizes 100 --repeat 3   # 100x10 three times each, medians

Each phase starts one server pinned to `--server-cpus` (taskset) and one load generator pinned to
`--bot-cpus`: bench/peer_colyseus/bots.mjs, the same Node program for both servers (peerspace over engine.io
and msgpack, Colyseus through its own client), with the same bots, workload and latency marker (see its
header). Colyseus is bench/peer_colyseus/server.mjs: peerspace's room model without authentication,
validation, rate limits, personal space or safety hooks. The npm packages are pinned
(package-lock.json) and installed here with `npm ci` on the first run (ignored by git).

Figures per phase: p50/p99 move->seen (markers not seen by the end of the drain count as slower than
anything measured), server CPU (% of one core, /proc/<pid>/stat over the window) and per 100 avatars,
bytes per avatar update (state update frame bytes / avatar records in them), deliveries per second (frames
received by all bots), the load generator's CPU, and for peerspace its garbage-collection pauses.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / "bench" / "peer_colyseus"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import _rss_mb, cpu_split, gc_report, pinned, prepare_peerspace, serve_command, stop_all, wait_file  # noqa: E402

TARGETS = ("peerspace", "colyseus")


def ensure_packages() -> None:
    """npm ci into bench/peer_colyseus/ when its node_modules is missing or older than the lock."""
    stamp, lock = PEER / "node_modules" / ".package-lock.json", PEER / "package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise SystemExit("bench/vs_peer.py needs node (>= 20) and npm")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PEER, check=True, timeout=600)


def start_server(target: str, tmp: Path, args: argparse.Namespace, rooms: int, per_room: int):
    """(process, url, room list for the bots) of one server, pinned to the server CPUs."""
    ready = tmp / "ready"
    log = open(tmp / "server.log", "w")
    if target in ("peerspace", "base"):
        tokens = prepare_peerspace(tmp, rooms, per_room)
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "PEERSPACE_LOG_LEVEL": "WARNING",
            "PEERSPACE_MAX_PER_ADDRESS": "100000",
            "PEERSPACE_TICK_HZ": str(args.tick_hz),
            "PEERSPACE_GC_REPORT": str(tmp / "gc.json"),
        }
        cmd = serve_command(tmp, ready, ["-m", "cProfile", "-o", args.cprofile] if args.cprofile else [])
    else:
        tokens = [[None] * per_room for _ in range(rooms)]
        env = {**os.environ}
        cmd = ["node", "server.mjs", "--port", "0", "--tick-hz", str(args.tick_hz), "--ready-file", str(ready)]
    cwd = PEER if target == "colyseus" else Path(args.base) if target == "base" else ROOT
    proc = subprocess.Popen(pinned(args.server_cpus, cmd), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    port = wait_file(ready, proc, timeout=60)
    room_list = [{"id": f"bench-{r}", "tokens": tokens[r]} for r in range(rooms)]
    return proc, f"http://127.0.0.1:{port}", room_list


def run_phase(target: str, rooms: int, per_room: int, args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"vspeer-{target}-"))
    procs: list[subprocess.Popen] = []
    try:
        server, url, room_list = start_server(target, tmp, args, rooms, per_room)
        procs.append(server)
        (tmp / "rooms.json").write_text(json.dumps(room_list))
        protocol = "colyseus" if target == "colyseus" else "peerspace"
        cmd = ["node", "bots.mjs", "--target", protocol, "--url", url, "--rooms", str(tmp / "rooms.json")]
        cmd += ["--input-hz", str(args.input_hz), "--drain", str(args.drain)]
        bots = subprocess.Popen(
            pinned(args.bot_cpus, cmd), cwd=PEER, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        procs.append(bots)
        line = bots.stdout.readline()
        if not line.startswith("READY"):
            raise RuntimeError(f"{target}: the bots did not connect: {line!r}")
        t_start = time.time() + args.warmup
        t_end = t_start + args.seconds
        bots.stdin.write(f"{t_start} {t_end}\n")
        bots.stdin.flush()
        time.sleep(max(0.0, t_start - time.time()))
        if args.py_spy and target != "colyseus":  # sample the server over the window (collapsed stacks)
            spy = [args.py_spy, "record", "-p", str(server.pid), "-d", str(int(args.seconds)), "-r", "200"]
            spy += [
                "-f",
                "raw",
                "-o",
                os.path.join(tempfile.gettempdir(), f"py-spy-{target}-{rooms}x{per_room}.txt"),
                "--nonblocking",
            ]
            procs.append(subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        cpu0 = cpu_split(server.pid)
        time.sleep(max(0.0, t_end - time.time()))
        cpu1 = cpu_split(server.pid)
        rss = _rss_mb(server.pid)
        out, _ = bots.communicate(timeout=60 + args.drain)
        res = json.loads(out.strip().splitlines()[-1])
        stop_all(procs)
        gc = gc_report(tmp / "gc.json") if target != "colyseus" else None
        return summarise(target, rooms, per_room, args, res, sum(cpu1) - sum(cpu0), rss, gc, cpu1[1] - cpu0[1])
    finally:
        stop_all(procs)
        shutil.rmtree(tmp, ignore_errors=True)


def summarise(
    target, rooms, per_room, args, res: dict, server_cpu_s: float, rss: float, gc: dict | None, sys_s: float = 0.0
) -> dict:
    """The figures of one phase from the load generator's JSON line (also used by the bench's own test)."""
    lat = sorted(res["lat"])
    if lat and not res["marks"]:
        # the load generator's count of markers sent is what makes a marker never seen count as slow
        raise ValueError("the load generator timed markers but reports none sent: its figures cannot be trusted")
    expected = res["marks"] * per_room  # every marker is seen by its whole room, the sender included
    missing = max(0, expected - len(lat))

    def pct(p: float) -> float | None:
        k = int(p * (len(lat) + missing))
        return round(1000 * lat[k], 2) if k < len(lat) else None  # None: past the drain

    secs = args.seconds
    avatars = res["clients"]
    cpu = 100 * server_cpu_s / secs
    return {
        "target": target,
        "tick_hz": args.tick_hz,
        "rooms": rooms,
        "per_room": per_room,
        "avatars": avatars,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "samples": len(lat),
        "missing": missing,
        "server_cpu_pct": round(cpu, 1),
        # the kernel's share (system time): on loopback mostly the send per recipient, which wakes the receiver
        "server_sys_pct": round(100 * sys_s / secs, 1),
        "cpu_pct_per_100_avatars": round(100 * cpu / avatars, 2) if avatars else None,
        # server CPU per avatar record delivered: the same work for both servers, and unlike % of a core it
        # does not drop when a busy machine starves the server of time
        "cpu_us_per_update": round(1e6 * server_cpu_s / res["records"], 3) if res["records"] else None,
        "bytes_per_avatar_update": round(res["updateBytes"] / res["records"], 2) if res["records"] else None,
        "deliveries_per_s": round(res["frames"] / secs),
        # what the bots sent: a starved load generator sends less, and the server then has less to do
        "intents_per_s": round(res["sent"] / secs),
        "bytes_per_client_s": round(res["bytes"] / avatars / secs) if avatars else None,
        "said_delivered": res["said"],
        "errors": res["errors"],
        "bots_cpu_pct": round(100 * res["cpu_s"] / secs, 1),
        "server_rss_mb": rss,
        "gc_max_ms": max(gc["max_ms"]) if gc else None,
        "gc_max_cpu_ms": max(gc["max_cpu_ms"]) if gc else None,
        "gc_over_10ms": gc["over_10ms"] if gc else None,
        "gc": gc,
    }


def median_of(runs: list[dict]) -> dict:
    """Per figure, the median over repeated runs (numbers only; a p99 past the drain counts as infinite)."""
    out = dict(runs[0])
    for key, value in runs[0].items():
        if key != "gc" and (isinstance(value, (int, float)) and not isinstance(value, bool) or value is None):
            vals = [r[key] for r in runs]
            if all(v is None for v in vals):
                continue
            med = statistics.median(float("inf") if v is None else v for v in vals)
            out[key] = None if med == float("inf") else round(med, 2)
    out["runs"] = len(runs)
    return out


def ratios(ps: dict, co: dict) -> dict:
    def r(key: str) -> float | None:
        a, b = ps.get(key), co.get(key)
        return round(a / b, 2) if a is not None and b else None

    keys = (
        "cpu_pct_per_100_avatars",
        "server_sys_pct",
        "cpu_us_per_update",
        "p50_ms",
        "p99_ms",
        "bytes_per_avatar_update",
    )
    return {k: r(k) for k in (*keys, "deliveries_per_s")}


COLUMNS = (
    ("tick_hz", "tick Hz"),
    ("avatars", "avatars"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("server_cpu_pct", "server CPU %"),
    ("server_sys_pct", "of it kernel %"),
    ("cpu_pct_per_100_avatars", "CPU % / 100 av"),
    ("cpu_us_per_update", "CPU µs / update"),
    ("bytes_per_avatar_update", "B/avatar update"),
    ("deliveries_per_s", "deliveries/s"),
    ("intents_per_s", "intents/s"),
    ("bots_cpu_pct", "bots CPU %"),
    ("gc_max_ms", "max GC ms"),
    ("gc_max_cpu_ms", "max GC CPU ms"),
)


def table(rows: list[dict]) -> str:
    def cell(key, v):
        if v is None:
            return ">drain" if key.endswith("_ms") and key.startswith("p") else "–"
        return str(v)

    head = "| server | " + " | ".join(h for _, h in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    for row in rows:
        name = row["target"]
        lines.append(f"| {name} | " + " | ".join(cell(k, row.get(k)) for k, _ in COLUMNS) + " |")
    return "\n".join(lines)


def compare(rooms: int, args: argparse.Namespace, targets: list[str]) -> list[dict]:
    """Every target at one size and tick rate (alternating, `--repeat` times): the medians, ratios printed."""
    runs: dict[str, list[dict]] = {t: [] for t in targets}
    for _ in range(args.repeat):
        for target in targets:
            runs[target].append(run_phase(target, rooms, args.per_room, args))
    med = {t: median_of(runs[t]) for t in targets}
    if args.json:
        for t in targets:
            print(json.dumps({**med[t], "p99_runs": [r["p99_ms"] for r in runs[t]]}))
    if "base" in med and "peerspace" in med:
        rat = ratios(med["peerspace"], med["base"])
        print(f"{rooms}x{args.per_room} at {args.tick_hz:g} Hz: peerspace / base  {json.dumps(rat)}", flush=True)
    if "peerspace" in med and "colyseus" in med:
        rat = ratios(med["peerspace"], med["colyseus"])
        print(
            f"{rooms}x{args.per_room} at {args.tick_hz:g} Hz: peerspace / Colyseus  "
            f"CPU per avatar {rat['cpu_pct_per_100_avatars']} "
            f"(per avatar update delivered {rat['cpu_us_per_update']}), "
            f"p50 {rat['p50_ms']}, p99 {rat['p99_ms']}, bytes per update {rat['bytes_per_avatar_update']}, "
            f"deliveries {rat['deliveries_per_s']}",
            flush=True,
        )
        if args.json:
            print(json.dumps({"rooms": rooms, "tick_hz": args.tick_hz, "ratios": rat}))
    return list(med.values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 100], help="numbers of rooms (of --per-room)")
    ap.add_argument("--per-room", type=int, default=10)
    ap.add_argument(
        "--tick-hz", type=float, nargs="+", default=[30.0], help="tick rates, each run for both servers (e.g. 30 45 60)"
    )
    ap.add_argument("--input-hz", type=float, default=4.0)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--drain", type=float, default=2.0)
    ap.add_argument("--repeat", type=int, default=1, help="runs per phase (alternating servers); medians")
    ap.add_argument("--server-cpus", default="0")
    ap.add_argument("--bot-cpus", default="1")
    ap.add_argument("--only", choices=TARGETS, help="one server only")
    ap.add_argument("--cprofile", metavar="PATH", help="run the peerspace server under cProfile, stats to PATH")
    ap.add_argument(
        "--base",
        metavar="DIR",
        help="also run peerspace from this checkout (e.g. `git archive 6d8e9fc | tar -x -C DIR`), as 'base'",
    )
    ap.add_argument(
        "--py-spy", metavar="PATH", help="py-spy binary: profile the peerspace server (to TMPDIR/py-spy-RxN.txt)"
    )
    ap.add_argument("--json", action="store_true", help="one JSON line per phase and the ratios")
    args = ap.parse_args()
    ensure_packages()
    targets = [args.only] if args.only else list(TARGETS)
    if args.base:
        targets.append("base")
    started = time.time()
    load = os.getloadavg()[0]
    rows = []
    for hz in args.tick_hz:
        rate_args = argparse.Namespace(**{**vars(args), "tick_hz": hz})
        for rooms in args.sizes:
            rows += compare(rooms, rate_args, targets)
    print(table(rows))
    print(
        f"({args.seconds:.0f} s windows, {', '.join(f'{hz:g}' for hz in args.tick_hz)} Hz, "
        f"{args.repeat} run(s) per phase, server on CPU "
        f"{args.server_cpus}, bots on CPU {args.bot_cpus}; load average at the start {load:.2f}; "
        f"took {time.time() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
