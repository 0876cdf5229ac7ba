"""The scripted autonomous driver: follows the scenario's cues, verbatim.

Pure and deterministic: the same observations always give the same actions.
It runs in the server process (server.controllers.host) and, unchanged, in a
separate process that logs in as role `agent` (server.controllers.agent).

  reading pace             the room waits `reading_seconds(previous line)` before it cues this driver's next
                           line of the same delivery (server.scenarios.intents, ScenarioRooms.deliver), so a
                           line said right after another one can be read first
  cue for my role          -> expression (+ intensity), gesture (if any), then `say` the cue text with
                              `suggestion` = the cue id. Feedback cues (`feedback: positive|corrective|stretch`)
                              are tagged by the runner from that suggestion id.
  the participant's own    -> while the run waits for a role-play answer, their chat line is matched to
  words in the chat           the options the script offers (TF-IDF + cosine, the engine's IntentMatcher):
                              recognised -> the partner whose turn it is nods; not recognised -> the
                              coach says the scenario's hint, if it has one, once per node.
"""

from __future__ import annotations

from typing import Any

from wire import controllers as wc
from wire import events
from wire import scenario as wsc

from ..scenarios.matcher import IntentMatcher
from .base import Action, Controller, Observation

# the participant's reading pace (scenario_start / scenario_pace `pace`): times the scenario's seconds per line
PACE_FACTORS = {"slower": 1.5, "usual": 1.0, "faster": 0.67}


def reading_seconds(text: str, pace: dict[str, Any], scale: float = 1.0) -> float:
    """How long the autonomous cast waits before its next line, so `text` (the line before) can be read:
    its words at the scenario's words per minute, kept between the scenario's min and max seconds, times the
    participant's choice (slower, usual, faster) and `scale` (cfg.pace_scale; 0 in the test suite)."""
    if scale <= 0:
        return 0.0
    seconds = len(text.split()) * 60.0 / max(float(pace.get("wpm") or 160), 1.0)
    seconds = min(max(seconds, float(pace.get("min") or 0.0)), float(pace.get("max") or seconds))
    return seconds * PACE_FACTORS.get(str(pace.get("choice") or "usual"), 1.0) * scale


class ScriptedDriver(Controller):
    driver = wc.AUTONOMOUS
    autonomous = True

    def __init__(self, role: str, avatar: int | None = None):
        super().__init__(role, avatar)
        self.state: dict[str, Any] | None = None
        # keyed by (run id, phase id, node): the participant's possible answers at one point of one run
        self._matchers: dict[tuple[Any, Any, Any], IntentMatcher] = {}
        self._hinted: set[tuple[Any, Any, Any]] = set()

    def observe(self, observation: Observation) -> list[Action]:
        event, data = observation.get("event"), observation.get("data") or {}
        if event == wsc.SCENARIO_STATE:
            self.state = data
            mine = (data.get("avatars") or {}).get(self.role)
            if mine is not None:
                self.avatar = mine
            return []
        if event == wc.CONTROLLER and data.get("role") == self.role:
            self.avatar = data.get("avatar", self.avatar)
            return []
        if event == wc.CUE and data.get("role") == self.role:
            if data.get("avatar") is not None:
                self.avatar = data["avatar"]
            return self.speak(data)
        if event == events.SAID:
            return self.heard(data)
        return []

    # --- acting on the script ---------------------------------------------------------------
    def _me(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self.avatar is not None:
            payload["avatar"] = self.avatar
        return payload

    def speak(self, cue: dict[str, Any]) -> list[Action]:
        out: list[Action] = []
        if cue.get("expression"):
            out.append(
                (
                    events.EXPRESSION,
                    self._me({"name": cue["expression"], "intensity": float(cue.get("intensity", 1.0))}),
                )
            )
        if cue.get("gesture") and cue["gesture"] != "none":
            out.append((events.GESTURE, self._me({"name": cue["gesture"]})))
        if cue.get("text"):
            out.append((events.SAY, self._me({"text": cue["text"], "suggestion": cue["id"]})))
        return out

    # --- listening to the participant -------------------------------------------------------------
    def heard(self, line: dict[str, Any]) -> list[Action]:
        st = self.state
        if not st or st.get("wait") != "choice" or line.get("scenario"):
            return []  # not waiting for an answer, or a line the runner already took
        participant = next((r for r, c in (st.get("cast") or {}).items() if c.get("kind") == "participant"), None)
        if participant is None or line.get("avatar") != (st.get("avatars") or {}).get(participant):
            return []
        cue = st.get("cue") or {}
        intents = cue.get("intents") or []
        if not intents:
            return []
        key = (st.get("run"), (st.get("phase") or {}).get("id"), st.get("node"))
        if key not in self._matchers:
            self._matchers[key] = IntentMatcher({i["id"]: [i["text"], *i.get("examples", [])] for i in intents})
        match = self._matchers[key].match(line.get("text") or "")
        roles = cue.get("roles") or {}
        if match.option is not None:
            speaking = any(c.get("primary") for c in roles.get(self.role, []))
            return [(events.GESTURE, self._me({"name": "nod"}))] if speaking else []
        hint = next((c for c in roles.get(self.role, []) if c["id"].endswith("/hint")), None)
        if hint is None or key in self._hinted:
            return []
        self._hinted.add(key)
        return [(events.SAY, self._me({"text": hint["text"], "suggestion": hint["id"]}))]
