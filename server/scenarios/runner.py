"""The scenario runner: one authoritative state machine per room.

`ScenarioRun` is pure and synchronous. Inputs are method calls (start,
choose, answer, cast_said, advance, feedback, stop); each returns a list of
effects for the room to carry out (cast lines to say, faces to show, state
to broadcast, scores, the end). Before a method returns, every transcript
event it produced is appended to the store and the run's state is saved, so
a restarted server continues with `ScenarioRun.resume(run_id, store, scenario)`
exactly where it was.

Cast lines are *cues*: the runner says what the script wants said (`Say`
effects, with a suggestion id). The avatar controller for that cast role
(a peer specialist, or an autonomous driver that speaks cues verbatim) says
it, in the script's words or its own, and reports what was said back with
`cast_said(...)`, which is written to the transcript.
"""

from __future__ import annotations

import copy
import itertools
import re
from dataclasses import asdict, dataclass, field
from typing import Protocol

from wire import errors
from wire.errors import WireError
from wire.scenario import CONTINUE, FEEDBACK_KINDS, SKIP

from .matcher import normalise
from .model import Scenario, applies, pick
from .schema import MAX_SCORE, ROLE_PLAY_KINDS, SCRIPTED_KINDS

STATE_VERSION = 1


class RunStore(Protocol):
    """The slice of server storage the runner uses (server.storage implements it)."""

    def create_run(self, room_id: str, scenario_id: str, difficulty: str,
                   participant_user_id: int | None) -> int: ...

    def save_run_state(self, run_id: int, state: dict, status: str) -> None: ...

    def get_run(self, run_id: int) -> dict | None: ...

    def append_event(self, room_id: str, run_id: int | None, kind: str, actor: str | None, data: dict) -> int: ...

    def run_events(self, run_id: int) -> list[dict]: ...


class MemoryRunStore:
    """An in-memory RunStore for dry runs and tests."""

    def __init__(self):
        self.runs: dict[int, dict] = {}
        self.events: list[dict] = []
        self._ids = itertools.count(1)

    def create_run(self, room_id, scenario_id, difficulty, participant_user_id):
        run_id = next(self._ids)
        self.runs[run_id] = {"run_id": run_id, "room_id": room_id, "scenario_id": scenario_id,
                             "difficulty": difficulty, "participant_user_id": participant_user_id,
                             "state": {}, "status": "active"}
        return run_id

    def save_run_state(self, run_id, state, status):
        self.runs[run_id]["state"] = copy.deepcopy(state)
        self.runs[run_id]["status"] = status

    def get_run(self, run_id):
        run = self.runs.get(run_id)
        return copy.deepcopy(run) if run else None

    def active_runs(self):
        return [copy.deepcopy(r) for r in self.runs.values() if r["status"] == "active"]

    def append_event(self, room_id, run_id, kind, actor, data):
        self.events.append({"id": len(self.events) + 1, "room_id": room_id, "run_id": run_id, "kind": kind,
                            "actor": actor, "data": copy.deepcopy(data)})
        return len(self.events)

    def run_events(self, run_id):
        return [copy.deepcopy(e) for e in self.events if e["run_id"] == run_id]


# --- effects ------------------------------------------------------------------------------------

@dataclass
class Effect:
    @property
    def kind(self) -> str:
        return type(self).__name__.lower()

    def as_dict(self) -> dict:
        return {"effect": self.kind, **asdict(self)}


@dataclass
class Say(Effect):
    """The script wants `cast` to say this now (a cue; the controller speaks it)."""
    cast: str
    text: str
    expression: str = "neutral"
    gesture: str = "none"
    suggestion: str | None = None


@dataclass
class Show(Effect):
    """Set `cast`'s face (emotion-recognition exercise) without a line."""
    cast: str
    expression: str
    intensity: float = 1.0
    gesture: str = "none"


@dataclass
class ParticipantSaid(Effect):
    """The participant's chosen option (or own words): their avatar says it.

    `action` is true for option text in parentheses, e.g. "(You sit down.)": shown, not spoken.
    """
    cast: str
    text: str
    option: str | None = None
    action: bool = False

    def __post_init__(self):
        self.action = self.action or (self.text.startswith("(") and self.text.endswith(")"))


