"""Voice: relay 20 ms Opus frames to the people in the sender's room who may hear them. Never recorded or stored.

Importing the package registers the `voice` intent (relay.py). The server never decodes, keeps or logs a frame:
it checks who may speak and who may hear, then passes the bytes on. See docs/voice.md.
"""

from __future__ import annotations

from . import relay  # noqa: F401  (registers the intent)
