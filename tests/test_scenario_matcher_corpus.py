"""Auto-scoring on the labelled corpus of typed answers (tests/data/answers.csv): a quality gate on data.

The same figures as bench/matcher.py (docs/performance.md): no negated, sarcastic, rude or crisis answer
is scored on its own, and what is scored on its own is right at least 95 % of the time. Not timed.
"""

import importlib.util
import sys
from pathlib import Path

from server.scenarios import MemoryRunStore, ScenarioRun, answer_risk, load_file
from server.scenarios.matcher import IntentMatcher
from server.scenarios.runner import ParticipantSaid, Say, Scored

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_matcher", ROOT / "bench" / "matcher.py")
assert _spec is not None and _spec.loader is not None
bench = sys.modules["bench_matcher"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_the_corpus_is_big_varied_and_labelled_against_real_nodes():
    rows = bench.read_corpus()
    assert len(rows) >= 200
    assert {r.tag for r in rows} == {
        "paraphrase",
        "exact",
        "typo",
        "negation",
        "sarcasm",
        "rude",
        "offtopic",
        "oneword",
        "crisis",
    }
    assert {r.scenario for r in rows} == set(bench.scenarios())  # every shipped scenario
    bench.judge(rows)  # every row names a real free-text node, and a label that is one of its options


def test_no_risky_answer_is_auto_scored_and_auto_scoring_is_precise():
    judged = bench.judge(bench.read_corpus())
    new, old = bench.figures(judged, "new"), bench.figures(judged, "old")
    assert new["risky_auto"] == 0, [(j.row.text, j.new) for j in judged if j.new and j.row.tag in bench.RISKY_TAGS]
    assert new["precision"] >= 0.95 and new["recall"] >= 0.7, new
    # what today's rule did on the same corpus, so the gate shows the change it guards
    assert old["risky_auto"] > 0 and old["precision"] < new["precision"]


def test_the_six_failing_cases_of_the_issue_are_in_the_corpus_and_not_scored_alone():
    cases = {
        "I don't want an appointment, I'm calling to cancel one.",
        "Oh great, thanks for nothing. What should I do differently then, genius?",
        "Just get me a doctor, you useless idiot.",
        "I'm easily the best person you'll see today, I've run three shops on my own.",  # a boast, no greeting
        "Hiya, it's Sam Jones here, could I get an appointment to see the GP please?",
        "whatever, I don't care",
    }
    judged = {j.row.text: j for j in bench.judge(bench.read_corpus())}
    assert cases <= set(judged)
    assert all(judged[t].new is None for t in cases), {t: judged[t].route for t in cases}
    # the perfect paraphrase, written for this scene, is scored on its own
    hiya = (
        "Hiya, it's Sam Jones here, could I get some help with the proof of address section of this bus pass form"
        " please?"
    )
    assert judged[hiya].new == "specific"


def test_confidence_falls_with_a_close_runner_up_and_the_old_threshold_still_holds():
    m = IntentMatcher({"greet": ["hello my name is", "hi I am"], "ask": ["how are you", "how is your day"]})
    sure = m.match("hello, my name is Sam")
    assert sure.option == sure.nearest == "greet" and sure.sure and sure.confidence > 0.55
    assert [c[0] for c in sure.candidates] == ["greet", "ask"]
    both = m.match("hi I am Sam, how are you")  # near both: unsure however high its best similarity
    assert both.score >= 0.4 and both.confidence < both.score and not both.sure
    far = m.match("purple elephants")
    assert far.option is None and not far.near and not far.sure


def test_risk_signals_read_negation_against_the_option_and_ignore_idioms():
    risk = answer_risk.shipped()
    refuse = ["I'm sorry, I can't this Saturday.", "can't this Saturday"]
    assert risk.signals("Sorry, I can't do this Saturday", refuse) == []  # the option says "can't" too
    assert risk.signals("I don't want an appointment, I'm calling to cancel one.", ["I need help"]) == ["negation"]
    assert risk.signals("No problem at all, nice to meet you", ["Nice to meet you"]) == []
    assert risk.signals("It's quiet here, isn't it?", ["It's nice and quiet"]) == []
    assert risk.signals("whatever, I don't care", ["(You look at Jamie.)"]) == ["negation", "dismissive"]
    assert risk.signals("Oh great, thanks for nothing", ["Thank you"]) == ["negation", "sarcasm"]
    assert risk.signals("you useless idiot", []) == ["abuse"]
    assert risk.signals("I want to kill myself", [], crisis=lambda t: "kill myself" in t) == ["crisis"]


def test_the_runner_never_scores_a_crisis_answer_even_when_the_room_did_not_stop_it():
    """Belt and braces: the room pauses first (intents._crisis_answer); the runner itself does not score it."""
    scenario = load_file(ROOT / "scenarios" / "asking_for_help.yaml")
    store = MemoryRunStore()
    run = ScenarioRun.create(store, "room", scenario, "hard")
    run.crisis = lambda text: "kill myself" in text
    run.start()
    while run.view()["wait"] == "continue":
        run.choose("continue")
    effects = run.answer("I can't go on like this. I want to kill myself.")
    assert not [e for e in effects if isinstance(e, (Scored, Say))]
    assert [e.option for e in effects if isinstance(e, ParticipantSaid)] == [None]
    kinds = [e["kind"] for e in store.run_events(run.run_id)]
    assert "choice" not in kinds and "score" not in kinds
    assert store.run_events(run.run_id)[-1]["data"]["reason"] == "crisis"
    assert run.view()["node"] == "desk" and run.view()["wait"] == "choice"
