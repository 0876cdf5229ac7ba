"""The room lifecycle: what a feature may hook into, and in what order the world calls it.

A feature (safety, records, controllers, scenarios, interest management, Redis scale-out, the
gateway's housekeeping, metrics) is a `RoomFeature` object. Every method here is optional: the base
does nothing, and the world calls only the methods a feature overrides. Features are passed to
`World.assemble` once, in the order server/app.py lists them; each lifecycle step calls them in
that order. Per-room feature state lives on the room (`room.state[FeatureClass]`), so it goes with
the room.

  created(room)                    a room was opened on this node (startup, `room add`, another node's)
  entering(room, user)             before someone joins; may refuse with WireError
  joined(room, member)             after the member has their room_state and the others were told
  left(room, member)               after the avatar is gone (leave, kick, grace expired)
  dropped(room, member)            the connection ended; the avatar is held for the grace window
  resumed(room, member)            a returning connection was re-attached and resynced
  speaking(ctx, avatar, text)      before a line is recorded; may refuse with WireError
  recording_said(ctx, avatar, text, meta) -> (event_id,) | None
                                   a feature that records the line itself (a scenario run) returns it
  said(ctx, avatar, line, event_id)  after the line was broadcast (crisis alerts, listening drivers)
  before_step(room, dt), after_step(room, dt)
                                   around each active room's step, on the tick (sync: no awaits there)
  send_snapshot(room, blob) -> bool
                                   deliver a room's pose blob itself (interest cells); True if it did
  tick(dt)                         once per tick period, after every room stepped
  housekeeping()                   about twice a second, with the revocation watch
  disposed(room)                   the room ends on this node (server stop)

created, before_step, after_step and disposed are plain methods (they run inside the tick or while a
room is opened, where nothing may wait); the rest are coroutines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

if TYPE_CHECKING:
    from ..gateway import Ctx
    from .room import Avatar, Member, Room

F = TypeVar("F")

# Every lifecycle method, in the order they are listed above; World.assemble looks these up.
LIFECYCLE = (
    "created",
    "entering",
    "joined",
    "left",
    "dropped",
    "resumed",
    "speaking",
    "recording_said",
    "said",
    "before_step",
    "after_step",
    "send_snapshot",
    "tick",
    "housekeeping",
    "disposed",
)


class RoomFeature:
    """Base of every feature: optional lifecycle methods, called by the world in assembly order."""

    def created(self, room: Room) -> None: ...

    async def entering(self, room: Room, user: dict[str, Any]) -> None: ...

    async def joined(self, room: Room, member: Member) -> None: ...

    async def left(self, room: Room, member: Member) -> None: ...

    async def dropped(self, room: Room, member: Member) -> None: ...

    async def resumed(self, room: Room, member: Member) -> None: ...

    async def speaking(self, ctx: Ctx, avatar: Avatar, text: str) -> None: ...

    async def recording_said(
        self, ctx: Ctx, avatar: Avatar, text: str, meta: dict[str, Any]
    ) -> tuple[int | None] | None:
        return None

    async def said(self, ctx: Ctx, avatar: Avatar, line: dict[str, Any], event_id: int | None) -> None: ...

    def before_step(self, room: Room, dt: float) -> None: ...

    def after_step(self, room: Room, dt: float) -> None: ...

    async def send_snapshot(self, room: Room, blob: bytes | None) -> bool:
        return False

    async def tick(self, dt: float) -> None: ...

    async def housekeeping(self) -> None: ...

    def disposed(self, room: Room) -> None: ...


def overrides(feature: RoomFeature, name: str) -> bool:
    """True if this feature implements the lifecycle method `name` (the world skips the rest)."""
    return getattr(type(feature), name) is not getattr(RoomFeature, name)


@overload
def room_state(room: Room, key: type[F]) -> F | None: ...
@overload
def room_state(room: Room, key: type[F], make: Callable[[], F]) -> F: ...
def room_state(room: Room, key: type[F], make: Callable[[], F] | None = None) -> F | None:
    """A feature's state for this room (`room.state[key]`), made with `make()` on first use if given."""
    value = room.state.get(key)
    if value is None and make is not None:
        value = room.state[key] = make()
    return cast("F | None", value)
