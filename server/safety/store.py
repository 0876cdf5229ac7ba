"""Safety records are kept by the store (server/storage/safety.py); this is the interface features use.

`Moderation.db` is the store seen as a SafetyRepository: blocks, reports, alerts, the moderation log.
"""

from __future__ import annotations

from ..storage.interfaces import SafetyRepository

SafetyStore = SafetyRepository

__all__ = ["SafetyStore"]
