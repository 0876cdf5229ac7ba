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
        self._turns: dict[tuple[int, int], _Turn] = {}  # (phase, phases) -> the turn's live slots
        self._stirred: set[int] = set()  # blocks whose poses were set outside the step since their last turn
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
        self.forget_turns()

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
        self.forget_turns()

    def detach(self, room: Room) -> None:
        b = room.block_index
        self.alive[b * self.block : (b + 1) * self.block] = False
        self.rooms[b] = None
        self.forget_turns()

    def stir(self, block: int) -> None:
        """A room's pose arrays were written outside the step (a heading set, a flag): its next turn looks."""
        self._stirred.add(block)

    def forget_turns(self) -> None:
        """Who steps in which turn changed (an avatar came or went, rooms were dealt round the turns again)."""
        self._turns.clear()

    def _turn(self, phase: int, phases: int) -> _Turn:
        turn = self._turns.get((phase, phases))
        if turn is None:
            alive = self.alive
            if phases > 1:
                in_turn = np.array([r is not None and r.phase % phases == phase for r in self.rooms])
                alive = alive & np.repeat(in_turn, self.block)
            turn = self._turns[(phase, phases)] = _Turn(self, np.flatnonzero(alive))
        return turn

    # --- the tick ------------------------------------------------------------------------
    def _room_at(self, b: int) -> Room:
        room = self.rooms[b]
        assert room is not None, "a block with live avatars has a room"  # detach() clears its block's `alive`
        return room

    def step(self, dt: float, phase: int = 0, phases: int = 1) -> list[tuple[Room, bytes]]:
        """Advance every avatar of the rooms whose turn it is (room.phase % phases == phase) by dt;
        return (room, delta blob) for those rooms that changed."""
        inp, pos = self.inp, self.pos
        # Only the turn's live slots are touched: with many turns a period, work over the whole slab in
        # every turn would cost the whole slab that many times (#20: tick turns grow with the rooms). Which
        # slots those are, and whose, changes only when avatars come or go: kept between ticks (`_Turn`).
        turn = self._turn(phase, phases)
        slots = turn.slots
        if slots.size == 0:
            return []
        idx = slots[(inp[slots] != 0).any(axis=1)]
        if not idx.size and not turn.moved and turn.blocks.isdisjoint(self._stirred):
            # nobody walks, nobody stopped walking, nothing was set since this turn last ran: nothing to send
            for room in turn.rooms:
                room.tick_no += 1
            return []
        self._stirred.difference_update(turn.blocks)
        turn.moved = bool(idx.size)
        self.flags[slots] &= _NOT_MOVING
        if idx.size:
            held = inp[idx]
            yaw = (self.yaw[idx] + held[:, 2] * (self.turn_speed * dt)) % 360.0
            # Positions as complex numbers (x + iy, a view of the same floats): heading 0 faces +y and grows
            # counter-clockwise (Panda3D's convention), so a step is (strafe + i*forward) turned by the heading.
            # Fewer numpy calls than x and y apart, and in a busy server each call costs more than its
            # arithmetic (#20).
            xy = pos.view(np.complex64)[:, 0]
            old = xy[idx]
            target = old + (held[:, 1] + 1j * held[:, 0]) * np.exp(1j * np.radians(yaw)) * (self.speed * dt)
            np.clip(target.real, -self.half, self.half, out=target.real)
            np.clip(target.imag, -self.half, self.half, out=target.imag)
            target = np.where(self._crowded(idx, old, target), old, target)
            xy[idx] = target
            self.yaw[idx] = yaw
            self.flags[idx] |= codec.FLAG_MOVING
        q = codec.quantise(turn.local_ids, pos[slots], self.yaw[slots], self.flags[slots])
        differs = q.view("<u8") != self.sent[slots].view("<u8")
        for room in turn.rooms:
            room.tick_no += 1
        changed = slots[differs]
        if changed.size == 0:
            return []
        out = q[differs]
        self.sent[changed] = out
        # each room's slots are contiguous in `slots`: its changed records end where its count of them does
        ends = np.cumsum(differs)[turn.ends].tolist()
        blobs, a = [], 0
        for room, z in zip(turn.rooms, ends):
            if z > a:
                blobs.append((room, out[a:z].tobytes()))
                a = z
        return blobs

    def _crowded(
        self, idx: npt.NDArray[np.intp], old: npt.NDArray[np.complex64], target: npt.NDArray[np.complex64]
    ) -> npt.NDArray[np.bool_]:
        """Movers whose step would bring them inside someone's personal space, closer than before.

        x and y apart (the complex positions seen as float pairs), with products instead of powers: abs() of
        complex differences is one call fewer but three times slower for a big room's thousands of pairs. A
        mover is never crowded by itself: its own slot is at `old`, where the distance before the step is 0,
        so the step never brings it closer."""
        B = self.block
        blocks = idx // B
        near_x = self.pos[:, 0].reshape(-1, B)[blocks]  # (movers, B): everyone in their room
        near_y = self.pos[:, 1].reshape(-1, B)[blocks]
        to, at = target.view(np.float32).reshape(-1, 2), old.view(np.float32).reshape(-1, 2)
        dx, dy = near_x - to[:, 0:1], near_y - to[:, 1:2]
        d_new = dx * dx
        d_new += dy * dy
        dx, dy = near_x - at[:, 0:1], near_y - at[:, 1:2]
        d_old = dx * dx
        d_old += dy * dy
        limit = np.maximum(self.space[idx][:, None], self.space.reshape(-1, B)[blocks])
        limit *= limit
        bad = (d_new < limit) & (d_new < d_old)
        bad &= self.alive.reshape(-1, B)[blocks]
        return np.asarray(bad.any(axis=1))


class _Turn:
    """One tick turn's live slots (sorted, so each room's are contiguous), their ids within their rooms,
    the rooms in slot order, their blocks, the index of each room's last slot, and whether anyone walked
    the last time the turn ran."""

    __slots__ = ("slots", "local_ids", "rooms", "blocks", "ends", "moved")

    def __init__(self, slab: PoseSlab, slots: npt.NDArray[np.intp]):
        self.slots = slots
        self.local_ids = slab.local_ids[slots]
        blocks = slots // slab.block
        last = np.flatnonzero(np.append(blocks[1:] != blocks[:-1], True)) if slots.size else slots
        live = blocks[last].tolist()
        self.rooms: list[Room] = [slab._room_at(b) for b in live]
        self.blocks = frozenset(live)
        self.ends = last
        self.moved = True  # unknown: the first step of a new turn looks at everyone (a spawn's first delta)
