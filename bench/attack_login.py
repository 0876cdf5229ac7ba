"""Login brute force against a real server: accepted guesses/s, and what the flood does to another room.

    python bench/attack_login.py                  # ~45 s: throttled flood, then an unthrottled one
    python bench/attack_login.py --seconds 8      # shorter phases

The server runs as its own OS process (`python -m server serve`) on 127.0.0.1, the flood in another
(8 concurrent HTTP clients posting wrong passwords for one account as fast as answers come back), and a
bot in this process measures its round trip (a `move` call and its ack) in another room, at 20 Hz:
first quiet, then during the flood. Two floods:

- throttled: the server's default login throttle (what an attacker meets);
- unthrottled: the throttle set out of reach, so every guess costs an scrypt: this shows whether hashing
  stalls the event loop (before #11 it ran on the loop: 23.6 guesses/s, another room 1 -> 214 ms median).

"Accepted guesses" are guesses whose password the server actually checked (answered 401, not 429).
Everything is bounded: fixed windows, timeouts, and every process is stopped at the end. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "correct horse"
VICTIM = "Victim"
FLOOD_WAYS = 8


# --- the flood: runs in its own process ------------------------------------------------------------------------
async def flood_main(url: str, seconds: float) -> dict:
    import aiohttp

    statuses: dict[int, int] = {}
    deadline = time.monotonic() + seconds

    async def one(http):
        while time.monotonic() < deadline:
            try:
                async with http.post(
                    url + "/api/login",
                    json={"name": VICTIM, "password": "a wrong guess"},
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as r:
                    await r.read()
                    statuses[r.status] = statuses.get(r.status, 0) + 1
            except (TimeoutError, aiohttp.ClientError):
                statuses[0] = statuses.get(0, 0) + 1

    t0 = time.monotonic()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=FLOOD_WAYS)) as http:
        await asyncio.gather(*(one(http) for _ in range(FLOOD_WAYS)))
    return {"seconds": time.monotonic() - t0, "statuses": statuses}


# --- the measurement ------------------------------------------------------------------------------------------------
def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return round(1000 * s[min(len(s) - 1, int(p * len(s)))], 1) if s else float("nan")


def start_server(data_dir: Path, env: dict) -> tuple[subprocess.Popen, str]:
    cli = [sys.executable, "-m", "server", "--data-dir", str(data_dir)]
    subprocess.run(
        cli + ["user", "add", VICTIM, "--password", PASSWORD],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    subprocess.run(
        cli + ["user", "add", "Probe", "--password", PASSWORD],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    ready = data_dir / "ready"
    log = open(data_dir / "server.log", "w")
    proc = subprocess.Popen(
        cli + ["serve", "--port", "0", "--ready-file", str(ready)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 30
    while not ready.exists() or not ready.read_text().strip():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError(f"server did not start; see {data_dir / 'server.log'}")
        time.sleep(0.05)
    return proc, f"http://127.0.0.1:{ready.read_text().strip()}"


async def probe_rtts(bot, seconds: float, hz: float = 20.0) -> list[float]:
    rtts: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        await bot.move(0.0)
        rtts.append(time.perf_counter() - t0)
        await asyncio.sleep(max(0.0, 1 / hz - (time.perf_counter() - t0)))
    return rtts


async def phase(label: str, env_extra: dict, quiet_s: float, flood_s: float) -> dict:
    from client.bot import Bot

    tmp = Path(tempfile.mkdtemp(prefix="peerspace-attack-"))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PEERSPACE_LOG_LEVEL": "WARNING", **env_extra}
    proc, url = start_server(tmp, env)
    bot = Bot(url, reconnect=False)
    try:
        await bot.login("Probe", PASSWORD)  # before the flood: it shares the flood's address
        await bot.connect()
        await bot.join("park")
        quiet = await probe_rtts(bot, quiet_s)
        flood = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--flood",
            url,
            "--seconds",
            str(flood_s),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        during = await probe_rtts(bot, flood_s)
        out, _ = await asyncio.wait_for(flood.communicate(), flood_s + 30)
        result = json.loads(out.decode().strip().splitlines()[-1])
    finally:
        await bot.close()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    st = {int(k): v for k, v in result["statuses"].items()}
    secs = result["seconds"]
    checked = st.get(401, 0) + st.get(200, 0)
    return {
        "label": label,
        "seconds": round(secs, 1),
        "requests_per_s": round(sum(st.values()) / secs, 1),
        "accepted_guesses_per_s": round(checked / secs, 2),
        "throttled_429": st.get(429, 0),
        "statuses": st,
        "quiet_ms": {"p50": pct(quiet, 0.5), "p99": pct(quiet, 0.99), "n": len(quiet)},
        "flood_ms": {"p50": pct(during, 0.5), "p99": pct(during, 0.99), "max": pct(during, 1.0), "n": len(during)},
    }


def report(r: dict) -> None:
    q, f = r["quiet_ms"], r["flood_ms"]
    print(f"\n== {r['label']} flood: {FLOOD_WAYS} clients x {r['seconds']} s against one account ==")
    print(f"  requests answered      {r['requests_per_s']:>8}/s   statuses {r['statuses']}")
    print(f"  accepted guesses       {r['accepted_guesses_per_s']:>8}/s   (password checked; before #11: 23.6/s)")
    print(f"  other room round trip  quiet p50 {q['p50']} ms  p99 {q['p99']} ms   (n={q['n']})")
    print(f"                         flood p50 {f['p50']} ms  p99 {f['p99']} ms  max {f['max']} ms   (n={f['n']})")
    ratio = f["p50"] / q["p50"] if q["p50"] else float("nan")
    print(f"  p50 ratio flood/quiet  {ratio:.1f}x   (before #11: 1 -> 214 ms)")


async def main(args) -> None:
    results = [
        await phase("throttled (defaults)", {}, args.quiet, args.seconds),
        await phase(
            "unthrottled (every guess hashed)",
            {"PEERSPACE_LOGIN_FREE_PER_NAME": "1000000", "PEERSPACE_LOGIN_FREE_PER_ADDRESS": "1000000"},
            args.quiet,
            args.seconds,
        ),
    ]
    for r in results:
        report(r)
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=15.0, help="length of each flood (default 15)")
    ap.add_argument("--quiet", type=float, default=4.0, help="quiet baseline before each flood (default 4)")
    ap.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    ap.add_argument("--flood", metavar="URL", help=argparse.SUPPRESS)  # internal: run the flood process
    a = ap.parse_args()
    if a.flood:
        print(json.dumps(asyncio.run(flood_main(a.flood, a.seconds))), flush=True)
    else:
        asyncio.run(asyncio.wait_for(main(a), 2 * (a.seconds + a.quiet) + 60))
