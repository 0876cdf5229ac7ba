"""Phase kinds: what each kind of scenario phase does, each kind in one class.

The runner (runner.py) owns what every phase shares: entering a phase and saying its opening lines,
moving on, the transcript, persistence, and the views. A `PhaseKind` owns what differs: what the run
waits for on entering it, how a choice or typed answer is taken, which options, prompt and hints the
participant sees, which cues the cast gets, how a changed scenario file is repaired, and the inputs that
play it through (paths.full_run_inputs).

Adding a phase kind: a `PhaseKind` subclass here, decorated with `@register`, plus its fields in the
schema (schema.PHASE, then `python -m server.scenarios schema` for docs/scenario.schema.json).

Kinds are stateless singletons: all run state lives in `run.state` (persisted by the runner), and a kind
reaches the run only through its public methods (current, event, pick, text, set_wait, next_phase,
cue_entry...).
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, ClassVar

from wire import errors
from wire.errors import WireError
from wire.scenario import AGAIN, CONTINUE, HOMEWORK_STATUSES, SKIP, UNSCORABLE, Wait

from . import answer_risk
from .effects import Effect, ParticipantSaid, Say, Scored, Show
from .matcher import confidence, normalise
from .model import Scenario, applies
from .schema import MAX_SCORE

if TYPE_CHECKING:
    from .runner import ScenarioRun


def fill(template: str | None, **values: object) -> str | None:
    """Replace '{name}' placeholders with `values`; unknown ones stay as written."""
    if template is None:
        return None
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), template)


def beats(phase: dict[str, Any], difficulty: str, split: bool = True) -> list[list[tuple[int, dict[str, Any]]]]:
    """A phase's opening lines (index, line) at `difficulty`, in beats: a beat ends after a line marked
    `beat_end: true` (`split`: the phase waits for 'continue', so the participant moves on between beats).
    Always at least one beat, which may be empty."""
    out: list[list[tuple[int, dict[str, Any]]]] = [[]]
    lines = [(j, line) for j, line in enumerate(phase.get("lines") or []) if applies(line, difficulty)]
    for k, (j, line) in enumerate(lines):
        out[-1].append((j, line))
        if split and line.get("beat_end") and k < len(lines) - 1:
            out.append([])
    return out


#: one beat of a phase's opening lines: (suggestion id, line), in order
Beat = list[tuple[str, dict[str, Any]]]


def coach_of(scenario: Scenario) -> str:
    """The scenario's coach role (the loader refuses a scenario without one)."""
    coach = scenario.coach_role
    assert coach is not None, "a loaded scenario has a coach"
    return coach


