"""Avatar controllers: one interface for driving a cast avatar, teleoperated or autonomous.

  base.py      the interface (observations in, actions out)
  scripted.py  ScriptedDriver: the built-in autonomous driver that follows the scenario's cues
  host.py      per-room ControllerHost: claim/release, failover, supervised autonomy
  intents.py   claim, release, supervise, approve, reject
  agent.py     the same ScriptedDriver as a separate process logged in as role `agent`

See docs/controllers.md.
"""

from __future__ import annotations

import logging
from typing import Any

from ..gateway import Ctx
from ..world import Avatar, Member, Room, RoomFeature, World, room_state
from . import intents  # noqa: F401  (registers the intents)
from .base import Action, Controller, Observation
from .host import ControllerHost, _Ticker, host_for, hosts
from .scripted import ScriptedDriver

log = logging.getLogger("peerspace.controllers")

__all__ = [
    "Action",
    "Controller",
    "Controllers",
    "Observation",
    "ControllerHost",
    "ScriptedDriver",
    "host_for",
    "hosts",
    "restore_claims",
]


class Controllers(RoomFeature):
    """The controllers feature: failover checks on the tick, drivers hear lines, newcomers see the cast."""

    def __init__(self, world: World):
        self.world = world
        self.ticker = _Ticker(world)

    async def tick(self, dt: float) -> None:
        await self.ticker(dt)

    async def said(self, ctx: Ctx, avatar: Avatar, line: dict[str, Any], event_id: int | None) -> None:
        assert ctx.room is not None  # said runs for an in-room intent (say), so the gateway has set the room
        host = room_state(ctx.room, ControllerHost)
        if host is not None and host.controllers:
            await host.heard(line)

    async def joined(self, room: Room, member: Member) -> None:
        host = room_state(room, ControllerHost)
        if host is not None and host.avatars and member.sid:
            await host.send_all(member.sid)
        if host is not None and member.user.get("id") in host.holders():
            await host.tell_claims(member)

    async def resumed(self, room: Room, member: Member) -> None:
        """A new connection (a resume, a new login) gets the room state afresh: name tags say again who drives
        each cast avatar, and a holder is told which claims they still hold."""
        host = room_state(room, ControllerHost)
        if host is None or member.sid is None:
            return
        if host.avatars:
            await host.send_all(member.sid)
        if member.user.get("id") in host.holders():
            await host.tell_claims(member)


async def restore_claims(world: World, room_id: str | None = None) -> None:
    """At startup (scaled out: a room's first join), before the room's run is resumed: the claims and
    supervision kept from before a restart, back on the rooms' hosts (each host takes them once)."""
    rows = await world.store.aio.cast_controls(room_id)
    grace = float(getattr(world.cfg, "resume_grace", 30.0))
    by_room: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_room.setdefault(row["room_id"], []).append(row)
    for rid, kept in by_room.items():
        room = world.rooms.get(rid)
        if room is not None:
            host_for(world, room).restore(kept, grace)
    if rows:
        log.info("restored cast claims and supervision in %d rooms", len(by_room))
