"""Every shipped scenario lints, and plays to each of its endings at every difficulty."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from server.scenarios import MemoryRunStore, ScenarioRun, lint, load_dir
from server.scenarios.paths import endings_by_difficulty, full_run_inputs, inputs_until, role_play_paths
from server.scenarios.schema import DIFFICULTIES, SST_ORDER

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SHIPPED = load_dir(SCENARIOS)
REQUIRED_TOPICS = {
    "starting_a_conversation",
    "job_interview",
    "asking_for_help",
    "expressing_unpleasant_feeling",
    "refusing_a_request",
    "emotion_recognition",
}


def test_shipped_scenarios_lint_clean():
    assert lint([SCENARIOS]) == []


def test_six_topics_each_with_three_difficulties():
    assert REQUIRED_TOPICS <= {s.data["topic"] for s in SHIPPED.values()}
    for s in SHIPPED.values():
        assert s.difficulties == list(DIFFICULTIES), s.id
        styles = [s.data["difficulty"][d]["partner"] for d in DIFFICULTIES]
        assert styles == ["friendly", "neutral", "impatient"], s.id


def test_scenarios_follow_the_sst_protocol():
    for s in SHIPPED.values():
        kinds = [p["kind"] for p in s.phases if p["kind"] in SST_ORDER]
        assert kinds == list(SST_ORDER), s.id
        assert s.phases[-1]["kind"] == "reflection"


def _play(scenario, difficulty, inputs):
    store = MemoryRunStore()
    run = ScenarioRun.create(store, "room-1", scenario, difficulty, participant_user_id=7, participant_name="Sam")
    run.start()
    for method, arg in inputs:
        assert not run.finished
        getattr(run, method)(arg, actor="participant")
    return run, store


CASES = [(sid, d) for sid in sorted(SHIPPED) for d in DIFFICULTIES]


@pytest.mark.parametrize("sid,difficulty", CASES)
def test_every_path_plays_to_its_ending(sid, difficulty):
    scenario = SHIPPED[sid]
    practice = next(p for p in scenario.phases if p["kind"] == "role_play")
    repeat = next(p for p in scenario.phases if p["kind"] == "repeat_role_play")
    paths = role_play_paths(scenario, practice, difficulty)
    assert paths, "no way through the role-play"
    endings_seen = set()
    for choices, ending in paths:
        inputs = full_run_inputs(scenario, difficulty, {practice["id"]: choices, repeat["id"]: choices})
        run, store = _play(scenario, difficulty, inputs)
        assert run.status == "finished"
        assert [e["ending"] for e in run.state["endings"]] == [ending, ending]
        kinds = [e["kind"] for e in store.run_events(run.run_id)]
        assert kinds[0] == "started" and kinds[-1] == "finished"
        phases = [e["data"]["kind"] for e in store.run_events(run.run_id) if e["kind"] == "phase"]
        assert phases == [p["kind"] for p in scenario.phases]
        scores = run.summary()["scores"][practice["id"]]
        assert set(scores) == {s["id"] for s in scenario.steps}
        assert all(0 <= v <= 2 for v in scores.values())
        endings_seen.add(ending)
    assert endings_seen == endings_by_difficulty(scenario)[difficulty]


def test_every_declared_ending_is_reachable_somewhere():
    for s in SHIPPED.values():
        reachable = set().union(*endings_by_difficulty(s).values())
        assert reachable == set(s.data["endings"]), s.id


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_emotion_set_scores_accuracy(difficulty):
    s = SHIPPED["emotion_recognition"]
    faces = next(p for p in s.phases if p["kind"] == "emotion_recognition")
    n = len(s.items(faces, difficulty))
    run, store = _play(s, difficulty, full_run_inputs(s, difficulty, emotion_answers="right"))
    assert run.summary()["emotion"] == {"correct": n, "total": n, "accuracy": 1.0}
    run, store = _play(s, difficulty, full_run_inputs(s, difficulty, emotion_answers="wrong"))
    assert run.summary()["emotion"]["correct"] == 0 and run.summary()["emotion"]["total"] == n
    answers = [e for e in store.run_events(run.run_id) if e["kind"] == "emotion_answer"]
    assert len(answers) == n and not any(a["data"]["correct"] for a in answers)
    intensities = {a["data"]["intensity"] for a in answers}
    assert max(intensities) <= 1.0


def test_every_option_example_matches_its_own_option():
    for s in SHIPPED.values():
        for phase in s.phases:
            if phase["kind"] != "role_play":
                continue
            for d in s.difficulties:
                for nid, node in phase["nodes"].items():
                    m = s.matcher(phase, nid, d)
                    for opt in s.options(node, d):
                        for ex in opt["examples"]:
                            assert m.match(ex).option == opt["id"], (s.id, nid, ex)


def test_cli_lint_play_and_schema(tmp_path):
    py = sys.executable
    ok = subprocess.run([py, "-m", "server.scenarios", "lint", "scenarios"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    script = tmp_path / "inputs.txt"
    continues = "1\n" * len(
        inputs_until(SHIPPED["starting_a_conversation"], "medium", "practice")
    )  # one per beat up to the role-play
    script.write_text(f"# a comment\n{continues}1\nhello, is this seat taken?\n:stop\n")
    play = subprocess.run(
        [
            py,
            "-m",
            "server.scenarios",
            "play",
            "scenarios/starting_a_conversation.yaml",
            "-d",
            "medium",
            "-s",
            str(script),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert "Alex" in play.stdout and "Run stopped" in play.stdout
    assert "You: hello, is this seat taken?" in play.stdout
    # the dry run shows the beats: the written skill steps, one beat per line, each after Continue
    lines = play.stdout.splitlines()
    first, second = (
        lines.index("(beat 1 of 3; Continue for the next)"),
        lines.index("(beat 2 of 3; Continue for the next)"),
    )
    assert any(line.startswith("Robin: Here are the steps. One:") for line in lines[:first])
    assert any(line.startswith("Robin: Two:") for line in lines[first:second])
    schema = subprocess.run([py, "-m", "server.scenarios", "schema"], cwd=ROOT, capture_output=True, text=True)
    assert schema.returncode == 0 and '"peerspace_scenario"' in schema.stdout


def test_the_dry_run_gives_generated_skill_steps_one_beat_each(tmp_path):
    """A skill_steps phase without lines: the coach says the scenario's steps, one per 'continue'."""
    scenario = SHIPPED["asking_for_help"]
    steps = scenario.steps
    script = tmp_path / "inputs.txt"
    script.write_text("1\n" * (1 + len(steps)) + ":stop\n")  # past the rationale, then each step
    play = subprocess.run(
        [sys.executable, "-m", "server.scenarios", "play", "scenarios/asking_for_help.yaml", "-s", str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert play.returncode == 3, play.stderr  # stopped
    lines = play.stdout.splitlines()
    lines = lines[: next(i for i, line in enumerate(lines) if line.startswith("-- Phase 3 of"))]  # up to modelling
    marks = [i for i, line in enumerate(lines) if line.startswith("(beat ")]
    assert [lines[i] for i in marks] == [
        f"(beat {n} of {len(steps)}{'; Continue for the next' if n < len(steps) else ''})"
        for n in range(1, len(steps) + 1)
    ]
    said = [line for line in lines if line.startswith(("Robin: ", "> "))]
    # each step is said on its own, after the 'continue' that asked for it
    for n, step in enumerate(steps, 1):
        at = said.index(f"Robin: {n}. {step['text']}")
        assert said[at - 1] == "> 1" and (n == len(steps) or said[at + 1] == "> 1")
