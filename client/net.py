"""The client's network session is the wire package's reference session."""

from wire.session import CONNECTION, WELCOME, Session

__all__ = ["CONNECTION", "WELCOME", "Session"]
