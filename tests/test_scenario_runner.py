"""ScenarioRun: the per-room state machine, its persistence and resume after a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.scenarios import (
    Finished,
    IntentMatcher,
    MemoryRunStore,
    ParticipantSaid,
    Say,
    ScenarioRun,
    Scored,
    Show,
    StateChanged,
    load_file,
)
from server.scenarios.paths import full_run_inputs, inputs_until
from server.storage.sqlite import SQLiteStorage
from wire.errors import WireError

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = load_file(Path(__file__).resolve().parent / "scenario_fixtures" / "minimal.yaml")
CONVERSATION = load_file(ROOT / "scenarios" / "starting_a_conversation.yaml")
EMOTIONS = load_file(ROOT / "scenarios" / "emotion_recognition.yaml")


class RecordingStore(MemoryRunStore):
    """Records the order of storage calls, to check persistence happens before effects are returned."""

    def __init__(self):
        super().__init__()
        self.calls: list[str] = []

    def append_event(self, *a, **kw):
        self.calls.append("event")
        return super().append_event(*a, **kw)

    def save_run_state(self, *a, **kw):
        self.calls.append("state")
        return super().save_run_state(*a, **kw)


def new_run(scenario=MINIMAL, difficulty="easy", store=None):
    store = store if store is not None else MemoryRunStore()
    run = ScenarioRun.create(store, "room-1", scenario, difficulty, participant_user_id=3, participant_name="Sam")
    return run, store


def test_start_enters_the_first_phase_and_cues_the_coach():
    run, store = new_run()
    effects = run.start()
    assert isinstance(effects[0], Say) and effects[0].cast == "coach" and effects[0].text == "Greeting people helps."
    assert isinstance(effects[-1], StateChanged) and effects[-1].phase == "rationale"
    view = run.view()
    assert view["wait"] == "continue" and view["options"] == [{"id": "continue", "text": "Continue"}]
    assert view["phase"]["kind"] == "rationale" and "cue" not in view
    assert [e["kind"] for e in store.run_events(run.run_id)] == ["started", "phase"]
    with pytest.raises(WireError):
        run.start()


def test_choices_score_steps_and_reach_an_ending():
    run, store = new_run()
    run.start()
    run.choose("continue")
    assert run.view()["line"]["text"] == "Hi there!"
    effects = run.choose("greet", actor="participant")
    assert any(isinstance(e, ParticipantSaid) and e.text == "Hello, I'm Sam." for e in effects)
    assert any(isinstance(e, Scored) and e.data == {"phase": "practice", "step": "greet", "points": 2} for e in effects)
    run.choose("ask")
    view = run.view()
    assert view["wait"] == "ended" and view["ending"]["id"] == "good"
    assert view["scores"]["practice"] == {"greet": 2, "ask": 2}
    with pytest.raises(WireError) as exc:
        run.choose("greet")
    assert exc.value.code == "invalid"


def test_free_text_is_matched_to_an_option_or_asks_again():
    run, store = new_run(difficulty="hard")
    run.start()
    run.choose("continue")
    assert run.view()["hints"] == []  # hard: hints only after a miss
    effects = run.answer("the weather is strange")
    assert any(isinstance(e, Say) and e.text == "Sorry?" for e in effects)
    view = run.view()
    assert view["note"] == "no_match" and view["node"] == "hello"
    assert view["hints"] == ["Say hello and your name."]
    run.answer("hello, my name is Jo")
    assert run.view()["node"] == "chat"
    events = store.run_events(run.run_id)
    choice = [e for e in events if e["kind"] == "choice"][-1]
    assert choice["data"]["option"] == "greet" and choice["data"]["via"] == "text"
    assert any(e["kind"] == "no_match" for e in events)


def test_intent_matcher_tolerates_typos_and_rejects_unrelated_text():
    m = IntentMatcher({"greet": ["hello my name is", "hi I am"], "ask": ["how are you", "how is your day"]})
    assert m.match("helo, my nam is Sam").option == "greet"
    assert m.match("How's your day been?").option == "ask"
    assert m.match("purple elephants").option is None


def test_feedback_cues_follow_scores_and_tags_are_recorded():
    run, store = new_run()
    run.start()
    run.choose("continue")
    run.choose("greet")
    run.choose("leave")  # 'ask' never done: corrective is about asking
    effects = run.choose("continue")  # -> feedback phase
    cues = {e.suggestion: e for e in effects if isinstance(e, Say)}
    assert cues["feedback/positive"].text == "Good: Nice hello."
    assert cues["feedback/corrective"].text == "Try: Ask how they are."
    staff = run.view("staff")["cue"]["roles"]["coach"]
    assert {c["id"] for c in staff} >= {"feedback/positive", "feedback/corrective"}
    # the coach's controller speaks the cue verbatim and reports it: a tagged feedback event
    run.cast_said("coach", "Good: Nice hello.", "feedback/positive", actor="agent:1")
    run.feedback("corrective", "Maybe ask a question next time.", actor="user:2")
    fb = [e for e in store.run_events(run.run_id) if e["kind"] == "feedback"]
    assert [(e["data"]["kind"], e["actor"]) for e in fb] == [("positive", "agent:1"), ("corrective", "user:2")]
    said = [e for e in store.run_events(run.run_id) if e["kind"] == "said"][-1]
    assert said["data"]["verbatim"] is True
    assert run.summary()["feedback"] == {"positive": 1, "corrective": 1}


def test_cue_lists_suggestions_and_participant_intents_for_controllers():
    run, _ = new_run(CONVERSATION, "medium")
    run.start()
    for method, arg in inputs_until(CONVERSATION, "medium", "practice"):  # one 'continue' per beat
        getattr(run, method)(arg)
    run.choose("wait")
    cue = run.cue()
    primary = [c for c in cue["roles"]["alex"] if c["primary"]]
    assert primary and primary[0]["text"] == "Okay, talk to you later. Bye!"
    assert {i["id"] for i in cue["intents"]} == {"greet_intro", "greet_only", "sit_silently"}
    assert all(i["examples"] for i in cue["intents"])
    assert cue["expect"] == "choice"
    assert "{name}" not in run.view()["options"][0]["text"] and "Sam" in run.view()["options"][0]["text"]


def test_advance_skips_a_role_play_and_stop_ends_the_run():
    run, store = new_run()
    run.start()
    run.choose("continue")
    run.advance(actor="user:2")
    assert run.phase["kind"] == "feedback"
    assert run.state["endings"] == [{"phase": "practice", "ending": None}]
    effects = run.stop(actor="user:2")
    assert isinstance(effects[0], Finished) and effects[0].status == "stopped"
    assert store.get_run(run.run_id)["status"] == "stopped"
    for call in (lambda: run.choose("continue"), lambda: run.answer("hi"), run.advance, run.stop):
        with pytest.raises(WireError):
            call()


def test_emotion_answers_are_scored_from_names_and_synonyms():
    run, store = new_run(EMOTIONS, "hard")
    effects = []
    run.start()
    for method, arg in inputs_until(EMOTIONS, "hard", "faces"):  # one 'continue' per beat
        effects = getattr(run, method)(arg)
    show = [e for e in effects if isinstance(e, Show)]
    assert show and show[0].expression == "happy" and show[0].intensity == 0.35
    run.answer("she looks pleased")  # synonym of happy: right
    run.answer("I'm not sure")  # no emotion named: asked again, not scored
    assert run.view()["note"] == "unclear_emotion"
    run.answer("angry")  # it is sad: wrong
    assert run.state["emotion"]["correct"] == 1 and run.state["emotion"]["total"] == 2
    answers = [e["data"] for e in store.run_events(run.run_id) if e["kind"] == "emotion_answer"]
    assert [(a["expected"], a["given"], a["correct"]) for a in answers] == [
        ("happy", "happy", True),
        ("sad", "angry", False),
    ]


def test_persisted_before_effects_are_returned():
    store = RecordingStore()
    run, _ = new_run(store=store)
    store.calls.clear()
    run.start()
    assert store.calls[-1] == "state" and store.calls.count("event") == 2
    saved = store.get_run(run.run_id)["state"]
    assert saved == run.state


def test_a_run_survives_a_restart_with_sqlite(tmp_path):
    db = tmp_path / "peerspace.db"
    store = SQLiteStorage(db)
    run = ScenarioRun.create(store, "room-7", CONVERSATION, "hard", participant_user_id=None, participant_name="Sam")
    run.start()
    inputs = full_run_inputs(CONVERSATION, "hard")
    half = len(inputs) // 2
    for method, arg in inputs[:half]:
        getattr(run, method)(arg, actor="participant")
    before_view, before_events = run.view("staff"), store.run_events(run.run_id)
    store.close()

    # the server restarts: a new process opens the same file and resumes every active run
    store2 = SQLiteStorage(db)
    active = store2.active_runs()
    assert [r["run_id"] for r in active] == [run.run_id] and active[0]["room_id"] == "room-7"
    conversation = load_file(ROOT / "scenarios" / "starting_a_conversation.yaml")
    resumed = ScenarioRun.resume(active[0]["run_id"], store2, conversation)
    assert resumed.view("staff") == before_view
    assert resumed.difficulty == "hard" and resumed.room_id == "room-7"
    for method, arg in inputs[half:]:
        getattr(resumed, method)(arg, actor="participant")
    assert resumed.status == "finished"
    assert store2.get_run(run.run_id)["status"] == "finished"
    events = store2.run_events(run.run_id)
    assert events[: len(before_events)] == before_events
    phases = [e["data"]["kind"] for e in events if e["kind"] == "phase"]
    assert phases == [p["kind"] for p in CONVERSATION.phases]
    store2.close()


def test_resume_after_the_scenario_file_changed_restarts_a_vanished_node(tmp_path):
    store = MemoryRunStore()
    run, _ = new_run(store=store)
    run.start()
    run.choose("continue")
    run.choose("greet")  # now at node 'chat'
    changed = load_file(Path(__file__).resolve().parent / "scenario_fixtures" / "minimal.yaml")
    nodes = changed.phase("practice")["nodes"]
    nodes["hello"]["options"][0]["next"] = "bye_good"
    del nodes["chat"]
    changed.__dict__.pop("content_hash", None)
    resumed = ScenarioRun.resume(run.run_id, store, changed)
    assert resumed.view()["node"] == "hello"
    assert store.run_events(run.run_id)[-1]["kind"] == "resumed_changed"


def test_unknown_difficulty_and_bad_inputs_are_wire_errors():
    with pytest.raises(WireError):
        ScenarioRun.create(MemoryRunStore(), "r", MINIMAL, "medium")
    run, _ = new_run()
    with pytest.raises(WireError) as exc:
        run.choose("continue")
    assert exc.value.code == "conflict"
    run.start()
    with pytest.raises(WireError):
        run.answer("   ")
    with pytest.raises(WireError):
        run.feedback("praise", "x")
    with pytest.raises(WireError):
        run.cast_said("you", "hello")


def test_generated_skill_steps_are_in_the_coach_palette_and_a_resumed_run_keeps_its_beat_in_range():
    scenario = load_file(ROOT / "scenarios" / "asking_for_help.yaml")
    difficulty = scenario.difficulties[0]
    run, store = new_run(scenario, difficulty)
    run.start()
    run.choose("continue")  # the skill steps: the first step is said, the others follow one per 'continue'
    assert run.view()["beat"] == {"index": 0, "count": len(scenario.steps)}
    palette = [c["id"] for c in run.cue()["roles"]["coach"]]
    assert palette == [f"skill_steps/step/{s['id']}" for s in scenario.steps]  # whoever drives the coach sees all
    for method, arg in inputs_until(scenario, difficulty, "modelling")[1:]:
        getattr(run, method)(arg)
    run.choose("continue")
    run.choose("continue")
    assert run.view()["phase"]["kind"] == "modelling" and run.view()["beat"] == {"index": 2, "count": 3}
    # the file changes while the run is at the last beat: one beat fewer. The run is at the (new) last one.
    changed = load_file(ROOT / "scenarios" / "asking_for_help.yaml")
    marked = [line for line in changed.phase("modelling")["lines"] if line.get("beat_end")]
    del marked[-1]["beat_end"]
    changed.__dict__.pop("content_hash", None)
    resumed = ScenarioRun.resume(run.run_id, store, changed)
    assert resumed.view()["beat"] == {"index": 1, "count": 2}
    resumed.choose("continue")
    assert resumed.view()["phase"]["kind"] == "role_play"
