"""Replays: low-rate pose tracks of consented sessions, and reading them back.

While a scenario run is active in a room and its participant has agreed to
recording, the room's poses are stored at `RATE_HZ` as the same quantised
8-byte records the tick sends (wire.codec), one row per sample that changed.
Only the participant's own avatar, the cast (coach, partners) and staff or
agent avatars are kept: other participants in a group room are left out, so
one person's replay never holds another participant's movements.
A row carries `members` (avatar id -> name, kind, role) whenever that set changes.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from wire import codec, events

from ..storage import RETRYABLE

if TYPE_CHECKING:
    from ..storage.interfaces import Storage
    from ..world import Room, World

RATE_HZ = 5.0
REFRESH_S = 1.0
# one kept pose sample: (run id, participant id, time, pose blob, members json or None when unchanged)
Sample = tuple[int, int, float, bytes, str | None]


class Recorder:
    def __init__(self, world: World):
        self.world = world
        self.store: Storage = world.store
        self.every = max(1, round(world.cfg.tick_hz / RATE_HZ))
        self._n = 0
        self._runs: dict[str, dict[str, Any]] = {}  # room id -> active run
        self._refreshed = 0.0
        self._last: dict[int, bytes] = {}  # run id -> last stored blob
        self._members: dict[int, str] = {}  # run id -> last stored members json
        self._reading: asyncio.Task[None] | None = None
        self._writing: asyncio.Task[None] | None = None

    def _refresh(self) -> None:
        """Re-read the active runs at most every REFRESH_S, in the background (never on the loop)."""
        now = time.monotonic()
        if now - self._refreshed < REFRESH_S or (self._reading is not None and not self._reading.done()):
            return
        self._refreshed = now
        self._reading = asyncio.get_running_loop().create_task(self._read_runs())

    async def _read_runs(self) -> None:
        try:
            rows: list[dict[str, Any]] = await self.store.aio.active_runs()
        except RETRYABLE:
            return  # keep the last list; the next refresh tries again
        runs: dict[str, dict[str, Any]] = {}
        for run in rows:
            runs[run["room_id"]] = run  # newest run in a room wins
        self._runs = runs

    async def on_tick(self, dt: float) -> None:
        self._n += 1
        if self._n % self.every:
            return
        self._refresh()
        if self._writing is not None and not self._writing.done():
            return  # the store is slow or locked: skip this sample rather than queue behind it
        batch: list[Sample] = []
        for room_id, run in self._runs.items():
            room = self.world.rooms.get(room_id)
            if room is None or not room.alive.any():
                continue
            pid = run.get("participant_user_id")
            if pid is None:
                continue
            row = self.sample(room, run["id"], pid)
            if row is not None:
                batch.append(row)
        if batch:
            self._writing = asyncio.get_running_loop().create_task(self._store_samples(batch))

    def sample(self, room: Room, run_id: int, participant_id: int) -> Sample | None:
        """The poses to keep for this run now, or None when nothing changed since the last kept sample."""
        keep = []
        for aid, av in room.avatars.items():
            if av.kind == "cast" or av.user_id == participant_id or av.role != events.PARTICIPANT:
                keep.append(aid)
        if not keep:
            return None
        ids = np.array(sorted(keep), np.int64)
        blob = codec.encode_poses(codec.quantise(ids, room.pos[ids], room.yaw[ids], room.flags[ids]))
        members = json.dumps(
            {
                str(a): {"name": room.avatars[a].name, "kind": room.avatars[a].kind, "role": room.avatars[a].role}
                for a in ids.tolist()
            },
            sort_keys=True,
        )
        new_members = members != self._members.get(run_id)
        if blob == self._last.get(run_id) and not new_members:
            return None
        self._last[run_id] = blob
        self._members[run_id] = members
        return (run_id, participant_id, time.time(), blob, members if new_members else None)

    async def _store_samples(self, batch: list[Sample]) -> None:
        try:
            await self.store.aio.apply(self._write, batch)
        except RETRYABLE:
            # A replay is a low-rate sketch, not a record that must be kept: a sample the store cannot take
            # is dropped (counted in peerspace_store_write_failures_total), and its members are sent again.
            for run_id, *_ in batch:
                self._members.pop(run_id, None)

    def _write(self, batch: list[Sample]) -> None:
        """On the store thread; consent is read as each sample is written."""
        for run_id, participant_id, t, blob, members in batch:
            if self.world.may_record_now(participant_id):
                self.store.add_pose_sample(run_id, t, blob, members)


def transcript(store: Storage, run: dict[str, Any]) -> list[dict[str, Any]]:
    """A session's events in order: the run's own events plus room lines said while it ran.

    Room lines of other participants are left out (as they are from replays): seeing one person's
    session never shows another participant's words.
    """
    from .access import run_window

    lo, hi = run_window(run)
    return store.run_transcript(run["id"], run["room_id"], lo, min(hi, 1e18), run["participant_user_id"])


def read(store: Storage, run: dict[str, Any], after: float = 0.0, limit: int = 500) -> dict[str, Any]:
    """A page of a session's replay: pose frames after `after`, member tables and the lines said."""
    rows = store.pose_frames(run["id"], after, limit)
    members = []
    if rows and rows[0]["members"] is None:
        prev = store.pose_members_at(run["id"], rows[0]["t"])
        if prev:
            members.append({"t": prev["t"], "members": json.loads(prev["members"])})
    for r in rows:
        if r["members"] is not None:
            members.append({"t": r["t"], "members": json.loads(r["members"])})
    frames = [{"t": r["t"], "poses": bytes(r["poses"])} for r in rows]
    lines = []
    if after == 0.0 or rows:
        hi = rows[-1]["t"] if len(rows) == limit else float("inf")
        for e in transcript(store, run):
            if e["kind"] == "said" and after < e["ts"] <= hi:
                lines.append({"t": e["ts"], "name": e["actor"], "text": e["data"].get("text", "")})
    total = store.pose_track_span(run["id"])
    return {
        "run": run["id"],
        "scenario": run.get("scenario_id"),
        "room": run["room_id"],
        "frames": frames,
        "members": members,
        "lines": lines,
        "more": len(rows) == limit,
        "next": rows[-1]["t"] if rows else after,
        "count": total["n"],
        "start": total["t0"],
        "end": total["t1"],
    }
