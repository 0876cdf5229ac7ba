"""Phase kinds and wait states as types: each kind is one PhaseKind class, the runner only asks it.

A new kind registered here, in a test, runs through the runner (and is persisted and resumed) without
runner.py knowing it; runner.py compares no string against a wait state or a phase kind name.
"""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path

import pytest

from server.scenarios import MemoryRunStore, Say, ScenarioRun, StateChanged, load_file
from server.scenarios.model import Scenario
from server.scenarios.paths import full_run_inputs
from server.scenarios.phases import KINDS, PhaseKind, register
from server.scenarios.schema import PHASE, PHASE_KINDS
from server.storage.sqlite import SQLiteStorage
from wire import errors
from wire.errors import WireError
from wire.scenario import WAITS, Wait

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "server" / "scenarios" / "runner.py"
MINIMAL = load_file(Path(__file__).resolve().parent / "scenario_fixtures" / "minimal.yaml")


def _strings(node: ast.AST) -> list[str]:
    """String constants in an expression, looking inside tuples, lists and sets."""
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def literal_comparisons(source: str, words: set[str]) -> list[tuple[int, str]]:
    """(line, literal) for every comparison (==, !=, in, not in, match case) against one of `words`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                found += [(node.lineno, s) for s in _strings(side) if s in words]
        elif isinstance(node, ast.MatchValue):
            found += [(node.lineno, s) for s in _strings(node.value) if s in words]
    return found


def test_runner_compares_no_string_against_a_wait_state_or_a_phase_kind():
    words = set(WAITS) | set(PHASE_KINDS) | set(KINDS)
    assert literal_comparisons(RUNNER.read_text(), words) == []


def test_the_literal_check_finds_what_the_runner_used_to_do():
    old = 'if wait in ("continue", "ended"):\n    pass\nif phase["kind"] == "emotion_recognition":\n    pass\n'
    assert literal_comparisons(old, set(WAITS) | set(PHASE_KINDS)) == [
        (1, "continue"),
        (1, "ended"),
        (3, "emotion_recognition"),
    ]


def test_every_schema_phase_kind_has_one_class_and_waits_are_the_wire_values():
    assert set(KINDS) == set(PHASE.variants) == set(PHASE_KINDS)
    assert all(isinstance(k, PhaseKind) and k.name == name for name, k in KINDS.items())
    assert WAITS == (
        "start",
        "continue",
        "choice",
        "ended",
        "emotion",
        "reflection",
        "done",
        "paused",
        "review",
        "confirm",
        "homework",
    )
    assert all(Wait(w) == w for w in WAITS)


def test_the_wait_state_is_stored_and_sent_as_its_plain_string(tmp_path):
    store = SQLiteStorage(tmp_path / "s.db")
    run = ScenarioRun.create(store, "room-1", MINIMAL, "easy", participant_user_id=None)
    assert type(store.get_run(run.run_id)["state"]["wait"]) is str
    effects = run.start()
    run.choose("continue")
    saved = store.get_run(run.run_id)["state"]
    assert type(saved["wait"]) is str and saved["wait"] == "choice"
    assert type(run.view()["wait"]) is str and type(run.cue()["expect"]) is str
    assert type(next(e for e in effects if isinstance(e, StateChanged)).wait) is str
    assert run.wait is Wait.CHOICE
    # a run saved by the code before the enum (plain strings, the same JSON) resumes where it was
    back = ScenarioRun.resume(run.run_id, store, MINIMAL)
    assert back.wait is Wait.CHOICE and back.view() == run.view()
    back.choose("greet")
    assert store.get_run(run.run_id)["state"]["node"] == "chat"
    json.dumps(store.get_run(run.run_id)["state"])


class Echo(PhaseKind):
    """A kind the runner has never heard of: the coach says back what the participant typed."""

    name = "echo_for_test"
    wait = Wait.REFLECTION

    def enter(self, run, phase, effects):
        super().enter(run, phase, effects)
        run.state["note"] = None

    def choose(self, run, option_id, actor, effects):
        raise WireError(errors.INVALID, "Type a word.")

    def answer(self, run, text, actor, effects):
        run.event("echo", actor, {"phase": run.phase["id"], "text": text})
        effects.append(Say(run.scenario.coach_role, f"You said: {text}", "happy", "nod", f"{run.phase['id']}/echo"))
        run.next_phase(effects)

    def options(self, run):
        return []

    def prompt(self, run):
        return run.text(run.phase["ask"])

    def free_text(self, run):
        return True

    def inputs(self, scenario, phase, difficulty, choices, emotion_answers):
        return [("answer", "hello")]


@pytest.fixture
def echo_kind():
    register(Echo)
    yield KINDS[Echo.name]
    del KINDS[Echo.name]


def test_a_phase_kind_registered_in_a_test_runs_through_the_runner(echo_kind, tmp_path):
    assert Echo.name not in RUNNER.read_text()
    data = copy.deepcopy(MINIMAL.data)
    data["phases"].insert(
        0,
        {
            "id": "echo",
            "kind": Echo.name,
            "title": "Echo",
            "lines": [{"cast": "coach", "text": "Let's warm up, {name}.", "expression": "neutral", "gesture": "none"}],
            "ask": {"easy": "Say any word, {name}.", "default": "Say a word."},
        },
    )
    scenario = Scenario(data)
    store = SQLiteStorage(tmp_path / "s.db")
    run = ScenarioRun.create(store, "room-1", scenario, "easy", participant_name="Sam")
    effects = run.start()
    assert [e.text for e in effects if isinstance(e, Say)] == ["Let's warm up, Sam."]
    view = run.view("staff")
    assert view["wait"] == "reflection" and view["phase"]["kind"] == Echo.name
    assert view["prompt"] == "Say any word, Sam." and view["free_text"] and view["options"] == []
    assert view["cue"]["roles"]["coach"][0]["text"] == "Let's warm up, Sam."
    with pytest.raises(WireError):
        run.choose("continue")

    # persisted mid-phase: a restarted server resumes it with the registered kind
    run = ScenarioRun.resume(run.run_id, store, scenario)
    effects = run.answer("  sunshine ")
    assert any(isinstance(e, Say) and e.text == "You said: sunshine" for e in effects)
    assert run.view()["phase"]["id"] == "rationale" and run.wait is Wait.CONTINUE
    assert [ev["data"]["text"] for ev in store.run_events(run.run_id) if ev["kind"] == "echo"] == ["sunshine"]

    # staff can move past it like any phase, and paths plays it through
    again = ScenarioRun.create(MemoryRunStore(), "room-1", scenario, "easy")
    again.start()
    again.advance("staff")
    assert again.view()["phase"]["id"] == "rationale"
    whole = ScenarioRun.create(MemoryRunStore(), "room-1", scenario, "easy")
    whole.start()
    inputs = full_run_inputs(scenario, "easy")
    assert inputs[0] == ("answer", "hello")
    for method, arg in inputs:
        getattr(whole, method)(arg)
    assert whole.finished and whole.summary()["phases"][0] == "echo"
