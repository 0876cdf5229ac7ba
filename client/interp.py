"""Snapshot interpolation for remote avatars (numpy, vectorised over all avatars).

The server sends a quantised pose *delta* each tick: only avatars whose pose
changed. Each avatar keeps the last few samples on the server's tick
timeline; rendering happens `delay` seconds (about 100 ms) behind the newest
estimate of server time, so there are nearly always two samples to blend
between and motion looks smooth at 10-20 Hz. An avatar missing from a delta
did not move: its last sample holds, and when it starts moving again a copy
of its old pose is inserted one send-interval earlier, so it starts from
rest instead of sliding over the whole quiet period.
"""

from __future__ import annotations

import numpy as np

K = 8  # samples kept per avatar


class SnapshotBuffer:
    def __init__(self, tick_hz: float = 30.0, delay: float = 0.1, capacity: int = 16):
        self.tick_hz = float(tick_hz)
        self.delay = float(delay)
        self.slot: dict[int, int] = {}
        self._free: list[int] = list(range(capacity - 1, -1, -1))
        self.times = np.zeros((capacity, K), dtype=np.float64)
        self.poses = np.zeros((capacity, K, 3), dtype=np.float64)  # x, y, yaw degrees
        self.active = np.zeros(capacity, dtype=bool)
        self.offset: float | None = None  # local_time - server_time (min-filtered)
        self.last_tick: int | None = None
        self.send_interval = 1.0 / self.tick_hz

    # --- ids and slots ------------------------------------------------------------
    def _grow(self):
        n = len(self.active)
        self.times = np.concatenate([self.times, np.zeros_like(self.times)])
        self.poses = np.concatenate([self.poses, np.zeros_like(self.poses)])
        self.active = np.concatenate([self.active, np.zeros(n, dtype=bool)])
        self._free.extend(range(2 * n - 1, n - 1, -1))

    def _slot_for(self, aid: int) -> int:
        s = self.slot.get(aid)
        if s is None:
            if not self._free:
                self._grow()
            s = self._free.pop()
            self.slot[aid] = s
            self.active[s] = False
        return s

    def remove(self, aid: int):
        s = self.slot.pop(aid, None)
        if s is not None:
            self.active[s] = False
            self._free.append(s)

    def clear(self, tick_hz: float | None = None):
        """Forget every avatar; a new room may run its tick at another rate."""
        for aid in list(self.slot):
            self.remove(aid)
        self.offset = None
        self.last_tick = None
        if tick_hz and float(tick_hz) != self.tick_hz:
            self.tick_hz = float(tick_hz)
            self.send_interval = 1.0 / self.tick_hz

    # --- time ---------------------------------------------------------------------
    def _observe(self, server_t: float, local_now: float):
        sample = local_now - server_t
        if self.offset is None or sample < self.offset or sample - self.offset > 1.0:
            # the least-delayed packet sets the clock; a jump of over a second means the server's
            # tick restarted (or the link stalled for long): start again from this packet
            self.offset = sample
        else:
            self.offset += (sample - self.offset) * 0.02  # creep up if latency grows for good

    def server_now(self, local_now: float) -> float:
        return local_now - (self.offset or 0.0)

    # --- input ----------------------------------------------------------------------
    def push(self, ids, xy, yaw, local_now: float, tick: int | None = None):
        """Add one snapshot (delta) received at `local_now` for server tick `tick`."""
        ids = np.asarray(ids, dtype=np.int64)
        if tick is None:
            server_t = self.server_now(local_now) if self.offset is not None else 0.0
        else:
            server_t = tick / self.tick_hz
            if self.last_tick is not None and tick > self.last_tick:
                gap = (tick - self.last_tick) / self.tick_hz
                self.send_interval += (min(gap, 0.5) - self.send_interval) * 0.2
            self.last_tick = tick if self.last_tick is None else max(self.last_tick, tick)
        self._observe(server_t, local_now)
        if len(ids) == 0:
            return
        slots = np.fromiter((self._slot_for(int(a)) for a in ids), dtype=np.int64, count=len(ids))
        new = np.stack(
            [
                np.asarray(xy, dtype=np.float64)[:, 0],
                np.asarray(xy, dtype=np.float64)[:, 1],
                np.asarray(yaw, dtype=np.float64),
            ],
            axis=1,
        )
        fresh = ~self.active[slots]
        # new avatars: fill every sample with the first pose
        if fresh.any():
            fs = slots[fresh]
            self.times[fs] = server_t
            self.poses[fs] = new[fresh][:, None, :]
            self.active[fs] = True
        old = slots[~fresh]
        if len(old):
            newo = new[~fresh]
            last_t = self.times[old, -1]
            # quiet since a while: insert a hold sample one send-interval before this one
            quiet = last_t < server_t - 1.5 * self.send_interval
            if quiet.any():
                q = old[quiet]
                hold = self.poses[q, -1].copy()
                self._shift(q, server_t - self.send_interval, hold)
            late = self.times[old, -1] >= server_t  # out of order / same tick: overwrite newest
            if late.any():
                self.poses[old[late], -1] = newo[late]
            ok = ~late
            if ok.any():
                self._shift(old[ok], server_t, newo[ok])

    def _shift(self, slots, t, poses):
        self.times[slots, :-1] = self.times[slots, 1:]
        self.poses[slots, :-1] = self.poses[slots, 1:]
        self.times[slots, -1] = t
        self.poses[slots, -1] = poses

    # --- output ---------------------------------------------------------------------
    def sample(self, local_now: float) -> dict[int, tuple[float, float, float, bool]]:
        """Poses at render time: {avatar_id: (x, y, yaw_deg, moving)}."""
        if not self.slot:
            return {}
        rt = self.server_now(local_now) - self.delay
        ids = np.fromiter(self.slot.keys(), dtype=np.int64)
        slots = np.fromiter(self.slot.values(), dtype=np.int64)
        x, y, yaw, moving = self.sample_slots(slots, rt)
        return {int(a): (float(x[i]), float(y[i]), float(yaw[i]), bool(moving[i])) for i, a in enumerate(ids)}

    def sample_slots(self, slots: np.ndarray, rt: float):
        t = self.times[slots]
        p = self.poses[slots]
        n = len(slots)
        i = np.clip((t <= rt).sum(axis=1) - 1, 0, K - 2)
        r = np.arange(n)
        ta, tb = t[r, i], t[r, i + 1]
        span = tb - ta
        f = np.where(span > 1e-9, np.clip((rt - ta) / np.where(span > 1e-9, span, 1.0), 0.0, 1.0), 1.0)
        pa, pb = p[r, i], p[r, i + 1]
        x = pa[:, 0] + (pb[:, 0] - pa[:, 0]) * f
        y = pa[:, 1] + (pb[:, 1] - pa[:, 1]) * f
        dyaw = (pb[:, 2] - pa[:, 2] + 180.0) % 360.0 - 180.0
        yaw = (pa[:, 2] + dyaw * f) % 360.0
        moving = (np.hypot(pb[:, 0] - pa[:, 0], pb[:, 1] - pa[:, 1]) > 1e-3) & (f < 1.0) & (rt <= t[:, -1])
        return x, y, yaw, moving
