"""The wire contract between peerspace clients and the server.

Both `client/` and `server/` import this package and nothing of each other:
event names, roles, message schemas, the msgpack codec settings and the
quantised snapshot format all live here so the two sides cannot drift apart.
"""

PROTOCOL_VERSION = 1

from .errors import WireError  # noqa: E402
from .messages import validate  # noqa: E402
from . import safety  # noqa: E402,F401  (registers the safety/records schemas)
from . import scenario  # noqa: E402,F401  (registers the scenario schemas)
from . import controllers  # noqa: E402,F401  (registers the avatar-controller schemas)

__all__ = ["PROTOCOL_VERSION", "WireError", "validate"]