@dataclass
class Scored(Effect):
    what: str            # "step" or "emotion"
    data: dict = field(default_factory=dict)


@dataclass
class StateChanged(Effect):
    """Broadcast the new state: participants get view('participant'), cast controllers view('staff')."""
    phase: str | None
    wait: str


@dataclass
class Finished(Effect):
    status: str          # "finished" | "stopped"
    summary: dict = field(default_factory=dict)


# --- the run ----------------------------------------------------------------------------------------

def _fmt(template: str | None, **values) -> str | None:
    if template is None:
        return None
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), template)


class ScenarioRun:
    def __init__(self, run_id: int, store: RunStore, scenario: Scenario, difficulty: str, room_id: str,
                 state: dict | None = None, participant_user_id: int | None = None):
        if difficulty not in scenario.difficulties:
            raise WireError(errors.INVALID, f"Difficulty must be one of: {', '.join(scenario.difficulties)}.")
        self.run_id = run_id
        self.store = store
        self.scenario = scenario
        self.difficulty = difficulty
        self.room_id = room_id
        self.participant_user_id = participant_user_id
        self.state = state or self._fresh_state()
        self._pending: list[tuple[str, str | None, dict]] = []

    # --- construction ---------------------------------------------------------------------
    @classmethod
    def create(cls, store: RunStore, room_id: str, scenario: Scenario, difficulty: str,
               participant_user_id: int | None = None, participant_name: str | None = None) -> "ScenarioRun":
        """A new run; `participant_name` fills '{name}' in lines and options (default: the cast name)."""
        if difficulty not in scenario.difficulties:
            raise WireError(errors.INVALID, f"Difficulty must be one of: {', '.join(scenario.difficulties)}.")
        run_id = store.create_run(room_id, scenario.id, difficulty, participant_user_id)
        run = cls(run_id, store, scenario, difficulty, room_id, participant_user_id=participant_user_id)
        if participant_name:
            run.state["name"] = participant_name[:40]
        store.save_run_state(run_id, run.state, "active")
        return run

    @classmethod
    def resume(cls, run_id: int, store: RunStore, scenario: Scenario) -> "ScenarioRun":
        row = store.get_run(run_id)
        if row is None:
            raise WireError(errors.NOT_FOUND, "That scenario run no longer exists.")
        if row["scenario_id"] != scenario.id:
            raise WireError(errors.CONFLICT, "That run belongs to a different scenario.")
        state = copy.deepcopy(row.get("state") or {})
        run = cls(run_id, store, scenario, row["difficulty"], row["room_id"], state or None,
                  participant_user_id=row.get("participant_user_id"))
        if state and state.get("scenario_hash") != scenario.content_hash:
            run._repair()
        return run

    def _fresh_state(self) -> dict:
        return {"v": STATE_VERSION, "scenario": self.scenario.id, "scenario_hash": self.scenario.content_hash,
                "status": "ready", "phase": -1, "wait": "start", "node": None, "item": 0, "prompt": 0,
                "misses": 0, "step": 0, "ratings": {}, "emotion": {"correct": 0, "total": 0, "answers": []},
                "endings": [], "phases_done": [], "feedback": {"positive": 0, "corrective": 0},
                "homework": None, "line": None, "note": None, "last_ending": None,
                "name": self.scenario.cast[self.scenario.participant_role]["name"]}

    def _repair(self):
        """The scenario file changed since the run was saved: keep the phase if it still exists."""
        st = self.state
        st["scenario_hash"] = self.scenario.content_hash
        if st["status"] != "active":
            return
        phases = self.scenario.phases
        if not 0 <= st["phase"] < len(phases):
            st["phase"] = len(phases) - 1
        phase = phases[st["phase"]]
        if phase["kind"] in ROLE_PLAY_KINDS and st["wait"] == "choice" and st["node"] not in self.scenario.nodes(phase):
            st["node"] = self.scenario.start(phase)
            st["misses"] = 0
        if phase["kind"] == "emotion_recognition":
            st["item"] = min(st["item"], len(self.scenario.items(phase, self.difficulty)) - 1)
        self._event("resumed_changed", None, {"phase": phase["id"]})
        self.store.save_run_state(self.run_id, self.state, "active")
        self._flush()

    # --- properties ----------------------------------------------------------------------------
    @property
    def status(self) -> str:
        return self.state["status"]

    @property
    def finished(self) -> bool:
        return self.state["status"] in ("finished", "stopped")

    @property
    def phase(self) -> dict | None:
        i = self.state["phase"]
        return self.scenario.phases[i] if 0 <= i < len(self.scenario.phases) else None

    @property
    def wait(self) -> str:
        return self.state["wait"]

    def _node(self) -> dict | None:
        phase = self.phase
        if phase and phase["kind"] in ROLE_PLAY_KINDS and self.state["node"]:
            return self.scenario.nodes(phase).get(self.state["node"])
        return None

    def _item(self) -> dict | None:
        phase = self.phase
        if phase and phase["kind"] == "emotion_recognition":
            items = self.scenario.items(phase, self.difficulty)
            if self.state["item"] < len(items):
                return items[self.state["item"]]
        return None

    def _pick(self, value):
        return pick(value, self.difficulty)

    def _t(self, value) -> str | None:
        """Text for this difficulty with '{name}' filled in."""
        return _fmt(pick(value, self.difficulty), name=self.state.get("name") or "")

    # --- persistence -------------------------------------------------------------------------------
    def _event(self, kind: str, actor: str | None, data: dict):
        self._pending.append((kind, actor, data))

    def _flush(self):
        for kind, actor, data in self._pending:
            self.store.append_event(self.room_id, self.run_id, kind, actor, data)
        self._pending.clear()

    def _commit(self, effects: list[Effect]) -> list[Effect]:
        """Write the step's events and state; only then hand the effects back."""
        self.state["step"] += 1
        self._flush()
        db_status = "active" if self.state["status"] in ("ready", "active") else self.state["status"]
        self.store.save_run_state(self.run_id, self.state, db_status)
        phase = self.phase
        effects.append(StateChanged(phase["id"] if phase else None, self.state["wait"]))
        return effects

    def _require_active(self):
        if self.state["status"] == "ready":
            raise WireError(errors.CONFLICT, "The scenario has not started yet.")
        if self.finished:
            raise WireError(errors.CONFLICT, "This scenario has already ended.")

    # --- inputs -----------------------------------------------------------------------------------------
    def start(self, actor: str | None = None) -> list[Effect]:
        if self.state["status"] != "ready":
            raise WireError(errors.CONFLICT, "This scenario has already started.")
        self.state["status"] = "active"
        self._event("started", actor, {"scenario": self.scenario.id, "difficulty": self.difficulty,
                                       "scenario_hash": self.scenario.content_hash})
        effects: list[Effect] = []
        self._enter_phase(0, effects)
        return self._commit(effects)

    def choose(self, option_id: str, actor: str | None = None) -> list[Effect]:
        self._require_active()
        wait = self.state["wait"]
        effects: list[Effect] = []
        self.state["note"] = None
        if wait in ("continue", "ended"):
            if option_id != CONTINUE:
                raise WireError(errors.INVALID, "Choose 'continue' to go on.")
            self._event("continue", actor, {"phase": self.phase["id"]})
            self._next_phase(effects)
        elif wait == "choice":
            options = {o["id"]: o for o in self.scenario.options(self._node(), self.difficulty)}
            if option_id not in options:
                raise WireError(errors.INVALID, "That option is not offered now. Allowed: " + ", ".join(options) + ".")
            opt = options[option_id]
            self._take_option(opt, self._t(opt["text"]), "choice", actor, effects)
        elif wait == "emotion":
            phase = self.phase
            if option_id not in phase["emotions"]:
                raise WireError(errors.INVALID, "Choose one of: " + ", ".join(phase["emotions"]) + ".")
            self._answer_emotion(option_id, option_id, actor, effects)
        elif wait == "reflection":
            if option_id != SKIP:
                raise WireError(errors.INVALID, "Type your answer, or choose 'skip'.")
            self._event("reflection", actor, {"phase": self.phase["id"], "prompt": self.state["prompt"],
                                              "skipped": True})
            self._next_prompt(effects)
        else:  # pragma: no cover - every active wait is handled above
            raise WireError(errors.CONFLICT, "Nothing to choose right now.")
        return self._commit(effects)

    def answer(self, text: str, actor: str | None = None) -> list[Effect]:
        self._require_active()
        text = (text or "").strip()
        if not text:
            raise WireError(errors.INVALID, "Type a few words first.")
        wait = self.state["wait"]
        effects: list[Effect] = []
        self.state["note"] = None
        if wait == "choice":
            node = self._node()
            if not node["free_text"]:
                raise WireError(errors.INVALID, "Please pick one of the options.")
            match = self.scenario.matcher(self.phase, self.state["node"], self.difficulty).match(text)
            if match.option is None:
                self.state["misses"] += 1
                self._event("no_match", actor, {"phase": self.phase["id"], "node": self.state["node"],
                                                "text": text, "score": round(match.score, 3)})
                effects.append(ParticipantSaid(self.scenario.participant_role, text, None))
                no_match = node.get("no_match")
                if no_match:
                    effects.append(Say(node["cast"], self._t(no_match["say"]),
                                       self._pick(no_match.get("expression")) or self._pick(node["expression"]),
                                       self._pick(no_match.get("gesture")) or "none",
                                       f"{self.phase['id']}/{self.state['node']}/no_match"))
                self.state["note"] = "no_match"
            else:
                opt = next(o for o in node["options"] if o["id"] == match.option)
                self._take_option(opt, text, "text", actor, effects, round(match.score, 3))
        elif wait == "emotion":
            self._answer_emotion(None, text, actor, effects)
        elif wait == "reflection":
            self._event("reflection", actor, {"phase": self.phase["id"], "prompt": self.state["prompt"],
                                              "text": text})
            self._next_prompt(effects)
        else:
            raise WireError(errors.CONFLICT, "There is no question to answer right now; choose 'continue'.")
        return self._commit(effects)

    def cast_said(self, cast_role: str, text: str, suggestion_id: str | None = None,
                  actor: str | None = None) -> list[Effect]:
        """A cast avatar spoke (a cue verbatim, or the teleoperator's own words): transcript it."""
        if cast_role not in self.scenario.cast or cast_role == self.scenario.participant_role:
            raise WireError(errors.INVALID, "Unknown cast role.")
        cue = self._cue_by_id(suggestion_id) if suggestion_id else None
        verbatim = bool(cue and normalise(cue["text"]) == normalise(text))
        self._event("said", actor, {"cast": cast_role, "text": text, "suggestion": suggestion_id,
                                    "verbatim": verbatim})
        if cue and cue.get("feedback") and not self.finished:
            self._record_feedback(cue["feedback"], text, actor, via=suggestion_id)
        self._flush()
        self.store.save_run_state(self.run_id, self.state,
                                  "active" if not self.finished else self.state["status"])
        return []

    def advance(self, actor: str | None = None) -> list[Effect]:
        """Staff moves the session on to the next phase (skipping what is left of this one)."""
        self._require_active()
        phase = self.phase
        self._event("advance", actor, {"phase": phase["id"], "wait": self.state["wait"],
                                       "node": self.state["node"]})
        effects: list[Effect] = []
        if phase["kind"] in ROLE_PLAY_KINDS and self.state["wait"] == "choice":
            self.state["endings"].append({"phase": phase["id"], "ending": None})
        self._next_phase(effects)
        return self._commit(effects)

    def feedback(self, kind: str, text: str, actor: str | None = None) -> list[Effect]:
        """A coach's feedback, tagged positive or corrective (for fidelity)."""
        self._require_active()
        if kind not in FEEDBACK_KINDS:
            raise WireError(errors.INVALID, "Feedback kind must be positive or corrective.")
        self._record_feedback(kind, text, actor)
        return self._commit([])

    def stop(self, actor: str | None = None) -> list[Effect]:
        if self.finished:
            raise WireError(errors.CONFLICT, "This scenario has already ended.")
        self.state["status"] = "stopped"
        self.state["wait"] = "done"
        summary = self.summary()
        self._event("stopped", actor, {"phase": self.phase["id"] if self.phase else None, "summary": summary})
        return self._commit([Finished("stopped", summary)])

    # --- phase machinery ---------------------------------------------------------------------------------
    def _say_line(self, line: dict, suggestion: str, effects: list[Effect]):
        effects.append(Say(line["cast"], self._t(line["text"]), self._pick(line.get("expression")) or "neutral",
                           self._pick(line.get("gesture")) or "none", suggestion))

    def _enter_phase(self, index: int, effects: list[Effect]):
        st = self.state
        st.update(phase=index, node=None, item=0, prompt=0, misses=0, note=None, line=None)
        phase = self.phase
        kind = phase["kind"]
        self._event("phase", None, {"phase": phase["id"], "kind": kind, "index": index})
        for j, line in enumerate(phase.get("lines") or []):
            if applies(line, self.difficulty):
                self._say_line(line, f"{phase['id']}/line/{j}", effects)
        if kind == "skill_steps" and not phase.get("lines"):
            coach = self.scenario.coach_role
            for n, step in enumerate(self.scenario.steps, 1):
                effects.append(Say(coach, f"{n}. {step['text']}", "neutral", "none", f"{phase['id']}/step/{step['id']}"))
        if kind in SCRIPTED_KINDS:
            st["wait"] = "continue"
            if kind == "feedback":
                for cue in self._feedback_cues(phase):
                    effects.append(Say(cue["cast"], cue["text"], cue["expression"], cue["gesture"], cue["id"]))
            if kind == "homework":
                st["homework"] = self._pick(phase["assignment"])
                self._event("homework", None, {"phase": phase["id"], "text": st["homework"]})
        elif kind in ROLE_PLAY_KINDS:
            st["wait"] = "choice"
            st["ratings"][phase["id"]] = {s["id"]: [] for s in self.scenario.steps}
            self._enter_node(self.scenario.start(phase), effects)
        elif kind == "emotion_recognition":
            st["wait"] = "emotion"
            self._show_item(effects)
        elif kind == "reflection":
            st["wait"] = "reflection"

    def _next_phase(self, effects: list[Effect]):
        st = self.state
        st["phases_done"].append(self.phase["id"])
        if st["phase"] + 1 < len(self.scenario.phases):
            self._enter_phase(st["phase"] + 1, effects)
            return
        st["status"] = "finished"
        st["wait"] = "done"
        st["line"] = None
        summary = self.summary()
        self._event("finished", None, {"summary": summary})
        effects.append(Finished("finished", summary))

    def _enter_node(self, node_id: str, effects: list[Effect]):
        st = self.state
        phase = self.phase
        node = self.scenario.nodes(phase)[node_id]
        st["node"] = node_id
        st["misses"] = 0
        say = Say(node["cast"], self._t(node["say"]), self._pick(node["expression"]) or "neutral",
                  self._pick(node["gesture"]) or "none", f"{phase['id']}/{node_id}")
        st["line"] = asdict(say)
        self._event("node", None, {"phase": phase["id"], "node": node_id})
        effects.append(say)
        if node.get("end"):
            st["wait"] = "ended"
            st["last_ending"] = node["end"]
            st["endings"].append({"phase": phase["id"], "ending": node["end"]})
            self._event("ending", None, {"phase": phase["id"], "ending": node["end"],
                                         "scores": self.scores().get(phase["id"], {})})

    def _take_option(self, opt: dict, said: str, via: str, actor, effects: list[Effect], match: float | None = None):
        phase = self.phase
        data = {"phase": phase["id"], "node": self.state["node"], "option": opt["id"], "via": via, "text": said}
        if match is not None:
            data["match"] = match
        self._event("choice", actor, data)
        effects.append(ParticipantSaid(self.scenario.participant_role, said, opt["id"]))
        ratings = self.state["ratings"].setdefault(phase["id"], {})
        for step, points in opt["score"].items():
            self._event("score", None, {"phase": phase["id"], "step": step, "points": points,
                                        "max": MAX_SCORE, "option": opt["id"]})
            ratings.setdefault(step, []).append(points)
            effects.append(Scored("step", {"phase": phase["id"], "step": step, "points": points}))
        self._enter_node(self._pick(opt["next"]), effects)

    # emotion recognition
    def _show_item(self, effects: list[Effect]):
        phase = self.phase
        item = self._item()
        if item is None:
            self._next_phase(effects)
            return
        self.state["misses"] = 0
        intensity = float(self._pick(item["intensity"]))
        effects.append(Show(phase["cast"], item["expression"], intensity, self._pick(item["gesture"]) or "none"))
        said = self._t(item.get("say"))
        self.state["line"] = {"cast": phase["cast"], "text": said or "", "expression": item["expression"],
                              "gesture": self._pick(item["gesture"]) or "none", "intensity": intensity,
                              "suggestion": f"{phase['id']}/{item['id']}"}
        if said:
            effects.append(Say(phase["cast"], said, item["expression"], self._pick(item["gesture"]) or "none",
                               f"{phase['id']}/{item['id']}"))
        self._event("show_face", None, {"phase": phase["id"], "item": item["id"],
                                        "expression": item["expression"], "intensity": intensity})

    def _emotion_named(self, text: str) -> list[str]:
        phase, item = self.phase, self._item()
        words = f" {normalise(text)} "
        found = []
        for emotion, names in phase["emotions"].items():
            extra = item["accept"] if emotion == item["expression"] else []
            if any(f" {normalise(n)} " in words for n in [emotion, *names, *extra] if normalise(n)):
                found.append(emotion)
        return found

    def _answer_emotion(self, emotion: str | None, text: str, actor, effects: list[Effect]):
        phase, item = self.phase, self._item()
        if emotion is None:
            found = self._emotion_named(text)
            if len(found) != 1:
                self.state["misses"] += 1
                self.state["note"] = "unclear_emotion"
                self._event("emotion_unclear", actor, {"phase": phase["id"], "item": item["id"], "text": text})
                return
            emotion = found[0]
        correct = emotion == item["expression"]
        st = self.state
        st["emotion"]["total"] += 1
        st["emotion"]["correct"] += int(correct)
        record = {"phase": phase["id"], "item": item["id"], "expected": item["expression"], "given": emotion,
                  "correct": correct, "intensity": float(self._pick(item["intensity"]))}
        st["emotion"]["answers"].append({k: record[k] for k in ("item", "expected", "given", "correct")})
        self._event("emotion_answer", actor, {**record, "text": text})
        effects.append(Scored("emotion", record))
        coach = phase.get("coach") or self.scenario.coach_role
        lead = self._pick(phase.get("right") if correct else phase.get("wrong"))
        said = " ".join(t for t in (_fmt(lead, answer=item["expression"], given=emotion),
                                    self._pick(item["explain"])) if t)
        effects.append(Say(coach, said, "happy" if correct else "neutral", "nod" if correct else "none",
                           f"{phase['id']}/{item['id']}/explain"))
        st["item"] += 1
        self._show_item(effects)

    # reflection
    def _next_prompt(self, effects: list[Effect]):
        self.state["prompt"] += 1
        if self.state["prompt"] >= len(self.phase["prompts"]):
            self._next_phase(effects)

    # feedback
    def _last_role_play_scores(self) -> dict[str, int] | None:
        scores = self.scores()
        for pid in reversed(self.state["phases_done"]):
            if pid in scores:
                return scores[pid]
        return None

    def _feedback_cues(self, phase: dict) -> list[dict]:
        """Positive and corrective feedback suggested from the last role-play's step scores."""
        scores = self._last_role_play_scores()
        if scores is None:
            return []
        order = {s["id"]: i for i, s in enumerate(self.scenario.steps)}
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], order.get(kv[0], 0)))
        cast = phase.get("cast") or self.scenario.coach_role
        cues = []
        best = next((self.scenario.step(s) for s, pts in ranked if pts > 0 and self.scenario.step(s).get("praise")),
                    None)
        if best:
            text = _fmt(self._pick(phase.get("positive")) or "{praise}", praise=best["praise"])
            cues.append({"id": f"{phase['id']}/positive", "cast": cast, "text": text, "expression": "happy",
                         "gesture": "thumbs_up", "feedback": "positive", "step": best["id"]})
        worst = next((self.scenario.step(s) for s, pts in reversed(ranked)
                      if pts < MAX_SCORE and self.scenario.step(s).get("tip")), None)
        stretch = self._t(phase.get("stretch"))
        if worst is None and stretch:
            cues.append({"id": f"{phase['id']}/corrective", "cast": cast, "text": stretch, "expression": "happy",
                         "gesture": "nod", "feedback": "corrective", "step": None})
        if worst:
            text = _fmt(self._pick(phase.get("corrective")) or "{tip}", tip=worst["tip"])
            cues.append({"id": f"{phase['id']}/corrective", "cast": cast, "text": text, "expression": "neutral",
                         "gesture": "nod", "feedback": "corrective", "step": worst["id"]})
        return cues

    def _record_feedback(self, kind: str, text: str, actor, via: str | None = None):
        self.state["feedback"][kind] += 1
        phase = self.phase
        self._event("feedback", actor, {"kind": kind, "text": text, "phase": phase["id"] if phase else None,
                                        "suggestion": via})

    # --- views for clients and controllers -----------------------------------------------------------
    def _options(self) -> list[dict]:
        wait = self.state["wait"]
        if wait in ("continue", "ended"):
            return [{"id": CONTINUE, "text": "Continue"}]
        if wait == "choice":
            return [{"id": o["id"], "text": self._t(o["text"])} for o in self.scenario.options(self._node(), self.difficulty)]
        if wait == "emotion":
            return [{"id": e, "text": e} for e in self.phase["emotions"]]
        if wait == "reflection":
            return [{"id": SKIP, "text": "Skip"}]
        return []

    def _hints(self) -> list[str]:
        policy = self.scenario.data["difficulty"][self.difficulty]["hints"]
        source = self._node() if self.state["wait"] == "choice" else self._item()
        hint = self._pick(source.get("hint")) if source else None
        if not hint or policy == "off" or (policy == "after_miss" and not self.state["misses"]):
            return []
        return [hint]

    def _prompt(self) -> str | None:
        wait = self.state["wait"]
        if wait == "choice":
            return self._pick(self._node().get("prompt"))
        if wait == "emotion":
            return self._pick(self.phase.get("prompt"))
        if wait == "reflection":
            return self._pick(self.phase["prompts"][self.state["prompt"]])
        return None

    def view(self, audience: str = "participant") -> dict:
        """The `scenario_state` payload. audience 'staff' adds the cue palette for cast controllers."""
        st = self.state
        phase = self.phase
        phases = self.scenario.phases
        ending = self.scenario.data["endings"].get(st["last_ending"]) if st["wait"] == "ended" else None
        out = {
            "run": self.run_id, "scenario": self.scenario.id, "title": self.scenario.title,
            "difficulty": self.difficulty, "status": st["status"], "wait": st["wait"],
            "phase": ({"id": phase["id"], "kind": phase["kind"], "title": phase.get("title") or "",
                       "index": st["phase"], "count": len(phases)} if phase else None),
            "phases": [{"id": p["id"], "kind": p["kind"], "title": p.get("title") or ""} for p in phases],
            "node": st["node"],
            "line": st["line"],
            "prompt": self._prompt() if not self.finished else None,
            "options": self._options() if not self.finished else [],
            "free_text": bool(st["wait"] in ("emotion", "reflection")
                              or (st["wait"] == "choice" and self._node()["free_text"])),
            "hints": self._hints() if not self.finished else [],
            "note": st["note"],
            "ending": {"id": st["last_ending"], **ending} if ending else None,
            "homework": st["homework"],
            "scores": self.scores(),
            "emotion": {"correct": st["emotion"]["correct"], "total": st["emotion"]["total"]},
            "cast": {r: {"kind": c["kind"], "name": c["name"]} for r, c in self.scenario.cast.items()},
        }
        if audience == "staff":
            out["cue"] = self.cue()
        return out

    def scores(self) -> dict:
        """Skill-step scores per role-play phase: {phase: {step: points}}, 0..MAX_SCORE.

        A step's score is the mean of the ratings its chosen options gave it in that
        role-play (one decimal); a step never performed scores 0.
        """
        return {pid: {step: round(sum(r) / len(r), 1) if r else 0 for step, r in steps.items()}
                for pid, steps in self.state["ratings"].items()}

    def summary(self) -> dict:
        st = self.state
        total = st["emotion"]["total"]
        return {"scenario": self.scenario.id, "difficulty": self.difficulty,
                "phases": list(st["phases_done"]), "scores": self.scores(), "max_score": MAX_SCORE,
                "endings": list(st["endings"]),
                "emotion": {"correct": st["emotion"]["correct"], "total": total,
                            "accuracy": round(st["emotion"]["correct"] / total, 3) if total else None},
                "feedback": dict(st["feedback"]), "homework": st["homework"]}

    def cue(self) -> dict:
        """For each cast role, what the script suggests now; a scripted driver says the first `primary` one.

        {"roles": {role: [{id, text, expression, gesture, primary, feedback?}]},
         "intents": [{id, text, examples, next}]   # what the participant may answer (role-play)
         "expect": the participant's wait state}
        """
        roles: dict[str, list[dict]] = {r: [] for r, c in self.scenario.cast.items() if c["kind"] != "participant"}
        phase = self.phase
        intents: list[dict] = []
        if phase is not None and not self.finished:
            wait = self.state["wait"]
            if wait in ("choice", "ended"):
                node = self._node()
                nid = self.state["node"]
                cast = node["cast"]
                roles[cast].append(self._cue(f"{phase['id']}/{nid}", node["say"], node["expression"],
                                             node["gesture"], True))
                for k, alt in enumerate(node.get("alternatives") or []):
                    roles[cast].append(self._cue(f"{phase['id']}/{nid}/alt/{k}", alt, node["expression"],
                                                 node["gesture"], False))
                if node.get("no_match"):
                    nm = node["no_match"]
                    roles[cast].append(self._cue(f"{phase['id']}/{nid}/no_match", nm["say"],
                                                 nm.get("expression") or node["expression"],
                                                 nm.get("gesture") or "none", False))
                coach = self.scenario.coach_role
                if node.get("hint") and coach:
                    roles[coach].append(self._cue(f"{phase['id']}/{nid}/hint", node["hint"], "neutral", "none", False))
                if wait == "choice":
                    intents = [{"id": o["id"], "text": self._t(o["text"]), "examples": list(o["examples"]),
                                "next": self._pick(o["next"])}
                               for o in self.scenario.options(node, self.difficulty)]
            elif wait == "emotion" and self._item():
                item = self._item()
                line = self.state["line"]
                roles[phase["cast"]].append({**self._cue(f"{phase['id']}/{item['id']}", item.get("say") or "",
                                                         item["expression"], item["gesture"], True),
                                             "intensity": line["intensity"] if line else 1.0})
                if item.get("hint") and self.scenario.coach_role:
                    roles[self.scenario.coach_role].append(
                        self._cue(f"{phase['id']}/{item['id']}/hint", item["hint"], "neutral", "none", False))
                intents = [{"id": e, "text": e, "examples": list(n)} for e, n in phase["emotions"].items()]
            else:
                for j, line in enumerate(phase.get("lines") or []):
                    if applies(line, self.difficulty):
                        roles[line["cast"]].append(self._cue(f"{phase['id']}/line/{j}", line["text"],
                                                             line.get("expression"), line.get("gesture"), True))
                if phase["kind"] == "feedback":
                    for c in self._feedback_cues(phase):
                        roles[c["cast"]].append({k: c[k] for k in ("id", "text", "expression", "gesture", "feedback")}
                                                | {"primary": True})
        return {"roles": roles, "intents": intents, "expect": self.state["wait"]}

    def _cue(self, cid, text, expression, gesture, primary) -> dict:
        return {"id": cid, "text": self._t(text) or "", "expression": self._pick(expression) or "neutral",
                "gesture": self._pick(gesture) or "none", "primary": primary}

    def _cue_by_id(self, suggestion_id: str) -> dict | None:
        if self.finished or self.phase is None:
            return None
        for cues in self.cue()["roles"].values():
            for c in cues:
                if c["id"] == suggestion_id:
                    return c
        # a phase's opening lines (role-play phases list only the node's cues)
        phase = self.phase
        for j, pl in enumerate(phase.get("lines") or []):
            if f"{phase['id']}/line/{j}" == suggestion_id and applies(pl, self.difficulty):
                return {"id": suggestion_id, "text": self._t(pl["text"]) or ""}
        # cues already spoken this step (e.g. the node line just said, an explanation)
        line = self.state.get("line")
        if line and line.get("suggestion") == suggestion_id:
            return {"id": suggestion_id, "text": line["text"]}
        return None
