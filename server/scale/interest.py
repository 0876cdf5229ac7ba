"""Interest management for big rooms: near avatars at full rate, far ones every Nth tick.

The room is cut into square cells (`cfg.interest_cell` metres). Each person's
connection sits in one Socket.IO sub-room per cell (`<room>#<cx>.<cy>`), the
cell of their own avatar. Each tick, for every *occupied* cell (a group, never
a single client), one blob is encoded:

  near: avatars in the 3x3 cells around it whose quantised pose changed since
        the last tick (the same delta the plain room sends), every tick;
  far:  on every `interest_far_every`-th tick, every avatar whose pose changed
        since the previous far tick, wherever it is.

Correctness: an avatar's latest pose reaches every viewer within
`interest_far_every` ticks (the far delta covers all changes since the last
far tick, including avatars that are near); near ones arrive the same tick.
Records are the same 8-byte records, so clients need no change. Rooms with
fewer than `cfg.interest_min` avatars keep the one-blob-per-room path.

It plugs into the world as a `RoomFeature` (`InterestFeature`: the tick's `send_snapshot` step and
`left`), which server/app.py installs when `cfg.interest_min` > 0; its per-room state is
`room.state[Interest]`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from wire import codec, events

from ..world.feature import RoomFeature, room_state

if TYPE_CHECKING:
    from ..config import Config
    from ..world import Member, Room, World

FORCE = 255  # a flags value no live avatar has: forces a record into the next delta


class Interest:
    def __init__(self, room: Room, cfg: Config):
        self.room = room
        self.cell = float(cfg.interest_cell)
        self.far_every = max(1, int(cfg.interest_far_every))
        self.near_sent = np.zeros(0, codec.POSE_DTYPE)
        self.far_sent = np.zeros(0, codec.POSE_DTYPE)
        self.known = np.zeros(0, bool)
        self.cell_of_sid: dict[str, str] = {}
        self.stats = {"groups": 0, "records": 0}

    def _fit(self, n: int) -> None:
        if len(self.known) >= n:
            return
        for name in ("near_sent", "far_sent", "known"):
            old = getattr(self, name)
            new = np.zeros(n, old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def cells(self, xy: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.int32]:
        cells: npt.NDArray[np.int32] = np.floor((xy + self.room.half) / self.cell).astype(np.int32)
        return cells

    def sub_room(self, cx: int, cy: int) -> str:
        return f"{self.room.id}#{cx}.{cy}"

    async def place(self, sio: Any, ids_cells: dict[int, tuple[int, int]]) -> None:
        """Keep each connected member's sid in the sub-room of its avatar's cell (`sio`: socketio.AsyncServer)."""
        live: set[str] = set()
        for m in self.room.members.values():
            if m.sid is None or m.avatar not in ids_cells:
                continue
            live.add(m.sid)
            want = self.sub_room(*ids_cells[m.avatar])
            have = self.cell_of_sid.get(m.sid)
            if have != want:
                if have is not None:
                    await sio.leave_room(m.sid, have)
                await sio.enter_room(m.sid, want)
                self.cell_of_sid[m.sid] = want
        for sid in [s for s in self.cell_of_sid if s not in live]:
            await self.forget(sio, sid)

    async def forget(self, sio: Any, sid: str) -> None:
        have = self.cell_of_sid.pop(sid, None)
        if have is not None:
            await sio.leave_room(sid, have)

    def plan(self) -> list[tuple[str, bytes]]:
        """(sub-room, blob) for every occupied cell that has something to receive this tick."""
        room = self.room
        ids = np.flatnonzero(room.alive)
        self._fit(len(room.alive))
        if len(ids) == 0:
            return []
        new = ~self.known[ids]
        self.known[:] = False
        self.known[ids] = True
        self.near_sent["flags"][ids[new]] = FORCE
        self.far_sent["flags"][ids[new]] = FORCE
        q = codec.quantise(ids, room.pos[ids], room.yaw[ids], room.flags[ids])
        near = q != self.near_sent[ids]
        self.near_sent[ids[near]] = q[near]
        far_tick = room.tick_no % self.far_every == 0
        if far_tick:
            far = q != self.far_sent[ids]
            self.far_sent[ids[far]] = q[far]
        else:
            far = np.zeros(len(ids), bool)
        if not (near.any() or far.any()):
            return []
        c = self.cells(room.pos[ids])
        id_cells = {int(i): (int(x), int(y)) for i, (x, y) in zip(ids, c)}
        viewers = {id_cells[m.avatar] for m in room.members.values() if m.sid is not None and m.avatar in id_cells}
        out: list[tuple[str, bytes]] = []
        for cx, cy in viewers:
            mask = (np.abs(c[:, 0] - cx) <= 1) & (np.abs(c[:, 1] - cy) <= 1) & near
            if far_tick:
                mask |= far
            if mask.any():
                out.append((self.sub_room(cx, cy), codec.encode_poses(q[mask])))
                self.stats["records"] += int(mask.sum())
        self.stats["groups"] += len(out)
        return out

    async def send(self, world: World) -> None:
        """Run after `room.step`: place viewers, encode once per occupied cell, emit per cell."""
        room = self.room
        ids = np.flatnonzero(room.alive)
        c = self.cells(room.pos[ids]) if len(ids) else np.zeros((0, 2), np.int32)
        await self.place(world.sio, {int(i): (int(x), int(y)) for i, (x, y) in zip(ids, c)})
        for target, blob in self.plan():
            await world.sio.emit(events.SNAPSHOT, codec.snapshot(room.tick_no, blob), room=target)


def applies(room: Room, cfg: Config) -> bool:
    n = int(cfg.interest_min)
    return n > 0 and len(room.avatars) >= n


class InterestFeature(RoomFeature):
    """Big rooms send one blob per occupied interest cell instead of one per room."""

    def __init__(self, world: World):
        self.world = world

    async def send_snapshot(self, room: Room, blob: bytes | None) -> bool:
        """The world tick's send step for one room: interest groups in a big room, else the plain path."""
        world = self.world
        interest = room_state(room, Interest)
        # A per-viewer outbound filter (server.safety: blocks, pauses) delivers room emits itself; cell
        # sub-rooms would bypass it, so a room that needs the filter takes the plain path.
        outbound = world.outbound
        if applies(room, world.cfg) and (outbound is None or not outbound.needs_filter(room)):
            if interest is None:
                interest = room.state[Interest] = Interest(room, world.cfg)
            await interest.send(world)
            return True
        if interest is not None and interest.cell_of_sid:
            # the room shrank below the threshold: back to the plain path, leave the sub-rooms
            for sid in list(interest.cell_of_sid):
                await interest.forget(world.sio, sid)
        return False

    async def left(self, room: Room, member: Member) -> None:
        """A person who left must stop getting the old room's cell snapshots at once."""
        interest = room_state(room, Interest)
        if interest is not None and member.sid is not None:
            await interest.forget(room.world.sio, member.sid)
