"""The wire contract between peerspace clients and the server.

Both `client/` and `server/` import this package and nothing of each other:
event names, roles, message schemas, the msgpack codec settings and the
quantised snapshot format all live here so the two sides cannot drift apart.
"""

# Importing these registers their events' schemas with `validate`.
from . import appearance, controllers, courses, helpline, safety, scenario, voice  # noqa: F401
from .errors import WireError
from .messages import validate

PROTOCOL_VERSION = 2

__all__ = ["PROTOCOL_VERSION", "WireError", "validate"]
