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

What differs between phase kinds (role-play, emotion recognition, reflection, the scripted SST phases)
lives in phases.py, one `PhaseKind` class per kind; the run asks the current phase's kind. What the run
waits for is a `wire.scenario.Wait`, stored (and sent) as its plain string value.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, Protocol, TypedDict

from wire import errors
from wire.errors import WireError
from wire.scenario import END, FEEDBACK_KINDS, PACES, RESUME, SELF_RATING_MAX, Wait

from . import answer_risk
from .effects import Effect, Face, Finished, ParticipantSaid, Say, Scored, Show, StateChanged
from .matcher import normalise
from .model import Scenario, applies, pick
from .phases import Beat, PhaseKind, fill, kind_of
from .schema import DEFAULT_PACE, MAX_SCORE

__all__ = [
    "Effect",
    "Finished",
    "MemoryRunStore",
    "ParticipantSaid",
    "RunStore",
    "Say",
    "ScenarioRun",
    "Scored",
    "Show",
    "StateChanged",
    "STATE_VERSION",
]

STATE_VERSION = 1
CHECK_IN = "pause/check_in"  # the cue id of the coach's check-in when a crisis phrase stops the scene
CLOSING = "pause/closing"  # the cue id of the coach's kind last line when a paused run ends
URGENT = (CHECK_IN, CLOSING)  # lines said at once, never queued behind owed lines (a crisis stops the scene)


class CuePalette(TypedDict):
    """`ScenarioRun.cue()`: what the script suggests now (see there)."""

    roles: dict[str, list[dict[str, Any]]]
    intents: list[dict[str, Any]]
    expect: str


class RunStore(Protocol):
    """The slice of server storage the runner uses (server.storage implements it)."""

    def create_run(self, room_id: str, scenario_id: str, difficulty: str, participant_user_id: int | None) -> int: ...

    def save_run_state(self, run_id: int, state: dict[str, Any], status: str) -> None: ...

    def get_run(self, run_id: int) -> dict[str, Any] | None: ...

    def append_event(
        self, room_id: str, run_id: int | None, kind: str, actor: str | None, data: dict[str, Any]
    ) -> int | None: ...

    def run_events(self, run_id: int) -> list[dict[str, Any]]: ...


class MemoryRunStore:
    """An in-memory RunStore for dry runs and tests."""

    def __init__(self) -> None:
        self.runs: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def create_run(self, room_id: str, scenario_id: str, difficulty: str, participant_user_id: int | None) -> int:
        run_id = next(self._ids)
        self.runs[run_id] = {
            "run_id": run_id,
            "room_id": room_id,
            "scenario_id": scenario_id,
            "difficulty": difficulty,
            "participant_user_id": participant_user_id,
            "state": {},
            "status": "active",
        }
        return run_id

    def save_run_state(self, run_id: int, state: dict[str, Any], status: str) -> None:
        self.runs[run_id]["state"] = copy.deepcopy(state)
        self.runs[run_id]["status"] = status

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        run = self.runs.get(run_id)
        return copy.deepcopy(run) if run else None

    def active_runs(self) -> list[dict[str, Any]]:
        return [copy.deepcopy(r) for r in self.runs.values() if r["status"] == "active"]

    def append_event(self, room_id: str, run_id: int | None, kind: str, actor: str | None, data: dict[str, Any]) -> int:
        self.events.append(
            {
                "id": len(self.events) + 1,
                "room_id": room_id,
                "run_id": run_id,
                "kind": kind,
                "actor": actor,
                "data": copy.deepcopy(data),
            }
        )
        return len(self.events)

    def run_events(self, run_id: int) -> list[dict[str, Any]]:
        return [copy.deepcopy(e) for e in self.events if e["run_id"] == run_id]


# --- the run ----------------------------------------------------------------------------------------


