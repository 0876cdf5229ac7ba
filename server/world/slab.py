"""Pose arrays for many rooms at once, so one tick is one vectorised pass.

Rooms of a similar size share a `PoseSlab`: each room owns a fixed block of
`block` slots, and its arrays (`room.pos`, `room.yaw`, ...) are numpy *views*
into the slab. Room code indexes its own avatars as usual; the tick steps
every room of the slab with a handful of numpy calls instead of a handful
per room, then cuts the changed records into one blob per room.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from wire import codec

if TYPE_CHECKING:
    from ..config import Config
    from .room import Room

FIELDS = ("pos", "yaw", "inp", "alive", "flags", "sent", "space")
_NOT_MOVING = np.uint8(0xFF ^ codec.FLAG_MOVING)


def block_size(slots: int) -> int:
    """Blocks come in powers of two from 16, so rooms of similar size share a slab."""
    return max(16, 1 << (max(slots, 1) - 1).bit_length())


class PoseSlab:
    def __init__(self, block: int, cfg: Config):
        self.block = block
        self.speed, self.turn_speed, self.half = cfg.walk_speed, cfg.turn_speed, cfg.room_half_extent
        self.default_space = cfg.personal_space
        self.rooms: list[Room | None] = []  # block index -> room (or None when free)
        self._alloc(4)

    def _alloc(self, blocks: int) -> None:
        n = blocks * self.block
        old = {name: getattr(self, name, None) for name in FIELDS}
        self.pos = np.zeros((n, 2), np.float32)
        self.yaw = np.zeros(n, np.float32)
        self.inp = np.zeros((n, 3), np.float32)  # forward, strafe, turn in [-1, 1]
        self.alive = np.zeros(n, bool)
        self.flags = np.zeros(n, np.uint8)
        self.sent = np.zeros(n, codec.POSE_DTYPE)  # the last pose the room was sent
        self.space = np.full(n, self.default_space, np.float32)  # personal-space radius per avatar
        for name, arr in old.items():
            if arr is not None:
                getattr(self, name)[: len(arr)] = arr
        self.local_ids = (np.arange(n) % self.block).astype(np.uint16)
        self.rooms += [None] * (blocks - len(self.rooms))
        for b, room in enumerate(self.rooms):
            if room is not None:
                self._bind(room, b)

    def _bind(self, room: Room, b: int) -> None:
        lo, hi = b * self.block, (b + 1) * self.block
        for name in FIELDS:
            setattr(room, name, getattr(self, name)[lo:hi])
        room.slab, room.block_index = self, b

    def attach(self, room: Room) -> None:
        try:
            b = self.rooms.index(None)
        except ValueError:
            b = len(self.rooms)
            self._alloc(len(self.rooms) * 2)
        self.rooms[b] = room
        lo, hi = b * self.block, (b + 1) * self.block
        self.alive[lo:hi] = False
        self.inp[lo:hi] = 0
        self.space[lo:hi] = self.default_space
        self._bind(room, b)

    def detach(self, room: Room) -> None:
        b = room.block_index
        self.alive[b * self.block : (b + 1) * self.block] = False
        self.rooms[b] = None

    # --- the tick ------------------------------------------------------------------------
    def _room_at(self, b: int) -> Room:
        room = self.rooms[b]
        assert room is not None, "a block with live avatars has a room"  # detach() clears its block's `alive`
        return room

    def step(self, dt: float, phase: int = 0, phases: int = 1) -> list[tuple[Room, bytes]]:
        """Advance every avatar of the rooms whose turn it is (room.phase % phases == phase) by dt;
        return (room, delta blob) for those rooms that changed."""
        B = self.block
        inp, pos = self.inp, self.pos
        alive = self.alive
        if phases > 1:
            turn = np.array([r is not None and r.phase % phases == phase for r in self.rooms])
            alive = alive & np.repeat(turn, B)
        # Only the turn's live slots are touched: with many turns a period, work over the whole slab in
        # every turn would cost the whole slab that many times (#20: tick turns grow with the rooms).
        slots = np.flatnonzero(alive)
        if slots.size == 0:
            return []
        idx = slots[(inp[slots] != 0).any(axis=1)]
        self.flags[slots] &= _NOT_MOVING
        if idx.size:
            forward, strafe, turn = inp[idx, 0], inp[idx, 1], inp[idx, 2]
            yaw = (self.yaw[idx] + turn * (self.turn_speed * dt)) % 360.0
            rad = np.radians(yaw)
            s, c = np.sin(rad), np.cos(rad)
            step = self.speed * dt
            old = pos[idx]
            target = np.empty_like(old)
            # Heading 0 faces +y; heading grows counter-clockwise (Panda3D's convention).
            target[:, 0] = old[:, 0] + (c * strafe - s * forward) * step
            target[:, 1] = old[:, 1] + (c * forward + s * strafe) * step
            np.clip(target, -self.half, self.half, out=target)
            blocked = self._crowded(idx, old, target)
            target[blocked] = old[blocked]
            pos[idx] = target
            self.yaw[idx] = yaw
            self.flags[idx] |= codec.FLAG_MOVING
        q = codec.quantise(self.local_ids[slots], pos[slots], self.yaw[slots], self.flags[slots])
        differs = q.view("<u8") != self.sent[slots].view("<u8")
        slot_blocks = slots // B
        live_blocks = slot_blocks[np.concatenate(([True], slot_blocks[1:] != slot_blocks[:-1]))]
        for b in live_blocks.tolist():
            self._room_at(b).tick_no += 1
        changed = slots[differs]
        if changed.size == 0:
            return []
        out = q[differs]
        self.sent[changed] = out
        blocks = changed // B
        cuts = np.flatnonzero(blocks[1:] != blocks[:-1]) + 1
        starts = np.concatenate(([0], cuts)).tolist()
        ends = np.concatenate((cuts, [changed.size])).tolist()
        return [(self._room_at(int(blocks[a])), out[a:z].tobytes()) for a, z in zip(starts, ends)]

    def _crowded(
        self, idx: npt.NDArray[np.intp], old: npt.NDArray[np.float32], target: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.bool_]:
        """Movers whose step would bring them inside someone's personal space, closer than before.

        x and y apart, with products instead of powers and an axis sum: the same test in a third of the
        time, and this was the tick's largest part (#20). A mover is never crowded by itself: its own slot
        is at `old`, where the distance before the step is 0, so the step never brings it closer."""
        B = self.block
        blocks = idx // B
        near_x = self.pos[:, 0].reshape(-1, B)[blocks]  # (movers, B): everyone in their room
        near_y = self.pos[:, 1].reshape(-1, B)[blocks]
        dx, dy = near_x - target[:, 0:1], near_y - target[:, 1:2]
        d_new = dx * dx
        d_new += dy * dy
        dx, dy = near_x - old[:, 0:1], near_y - old[:, 1:2]
        d_old = dx * dx
        d_old += dy * dy
        limit = np.maximum(self.space[idx][:, None], self.space.reshape(-1, B)[blocks])
        limit *= limit
        bad = (d_new < limit) & (d_new < d_old)
        bad &= self.alive.reshape(-1, B)[blocks]
        return np.asarray(bad.any(axis=1))
