"""Load generator: N rooms x M headless bots walking (poses at the tick rate) plus chat, against a real server.

    python bench/load.py --rooms 50 --per-room 10 --seconds 10            # peerspace, 1 node
    python bench/load.py --mode naive --rooms 50 --per-room 10             # the naive JSON relay
    python bench/load.py --rooms 1 --per-room 100 --interest-min 0         # one big room, interest off
    python bench/load.py --nodes 2 [--split] ...                           # 2 nodes + a redis-server

The server runs as its own OS process (`python -m server serve`), the bots in
`--workers` other processes (a lean engine.io client, bench/lean.py), all on
127.0.0.1. Each bot sends `--input-hz` intents per second (held input, as a
real client does): `move` with a turning direction (so it walks in circles and
its pose changes every tick), a `look` whose yaw is a latency marker twice a
second, and a `say` every 5 s. The naive baseline sends every pose at `--hz`.
Latency is marker send -> the snapshot (or relayed pose)
carrying it decoded by each bot in the room (same machine, monotonic clock).
Server CPU comes from /proc/<pid>/stat over the measured window. Everything
is bounded: connect timeouts, a fixed window, then all processes are stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

MARKS_PER_S, SAY_EVERY_S = 2.0, 5.0  # per bot: latency markers, chat lines


# --- worker: runs in its own process ------------------------------------------------------------
async def worker_main(spec: dict) -> dict:
    import numpy as np

    from lean import LeanClient
    from wire import codec

    binary = spec["mode"] == "peerspace"
    hz, mark_every, say_every = spec["send_hz"], spec["mark_every"], spec["say_every"]
    bots, rooms = [], []
    lat: list[float] = []
    stats = {"snap_bytes": 0, "records": 0, "said": 0, "errors": {}, "sent": 0, "frames": 0, "bytes": 0}
    # on: markers sent since t0 are timed; count: bytes, frames and lines are counted (the window only)
    window = {"on": False, "count": False, "t0": 0.0}

    for room in spec["rooms"]:
        # pend_*: each avatar's latest marker (yaw byte, sequence number, send time); seen: the snapshot
        # analysed last in this room, shared by its bots when they get the same bytes (no interest cells)
        st = {
            "id": room["id"],
            "pend_b": np.full(1024, -1, np.int16),
            "pend_s": np.zeros(1024, np.int64),
            "pend_t": np.zeros(1024),
            "seen": (None, None, ()),
        }
        rooms.append(st)
        for c in room["clients"]:
            bots.append({"room": st, "url": c["url"], "token": c.get("token"), "i": len(bots), "counted": {}})

    def markers_in(st, data) -> tuple:
        """(avatar, marker sequence, send time) for each record carrying its avatar's pending marker."""
        t, blob = data
        seen_t, seen_blob, hits = st["seen"]
        if seen_t == t and seen_blob == blob:
            return hits
        rec = np.frombuffer(blob, codec.POSE_DTYPE)
        ids = rec["id"].astype(np.int64)
        hit = ids[rec["yaw"].astype(np.int16) == st["pend_b"][ids]]
        hits = tuple(zip(hit.tolist(), st["pend_s"][hit].tolist(), st["pend_t"][hit].tolist()))
        st["seen"] = (t, blob, hits)
        return hits

    def handler(bot):
        counted = bot["counted"]
        st = bot["room"]

        # Only markers sent inside the window count: a marker sent during the warm-up and matched after
        # the window opens would report its whole wait as latency. A bot counts each marker once (an
        # avatar keeps its marker yaw in every later delta while it walks).
        def on_event(event, data, n):
            now = time.perf_counter()
            on = window["on"]
            if event == "snap":
                if not on:
                    return
                for aid, seq, sent in markers_in(st, data):
                    if counted.get(aid) != seq:
                        counted[aid] = seq
                        if sent >= window["t0"]:
                            lat.append(now - sent)
                if window["count"]:
                    stats["snap_bytes"] += n + (2 if n < 126 else 4)
                    stats["records"] += len(data[1]) // codec.POSE_DTYPE.itemsize
            elif not on:
                return
            elif event == "pose":
                if "t" in data and data["t"] >= window["t0"]:
                    lat.append(now - data["t"])
            elif event == "said" and window["count"]:
                stats["said"] += 1
            elif event == "error":
                code = data.get("code") if isinstance(data, dict) else "?"
                stats["errors"][code] = stats["errors"].get(code, 0) + 1

        return on_event

    sem = asyncio.Semaphore(20)

    async def connect(bot):
        async with sem:
            cl = LeanClient(bot["url"], binary=binary)
            await cl.connect({"token": bot["token"]} if binary else None)
            cl.on_event = handler(bot)
            ack = await cl.call("join", {"room": bot["room"]["id"]})
            if not ack or not ack.get("ok"):
                raise RuntimeError(f"join refused: {ack}")
            bot["cl"], bot["avatar"] = cl, ack["you"]

    await asyncio.wait_for(asyncio.gather(*(connect(b) for b in bots)), 120)
    print("READY", flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    t_start, t_end = map(float, line.split())

    period, slices = 1.0 / hz, 10
    groups = [bots[k::slices] for k in range(slices)]
    seq = 0
    nxt = time.perf_counter()
    sent_in_window = marks_in_window = 0
    while time.time() < t_end:
        if not window["on"] and time.time() >= t_start:
            window["on"] = window["count"] = True
            window["t0"] = time.perf_counter()
            for b in bots:
                b["cl"].bytes_in = b["cl"].frames_in = 0
        for group in groups:
            tick = seq // slices
            for b in group:
                cl, phase = b["cl"], tick + b["i"]
                if tick % mark_every == b["i"] % mark_every:
                    marks_in_window += window["on"]
                    mark = (b["room"]["pend_b"][b["avatar"]] + 37) % 256 if binary else 0
                    if binary:
                        b["room"]["pend_b"][b["avatar"]] = mark
                        b["room"]["pend_s"][b["avatar"]] += 1
                        b["room"]["pend_t"][b["avatar"]] = time.perf_counter()
                        await cl.emit("look", {"yaw": float(mark) * 360.0 / 256.0})
                    else:
                        await cl.emit(
                            "pose", {"room": b["room"]["id"], "x": 1.0, "y": 2.0, "yaw": 3.0, "t": time.perf_counter()}
                        )
                elif tick % say_every == (b["i"] * 7 + 1) % say_every:  # never a marker tick
                    if binary:
                        await cl.emit("say", {"text": f"line {tick} from bot {b['i']}"})
                    else:
                        await cl.emit("say", {"room": b["room"]["id"], "text": f"line {tick} from bot {b['i']}"})
                else:
                    a = 2 * math.pi * phase / (4.0 * hz)  # a full circle every 4 s
                    if binary:
                        await cl.emit("move", {"forward": math.cos(a), "strafe": math.sin(a), "turn": 0.0})
                    else:
                        await cl.emit("pose", {"room": b["room"]["id"], "x": math.cos(a), "y": math.sin(a), "yaw": 0.0})
                if window["on"]:
                    sent_in_window += 1
            seq += 1
            nxt += period / slices
            delay = nxt - time.perf_counter()
            if delay < -1.0:
                nxt = time.perf_counter()
            await asyncio.sleep(max(0.0, delay))
    window["count"] = False
    stats["sent"], stats["marks"] = sent_in_window, marks_in_window
    stats["frames"] = sum(b["cl"].frames_in for b in bots)
    stats["bytes"] = sum(b["cl"].bytes_in for b in bots)
    await asyncio.sleep(spec["drain"])  # markers still in the server's queues are waited for
    window["on"] = False
    stats["clients"] = len(bots)
    stats["lat"] = [round(x, 5) for x in lat]
    stats["cpu"] = _cpu_seconds(os.getpid())
    await asyncio.gather(*(b["cl"].close() for b in bots), return_exceptions=True)
    return stats


# --- orchestrator ----------------------------------------------------------------------------------
def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return round(kb / 1024, 1)


def cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process so far: system time is mostly the kernel's sends and reads."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tck, int(fields[12]) / tck


def _cpu_seconds(pid: int) -> float:
    return sum(cpu_split(pid))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_file(path: Path, proc: subprocess.Popen, timeout: float = 30) -> str:
    deadline = time.time() + timeout
    while not path.exists() or not path.read_text().strip():
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError(f"process did not become ready: {path}")
        time.sleep(0.05)
    return path.read_text().strip()


def start_redis(tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if time.time() > deadline:
            proc.kill()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"


def prepare_peerspace(tmp: Path, n_rooms: int, per_room: int) -> list[list[str]]:
    """Rooms and accounts straight into the store, tokens signed with the server's secret."""
    from server.auth import Tokens, load_secret
    from server.config import Config
    from server.storage import open_storage

    cfg = Config.from_env(data_dir=str(tmp), database=str(tmp / "peerspace.db"))
    store = open_storage(cfg.database)
    tokens = Tokens(load_secret(cfg), 3600.0)
    out = []
    for r in range(n_rooms):
        store.save_room(f"bench-{r}", f"Bench {r}", "park", max(per_room, 12), None)
        row = []
        for k in range(per_room):
            user = store.create_user(f"bot-{r}-{k}", "participant", b"x", b"x")
            row.append(tokens.issue(user))
        out.append(row)
    store.close()
    return out


def run(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="psbench-"))
    procs: list[subprocess.Popen] = []
    servers: list[subprocess.Popen] = []
    try:
        # all bots connect from 127.0.0.1: the per-address cap (default 32) is raised for the bench
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "PEERSPACE_LOG_LEVEL": "WARNING",
            "PEERSPACE_MAX_PER_ADDRESS": "100000",
            "PEERSPACE_INTEREST_MIN": str(args.interest_min),
        }
        redis_proc = None
        if args.nodes > 1:
            if shutil.which("redis-server") is None:
                raise SystemExit("--nodes 2 needs redis-server")
            redis_proc, redis_url = start_redis(tmp)
            procs.append(redis_proc)
            env["PEERSPACE_REDIS_URL"] = redis_url
        tokens = prepare_peerspace(tmp, args.rooms, args.per_room) if args.mode == "peerspace" else None
        urls = []
        for n in range(args.nodes):
            ready = tmp / f"ready-{n}"
            if args.mode == "peerspace":
                profile = ["-m", "cProfile", "-o", f"{args.profile}.{n}"] if args.profile else []
                cmd = serve_command(tmp, ready, profile)
            else:
                cmd = [
                    sys.executable,
                    str(ROOT / "bench" / "naive_server.py"),
                    "--port",
                    "0",
                    "--ready-file",
                    str(ready),
                ]
            p = subprocess.Popen(
                pinned(args.server_cpus, cmd),
                cwd=ROOT,
                env={**env, "PEERSPACE_NODE_ID": f"node{n}", "PEERSPACE_GC_REPORT": str(tmp / f"gc-{n}.json")},
                stdout=open(tmp / f"server-{n}.log", "w"),
                stderr=subprocess.STDOUT,
            )
            procs.append(p)
            servers.append(p)
            urls.append(f"http://127.0.0.1:{wait_file(ready, p)}")
        # rooms split evenly over workers; bots of one room stay in one worker (markers are matched locally)
        # peerspace clients send held input when it changes (--input-hz); naive clients send every pose (--hz)
        send_hz = args.input_hz if args.mode == "peerspace" else args.hz
        specs = [
            {
                "mode": args.mode,
                "drain": args.drain,
                "send_hz": send_hz,
                "mark_every": max(1, round(send_hz / MARKS_PER_S)),
                "say_every": max(2, round(send_hz * SAY_EVERY_S)),
                "rooms": [],
            }
            for _ in range(args.workers)
        ]
        for r in range(args.rooms):
            clients = []
            for k in range(args.per_room):
                # --split: a room's people alternate nodes (every emit crosses Redis); default: room affinity,
                # as a load balancer routing by room would place them (emits stay on the owning node)
                node = (r + k) % args.nodes if args.split else r % args.nodes
                clients.append({"url": urls[node], "token": tokens[r][k] if tokens else None})
            specs[r % args.workers]["rooms"].append({"id": f"bench-{r}", "clients": clients})
        workers = []
        for spec in specs:
            if not spec["rooms"]:
                continue
            w = start_worker([sys.executable, __file__, "worker"], spec, env, args.bot_cpus)
            procs.append(w)
            workers.append(w)
        for w in workers:
            line = w.stdout.readline()
            if not line.startswith("READY"):
                raise RuntimeError(f"worker failed to connect its bots: {line!r}")
        t_start = time.time() + args.warmup
        t_end = t_start + args.seconds
        for w in workers:
            w.stdin.write(f"{t_start} {t_end}\n")
            w.stdin.flush()
        time.sleep(max(0.0, t_start - time.time()))
        cpu0 = [_cpu_seconds(p.pid) for p in servers]
        time.sleep(max(0.0, t_end - time.time()))
        cpu1 = [_cpu_seconds(p.pid) for p in servers]
        rss = [_rss_mb(p.pid) for p in servers]
        results = []
        for w in workers:
            out, _ = w.communicate(timeout=60)
            results.append(json.loads(out.strip().splitlines()[-1]))
        res = {**summarise(args, results, [b - a for a, b in zip(cpu0, cpu1)]), "server_rss_mb_per_node": rss}
        stop_all(procs)
        if args.mode == "peerspace":
            res["server_gc"] = [gc_report(tmp / f"gc-{n}.json") for n in range(args.nodes)]
        return res
    finally:
        stop_all(procs)
        shutil.rmtree(tmp, ignore_errors=True)


