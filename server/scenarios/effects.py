"""What a scenario step asks the room to do: the runner's effects (see runner.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# --- effects ------------------------------------------------------------------------------------


@dataclass
class Effect:
    @property
    def kind(self) -> str:
        return type(self).__name__.lower()

    def as_dict(self) -> dict[str, Any]:
        return {"effect": self.kind, **asdict(self)}


@dataclass
class Say(Effect):
    """The script wants `cast` to say this now (a cue; the controller speaks it)."""

    cast: str
    text: str
    expression: str = "neutral"
    gesture: str = "none"
    suggestion: str | None = None
    # set by a paced run (ScenarioRun.paced): the number of this line in the run's owed lines; the room
    # delivers it from there, one line at a time, instead of at once
    owed: int | None = field(default=None, compare=False, repr=False)


@dataclass
class Show(Effect):
    """Set `cast`'s face (emotion-recognition exercise) without a line."""

    cast: str
    expression: str
    intensity: float = 1.0
    gesture: str = "none"
    owed: int | None = field(default=None, compare=False, repr=False)  # as Say.owed: a face after a line waits


@dataclass
class Face(Effect):
    """Turn `cast` to face the participant (the coach, when a crisis phrase stops the scene)."""

    cast: str


@dataclass
class ParticipantSaid(Effect):
    """The participant's chosen option (or own words): their avatar says it.

    `action` is true for option text in parentheses, e.g. "(You sit down.)": shown, not spoken.
    """

    cast: str
    text: str
    option: str | None = None
    action: bool = False

    def __post_init__(self) -> None:
        self.action = self.action or (self.text.startswith("(") and self.text.endswith(")"))


@dataclass
class Scored(Effect):
    what: str  # "step" or "emotion"
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class StateChanged(Effect):
    """Broadcast the new state: participants get view('participant'), cast controllers view('staff')."""

    phase: str | None
    wait: str


@dataclass
class Finished(Effect):
    status: str  # "finished" | "stopped"
    summary: dict[str, Any] = field(default_factory=dict)
    closing: str | None = None  # the kind last line, when a run paused by a crisis phrase ends
