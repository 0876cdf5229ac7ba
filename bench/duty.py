"""What telling participants who is on duty costs the event loop, with many connections (issue #14).

    python bench/duty.py [--participants 1000] [--on-duty 5]    # a few seconds, in-process

An in-process server gets N participant connections (bookkeeping only, no sockets: the sends go to empty
Socket.IO rooms) and M peer specialists on duty, each covering a different slice of the participants.
Prints the time of one announcement (everyone told), of a housekeeping pass when nothing changed (twice a
second on a live server) and of a full recompute with nothing to send (someone on duty came or went).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests")]

from conftest import RunningServer  # noqa: E402
from server.safety.moderation import OnDuty  # noqa: E402
from server.world.world import Connection  # noqa: E402


async def main(participants: int, on_duty: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        srv = await RunningServer(Path(d)).start()
        safety = srv.world.safety
        assert safety is not None
        for i in range(participants):
            user = {"id": 10_000 + i, "name": f"p{i}", "role": "participant"}
            srv.world.conns[f"fake{i}"] = Connection(f"fake{i}", user, room_id="cafe")
        share = max(1, participants // max(1, on_duty))
        for j in range(on_duty):
            uid = 1_000_000 + j
            user = {"id": uid, "name": f"s{j}", "role": "peer_specialist"}
            srv.world.conns[f"staff{j}"] = Connection(f"staff{j}", user)
            scope = frozenset(range(10_000 + share * j, 10_000 + share * (j + 1)))
            safety.duty[uid] = OnDuty(uid, f"s{j}", "peer_specialist", time.time() + j, scope=scope)
        t = time.perf_counter()
        await safety.announce_duty()
        first = time.perf_counter() - t
        t = time.perf_counter()
        for _ in range(200):
            await safety.housekeeping()
        quiet = (time.perf_counter() - t) / 200
        t = time.perf_counter()
        for _ in range(20):
            safety._reachable_told = None  # as if someone came or went; the lists are unchanged, so no sends
            await safety.housekeeping()
        recompute = (time.perf_counter() - t) / 20
        print(
            f"{participants} participants, {on_duty} on duty: announcement to everyone {first * 1000:.1f} ms; "
            f"housekeeping, nothing changed {quiet * 1000:.3f} ms; full recompute, nothing to send "
            f"{recompute * 1000:.2f} ms"
        )
        srv.world.conns.clear()
        await srv.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--participants", type=int, default=1000)
    ap.add_argument("--on-duty", type=int, default=5)
    args = ap.parse_args()
    asyncio.run(main(args.participants, args.on_duty))
