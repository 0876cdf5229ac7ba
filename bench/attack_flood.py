"""Refusal floods and per-address caps against a real server (issue #11, holes 7 and 8).

    python bench/attack_flood.py                 # about 40 s, loopback only

The server runs as its own OS process with its default limits (`python -m server serve`, as bench/load.py
starts it). Two probe bots in the park measure another room's round trips: a chat line from one bot to the
other (send -> `said` received) and a `move` call (send -> ack). Three phases of equal length:

  quiet       no attacker
  flood x1    one socket sends refused packets (an unknown event) as fast as it can, reconnecting when cut
  flood x10   ten sockets of one account do the same

The flooders run in a separate process (so the probes' own loop is not the one they load). Then one
address opens raw TCP connections, and engine.io polling sessions, until the server refuses: the most
one address can hold. Prints p50/p99 per phase, the ratio to the quiet baseline, what the flooders got
through, and the caps.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MOST = 200  # the caps are probed up to this many (printed as ">= 200" when nothing refused)


# --- the flooding process ---------------------------------------------------------------------------
async def flood_main(url: str, tokens: list[str], seconds: float) -> dict:
    import aiohttp
    import msgpack

    frame = msgpack.packb({"type": 2, "nsp": "/", "data": ["no-such-event", {}]})
    stats = {"sent": 0, "sessions": 0, "refused_connects": 0, "cut": 0}
    end = time.monotonic() + seconds

    async def one(token: str) -> None:
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < end:
                try:
                    ws = await http.ws_connect(url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket")
                except (aiohttp.ClientError, OSError):
                    stats["refused_connects"] += 1
                    await asyncio.sleep(0.2)
                    continue
                try:
                    await ws.receive(timeout=5)
                    await ws.send_bytes(msgpack.packb({"type": 0, "nsp": "/", "data": {"token": token}}))
                    ack = await ws.receive(timeout=5)
                    if ack.type != aiohttp.WSMsgType.BINARY or msgpack.unpackb(ack.data).get("type") != 0:
                        stats["refused_connects"] += 1
                        await asyncio.sleep(0.2)
                        continue
                    stats["sessions"] += 1
                    while time.monotonic() < end and not ws.closed:
                        for _ in range(50):
                            await ws.send_bytes(frame)
                        stats["sent"] += 50
                        await asyncio.sleep(0)
                    if ws.closed:
                        stats["cut"] += 1
                except (TimeoutError, aiohttp.ClientError, OSError, ConnectionError):
                    stats["cut"] += 1
                finally:
                    await ws.close()

    await asyncio.gather(*(one(t) for t in tokens))
    return stats


# --- the bench -----------------------------------------------------------------------------------------
def prepare(tmp: Path) -> dict[str, str]:
    """Accounts straight into the store; tokens signed with the server's secret (as bench/load.py does)."""
    from server.auth import Tokens, load_secret
    from server.config import Config
    from server.storage import open_storage

    cfg = Config.from_env(data_dir=str(tmp), database=str(tmp / "peerspace.db"))
    store = open_storage(cfg.database)
    tokens = Tokens(load_secret(cfg), 3600.0)
    out = {
        name: tokens.issue(store.create_user(name, "participant", b"x", b"x"))
        for name in ("probe-a", "probe-b", "flooder-1", "flooder-10")
    }
    store.close()
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1000 if xs else float("nan")


async def probe(url: str, tokens: dict[str, str], seconds: float) -> tuple[list[float], list[float]]:
    """Chat (A -> B) and move-ack round trips in the park, 8 of each per second."""
    from client.bot import Bot
    from wire import events

    a, b = Bot(url), Bot(url)
    for bot, name in ((a, "probe-a"), (b, "probe-b")):
        bot.token = tokens[name]
        await bot.connect()
        await bot.join("park")
    chat, move = [], []
    got: dict[str, float] = {}
    b.on(events.SAID, lambda d: got.setdefault(d["text"], time.perf_counter()))
    end, i = time.monotonic() + seconds, 0
    try:
        while time.monotonic() < end:
            i += 1
            text = f"probe {i}"
            t0 = time.perf_counter()
            await a.emit(events.SAY, {"text": text})
            try:
                await b.wait_until(lambda: text in got, timeout=5)
                chat.append(got[text] - t0)
            except TimeoutError:
                chat.append(5.0)
            t0 = time.perf_counter()
            await a.call(events.MOVE, {"forward": 0.0 if i % 2 else 0.3})
            move.append(time.perf_counter() - t0)
            await asyncio.sleep(0.125)
    finally:
        await a.close()
        await b.close()
    return chat, move


