"""Room tick cost: the batched slab step against a per-room step, in the same run.

    .venv/bin/python bench/tick.py [--ticks 400]

The baseline is the straightforward design (each room steps its own arrays
with its own numpy calls — what server/world/room.py did before the slab);
the figure that matters is the ratio, measured in this process.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's server, not an installed one

from server.config import Config  # noqa: E402
from server.world.room import Room  # noqa: E402
from server.world.world import World  # noqa: E402
from wire import codec


class BenchWorld:
    slab_for = World.slab_for

    def __init__(self):
        self.cfg, self.slabs = Config(), {}


def per_room_step(room, cfg, dt):
    """Baseline: one room, its own numpy calls (same rules: integrate, clip, personal space, delta)."""
    alive, inp = room.alive, room.inp
    moving = alive & np.any(inp != 0, axis=1)
    idx = np.flatnonzero(moving)
    if idx.size:
        yaw = (room.yaw[idx] + inp[idx, 2] * cfg.turn_speed * dt) % 360.0
        rad = np.radians(yaw)
        s, c = np.sin(rad), np.cos(rad)
        dx, dy = -s * inp[idx, 0] + c * inp[idx, 1], c * inp[idx, 0] + s * inp[idx, 1]
        delta = np.stack([dx, dy], 1) * cfg.walk_speed * dt
        target = np.clip(room.pos[idx] + delta, -cfg.room_half_extent, cfg.room_half_extent)
        others = np.flatnonzero(alive)
        d_new = np.linalg.norm(target[:, None] - room.pos[others][None], axis=2)
        d_old = np.linalg.norm(room.pos[idx][:, None] - room.pos[others][None], axis=2)
        bad = (d_new < cfg.personal_space) & (d_new < d_old) & (idx[:, None] != others[None])
        target[bad.any(1)] = room.pos[idx[bad.any(1)]]
        room.pos[idx], room.yaw[idx] = target, yaw
    ids = np.flatnonzero(alive)
    q = codec.quantise(ids, room.pos[ids], room.yaw[ids], room.flags[ids])
    changed = q != room.sent[ids]
    room.sent[ids[changed]] = q[changed]
    return q[changed].tobytes()


def turns_for(cfg: Config, rooms: int) -> int:
    """The server's turns per period for this many rooms (World.rephase)."""
    return max(cfg.tick_phases, min(cfg.tick_phases_max, -(-rooms // cfg.tick_rooms_per_turn)))


def build(rooms: int, per_room: int, still: bool = False):
    """Rooms of walking avatars (random held input), or of avatars standing still (`still`)."""
    world = BenchWorld()
    made = []
    for r in range(rooms):
        room = Room(world, f"r{r}", "r", "cafe", max(12, per_room))
        room.phase = r % turns_for(world.cfg, rooms)
        rng = np.random.default_rng(r)
        for i in range(per_room):
            a = room.spawn(f"a{i}", "person", "participant", user_id=i)
            if not still:
                room.set_input(a.id, *rng.uniform(-1, 1, 3))
        made.append(room)
    return world, made


def timed(fn, ticks: int) -> float:
    fn()
    t = time.perf_counter()
    for _ in range(ticks):
        fn()
    return (time.perf_counter() - t) / ticks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticks", type=int, default=400)
    args = ap.parse_args()
    print(f"{'load':<18}{'baseline ms/tick':>18}{'slab ms/tick':>14}{'ratio':>8}{'slab in turns ms/tick':>24}")
    # "still": nobody walks (people standing and talking, most of a peer-support session)
    for rooms, per_room, still in (
        (50, 10, False),
        (100, 10, False),
        (1, 100, False),
        (10, 10, False),
        (100, 10, True),
    ):
        world, made = build(rooms, per_room, still)
        cfg, n = world.cfg, turns_for(world.cfg, rooms)
        slab = timed(lambda: [s.step(0.05) for s in world.slabs.values()], args.ticks)
        # what the server does: every room once per period, in turns (3 up to 10, about 10 rooms a turn)
        turns = timed(lambda: [s.step(0.05, p, n) for p in range(n) for s in world.slabs.values()], args.ticks)
        base = timed(lambda: [per_room_step(r, cfg, 0.05) for r in made], args.ticks)
        label = f"{rooms} x {per_room}" + (" still" if still else "")
        print(f"{label:<18}{base * 1e3:>18.3f}{slab * 1e3:>14.3f}{base / slab:>7.1f}x{turns * 1e3:>24.3f}")


if __name__ == "__main__":
    main()