class PhaseKind:
    """A scripted phase by default: its lines are said, then the participant chooses 'continue'."""

    #: the `kind:` value in scenario files
    name: ClassVar[str]
    #: what the run waits for on entering a phase of this kind
    wait: ClassVar[Wait] = Wait.CONTINUE
    #: the participant rates how it went (0-10) once it reached its ending (runner.rate)
    self_rated: ClassVar[bool] = False

    def beats(self, scenario: Scenario, phase: dict[str, Any], difficulty: str) -> list[Beat]:
        """The phase's opening lines in beats, each line with its suggestion id: the participant chooses
        'continue' between beats in a phase that waits for it. At least one beat, which may be empty."""
        split = self.wait is Wait.CONTINUE
        return [[(f"{phase['id']}/line/{j}", line) for j, line in part] for part in beats(phase, difficulty, split)]

    # --- inputs ----------------------------------------------------------------------------------
    def enter(self, run: ScenarioRun, phase: dict[str, Any], effects: list[Effect]) -> None:
        """After the phase's opening lines are said."""
        run.set_wait(self.wait)

    def choose(self, run: ScenarioRun, option_id: str, actor: str | None, effects: list[Effect]) -> None:
        if option_id == CONTINUE and run.next_beat(actor, effects):
            return  # the phase's next beat: its lines, then 'continue' again
        self.move_on(run, option_id, actor, effects)

    def answer(self, run: ScenarioRun, text: str, actor: str | None, effects: list[Effect]) -> None:
        raise WireError(errors.CONFLICT, "There is no question to answer right now; choose 'continue'.")

    def review(
        self, run: ScenarioRun, option_id: str, decided_by: str, actor: str | None, effects: list[Effect]
    ) -> None:
        """Staff decide a typed answer held for review (only role-plays hold answers)."""
        raise WireError(errors.CONFLICT, "No answer is waiting for review.")

    def abandon(self, run: ScenarioRun, phase: dict[str, Any]) -> None:
        """Staff advanced past what is left of this phase."""

    def repair(self, run: ScenarioRun, phase: dict[str, Any]) -> None:
        """The scenario file changed while a run was in this phase: make the state fit the new file."""

    @staticmethod
    def move_on(run: ScenarioRun, option_id: str, actor: str | None, effects: list[Effect]) -> None:
        if option_id != CONTINUE:
            raise WireError(errors.INVALID, "Choose 'continue' to go on.")
        run.event("continue", actor, {"phase": run.current["id"]})
        run.next_phase(effects)

    # --- what the participant sees --------------------------------------------------------------------
    def options(self, run: ScenarioRun) -> list[dict[str, Any]]:
        return [{"id": CONTINUE, "text": "Continue"}]

    def prompt(self, run: ScenarioRun) -> str | None:
        return None

    def free_text(self, run: ScenarioRun) -> bool:
        return False

    def hint_source(self, run: ScenarioRun) -> dict[str, Any] | None:
        """The node or item whose `hint` the participant may be shown now."""
        return None

    # --- what the cast sees ----------------------------------------------------------------------------
    def cue(
        self, run: ScenarioRun, phase: dict[str, Any], roles: dict[str, list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        """Add this step's suggested lines to `roles`; return what the participant may answer (intents).
        Every beat's lines, generated skill steps included, so whoever drives the coach sees them all."""
        for part in self.beats(run.scenario, phase, run.difficulty):
            for suggestion, line in part:
                roles[line["cast"]].append(
                    run.cue_entry(suggestion, line["text"], line.get("expression"), line.get("gesture"), True)
                )
        return []

    # --- playing it through (paths.full_run_inputs) --------------------------------------------------------
    def inputs(
        self,
        scenario: Scenario,
        phase: dict[str, Any],
        difficulty: str,
        choices: list[str] | None,
        emotion_answers: str,
    ) -> list[tuple[str, str]]:
        return [("choose", CONTINUE)] * len(self.beats(scenario, phase, difficulty))


KINDS: dict[str, PhaseKind] = {}


def register(cls: type[PhaseKind]) -> type[PhaseKind]:
    """Make `cls` the phase kind for `kind: cls.name` (a class decorator)."""
    KINDS[cls.name] = cls()
    return cls


def kind_of(phase: dict[str, Any]) -> PhaseKind:
    return KINDS[phase["kind"]]


# --- the SST session protocol (Bellack et al.) -----------------------------------------------------------


@register
class Rationale(PhaseKind):
    name = "rationale"


@register
class SkillSteps(PhaseKind):
    name = "skill_steps"

    def beats(self, scenario: Scenario, phase: dict[str, Any], difficulty: str) -> list[Beat]:
        """Without `lines`, the coach says the scenario's steps, one beat per step: the participant reads
        each step and chooses 'continue' for the next."""
        if phase.get("lines"):
            return super().beats(scenario, phase, difficulty)
        coach = coach_of(scenario)
        steps: list[Beat] = [
            [(f"{phase['id']}/step/{step['id']}", {"cast": coach, "text": f"{n}. {step['text']}"})]
            for n, step in enumerate(scenario.steps, 1)
        ]
        return steps or [[]]


@register
class Modelling(PhaseKind):
    name = "modelling"


@register
class RolePlay(PhaseKind):
    """A dialogue graph: the partner says a node's line, the participant picks an option or types."""

    name = "role_play"
    wait = Wait.CHOICE
    self_rated = True

    def node(self, run: ScenarioRun) -> dict[str, Any] | None:
        nid = run.state["node"]
        return run.scenario.nodes(run.current).get(nid) if nid else None

    def at_node(self, run: ScenarioRun) -> dict[str, Any]:
        """The node being played: a role-play phase is at one from entering it until the run moves on."""
        node = self.node(run)
        assert node is not None, "a role-play phase is always at a node"
        return node

    def enter(self, run: ScenarioRun, phase: dict[str, Any], effects: list[Effect]) -> None:
        super().enter(run, phase, effects)
        run.state["ratings"][phase["id"]] = {s["id"]: [] for s in run.scenario.steps}
        self.enter_node(run, run.scenario.start(phase), effects)

    def choose(self, run: ScenarioRun, option_id: str, actor: str | None, effects: list[Effect]) -> None:
        if run.wait is Wait.ENDED:
            self.move_on(run, option_id, actor, effects)
            return
        if run.wait is Wait.REVIEW:
            raise WireError(errors.CONFLICT, run.risk.text("review_wait"))
        if run.wait is Wait.CONFIRM:
            self.confirm(run, option_id, actor, effects)
            return
        options = {o["id"]: o for o in run.scenario.options(self.at_node(run), run.difficulty)}
        if option_id not in options:
            raise WireError(errors.INVALID, "That option is not offered now. Allowed: " + ", ".join(options) + ".")
        opt = options[option_id]
        self.take_option(run, opt, run.required_text(opt["text"]), "choice", actor, effects)

    def answer(self, run: ScenarioRun, text: str, actor: str | None, effects: list[Effect]) -> None:
        """The participant's own words: scored on their own only when the matcher is sure and the words show
        no risk signal (answer_risk.route); otherwise the specialist in the room decides (wait 'review'), or
        the participant is asked "Did you mean ...?" (wait 'confirm'). A rude or sarcastic answer is never
        scored: the partner answers the tone and asks again. A crisis answer is never scored (the room has
        already stopped the scene: intents._crisis_answer)."""
        if run.wait is Wait.ENDED:
            super().answer(run, text, actor, effects)  # refuses: nothing to answer after the ending
        if run.wait is Wait.REVIEW:
            raise WireError(errors.CONFLICT, run.risk.text("review_wait"))
        if run.wait is Wait.CONFIRM:  # not one of those: they say it again in their own words
            self.drop_held(run)
        st, phase, node = run.state, run.current, self.at_node(run)
        if not node["free_text"]:
            raise WireError(errors.INVALID, "Please pick one of the options.")
        options = {o["id"]: o for o in run.scenario.options(node, run.difficulty)}
        matcher = run.scenario.matcher(phase, st["node"], run.difficulty)
        match = matcher.match(text)
        nearest = options.get(match.nearest or "")
        signals = run.risk.signals(text, [nearest["text"], *nearest["examples"]] if nearest else [], run.crisis)
        if run.heard is not None and run.heard < answer_risk.HEARD_SURE:
            signals.append(answer_risk.UNSURE_HEARING)  # spoken, and maybe not heard right: a person decides
        route = answer_risk.route(match, signals)
        judged = {"score": round(match.score, 3), "confidence": round(match.confidence, 3), "signals": signals}
        if run.heard is not None:
            judged["heard"] = run.heard
        where = {"phase": phase["id"], "node": st["node"]}
        if route == "auto" and nearest is not None:
            self.take_option(run, nearest, text, "text", actor, effects, judged | {"decided": "auto"})
            return
        effects.append(ParticipantSaid(run.scenario.participant_role, text, None))
        if route == "crisis":  # never scored; the scene is stopped by the room, not here
            run.event("answer_unscored", actor, where | {"text": text, "reason": "crisis"} | judged)
            return
        if route == "rude":
            st["misses"] += 1
            run.event("answer_unscored", actor, where | {"text": text, "reason": "rude", "decided": "auto"} | judged)
            say = Say(
                node["cast"],
                run.risk.text("rude_reply"),
                "neutral",
                "none",
                f"{phase['id']}/{st['node']}/rude",
            )
            effects.append(say)
            st["note"] = "rude"
            return
        if route == "far":
            self.no_match(run, node, text, actor, effects, judged)
            return
        # unsure: a person decides. The specialist sees up to three nearest options; the participant two.
        scores = matcher.scores(text)
        ranked = sorted(options, key=lambda oid: (oid != match.nearest, -scores.get(oid, 0.0)))[:3]
        st["held_answer"] = {
            "text": text,
            "candidates": [
                {
                    "id": oid,
                    "text": run.text(options[oid]["text"]) or "",
                    "confidence": round(
                        match.confidence if oid == match.nearest else confidence(scores.get(oid, 0.0), match.score), 3
                    ),
                }
                for oid in ranked
            ],
            **judged,
        }
        run.set_wait(Wait.REVIEW if run.reviewer else Wait.CONFIRM)
        held = {k: v for k, v in st["held_answer"].items() if k != "text"}
        run.event("answer_held", actor, where | {"text": text, "to": run.wait.value} | held)

    def confirm(self, run: ScenarioRun, option_id: str, actor: str | None, effects: list[Effect]) -> None:
        """'Did you mean ...?': one of the two nearest options takes the answer as that option; AGAIN asks again."""
        held = run.state["held_answer"]
        offered = [c["id"] for c in held["candidates"][:2]]
        if option_id == AGAIN:
            dropped = self.drop_held(run)
            run.state["misses"] += 1
            where = {"phase": run.current["id"], "node": run.state["node"]}
            judged = {k: dropped[k] for k in ("score", "confidence", "signals")}
            run.event("answer_unscored", actor, where | {"reason": "say_again", "decided": "participant"} | judged)
            return
        if option_id not in offered:
            raise WireError(errors.INVALID, "Choose one of: " + ", ".join([*offered, AGAIN]) + ".")
        self.decide(run, option_id, "confirmed", "participant", actor, effects)

    def review(
        self, run: ScenarioRun, option_id: str, decided_by: str, actor: str | None, effects: list[Effect]
    ) -> None:
        """Staff decide a held answer: any option of the node, or UNSCORABLE (not scored, asked again)."""
        if run.wait is not Wait.REVIEW:
            raise WireError(errors.CONFLICT, "No answer is waiting for review.")
        node = self.at_node(run)
        if option_id == UNSCORABLE:
            held = self.drop_held(run)
            where = {"phase": run.current["id"], "node": run.state["node"], "text": held["text"]}
            judged = {k: held[k] for k in ("score", "confidence", "signals")}
            run.event("answer_unscored", actor, where | {"reason": "unscorable", "decided": decided_by} | judged)
            self.ask_again(run, node, effects)
            return
        options = [o["id"] for o in run.scenario.options(node, run.difficulty)]
        if option_id not in options:
            raise WireError(errors.INVALID, "Choose one of: " + ", ".join([*options, UNSCORABLE]) + ".")
        self.decide(run, option_id, "review", decided_by, actor, effects)

    def decide(
        self, run: ScenarioRun, option_id: str, via: str, decided_by: str, actor: str | None, effects: list[Effect]
    ) -> None:
        held = self.drop_held(run)
        opt = next(o for o in run.scenario.options(self.at_node(run), run.difficulty) if o["id"] == option_id)
        judged = {k: held[k] for k in ("score", "confidence", "signals")} | {"decided": decided_by}
        self.take_option(run, opt, held["text"], via, actor, effects, judged, said_now=False)

    @staticmethod
    def drop_held(run: ScenarioRun) -> dict[str, Any]:
        """Back to the node's choice: the held answer (if any) is decided or dropped."""
        run.set_wait(Wait.CHOICE)
        held: dict[str, Any] = run.state.pop("held_answer", None) or {}
        return held

    def no_match(
        self,
        run: ScenarioRun,
        node: dict[str, Any],
        text: str,
        actor: str | None,
        effects: list[Effect],
        judged: dict[str, Any],
    ) -> None:
        """Nothing near: the partner asks again (the node's no_match reply), as it always did."""
        st = run.state
        st["misses"] += 1
        run.event("no_match", actor, {"phase": run.current["id"], "node": st["node"], "text": text} | judged)
        self.ask_again(run, node, effects)

    def ask_again(self, run: ScenarioRun, node: dict[str, Any], effects: list[Effect]) -> None:
        st, phase = run.state, run.current
        no_match = node.get("no_match")
        if no_match:
            effects.append(
                Say(
                    node["cast"],
                    run.required_text(no_match["say"]),
                    run.pick(no_match.get("expression")) or run.pick(node["expression"]),
                    run.pick(no_match.get("gesture")) or "none",
                    f"{phase['id']}/{st['node']}/no_match",
                )
            )
        st["note"] = "no_match"

    def abandon(self, run: ScenarioRun, phase: dict[str, Any]) -> None:
        if run.wait in (Wait.CHOICE, Wait.REVIEW, Wait.CONFIRM):
            run.state["endings"].append({"phase": phase["id"], "ending": None})
        run.state.pop("held_answer", None)

    def repair(self, run: ScenarioRun, phase: dict[str, Any]) -> None:
        st = run.state
        if run.wait in (Wait.REVIEW, Wait.CONFIRM):
            node = run.scenario.nodes(phase).get(st["node"])
            offered = {o["id"] for o in run.scenario.options(node, run.difficulty)} if node else set()
            if not {c["id"] for c in st.get("held_answer", {}).get("candidates", [])} <= offered:
                self.drop_held(run)  # the options it was held for changed: it is asked again
        if run.wait is Wait.CHOICE and st["node"] not in run.scenario.nodes(phase):
            st["node"] = run.scenario.start(phase)
            st["misses"] = 0

    def enter_node(self, run: ScenarioRun, node_id: str, effects: list[Effect]) -> None:
        st, phase = run.state, run.current
        node = run.scenario.nodes(phase)[node_id]
        st["node"] = node_id
        st["misses"] = 0
        say = Say(
            node["cast"],
            run.required_text(node["say"]),
            run.pick(node["expression"]) or "neutral",
            run.pick(node["gesture"]) or "none",
            f"{phase['id']}/{node_id}",
        )
        st["line"] = asdict(say)
        run.event("node", None, {"phase": phase["id"], "node": node_id})
        effects.append(say)
        if node.get("end"):
            run.set_wait(Wait.ENDED)
            st["last_ending"] = node["end"]
            st["endings"].append({"phase": phase["id"], "ending": node["end"]})
            run.event(
                "ending",
                None,
                {"phase": phase["id"], "ending": node["end"], "scores": run.scores().get(phase["id"], {})},
            )

    def take_option(
        self,
        run: ScenarioRun,
        opt: dict[str, Any],
        said: str,
        via: str,
        actor: str | None,
        effects: list[Effect],
        judged: dict[str, Any] | None = None,
        said_now: bool = True,
    ) -> None:
        """Score `opt`. `judged`: for typed words, the match (score, confidence, signals) and who decided
        (auto, participant, or the staff member's user id); `said_now`: false when the words were said
        in the room already (an answer held for review or "Did you mean ...?")."""
        phase = run.current
        data: dict[str, Any] = {
            "phase": phase["id"],
            "node": run.state["node"],
            "option": opt["id"],
            "via": via,
            "text": said,
        }
        if judged is not None:
            data["match"] = judged["score"]
            data |= {k: v for k, v in judged.items() if k != "score"}
        run.event("choice", actor, data)
        if said_now:
            effects.append(ParticipantSaid(run.scenario.participant_role, said, opt["id"]))
        ratings = run.state["ratings"].setdefault(phase["id"], {})
        for step, points in opt["score"].items():
            run.event(
                "score",
                None,
                {"phase": phase["id"], "step": step, "points": points, "max": MAX_SCORE, "option": opt["id"]},
            )
            ratings.setdefault(step, []).append(points)
            run.state.setdefault("practised", {}).setdefault(phase["id"], []).append(step)  # for praise ties
            effects.append(Scored("step", {"phase": phase["id"], "step": step, "points": points}))
        self.enter_node(run, run.pick(opt["next"]), effects)

    def options(self, run: ScenarioRun) -> list[dict[str, Any]]:
        if run.wait is Wait.ENDED:
            return super().options(run)
        if run.wait is Wait.REVIEW:
            return []
        if run.wait is Wait.CONFIRM:
            nearest = [{"id": c["id"], "text": c["text"]} for c in run.state["held_answer"]["candidates"][:2]]
            return [*nearest, {"id": AGAIN, "text": run.risk.text("say_again")}]
        return [
            {"id": o["id"], "text": run.text(o["text"])}
            for o in run.scenario.options(self.at_node(run), run.difficulty)
        ]

    def prompt(self, run: ScenarioRun) -> str | None:
        if run.wait is Wait.REVIEW:
            return run.risk.text("review_wait")
        if run.wait is Wait.CONFIRM:
            return run.risk.text("did_you_mean")
        return run.pick(self.at_node(run).get("prompt")) if run.wait is Wait.CHOICE else None

    def free_text(self, run: ScenarioRun) -> bool:
        return run.wait in (Wait.CHOICE, Wait.CONFIRM) and bool(self.at_node(run)["free_text"])

    def hint_source(self, run: ScenarioRun) -> dict[str, Any] | None:
        return self.node(run) if run.wait is Wait.CHOICE else None

    def cue(
        self, run: ScenarioRun, phase: dict[str, Any], roles: dict[str, list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        """The node's line, its alternatives and no-match reply for the partner; its hint for the coach."""
        node, nid = self.at_node(run), run.state["node"]
        cast = node["cast"]
        roles[cast].append(
            run.cue_entry(f"{phase['id']}/{nid}", node["say"], node["expression"], node["gesture"], True)
        )
        for k, alt in enumerate(node.get("alternatives") or []):
            roles[cast].append(
                run.cue_entry(f"{phase['id']}/{nid}/alt/{k}", alt, node["expression"], node["gesture"], False)
            )
        if node.get("no_match"):
            nm = node["no_match"]
            roles[cast].append(
                run.cue_entry(
                    f"{phase['id']}/{nid}/no_match",
                    nm["say"],
                    nm.get("expression") or node["expression"],
                    nm.get("gesture") or "none",
                    False,
                )
            )
        coach = run.scenario.coach_role
        if node.get("hint") and coach:
            roles[coach].append(run.cue_entry(f"{phase['id']}/{nid}/hint", node["hint"], "neutral", "none", False))
        if run.wait is not Wait.CHOICE:
            return []
        return [
            {"id": o["id"], "text": run.text(o["text"]), "examples": list(o["examples"]), "next": run.pick(o["next"])}
            for o in run.scenario.options(node, run.difficulty)
        ]

    def inputs(
        self,
        scenario: Scenario,
        phase: dict[str, Any],
        difficulty: str,
        choices: list[str] | None,
        emotion_answers: str,
    ) -> list[tuple[str, str]]:
        if choices is None:
            from .paths import role_play_paths  # paths plays whole runs with these kinds: imported late

            choices = role_play_paths(scenario, phase, difficulty, limit=1)[0][0]
        return [*(("choose", c) for c in choices), ("choose", CONTINUE)]


@register
class RepeatRolePlay(RolePlay):
    """The same dialogue graph as an earlier role_play (`repeat:`), practised again after feedback."""

    name = "repeat_role_play"


@register
class Feedback(PhaseKind):
    """Positive and corrective feedback on the last role-play, suggested from its step scores."""

    name = "feedback"

    def enter(self, run: ScenarioRun, phase: dict[str, Any], effects: list[Effect]) -> None:
        super().enter(run, phase, effects)
        for cue in self.cues(run, phase):
            effects.append(Say(cue["cast"], cue["text"], cue["expression"], cue["gesture"], cue["id"]))

    def cue(
        self, run: ScenarioRun, phase: dict[str, Any], roles: dict[str, list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        intents = super().cue(run, phase, roles)
        for c in self.cues(run, phase):
            roles[c["cast"]].append(
                {k: c[k] for k in ("id", "text", "expression", "gesture", "feedback")} | {"primary": True}
            )
        return intents

    @staticmethod
    def _last_role_play(run: ScenarioRun) -> str | None:
        """The id of the role-play (or repeat) phase played last, whose scores the feedback is about."""
        scores = run.scores()
        return next((pid for pid in reversed(run.state["phases_done"]) if pid in scores), None)

    @staticmethod
    def praise_step(run: ScenarioRun, role_play: str) -> dict[str, Any] | None:
        """The best-done step with a `praise`: the highest score above 0.

        Ties go to the step practised most recently in that role-play (its last rating came latest):
        what the participant just did is what they remember, and a perfect run is not always praised
        for step 1. Steps never rated (a run saved before this was recorded) count as practised first.
        """
        scores, steps = run.scores()[role_play], run.scenario.steps
        practised = run.state.get("practised", {}).get(role_play, [])
        last = {step_id: i for i, step_id in enumerate(practised)}
        candidates = [s for s in steps if s.get("praise") and scores.get(s["id"], 0) > 0]
        if not candidates:
            return None
        return max(candidates, key=lambda s: (scores[s["id"]], last.get(s["id"], -1)))

    @staticmethod
    def tip_step(run: ScenarioRun, role_play: str) -> dict[str, Any] | None:
        """The step to work on, with a `tip`: the lowest score below full marks (a step never done scores 0).

        Ties go to the first in skill order: someone who froze at step 1 hears about step 1, the step
        everything after it depends on, not about the last step they never reached.
        """
        scores = run.scores()[role_play]
        candidates = [  # a step added to the file after this role-play was played is not in its scores
            s for s in run.scenario.steps if s.get("tip") and s["id"] in scores and scores[s["id"]] < MAX_SCORE
        ]
        return min(candidates, key=lambda s: scores[s["id"]]) if candidates else None  # min keeps the first

    def cues(self, run: ScenarioRun, phase: dict[str, Any]) -> list[dict[str, Any]]:
        role_play = self._last_role_play(run)
        if role_play is None:
            return []
        cast = phase.get("cast") or run.scenario.coach_role
        cues: list[dict[str, Any]] = []
        best = self.praise_step(run, role_play)
        if best:
            text = fill(run.pick(phase.get("positive")) or "{praise}", praise=best["praise"])
            cues.append(
                {
                    "id": f"{phase['id']}/positive",
                    "cast": cast,
                    "text": text,
                    "expression": "happy",
                    "gesture": "thumbs_up",
                    "feedback": "positive",
                    "step": best["id"],
                }
            )
        worst = self.tip_step(run, role_play)
        stretch = run.text(phase.get("stretch"))
        if worst is None and stretch:
            # a suggestion to go further after a run with nothing to correct: tagged `stretch`, so
            # fidelity does not count it as corrective feedback (the suggestion id stays as it was)
            cues.append(
                {
                    "id": f"{phase['id']}/corrective",
                    "cast": cast,
                    "text": stretch,
                    "expression": "happy",
                    "gesture": "nod",
                    "feedback": "stretch",
                    "step": None,
                }
            )
        if worst:
            text = fill(run.pick(phase.get("corrective")) or "{tip}", tip=worst["tip"])
            cues.append(
                {
                    "id": f"{phase['id']}/corrective",
                    "cast": cast,
                    "text": text,
                    "expression": "neutral",
                    "gesture": "nod",
                    "feedback": "corrective",
                    "step": worst["id"],
                }
            )
        return cues


@register
class Homework(PhaseKind):
    name = "homework"

    def enter(self, run: ScenarioRun, phase: dict[str, Any], effects: list[Effect]) -> None:
        super().enter(run, phase, effects)
        run.state["homework"] = run.pick(phase["assignment"])
        run.event("homework", None, {"phase": phase["id"], "text": run.state["homework"]})


HOMEWORK_LABELS = {"done": "Done", "partly": "Partly", "not_yet": "Not yet"}
DEFAULT_ASK = "Last time your homework was: {homework} Did you do it?"
DEFAULT_NO_HOMEWORK = "Did you get to practise the skill since last time?"
DEFAULT_WORDS = "What happened? Tell us in a few words, or skip."


@register
class HomeworkReview(PhaseKind):
    """Opens a course session (Bellack's group meeting, step 1): did the participant do last session's homework
    (done / partly / not yet), then what happened in their own words, or 'skip'. The homework is the one last set
    for this participant (`run.state['last_homework']`, looked up when the run starts); the answer is stored as a
    `homework_review` event, which progress and fidelity count."""

    name = "homework_review"
    wait = Wait.HOMEWORK

    def enter(self, run: ScenarioRun, phase: dict[str, Any], effects: list[Effect]) -> None:
        super().enter(run, phase, effects)
        run.state["homework_answer"] = {"status": None}

    def choose(self, run: ScenarioRun, option_id: str, actor: str | None, effects: list[Effect]) -> None:
        review = run.state["homework_answer"]
        if review["status"] is None:
            if option_id not in HOMEWORK_STATUSES:
                raise WireError(errors.INVALID, "Choose one of: " + ", ".join(HOMEWORK_STATUSES) + ".")
            review["status"] = option_id
            return
        if option_id != SKIP:
            raise WireError(errors.INVALID, "Type what happened, or choose 'skip'.")
        self.reviewed(run, None, actor, effects)

    def answer(self, run: ScenarioRun, text: str, actor: str | None, effects: list[Effect]) -> None:
        if run.state["homework_answer"]["status"] is None:
            raise WireError(errors.CONFLICT, "First choose done, partly or not yet; then say what happened.")
        self.reviewed(run, text, actor, effects)

    @staticmethod
    def reviewed(run: ScenarioRun, text: str | None, actor: str | None, effects: list[Effect]) -> None:
        last = run.state.get("last_homework") or {}
        data: dict[str, Any] = {
            "phase": run.current["id"],
            "status": run.state["homework_answer"]["status"],
            "homework_run": last.get("run"),
            "homework": last.get("text"),
        }
        if text is not None:
            data["text"] = text
        run.event("homework_review", actor, data)
        run.state["homework_answer"] = None
        run.next_phase(effects)

    def abandon(self, run: ScenarioRun, phase: dict[str, Any]) -> None:
        run.state["homework_answer"] = None

    def repair(self, run: ScenarioRun, phase: dict[str, Any]) -> None:
        run.state.setdefault("homework_answer", {"status": None})

    def options(self, run: ScenarioRun) -> list[dict[str, Any]]:
        if (run.state.get("homework_answer") or {}).get("status") is None:
            return [{"id": s, "text": HOMEWORK_LABELS[s]} for s in HOMEWORK_STATUSES]
        return [{"id": SKIP, "text": "Skip"}]

    def prompt(self, run: ScenarioRun) -> str | None:
        phase = run.current
        if (run.state.get("homework_answer") or {}).get("status") is not None:
            return run.text(phase.get("words")) or DEFAULT_WORDS
        homework = (run.state.get("last_homework") or {}).get("text")
        if not homework:
            return run.text(phase.get("no_homework")) or DEFAULT_NO_HOMEWORK
        return fill(run.pick(phase.get("ask")) or DEFAULT_ASK, homework=homework, name=run.state.get("name") or "")

    def free_text(self, run: ScenarioRun) -> bool:
        return (run.state.get("homework_answer") or {}).get("status") is not None

    def inputs(
        self,
        scenario: Scenario,
        phase: dict[str, Any],
        difficulty: str,
        choices: list[str] | None,
        emotion_answers: str,
    ) -> list[tuple[str, str]]:
        return [("choose", "done"), ("choose", SKIP)]


# --- exercises ------------------------------------------------------------------------------------------------


@register
class EmotionRecognition(PhaseKind):
    """Faces one after another: the participant names the feeling, the coach explains the answer."""

    name = "emotion_recognition"
    wait = Wait.EMOTION

    def item(self, run: ScenarioRun) -> dict[str, Any] | None:
        items = run.scenario.items(run.current, run.difficulty)
        return items[run.state["item"]] if run.state["item"] < len(items) else None

    def at_item(self, run: ScenarioRun) -> dict[str, Any]:
        """The face being shown: the phase moves on as soon as there is none left."""
        item = self.item(run)
        assert item is not None, "an emotion phase is left after its last item"
        return item

    def enter(self, run: ScenarioRun, phase: dict[str, Any], effects: list[Effect]) -> None:
        super().enter(run, phase, effects)
        self.show_item(run, effects)

    def choose(self, run: ScenarioRun, option_id: str, actor: str | None, effects: list[Effect]) -> None:
        emotions = run.current["emotions"]
        if option_id not in emotions:
            raise WireError(errors.INVALID, "Choose one of: " + ", ".join(emotions) + ".")
        self.answer_emotion(run, option_id, option_id, actor, effects)

    def answer(self, run: ScenarioRun, text: str, actor: str | None, effects: list[Effect]) -> None:
        self.answer_emotion(run, None, text, actor, effects)

    def repair(self, run: ScenarioRun, phase: dict[str, Any]) -> None:
        run.state["item"] = min(run.state["item"], len(run.scenario.items(phase, run.difficulty)) - 1)

    def show_item(self, run: ScenarioRun, effects: list[Effect]) -> None:
        phase, item = run.current, self.item(run)
        if item is None:
            run.next_phase(effects)
            return
        run.state["misses"] = 0
        intensity = float(run.pick(item["intensity"]))
        gesture = run.pick(item["gesture"]) or "none"
        suggestion = f"{phase['id']}/{item['id']}"
        effects.append(Show(phase["cast"], item["expression"], intensity, gesture))
        said = run.text(item.get("say"))
        run.state["line"] = {
            "cast": phase["cast"],
            "text": said or "",
            "expression": item["expression"],
            "gesture": gesture,
            "intensity": intensity,
            "suggestion": suggestion,
        }
        if said:
            effects.append(Say(phase["cast"], said, item["expression"], gesture, suggestion))
        run.event(
            "show_face",
            None,
            {"phase": phase["id"], "item": item["id"], "expression": item["expression"], "intensity": intensity},
        )

    def named(self, run: ScenarioRun, text: str) -> list[str]:
        """The emotions `text` names (by the emotion, its words, or the item's accepted words)."""
        item = self.at_item(run)
        words = f" {normalise(text)} "
        found = []
        for emotion, names in run.current["emotions"].items():
            extra = item["accept"] if emotion == item["expression"] else []
            if any(f" {normalise(n)} " in words for n in [emotion, *names, *extra] if normalise(n)):
                found.append(emotion)
        return found

    def answer_emotion(
        self, run: ScenarioRun, emotion: str | None, text: str, actor: str | None, effects: list[Effect]
    ) -> None:
        st, phase, item = run.state, run.current, self.at_item(run)
        if emotion is None:
            found = self.named(run, text)
            if len(found) != 1:
                st["misses"] += 1
                st["note"] = "unclear_emotion"
                run.event("emotion_unclear", actor, {"phase": phase["id"], "item": item["id"], "text": text})
                return
            emotion = found[0]
        correct = emotion == item["expression"]
        st["emotion"]["total"] += 1
        st["emotion"]["correct"] += int(correct)
        record = {
            "phase": phase["id"],
            "item": item["id"],
            "expected": item["expression"],
            "given": emotion,
            "correct": correct,
            "intensity": float(run.pick(item["intensity"])),
        }
        st["emotion"]["answers"].append({k: record[k] for k in ("item", "expected", "given", "correct")})
        run.event("emotion_answer", actor, {**record, "text": text})
        effects.append(Scored("emotion", record))
        coach: str = phase.get("coach") or coach_of(run.scenario)
        lead = run.pick(phase.get("right") if correct else phase.get("wrong"))
        said = " ".join(
            t for t in (fill(lead, answer=item["expression"], given=emotion), run.pick(item["explain"])) if t
        )
        effects.append(
            Say(
                coach,
                said,
                "happy" if correct else "neutral",
                "nod" if correct else "none",
                f"{phase['id']}/{item['id']}/explain",
            )
        )
        st["item"] += 1
        self.show_item(run, effects)

    def options(self, run: ScenarioRun) -> list[dict[str, Any]]:
        return [{"id": e, "text": e} for e in run.current["emotions"]]

    def prompt(self, run: ScenarioRun) -> str | None:
        prompt: str | None = run.pick(run.current.get("prompt"))
        return prompt

    def free_text(self, run: ScenarioRun) -> bool:
        return True

    def hint_source(self, run: ScenarioRun) -> dict[str, Any] | None:
        return self.item(run)

    def cue(
        self, run: ScenarioRun, phase: dict[str, Any], roles: dict[str, list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        item = self.item(run)
        if item is None:
            return super().cue(run, phase, roles)
        line = run.state["line"]
        roles[phase["cast"]].append(
            {
                **run.cue_entry(
                    f"{phase['id']}/{item['id']}", item.get("say") or "", item["expression"], item["gesture"], True
                ),
                "intensity": line["intensity"] if line else 1.0,
            }
        )
        if item.get("hint") and run.scenario.coach_role:
            roles[run.scenario.coach_role].append(
                run.cue_entry(f"{phase['id']}/{item['id']}/hint", item["hint"], "neutral", "none", False)
            )
        return [{"id": e, "text": e, "examples": list(n)} for e, n in phase["emotions"].items()]

    def inputs(
        self,
        scenario: Scenario,
        phase: dict[str, Any],
        difficulty: str,
        choices: list[str] | None,
        emotion_answers: str,
    ) -> list[tuple[str, str]]:
        names = list(phase["emotions"])
        out = []
        for item in scenario.items(phase, difficulty):
            answer = item["expression"]
            if emotion_answers == "wrong":
                answer = next(e for e in names if e != item["expression"])
            out.append(("choose", answer))
        return out


@register
class Reflection(PhaseKind):
    """Questions to think about; each is answered in the participant's own words, or skipped."""

    name = "reflection"
    wait = Wait.REFLECTION

    def choose(self, run: ScenarioRun, option_id: str, actor: str | None, effects: list[Effect]) -> None:
        if option_id != SKIP:
            raise WireError(errors.INVALID, "Type your answer, or choose 'skip'.")
        run.event("reflection", actor, {"phase": run.current["id"], "prompt": run.state["prompt"], "skipped": True})
        self.next_prompt(run, effects)

    def answer(self, run: ScenarioRun, text: str, actor: str | None, effects: list[Effect]) -> None:
        run.event("reflection", actor, {"phase": run.current["id"], "prompt": run.state["prompt"], "text": text})
        self.next_prompt(run, effects)

    @staticmethod
    def next_prompt(run: ScenarioRun, effects: list[Effect]) -> None:
        run.state["prompt"] += 1
        if run.state["prompt"] >= len(run.current["prompts"]):
            run.next_phase(effects)

    def options(self, run: ScenarioRun) -> list[dict[str, Any]]:
        return [{"id": SKIP, "text": "Skip"}]

    def prompt(self, run: ScenarioRun) -> str | None:
        prompt: str | None = run.pick(run.current["prompts"][run.state["prompt"]])
        return prompt

    def free_text(self, run: ScenarioRun) -> bool:
        return True

    def inputs(
        self,
        scenario: Scenario,
        phase: dict[str, Any],
        difficulty: str,
        choices: list[str] | None,
        emotion_answers: str,
    ) -> list[tuple[str, str]]:
        return [("answer", f"reflection {i}") for i in range(len(phase["prompts"]))]
