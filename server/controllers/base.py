"""The avatar-controller interface: observations in, actions out.

A `Controller` drives one cast avatar (a scenario's coach or partner). It is
told what the avatar would see and hear, in wire terms, and answers with the
intents it wants to send, in wire terms:

  observation  {"event": <server event name>, "data": <its payload>}
      scenario_state  the staff view of the run (wire.scenario), with `cue` (the palette of suggested
                      lines per cast role, what the participant may answer) and `avatars` (cast role ->
                      avatar id, the participant's role included)
      cue             wire.controllers.CUE: the script wants this avatar to say this now
      said            a line said in the room (anyone's, the participant's included)
      member_joined / member_left / member_updated, controller     the room changing

  action       (event, payload) -- an intent exactly as a client would send it, with `avatar` naming the
               driven avatar: ("say", {"text", "suggestion", "avatar"}), ("expression", {...}),
               ("gesture", {...}), ("look", {"at" | "yaw", "avatar"}), ("move", {...}),
               ("scenario_feedback", {...}), ("scenario_advance", {}) where the driver's role allows it.

Actions are applied through the same gateway handlers as a person's intents
(schema validation, role check, `acting_avatar`, moderation hooks, recording):
in-process with `server.controllers.host.dispatch`, or over Socket.IO by a
remote agent (`server.controllers.agent`). Teleoperation is the other
implementation: `Relay` forwards the observations to a person's client and
their keys come back as the same intents.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

Observation = dict                 # {"event": str, "data": Any}
Action = tuple[str, dict]          # (intent name, payload)


def obs(event: str, data: Any) -> Observation:
    return {"event": event, "data": data}


class Controller(ABC):
    """Drives one cast avatar of one cast role."""

    #: the label other people see in the `controller` event: autonomous | teleop | agent | paused
    driver = "autonomous"

    def __init__(self, role: str, avatar: int | None = None):
        self.role = role
        self.avatar = avatar

    @abstractmethod
    def observe(self, observation: Observation) -> list[Action]:
        """Take one observation; return the intents to send now (possibly none)."""


class Held(Controller):
    """The scene is paused for this avatar (its teleoperator dropped): cues wait here, nothing is said."""

    driver = "paused"

    def __init__(self, role: str, avatar: int | None = None):
        super().__init__(role, avatar)
        self.waiting: list[dict] = []

    def observe(self, observation: Observation) -> list[Action]:
        if observation["event"] == "cue":
            self.waiting.append(observation["data"])
        return []