def stop_all(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def serve_command(data_dir: Path, ready: Path, python_args: list[str] | tuple[str, ...] = ()) -> list[str]:
    """This checkout's server as its own process on a free port, writing its URL into `ready` when it listens."""
    return [
        sys.executable,
        *python_args,
        "-m",
        "server",
        "--data-dir",
        str(data_dir),
        "serve",
        "--port",
        "0",
        "--ready-file",
        str(ready),
    ]


def start_worker(cmd: list[str], spec: dict, env: dict, cpus: str | None) -> subprocess.Popen:
    """A load-generator process (on `cpus`, when given), handed its spec as one JSON line on stdin."""
    w = subprocess.Popen(pinned(cpus, cmd), cwd=ROOT, env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    w.stdin.write(json.dumps(spec) + "\n")
    w.stdin.flush()
    return w


def pinned(cpus: str | None, cmd: list[str]) -> list[str]:
    """cmd run on these CPUs only (taskset -c), or as is."""
    return ["taskset", "-c", cpus, *cmd] if cpus else cmd


def gc_report(path: Path) -> dict | None:
    """The server's garbage-collection pauses over its whole run (server/gctune.py), written as it stops."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def summarise(args, results: list[dict], server_cpu: list[float]) -> dict:
    lat = sorted(x for r in results for x in r["lat"])
    clients = sum(r["clients"] for r in results)
    secs = args.seconds
    # Each marker should be seen by its whole room (peerspace: the sender too, in the snapshot; the naive
    # relay skips the sender). Markers not seen within the drain count as slower than anything measured.
    expected = sum(r["marks"] for r in results) * (args.per_room - (args.mode == "naive"))
    missing = max(0, expected - len(lat))

    def pct(p):
        k = int(p * (len(lat) + missing))
        if k >= len(lat):
            return f">{1000 * args.drain:.0f}" if lat or missing else None
        return round(1000 * lat[k], 2)

    snap_bytes = sum(r["snap_bytes"] for r in results)
    records = sum(r["records"] for r in results)
    return {
        "mode": args.mode,
        "nodes": args.nodes,
        "split": args.split,
        "rooms": args.rooms,
        "per_room": args.per_room,
        "avatars": clients,
        "hz": args.hz,
        "input_hz": args.input_hz if args.mode == "peerspace" else args.hz,
        "interest_min": args.interest_min,
        "seconds": secs,
        "intents_per_s": round(sum(r["sent"] for r in results) / secs),
        "latency_ms_p50": pct(0.50),
        "latency_ms_p99": pct(0.99),
        "latency_samples": len(lat),
        "latency_missing": missing,
        "server_cpu_pct": round(100 * sum(server_cpu) / secs, 1),
        "server_cpu_pct_per_node": [round(100 * c / secs, 1) for c in server_cpu],
        "bytes_per_client_s": round(sum(r["bytes"] for r in results) / clients / secs),
        "bytes_per_avatar_update": round(snap_bytes / records, 2) if records else None,
        "deliveries_per_s": round(sum(r["frames"] for r in results) / secs),
        "said_delivered": sum(r["said"] for r in results),
        "errors": {c: sum(r["errors"].get(c, 0) for r in results) for c in {c for r in results for c in r["errors"]}},
        "bot_cpu_pct": round(100 * sum(r["cpu"] for r in results) / (secs + args.warmup + args.drain + 2), 1),
    }


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=("peerspace", "naive"), default="peerspace")
    ap.add_argument("--rooms", type=int, default=50)
    ap.add_argument("--per-room", type=int, default=10)
    ap.add_argument("--hz", type=float, default=20.0, help="naive baseline: poses each client sends per second")
    ap.add_argument(
        "--input-hz",
        type=float,
        default=4.0,
        help="peerspace: input changes per bot per second (the server integrates held input at "
        "the tick rate, PEERSPACE_TICK_HZ, so poses still update every tick)",
    )
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--drain", type=float, default=3.0, help="seconds to keep timing markers sent in the window")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--nodes", type=int, default=1)
    ap.add_argument(
        "--split",
        action="store_true",
        help="with --nodes 2: put each room's people on alternating nodes (worst case for Redis)",
    )
    ap.add_argument("--interest-min", type=int, default=32)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    ap.add_argument("--server-cpus", help="pin the server to these CPUs (taskset -c), e.g. 0")
    ap.add_argument("--bot-cpus", help="pin the bots to these CPUs (taskset -c), e.g. 1")
    ap.add_argument("--profile", metavar="PATH", help="run the server under cProfile, stats to PATH.<node>")
    return ap


def bench_main(parser, run, worker) -> None:
    """A bench script's entry: `worker` runs one load process (spec on stdin, figures as JSON on stdout); else
    parse the arguments, run, and print the figures (one JSON line with --json)."""
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        spec = json.loads(sys.stdin.readline())
        print(json.dumps(asyncio.run(worker(spec))), flush=True)
        return
    args = parser().parse_args()
    res = run(args)
    if args.json:
        print(json.dumps(res))
    else:
        width = max(map(len, res), default=0) + 2
        for k, v in res.items():
            print(f"{k:>{width}}: {v}")


if __name__ == "__main__":
    bench_main(parser, run, worker_main)
