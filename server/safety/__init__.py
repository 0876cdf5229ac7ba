"""Safety: moderation enforced on the server, crisis-language alerts, durable consent.

`Safety(world)` (built by server.app) is the per-world safety state and the
safety feature of the room lifecycle: it switches the `Outbound` filter
(blocks, pauses) and checks mutes and pauses before a line is recorded,
detects crisis language after, holds paused avatars still before each room
step, and sends the monitoring and recording notices on join; bubbles are per-avatar personal-space radii
(Room.space) that the step itself enforces. Importing the package registers
the intents. `Helpline(world, safety)` is the private help line (helpline.py).
See docs/safety.md.
"""

from __future__ import annotations

from aiohttp import web

from . import intents  # noqa: F401  (registers the intents)
from .helpline import Helpline  # (registers the help line's intents)
from .moderation import Safety

__all__ = ["Helpline", "Safety"]


def setup(app: web.Application) -> None:
    """The HTTP routes (server.app calls it once the world is assembled)."""
    from . import http

    http.add_routes(app)
