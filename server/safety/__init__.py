"""Safety: moderation enforced on the server, crisis-language alerts, durable consent.

`setup(app)` (called by server.app for every feature module) builds the
per-world `Safety` state, installs the `Outbound` filter (blocks) and the
world hooks (mute/pause checks before a line is recorded, crisis detection
after, paused avatars held still before each room step, the monitoring
and recording notices on join); bubbles are per-avatar personal-space radii
(Room.space) that the step itself enforces. Importing the package registers
the intents. See docs/safety.md.
"""

from __future__ import annotations

from . import intents  # noqa: F401  (registers the intents)
from .moderation import Safety


def setup(app) -> None:
    world = app["world"]
    safety = Safety(world)
    world.safety = safety
    world.hooks["speak"].append(safety.check_speak)
    world.hooks["said"].append(safety.on_said)
    world.hooks["before_step"].append(safety.before_step)
    world.hooks["join"].append(safety.on_join)
    world.hooks["leave"].append(safety.on_leave)
    world.hooks["resume"].append(safety.on_resume)
    app["safety"] = safety
    from . import http
    http.add_routes(app)
