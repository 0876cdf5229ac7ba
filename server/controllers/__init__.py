"""Avatar controllers: one interface for driving a cast avatar, teleoperated or autonomous.

  base.py      the interface (observations in, actions out)
  scripted.py  ScriptedDriver: the built-in autonomous driver that follows the scenario's cues
  host.py      per-room ControllerHost: claim/release, failover, supervised autonomy
  intents.py   claim, release, supervise, approve, reject
  agent.py     the same ScriptedDriver as a separate process logged in as role `agent`

See docs/controllers.md.
"""

from __future__ import annotations

from . import intents  # noqa: F401  (registers the intents)
from .base import Action, Controller, Observation
from .host import ControllerHost, _Ticker, host_for, hosts
from .scripted import ScriptedDriver

__all__ = ["Action", "Controller", "Observation", "ControllerHost", "ScriptedDriver", "host_for", "hosts"]


def setup(app) -> None:
    world = app["world"]
    hosts(world)
    world.hooks["tick"].append(_Ticker(world))

    async def on_said(ctx, av, line, event_id):
        host = world.controllers.get(ctx.room.id)
        if host is not None and host.controllers:
            await host.heard(line)

    async def on_join(room, member):
        host = world.controllers.get(room.id)
        if host is not None and host.avatars and member.sid:
            await host.send_all(member.sid)

    world.hooks["said"].append(on_said)
    world.hooks["join"].append(on_join)
