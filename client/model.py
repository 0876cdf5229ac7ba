"""What the client knows about its room: plain data, no Panda3D.

The network handlers (client/net.py) write it, the input modes (client/input.py)
read it to decide who wants a key, and the views (client/views.py) draw from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .i18n import t


@dataclass
class ClientModel:
    room: dict | None = None  # the room as the server described it; None outside a room
    my_id: int | None = None  # your own avatar
    members: dict[int, dict] = field(default_factory=dict)
    recording: bool = False  # whether your own lines are recorded (consent or role)
    connection_state: str = "disconnected"  # connected, reconnecting, offline, disconnected
    my_expression: str = "neutral"
    my_intensity: float = 0.75
    held: dict[str, tuple[int, int]] = field(default_factory=dict)  # movement key -> (axis, value)
    axes: tuple[float, float, float] = (0.0, 0.0, 0.0)  # forward, strafe, turn as last sent
    closeup: int | None = None  # avatar whose face the camera shows close up (F9)
    volumes: dict[int, float] = field(default_factory=dict)  # speaker avatar -> your volume for their voice
    frames_in_room: int = 0
    frame_count: int = 0
    quit_requested: bool = False

    def held_axes(self) -> tuple[float, float, float]:
        """The axes the held movement keys add up to, each clamped to [-1, 1]."""
        axes = [0.0, 0.0, 0.0]
        for axis, value in self.held.values():
            axes[axis] += value
        return (
            float(max(-1.0, min(1.0, axes[0]))),
            float(max(-1.0, min(1.0, axes[1]))),
            float(max(-1.0, min(1.0, axes[2]))),
        )

    def recorded_text(self) -> str:
        return t("hud.recorded.on") if self.recording else t("hud.recorded.off")

    def connection_text(self) -> str:
        if self.connection_state in ("reconnecting", "offline"):
            return t(f"net.{self.connection_state}")
        return ""


def model_field(name: str) -> Any:
    """A client attribute that reads and writes `self.model.<name>` (the model is the one place it lives)."""
    return property(lambda self: getattr(self.model, name), lambda self, value: setattr(self.model, name, value))


class ModelFields:
    """The room as the client knows it, read and written as the client's own attributes (`app.room`), while it
    lives in the one model (`app.model`)."""

    room = model_field("room")
    my_id = model_field("my_id")
    members = model_field("members")
    recording = model_field("recording")
    connection_state = model_field("connection_state")
    my_expression = model_field("my_expression")
    my_intensity = model_field("my_intensity")
    held = model_field("held")
    axes = model_field("axes")
    closeup = model_field("closeup")
    frames_in_room = model_field("frames_in_room")
    frame_count = model_field("frame_count")
    quit_requested = model_field("quit_requested")