class ScenarioRun:
    def __init__(
        self,
        run_id: int,
        store: RunStore,
        scenario: Scenario,
        difficulty: str,
        room_id: str,
        state: dict[str, Any] | None = None,
        participant_user_id: int | None = None,
    ):
        if difficulty not in scenario.difficulties:
            raise WireError(errors.INVALID, f"Difficulty must be one of: {', '.join(scenario.difficulties)}.")
        self.run_id = run_id
        self.store = store
        self.scenario = scenario
        self.difficulty = difficulty
        self.room_id = room_id
        self.participant_user_id = participant_user_id
        self.state: dict[str, Any] = state or self._fresh_state()
        self._pending: list[tuple[str, str | None, dict[str, Any]]] = []
        # typed answers: the risk lists (the room sets the deployment's file), the safety list's crisis
        # matcher (set by the room; never scored), and whether a specialist in the room can review an
        # answer the matcher is unsure of (set for each answer by the room)
        self.risk: answer_risk.AnswerRisk = answer_risk.shipped()
        self.crisis: Callable[[str], bool] | None = None
        self.reviewer = False
        self.heard: float | None = None  # a spoken answer: the recogniser's confidence (set for each answer)
        # A paced run (a room's, ScenarioRooms) keeps each step's lines as owed lines in its state: the room
        # cues them one at a time and offers the participant nothing until the last was said. Unpaced (a dry
        # run, the fidelity bench, the runner's own tests), lines count as said the moment they are returned.
        self.paced = False

    # --- construction ---------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        store: RunStore,
        room_id: str,
        scenario: Scenario,
        difficulty: str,
        participant_user_id: int | None = None,
        participant_name: str | None = None,
    ) -> ScenarioRun:
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
    def resume(cls, run_id: int, store: RunStore, scenario: Scenario) -> ScenarioRun:
        row = store.get_run(run_id)
        if row is None:
            raise WireError(errors.NOT_FOUND, "That scenario run no longer exists.")
        if row["scenario_id"] != scenario.id:
            raise WireError(errors.CONFLICT, "That run belongs to a different scenario.")
        state = copy.deepcopy(row.get("state") or {})
        run = cls(
            run_id,
            store,
            scenario,
            row["difficulty"],
            row["room_id"],
            state or None,
            participant_user_id=row.get("participant_user_id"),
        )
        for key, value in run._fresh_state().items():  # a state saved before these keys existed
            if key in ("owed", "owed_n", "beat_lines", "beat", "held", "pace", "homework_answer", "self_ratings"):
                run.state.setdefault(key, value)
        if state and state.get("scenario_hash") != scenario.content_hash:
            run._repair()
        return run

    def _fresh_state(self) -> dict[str, Any]:
        return {
            "v": STATE_VERSION,
            "scenario": self.scenario.id,
            "scenario_hash": self.scenario.content_hash,
            "status": "ready",
            "phase": -1,
            "wait": Wait.START.value,
            "node": None,
            "item": 0,
            "prompt": 0,
            "misses": 0,
            "step": 0,
            "ratings": {},
            "emotion": {"correct": 0, "total": 0, "answers": []},
            "endings": [],
            "phases_done": [],
            "feedback": {"positive": 0, "corrective": 0},
            "homework": None,
            "homework_answer": None,  # a homework_review phase's answer so far: {status}
            "self_ratings": {},  # role-play phase id -> the participant's own 0-10 rating of how it went
            "line": None,
            "note": None,
            "last_ending": None,
            "name": self.scenario.cast[self.scenario.participant_role]["name"],
            "owed": [],  # the lines (and faces) still to be delivered, in order (paced runs)
            "owed_n": 0,  # numbers owed lines: a cue is matched to its line by this number
            "beat_lines": [],  # the lines of the last beat or node, for scenario_repeat
            "beat": 0,  # the beat of the phase being delivered (lines up to a `beat_end: true`)
            "held": None,  # a staff pause (scenario_pause): who held the scene
            "pace": self._pace("usual"),
        }

    def _pace(self, choice: str) -> dict[str, Any]:
        pace = dict(DEFAULT_PACE) | dict(self.scenario.data.get("pace") or {})
        return {"wpm": pace["wpm"], "min": pace["min_seconds"], "max": pace["max_seconds"], "choice": choice}

    def _repair(self) -> None:
        """The scenario file changed since the run was saved: keep the phase if it still exists."""
        st = self.state
        st["scenario_hash"] = self.scenario.content_hash
        if st["status"] != "active":
            return
        phases = self.scenario.phases
        if not 0 <= st["phase"] < len(phases):
            st["phase"] = len(phases) - 1
        phase = phases[st["phase"]]
        kind_of(phase).repair(self, phase)
        # fewer beats in the phase now: the run is at its last one ('continue' moves on)
        st["beat"] = min(st.get("beat", 0), len(self.beats(phase)) - 1)
        self.event("resumed_changed", None, {"phase": phase["id"]})
        self.store.save_run_state(self.run_id, self.state, "active")
        self._flush()

    # --- properties ----------------------------------------------------------------------------
    @property
    def status(self) -> str:
        status: str = self.state["status"]
        return status

    @property
    def finished(self) -> bool:
        return self.state["status"] in ("finished", "stopped")

    @property
    def phase(self) -> dict[str, Any] | None:
        i = self.state["phase"]
        return self.scenario.phases[i] if 0 <= i < len(self.scenario.phases) else None

    @property
    def wait(self) -> Wait:
        return Wait(self.state["wait"])

    def set_wait(self, wait: Wait) -> None:
        self.state["wait"] = wait.value  # the plain string: stored state and the wire stay as they were

    @property
    def current(self) -> dict[str, Any]:
        """The phase being played (phase kinds are asked only while there is one)."""
        phase = self.phase
        if phase is None:
            raise WireError(errors.CONFLICT, "The scenario has not started yet.")
        return phase

    @property
    def kind(self) -> PhaseKind:
        """The kind of the phase being played."""
        return kind_of(self.current)

    def pick(self, value: Any) -> Any:
        """A value for this run's difficulty."""
        return pick(value, self.difficulty)

    def text(self, value: Any) -> str | None:
        """Text for this difficulty with '{name}' filled in."""
        return fill(pick(value, self.difficulty), name=self.state.get("name") or "")

    def required_text(self, value: Any) -> str:
        """`text(value)` where the scenario schema requires the text (a line's `text`, a node's `say`)."""
        text = self.text(value)
        assert text is not None, "the scenario schema requires this text"
        return text

    # --- persistence -------------------------------------------------------------------------------
    def event(self, kind: str, actor: str | None, data: dict[str, Any]) -> None:
        """A transcript event, written with the step's state when the step commits."""
        self._pending.append((kind, actor, data))

    def _flush(self) -> None:
        for kind, actor, data in self._pending:
            self.store.append_event(self.room_id, self.run_id, kind, actor, data)
        self._pending.clear()

    def _commit(self, effects: list[Effect], queue: bool = True) -> list[Effect]:
        """Write the step's events and state; only then hand the effects back.

        In a paced run the step's lines (and the faces among them) become owed lines, in order (`queue`
        False: a crisis pause's lines, said at once); a run that ends owes nothing."""
        st = self.state
        if any(isinstance(e, Finished) for e in effects):
            st["owed"] = []
        elif self.paced and queue:
            batch = []
            for e in effects:
                if isinstance(e, (Say, Show)) and not (isinstance(e, Say) and e.suggestion in URGENT):
                    st["owed_n"] += 1
                    e.owed = st["owed_n"]
                    batch.append({"effect": e.kind, **{k: v for k, v in asdict(e).items() if k != "owed"}, "n": e.owed})
            if batch:
                st["owed"].extend(batch)
                st["beat_lines"] = [dict(b) for b in batch]
        self.state["step"] += 1
        self._flush()
        db_status = "active" if self.state["status"] in ("ready", "active") else self.state["status"]
        self.store.save_run_state(self.run_id, self.state, db_status)
        phase = self.phase
        effects.append(StateChanged(phase["id"] if phase else None, self.state["wait"]))
        return effects

    def _require_active(self) -> None:
        if self.state["status"] == "ready":
            raise WireError(errors.CONFLICT, "The scenario has not started yet.")
        if self.finished:
            raise WireError(errors.CONFLICT, "This scenario has already ended.")

    # --- inputs -----------------------------------------------------------------------------------------
    def start(self, pace: str | None = None, actor: str | None = None) -> list[Effect]:
        """Start the run; `pace`: the participant's reading pace (slower, usual, faster; default usual)."""
        if self.state["status"] != "ready":
            raise WireError(errors.CONFLICT, "This scenario has already started.")
        if pace is not None:
            if pace not in PACES:
                raise WireError(errors.INVALID, f"Pace must be one of: {', '.join(PACES)}.")
            self.state["pace"] = self._pace(pace)
        self.state["status"] = "active"
        self.event(
            "started",
            actor,
            {
                "scenario": self.scenario.id,
                "difficulty": self.difficulty,
                "scenario_hash": self.scenario.content_hash,
                "pace": dict(self.state["pace"]),
            },
        )
        effects: list[Effect] = []
        self._enter_phase(0, effects)
        return self._commit(effects)

    def choose(self, option_id: str, actor: str | None = None) -> list[Effect]:
        self._require_active()
        self._refuse_while_paused()
        self._refuse_while_owed()
        effects: list[Effect] = []
        self.state["note"] = None
        self.kind.choose(self, option_id, actor, effects)
        return self._commit(effects)

    def answer(
        self, text: str, actor: str | None = None, reviewer: bool = False, heard: float | None = None
    ) -> list[Effect]:
        """The participant's own words. `reviewer`: a specialist in the room can decide an answer the matcher
        is unsure of (wait 'review'); without one the participant is asked "Did you mean ...?" ('confirm')."""
        self._require_active()
        text = (text or "").strip()
        if not text:
            raise WireError(errors.INVALID, "Type a few words first.")
        self._refuse_while_paused()
        self._refuse_while_owed()
        effects: list[Effect] = []
        self.state["note"] = None
        self.reviewer, self.heard = reviewer, heard
        try:
            self.kind.answer(self, text, actor, effects)
        finally:
            self.reviewer, self.heard = False, None
        return self._commit(effects)

    def review(self, option_id: str, decided_by: str, actor: str | None = None) -> list[Effect]:
        """Staff decide a typed answer held for review: an option id, or 'unscorable'. `decided_by`: who
        (the staff member's user id), stored with the choice."""
        self._require_active()
        self._refuse_while_paused()
        effects: list[Effect] = []
        self.state["note"] = None
        self.kind.review(self, option_id, decided_by, actor, effects)
        return self._commit(effects)

    def review_to_participant(self, actor: str | None = None) -> list[Effect]:
        """No specialist is left to review the held answer: the participant is asked "Did you mean ...?"."""
        if self.finished or self.wait is not Wait.REVIEW:
            return []
        self.set_wait(Wait.CONFIRM)
        held = {k: v for k, v in self.state["held_answer"].items() if k != "text"}
        where = {"phase": self.current["id"], "node": self.state["node"], "to": Wait.CONFIRM.value}
        self.event("answer_held", actor, where | held)
        return self._commit([])

    def cast_said(
        self, cast_role: str, text: str, suggestion_id: str | None = None, actor: str | None = None
    ) -> list[Effect]:
        """A cast avatar spoke (a cue verbatim, or the teleoperator's own words): transcript it."""
        if cast_role not in self.scenario.cast or cast_role == self.scenario.participant_role:
            raise WireError(errors.INVALID, "Unknown cast role.")
        cue = self._cue_by_id(suggestion_id) if suggestion_id else None
        verbatim = bool(cue and normalise(cue["text"]) == normalise(text))
        self.event("said", actor, {"cast": cast_role, "text": text, "suggestion": suggestion_id, "verbatim": verbatim})
        if cue and cue.get("feedback") and not self.finished:
            self._record_feedback(cue["feedback"], text, actor, via=suggestion_id)
        owed = self.owed
        if owed and owed[0]["effect"] == "say" and owed[0]["cast"] == cast_role:
            head = owed[0]["suggestion"]
            if suggestion_id is None or suggestion_id == head or suggestion_id.startswith(f"{head}/alt/"):
                owed.pop(0)  # the owed line was said (the script's words, an alternative, or the driver's own)
        self._flush()
        self.store.save_run_state(self.run_id, self.state, "active" if not self.finished else self.state["status"])
        return []

    # --- owed lines (paced runs) -------------------------------------------------------------------------
    @property
    def owed(self) -> list[dict[str, Any]]:
        """The lines (and faces) of the last steps not yet delivered, in order: {effect: say|show, n, ...}."""
        owed: list[dict[str, Any]] = self.state.setdefault("owed", [])
        return owed

    @property
    def speaking(self) -> str | None:
        """The cast role whose line is owed first (the participant is offered nothing meanwhile)."""
        return next((o["cast"] for o in self.owed if o["effect"] == "say"), None)

    def delivered(self, n: int, actor: str | None = None, skipped: str | None = None) -> bool:
        """Owed line or face `n` is done without a `cast_said`: a face was shown, or a line was dropped
        (`skipped`: why, e.g. a supervisor rejected it). False if it was no longer owed first."""
        owed = self.owed
        if not owed or owed[0]["n"] != n:
            return False
        item = owed.pop(0)
        if skipped:
            self.event(
                "line_skipped", actor, {"cast": item.get("cast"), "suggestion": item.get("suggestion"), "why": skipped}
            )
        self._flush()
        self.store.save_run_state(self.run_id, self.state, "active" if not self.finished else self.state["status"])
        return True

    def _refuse_while_owed(self) -> None:
        if self.state.get("held"):
            raise WireError(errors.CONFLICT, "The practice is paused for a moment; it carries on shortly.")
        speaking = self.speaking
        if speaking is not None:
            name = self.scenario.cast[speaking]["name"]
            raise WireError(errors.CONFLICT, f"{name} is still speaking; your options come once they have finished.")

    def set_pace(self, choice: str, actor: str | None = None) -> list[Effect]:
        """The participant's reading pace (slower, usual, faster): recorded with the run."""
        if choice not in PACES:
            raise WireError(errors.INVALID, f"Pace must be one of: {', '.join(PACES)}.")
        if self.finished:
            raise WireError(errors.CONFLICT, "This scenario has already ended.")
        self.state["pace"] = self._pace(choice)
        self.event("pace", actor, dict(self.state["pace"]))
        return self._commit([])

    def rate(self, rating: int, actor: str | None = None) -> list[Effect]:
        """The participant's own rating (0-10) of the role-play that just reached its ending (wait 'ended');
        rating again replaces it. Stored as a `self_rating` event, plotted beside the skill-step scores."""
        self._require_active()
        phase = self.phase
        if self.wait is not Wait.ENDED or phase is None or not kind_of(phase).self_rated:
            raise WireError(errors.CONFLICT, "You can rate a role-play once it has ended.")
        if isinstance(rating, bool) or not isinstance(rating, int) or not 0 <= rating <= SELF_RATING_MAX:
            raise WireError(errors.INVALID, f"Rate it with a whole number from 0 to {SELF_RATING_MAX}.")
        self.state.setdefault("self_ratings", {})[phase["id"]] = rating
        points = self.scores().get(phase["id"], {})
        self.event("self_rating", actor, {"phase": phase["id"], "rating": rating, "scores": points})
        return self._commit([])

    def hold(self, actor: str | None = None) -> list[Effect]:
        """Staff pause the scene (scenario_pause): no further line is cued and the participant is offered
        nothing until `unhold` (scenario_resume)."""
        self._require_active()
        if self.state.get("held"):
            raise WireError(errors.CONFLICT, "The practice is already paused. Resume it to carry on.")
        self.state["held"] = {"by": actor or "staff"}
        self.event("held", actor, {"phase": self.phase["id"] if self.phase else None})
        return self._commit([])

    @property
    def held(self) -> bool:
        return bool(self.state.get("held"))

    def unhold(self, actor: str | None = None) -> list[Effect]:
        self._require_active()
        if not self.state.get("held"):
            raise WireError(errors.CONFLICT, "The practice is not paused.")
        self.state["held"] = None
        self.event("unheld", actor, {"phase": self.phase["id"] if self.phase else None})
        return self._commit([])

    def repeat(self, actor: str | None = None) -> list[Effect]:
        """Staff: say the current beat's (or node's, or face's) lines again, in order."""
        self._require_active()
        self._refuse_while_paused()
        again = [o for o in self.state.get("beat_lines") or [] if o["effect"] == "say"]
        if not again:
            raise WireError(errors.CONFLICT, "There is no line to repeat just now.")
        self.state["owed"] = []  # what was still owed of them comes again, in order, with the rest
        self.event("repeat", actor, {"phase": self.current["id"], "lines": [o["suggestion"] for o in again]})
        keys = ("cast", "text", "expression", "gesture", "suggestion")
        return self._commit([Say(**{k: o[k] for k in keys}) for o in again])

    def advance(self, actor: str | None = None) -> list[Effect]:
        """Staff moves the session on to the next phase (skipping what is left of this one)."""
        self._require_active()
        phase = self.current
        if self.paused is not None:
            self._lift_pause(actor, "advance")
        self.event("advance", actor, {"phase": phase["id"], "wait": self.state["wait"], "node": self.state["node"]})
        self.state["owed"] = []  # what is left of this phase is skipped, its lines too
        effects: list[Effect] = []
        kind_of(phase).abandon(self, phase)
        self.next_phase(effects)
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
        pause = self.paused
        effects: list[Effect] = []
        closing = None
        if pause is not None:  # ended after a crisis pause: the coach closes it kindly
            closing = pause["texts"]["closing"]
            coach = self.scenario.coach_role
            if coach:
                effects.append(Say(coach, closing, "neutral", "none", CLOSING))
        self.state["status"] = "stopped"
        self.set_wait(Wait.DONE)
        summary = self.summary()
        data: dict[str, Any] = {"phase": self.phase["id"] if self.phase else None, "summary": summary}
        if pause is not None:
            data["after_pause"] = pause["reason"]
        self.event("stopped", actor, data)
        effects.append(Finished("stopped", summary, closing))
        return self._commit(effects)

    # --- a crisis pause --------------------------------------------------------------------------------
    @property
    def paused(self) -> dict[str, Any] | None:
        """While the scene is stopped (wait 'paused'): why, since when, what it waits on, its texts."""
        pause: dict[str, Any] | None = self.state.get("paused")
        return pause if pause and self.wait is Wait.PAUSED else None

    def pause(
        self, reason: str, texts: dict[str, str], tells: str, now: float, actor: str | None = None
    ) -> list[Effect]:
        """Stop the scene at once (a crisis phrase): the cast step out of their roles (faces neutral, the
        coach turns to the participant and says the check-in); nothing is offered, matched or scored until
        `carry_on` (or staff `advance`); `stop` ends it kindly.

        `texts`: the scene_pause texts of the safety data file (check_in, acknowledged, resume, end, waiting,
        resume_waits, closing); `tells`: what the participant is told while it waits (who was told)."""
        self._require_active()
        if self.paused is not None:
            raise WireError(errors.CONFLICT, texts["waiting"])
        st = self.state
        st["paused"] = {
            "reason": reason,
            "since": now,
            "wait": st["wait"],
            "line": st["line"],
            "note": st["note"],
            "acknowledged": None,
            "tells": tells,
            "texts": dict(texts),
        }
        self.set_wait(Wait.PAUSED)
        st["note"] = None
        phase = self.phase
        self.event(
            "paused",
            actor,
            {
                "reason": reason,
                "phase": phase["id"] if phase else None,
                "node": st["node"],
                "wait": st["paused"]["wait"],
            },
        )
        effects: list[Effect] = [
            Show(role, "neutral") for role, c in self.scenario.cast.items() if c["kind"] != "participant"
        ]
        coach = self.scenario.coach_role
        if coach:
            effects.append(Face(coach))
            say = Say(coach, texts["check_in"], "neutral", "none", CHECK_IN)
            st["line"] = asdict(say)
            effects.append(say)
        return self._commit(effects, queue=False)

    def acknowledge(self, actor: str | None = None) -> list[Effect]:
        """Staff have checked in with the participant: from now on the participant may carry on."""
        pause = self._require_paused()
        if pause["acknowledged"] is None:
            pause["acknowledged"] = actor or "staff"
            self.event("pause_acknowledged", actor, {"reason": pause["reason"]})
        return self._commit([])

    def carry_on(self, acknowledged_by: str | None = None, actor: str | None = None) -> list[Effect]:
        """Carry on where the scene stopped (the participant after staff acknowledged, or staff).
        `acknowledged_by`: how staff acknowledged it, when that was not recorded here (e.g. 'dashboard')."""
        pause = self._require_paused()
        if pause["acknowledged"] is None and acknowledged_by:
            pause["acknowledged"] = acknowledged_by
            self.event("pause_acknowledged", acknowledged_by, {"reason": pause["reason"]})
        self._lift_pause(actor, "resume")
        return self._commit([])

    def _require_paused(self) -> dict[str, Any]:
        self._require_active()
        pause = self.paused
        if pause is None:
            raise WireError(errors.CONFLICT, "The practice is not paused.")
        return pause

    def _refuse_while_paused(self) -> None:
        pause = self.paused
        if pause is not None:
            raise WireError(errors.CONFLICT, pause["texts"]["waiting"])

    def _lift_pause(self, actor: str | None, via: str) -> None:
        st = self.state
        pause = st.pop("paused")
        self.set_wait(Wait(pause["wait"]))
        st["line"], st["note"] = pause["line"], pause["note"]
        self.event("resumed", actor, {"reason": pause["reason"], "via": via, "acknowledged": pause["acknowledged"]})

    # --- phase machinery ---------------------------------------------------------------------------------
    def _say_line(self, line: dict[str, Any], suggestion: str, effects: list[Effect]) -> None:
        effects.append(
            Say(
                line["cast"],
                self.required_text(line["text"]),
                self.pick(line.get("expression")) or "neutral",
                self.pick(line.get("gesture")) or "none",
                suggestion,
            )
        )

    def _enter_phase(self, index: int, effects: list[Effect]) -> None:
        self.state.update(phase=index, node=None, item=0, prompt=0, misses=0, note=None, line=None, beat=0)
        phase = self.current
        self.event("phase", None, {"phase": phase["id"], "kind": phase["kind"], "index": index})
        for suggestion, line in self.beats(phase)[0]:
            self._say_line(line, suggestion, effects)
        kind_of(phase).enter(self, phase, effects)

    def beats(self, phase: dict[str, Any]) -> list[Beat]:
        """The phase's opening lines in beats (PhaseKind.beats): one beat unless lines mark `beat_end`;
        generated skill steps are one beat per step."""
        return kind_of(phase).beats(self.scenario, phase, self.difficulty)

    def next_beat(self, actor: str | None, effects: list[Effect]) -> bool:
        """'continue' in a phase with beats left: the next beat's lines (False when none is left)."""
        phase = self.current
        parts = self.beats(phase)
        if self.state.get("beat", 0) + 1 >= len(parts):
            return False
        self.state["beat"] = self.state.get("beat", 0) + 1
        self.event("beat", actor, {"phase": phase["id"], "beat": self.state["beat"]})
        for suggestion, line in parts[self.state["beat"]]:
            self._say_line(line, suggestion, effects)
        return True

    def next_phase(self, effects: list[Effect]) -> None:
        """The next phase, or the end of the run after the last one."""
        st = self.state
        st["phases_done"].append(self.current["id"])
        if st["phase"] + 1 < len(self.scenario.phases):
            self._enter_phase(st["phase"] + 1, effects)
            return
        st["status"] = "finished"
        self.set_wait(Wait.DONE)
        st["line"] = None
        summary = self.summary()
        self.event("finished", None, {"summary": summary})
        effects.append(Finished("finished", summary))

    def _record_feedback(self, kind: str, text: str, actor: str | None, via: str | None = None) -> None:
        counts = self.state["feedback"]  # positive, corrective, and `stretch` once a stretch cue was said
        counts[kind] = counts.get(kind, 0) + 1
        phase = self.phase
        self.event(
            "feedback", actor, {"kind": kind, "text": text, "phase": phase["id"] if phase else None, "suggestion": via}
        )

    # --- views for clients and controllers -----------------------------------------------------------
    def _hints(self) -> list[str]:
        policy = self.scenario.data["difficulty"][self.difficulty]["hints"]
        source = self.kind.hint_source(self)
        hint = self.pick(source.get("hint")) if source else None
        if not hint or policy == "off" or (policy == "after_miss" and not self.state["misses"]):
            return []
        return [hint]

    def view(self, audience: str = "participant") -> dict[str, Any]:
        """The `scenario_state` payload. audience 'staff' adds the cue palette for cast controllers."""
        st = self.state
        phase = self.phase
        phases = self.scenario.phases
        pause = self.paused
        # nothing more offered once ended, nor while a crisis pause holds the scene
        kind = kind_of(phase) if phase and not self.finished and pause is None else None
        # nor while a cast line it answers is still owed, nor while staff hold the scene (paced runs)
        speaking = self.speaking if pause is None else None
        waiting = pause is None and (speaking is not None or bool(st.get("held")))
        offered = None if waiting else kind
        parts = self.beats(phase) if phase and kind is not None else []
        ending = self.scenario.data["endings"].get(st["last_ending"]) if self.wait is Wait.ENDED else None
        out: dict[str, Any] = {
            "run": self.run_id,
            "scenario": self.scenario.id,
            "title": self.scenario.title,
            "difficulty": self.difficulty,
            "status": st["status"],
            "wait": st["wait"],
            "phase": (
                {
                    "id": phase["id"],
                    "kind": phase["kind"],
                    "title": phase.get("title") or "",
                    "index": st["phase"],
                    "count": len(phases),
                }
                if phase
                else None
            ),
            "phases": [{"id": p["id"], "kind": p["kind"], "title": p.get("title") or ""} for p in phases],
            "node": st["node"],
            "line": st["line"],
            "prompt": kind.prompt(self) if kind else self._pause_prompt(),
            "options": [] if waiting else kind.options(self) if kind else self._pause_options(),
            "free_text": bool(offered and offered.free_text(self)),
            "hints": self._hints() if offered else [],
            "speaking": speaking,  # a cast role whose line the participant waits for (options come after it)
            "held": bool(st.get("held")) and pause is None,  # staff paused the scene (scenario_pause)
            "pace": dict(st.get("pace") or self._pace("usual")),
            "beat": {"index": st.get("beat", 0), "count": len(parts)} if len(parts) > 1 else None,
            "note": st["note"],
            "ending": {"id": st["last_ending"], **ending} if ending else None,
            "homework": st["homework"],
            "homework_review": self._homework_review_view(),
            "suggested": self.state.get("suggested"),  # a course's suggested difficulty (server/courses), or None
            "self_rating": self._self_rating_view(),
            "scores": self.scores(),
            "emotion": {"correct": st["emotion"]["correct"], "total": st["emotion"]["total"]},
            "cast": {r: {"kind": c["kind"], "name": c["name"]} for r, c in self.scenario.cast.items()},
            "paused": {"reason": pause["reason"], "acknowledged": pause["acknowledged"] is not None} if pause else None,
        }
        if audience == "staff":
            out["cue"] = self.cue()
            out["owed"] = [
                {k: o.get(k) for k in ("n", "effect", "cast", "text", "suggestion")} for o in st.get("owed") or []
            ]
            held = st.get("held_answer")
            if held and self.wait is Wait.REVIEW:
                out["review"] = copy.deepcopy(held)
        return out

    def _self_rating_view(self) -> dict[str, Any] | None:
        phase = self.phase
        if self.wait is not Wait.ENDED or phase is None or not kind_of(phase).self_rated:
            return None
        return {"phase": phase["id"], "value": (self.state.get("self_ratings") or {}).get(phase["id"])}

    def _homework_review_view(self) -> dict[str, Any] | None:
        if self.wait is not Wait.HOMEWORK:
            return None
        last = self.state.get("last_homework") or {}
        return {"homework": last.get("text"), "status": (self.state.get("homework_answer") or {}).get("status")}

    def _pause_prompt(self) -> str | None:
        pause = self.paused
        if pause is None:
            return None
        return str(pause["texts"]["acknowledged"] if pause["acknowledged"] is not None else pause["tells"])

    def _pause_options(self) -> list[dict[str, Any]]:
        """While paused, the only two choices: carry on, or end here."""
        pause = self.paused
        if pause is None:
            return []
        return [{"id": RESUME, "text": pause["texts"]["resume"]}, {"id": END, "text": pause["texts"]["end"]}]

    def scores(self) -> dict[str, dict[str, float]]:
        """Skill-step scores per role-play phase: {phase: {step: points}}, 0..MAX_SCORE.

        A step's score is the mean of the ratings its chosen options gave it in that
        role-play (one decimal); a step never performed scores 0.
        """
        return {
            pid: {step: round(sum(r) / len(r), 1) if r else 0 for step, r in steps.items()}
            for pid, steps in self.state["ratings"].items()
        }

    def summary(self) -> dict[str, Any]:
        st = self.state
        total = st["emotion"]["total"]
        return {
            "scenario": self.scenario.id,
            "difficulty": self.difficulty,
            "phases": list(st["phases_done"]),
            "scores": self.scores(),
            "steps": self.scenario.step_texts(),
            "max_score": MAX_SCORE,
            "endings": list(st["endings"]),
            "emotion": {
                "correct": st["emotion"]["correct"],
                "total": total,
                "accuracy": round(st["emotion"]["correct"] / total, 3) if total else None,
            },
            "feedback": dict(st["feedback"]),
            "homework": st["homework"],
            "pace": dict(st.get("pace") or self._pace("usual")),
        }

    def cue(self) -> CuePalette:
        """For each cast role, what the script suggests now; a scripted driver says the first `primary` one.

        {"roles": {role: [{id, text, expression, gesture, primary, feedback?}]},
         "intents": [{id, text, examples, next}]   # what the participant may answer (role-play)
         "expect": the participant's wait state}
        """
        roles: dict[str, list[dict[str, Any]]] = {
            r: [] for r, c in self.scenario.cast.items() if c["kind"] != "participant"
        }
        phase = self.phase
        intents: list[dict[str, Any]] = []
        pause = self.paused
        if pause is not None:  # the cast are out of their roles: only the coach's check-in
            coach = self.scenario.coach_role
            if coach:
                roles[coach].append(self.cue_entry(CHECK_IN, pause["texts"]["check_in"], "neutral", "none", True))
        elif phase is not None and not self.finished:
            intents = kind_of(phase).cue(self, phase, roles)
        return {"roles": roles, "intents": intents, "expect": self.state["wait"]}

    def cue_entry(self, cid: str, text: Any, expression: Any, gesture: Any, primary: bool) -> dict[str, Any]:
        """One suggested line of the cue palette, in this run's difficulty."""
        return {
            "id": cid,
            "text": self.text(text) or "",
            "expression": self.pick(expression) or "neutral",
            "gesture": self.pick(gesture) or "none",
            "primary": primary,
        }

    def _cue_by_id(self, suggestion_id: str) -> dict[str, Any] | None:
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
                return {"id": suggestion_id, "text": self.text(pl["text"]) or ""}
        # lines owed (e.g. an explanation, a repeated beat)
        for o in self.owed:
            if o["effect"] == "say" and o["suggestion"] == suggestion_id:
                return {"id": suggestion_id, "text": o["text"]}
        # cues already spoken this step (e.g. the node line just said, an explanation)
        line = self.state.get("line")
        if line and line.get("suggestion") == suggestion_id:
            return {"id": suggestion_id, "text": line["text"]}
        return None
