"""One room: its members, its avatars and the authoritative tick.

Lifecycle, as in Colyseus: join / message (the gateway's intent handlers) /
leave, and the tick. Avatar poses live in numpy arrays indexed by avatar id;
they are views into a `PoseSlab` (slab.py) shared with rooms of similar size,
so one tick integrates every avatar's held input, enforces bounds and
personal space, and encodes ONE delta blob per room of the avatars whose
quantised pose changed; that blob goes to the whole room in one emit
(python-socketio encodes a room emit once for all recipients).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from wire import codec, errors
from wire.errors import WireError

if TYPE_CHECKING:
    from .slab import PoseSlab
    from .world import World

# Slots kept free beyond a room's capacity for scenario cast avatars (coach, partners).
CAST_SLOTS = 4


@dataclass
class Avatar:
    id: int
    name: str
    kind: str  # 'person' (someone's own) or 'cast' (coach, partner)
    role: str  # account role, or the cast role name (e.g. 'coach')
    user_id: int | None = None  # the person whose own avatar this is
    expression: str = "neutral"
    intensity: float = 1.0
    gesture: str = "none"
    away: bool = False
    appearance: dict[str, Any] | None = None  # the person's chosen look (wire/appearance.py); None: from the id

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "avatar": self.id,
            "name": self.name,
            "kind": self.kind,
            "role": self.role,
            "expression": self.expression,
            "intensity": self.intensity,
            "gesture": self.gesture,
            "away": self.away,
        }
        if self.appearance is not None:
            out["appearance"] = self.appearance
        return out


@dataclass
class Member:
    """A person in the room: their account, their connection (None while away) and their avatar."""

    user: dict[str, Any]
    sid: str | None
    avatar: int
    away_since: float | None = None
    consented: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Room:
    _phase = 0
    # Views into the PoseSlab's arrays for this room's block of avatar slots, indexed by avatar id; set (and
    # re-set when the slab grows) by PoseSlab.attach.
    pos: npt.NDArray[np.float32]  # (slots, 2) x, y
    yaw: npt.NDArray[np.float32]  # degrees
    inp: npt.NDArray[np.float32]  # (slots, 3) held input: forward, strafe, turn in [-1, 1]
    alive: npt.NDArray[np.bool_]
    flags: npt.NDArray[np.uint8]
    sent: npt.NDArray[np.void]  # codec.POSE_DTYPE records: the last pose the room was sent
    space: npt.NDArray[np.float32]  # personal-space radius per avatar
    slab: PoseSlab
    block_index: int

    def __init__(
        self,
        world: World,
        room_id: str,
        name: str,
        scene: str,
        capacity: int,
        access: str = "open",
        group_id: int | None = None,
    ):
        self.world = world
        self.id, self.name, self.scene, self.capacity = room_id, name, scene, capacity
        # 'open' (anyone) or 'members' (the group's participants and staff, facilitators, admins);
        # a copy of the stored policy, refreshed from the store on every join (World.join)
        self.access, self.group_id = access, group_id
        self.half = world.cfg.room_half_extent
        self.personal_space = world.cfg.personal_space
        # pos, yaw, inp, alive, flags, sent, space: views into a PoseSlab shared with rooms of similar size
        world.slab_for(capacity + CAST_SLOTS).attach(self)
        self.avatars: dict[int, Avatar] = {}
        self.members: dict[int, Member] = {}  # by user id
        self.drivers: dict[int, int] = {}  # cast avatar id -> user id puppeting it
        self.tick_no = 0
        self.created = time.time()
        # Each feature's state for this room, keyed by the feature's state class (feature.room_state).
        self.state: dict[type, object] = {}

    # --- public views ---------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        people = sum(1 for m in self.members.values())
        return {
            "id": self.id,
            "name": self.name,
            "scene": self.scene,
            "capacity": self.capacity,
            "people": people,
            "access": self.access,
        }

    def full_state(self, you: int | None, recording: bool = False) -> dict[str, Any]:
        """Everything a client needs to draw the room; `recording`: whether `you`'s own lines are recorded
        (World.may_record, read off the loop by the caller)."""
        ids = np.flatnonzero(self.alive)
        poses = codec.quantise(ids, self.pos[ids], self.yaw[ids], self.flags[ids])
        cfg = self.world.cfg
        me = self.avatars.get(you) if you is not None else None
        return {
            "room": self.summary(),
            "you": you,
            "members": [self.avatars[int(i)].public() for i in ids],
            "poses": codec.encode_poses(poses),
            "t": self.tick_no,
            # lets a client predict its own avatar with the server's own motion model
            "motion": {"walk_speed": cfg.walk_speed, "turn_speed": cfg.turn_speed, "tick_hz": cfg.tick_hz},
            # whether this person's own lines are being recorded (their consent, or their role)
            "recording": bool(me and me.user_id is not None and recording),
        }

    @property
    def phase(self) -> int:
        """Its turn within the tick period (World._tick_loop)."""
        return self._phase

    @phase.setter
    def phase(self, phase: int) -> None:
        self._phase = phase
        self.slab.forget_turns()  # the slab keeps who steps in which turn

    @property
    def people(self) -> int:
        return len(self.members)

    # --- avatars ---------------------------------------------------------------------
    def _grow(self) -> None:
        """More avatars than this room's block holds: move the room to a slab of bigger blocks."""
        old = {name: getattr(self, name).copy() for name in ("pos", "yaw", "inp", "alive", "flags", "sent", "space")}
        self.slab.detach(self)
        self.world.slab_for(len(old["alive"]) * 2).attach(self)
        for name, arr in old.items():
            getattr(self, name)[: len(arr)] = arr

    def spawn(
        self,
        name: str,
        kind: str,
        role: str,
        user_id: int | None = None,
        at: tuple[float, float] | None = None,
        yaw: float = 0.0,
    ) -> Avatar:
        free = np.flatnonzero(~self.alive)
        if len(free) == 0:
            self._grow()
            free = np.flatnonzero(~self.alive)
        aid = int(free[0])
        if aid > 65535:
            raise WireError(errors.ROOM_FULL, "This room cannot hold more avatars.")
        self.pos[aid] = at if at is not None else self._free_spot()
        self.yaw[aid] = yaw
        self.inp[aid] = 0
        self.alive[aid] = True
        self.slab.forget_turns()
        self.flags[aid] = codec.FLAG_CAST if kind == "cast" else 0
        self.space[aid] = self.personal_space
        self.sent[aid] = (aid, 0, 0, 0, 255)  # forces a first delta
        av = Avatar(aid, name, kind, role, user_id)
        self.avatars[aid] = av
        return av

    def despawn(self, aid: int) -> None:
        self.alive[aid] = False
        self.slab.forget_turns()
        self.inp[aid] = 0
        self.avatars.pop(aid, None)
        self.drivers.pop(aid, None)

    def _free_spot(self) -> tuple[float, float]:
        """A spawn point on a gentle ring around the room centre, clear of others."""
        others = self.pos[self.alive]
        for k in range(64):
            angle = k * 2.399963  # golden angle: spreads points evenly
            radius = 1.5 + 0.35 * k
            p = np.array([np.cos(angle) * radius, np.sin(angle) * radius - 2.0], np.float32)
            p = np.clip(p, -self.half + 0.5, self.half - 0.5)
            if len(others) == 0 or np.min(np.hypot(*(others - p).T)) > self.personal_space * 2:
                return float(p[0]), float(p[1])
        return 0.0, 0.0

    def avatar(self, aid: int) -> Avatar:
        av = self.avatars.get(aid)
        if av is None:
            raise WireError(errors.NOT_FOUND, f"There is no avatar {aid} in this room.")
        return av

    def set_input(self, aid: int, forward: float, strafe: float, turn: float) -> None:
        self.inp[aid] = (forward, strafe, turn)

    def set_yaw(self, aid: int, yaw: float) -> None:
        self.yaw[aid] = yaw % 360.0
        self.slab.stir(self.block_index)

    def face(self, aid: int, target: int) -> None:
        self.avatar(target)
        d = self.pos[target] - self.pos[aid]
        if np.hypot(*d) > 1e-3:
            self.yaw[aid] = np.degrees(np.arctan2(-d[0], d[1])) % 360.0
            self.slab.stir(self.block_index)

    def set_away(self, aid: int, away: bool) -> None:
        """The avatar's person lost their connection (away) or is back; everyone sees it in the next delta."""
        if away:
            self.flags[aid] |= codec.FLAG_AWAY
        else:
            self.flags[aid] &= 0xFF ^ codec.FLAG_AWAY
        self.slab.stir(self.block_index)