async def most_held(url: str, port: int) -> tuple[int, int]:
    """How many raw TCP connections, and how many engine.io sessions, one address gets before a refusal."""
    import aiohttp

    held = []
    tcp = 0
    for _ in range(MOST):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        held.append(writer)
        try:
            data = await asyncio.wait_for(reader.read(12), 0.05)
        except TimeoutError:
            tcp += 1  # still open and silent: held
            continue
        if data.startswith(b"HTTP/1.1 503"):
            break
    for w in held:
        w.close()
    await asyncio.sleep(0.3)
    sessions = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        for _ in range(MOST):
            async with http.get(url + "/socket.io/?EIO=4&transport=polling") as resp:
                if resp.status != 200:
                    break
                sessions += 1
    return tcp, sessions


async def bench(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="psattack-"))
    tokens = prepare(tmp)
    ready = tmp / "ready"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PEERSPACE_LOG_LEVEL": "INFO"}
    server = subprocess.Popen(
        [sys.executable, "-m", "server", "--data-dir", str(tmp), "serve", "--port", "0", "--ready-file", str(ready)],
        cwd=ROOT,
        env=env,
        stdout=open(tmp / "server.log", "w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 30
        while not ready.exists() or not ready.read_text().strip():
            if server.poll() is not None or time.time() > deadline:
                raise SystemExit(f"server did not start; see {tmp / 'server.log'}")
            await asyncio.sleep(0.05)
        port = int(ready.read_text())
        url = f"http://127.0.0.1:{port}"
        out: dict = {"phases": {}}
        for phase, flood_tokens in (
            ("quiet", []),
            ("flood x1", [tokens["flooder-1"]]),
            ("flood x10", [tokens["flooder-10"]] * 10),
        ):
            flooder = None
            if flood_tokens:
                flooder = await asyncio.create_subprocess_exec(
                    sys.executable,
                    __file__,
                    "--flood-worker",
                    url,
                    str(args.seconds + 0.5),
                    *flood_tokens,
                    cwd=ROOT,
                    stdout=asyncio.subprocess.PIPE,
                )
                await asyncio.sleep(0.5)  # the flood is on before the probes start
            chat, move = await probe(url, tokens, args.seconds)
            row = {
                "chat_p50_ms": pct(chat, 50),
                "chat_p99_ms": pct(chat, 99),
                "move_p50_ms": pct(move, 50),
                "move_p99_ms": pct(move, 99),
                "samples": len(chat),
            }
            if flooder is not None:
                stdout, _ = await asyncio.wait_for(flooder.communicate(), 30)
                row["flooder"] = json.loads(stdout.decode().strip().splitlines()[-1])
            out["phases"][phase] = row
            await asyncio.sleep(0.5)
        tcp, sessions = await most_held(url, port)
        out["most_tcp_connections_one_address"] = tcp
        out["most_engineio_sessions_one_address"] = sessions
        log = (tmp / "server.log").read_text()
        out["server_log_lines_with_refused"] = sum("refused" in line for line in log.splitlines())
        return out
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def report(out: dict) -> None:
    quiet = out["phases"]["quiet"]
    print(f"{'phase':<10} {'chat p50':>9} {'chat p99':>9} {'move p50':>9} {'move p99':>9}  vs quiet (p50/p99 chat)")
    for name, row in out["phases"].items():
        print(
            f"{name:<10} {row['chat_p50_ms']:>7.1f}ms {row['chat_p99_ms']:>7.1f}ms {row['move_p50_ms']:>7.1f}ms "
            f"{row['move_p99_ms']:>7.1f}ms  x{row['chat_p50_ms'] / quiet['chat_p50_ms']:.2f} / "
            f"x{row['chat_p99_ms'] / quiet['chat_p99_ms']:.2f}  ({row['samples']} samples)"
        )
        if "flooder" in row:
            f = row["flooder"]
            print(
                f"{'':<10} flooder: {f['sent']} packets sent over {f['sessions']} session(s), cut {f['cut']} "
                f"time(s), {f['refused_connects']} reconnects refused"
            )
    print(f"server log lines about refusals, whole run: {out['server_log_lines_with_refused']}")
    for what, key in (
        ("raw TCP connections", "most_tcp_connections_one_address"),
        ("engine.io sessions", "most_engineio_sessions_one_address"),
    ):
        n = out[key]
        print(f"most {what} one address holds: {'>= ' if n >= MOST else ''}{n}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--flood-worker":
        url, seconds, tokens = sys.argv[2], float(sys.argv[3]), sys.argv[4:]
        print(json.dumps(asyncio.run(flood_main(url, tokens, seconds))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each phase (default 8)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    out = asyncio.run(asyncio.wait_for(bench(args), 120))
    report(out)
    if args.json:
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
