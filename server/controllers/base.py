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
implementation: `Relay` (below) forwards the observations to a person's client and
their keys come back as the same intents.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from wire import controllers as wc
from wire import events

Observation = dict[str, Any]  # {"event": str, "data": Any}
Action = tuple[str, dict[str, Any]]  # (intent name, payload)


def obs(event: str, data: Any) -> Observation:
    return {"event": event, "data": data}


class Controller(ABC):
    """Drives one cast avatar of one cast role.

    Besides `observe`, a controller tells the room's ControllerHost what it is, so the host never asks
    which class it has: `remote` (observations leave this process), `autonomous` (it follows the script
    by itself), `paused` (the scene waits for it), `by` (who drives it, for the `controller` event),
    `held_cues()` (cues it holds unsaid, handed on to the next controller) and `take_outbox()` (the
    events a remote controller's driver is to be sent).
    """

    #: the label other people see in the `controller` event: autonomous | teleop | agent | paused
    driver = wc.AUTONOMOUS
    #: driven from outside this process (a person's client, a remote agent): the run sends it the staff
    #: `scenario_state` and the room sends it lines itself; cues handed to it stay outstanding until said
    remote = False
    #: follows the script by itself, in this process (the built-in driver)
    autonomous = False
    #: the scene waits for this avatar (its teleoperator dropped)
    paused = False

    def __init__(self, role: str, avatar: int | None = None):
        self.role = role
        self.avatar = avatar

    @abstractmethod
    def observe(self, observation: Observation) -> list[Action]:
        """Take one observation; return the intents to send now (possibly none)."""

    @property
    def by(self) -> str | None:
        """The name of the person or agent driving the avatar, if someone is."""
        return None

    @property
    def driven_by(self) -> int | None:
        """The user id of the person or agent driving the avatar, if someone is."""
        return None

    def held_cues(self) -> list[dict[str, Any]]:
        """Cues this controller holds and has not had said; the next controller gets them."""
        return []

    def take_outbox(self) -> list[tuple[str, dict[str, Any]]]:
        """The events to send to `driven_by` now (a remote controller's observations), emptied."""
        return []


class Held(Controller):
    """The scene is paused for this avatar (its teleoperator dropped): cues wait here, nothing is said."""

    driver = wc.PAUSED
    paused = True

    def __init__(self, role: str, avatar: int | None = None):
        super().__init__(role, avatar)
        self.waiting: list[dict[str, Any]] = []

    def observe(self, observation: Observation) -> list[Action]:
        if observation["event"] == wc.CUE:
            self.waiting.append(observation["data"])
        return []

    def held_cues(self) -> list[dict[str, Any]]:
        return list(self.waiting)


class Relay(Controller):
    """A person's or a remote agent's client: observations become events sent to them (teleoperation)."""

    remote = True

    def __init__(self, role: str, avatar: int | None, user: dict[str, Any]):
        super().__init__(role, avatar)
        self.user_id: int = user["id"]
        self.name: str = user["name"]
        self.driver = wc.AGENT_DRIVEN if user["role"] == events.AGENT else wc.TELEOP
        self.outbox: list[tuple[str, dict[str, Any]]] = []

    def observe(self, observation: Observation) -> list[Action]:
        if observation["event"] == wc.CUE:
            self.outbox.append((wc.CUE, observation["data"]))
        return []

    @property
    def by(self) -> str | None:
        return self.name

    @property
    def driven_by(self) -> int | None:
        return self.user_id

    def take_outbox(self) -> list[tuple[str, dict[str, Any]]]:
        out, self.outbox = self.outbox, []
        return out
