"""Course files (lint messages, the shipped course, the JSON Schema), the homework review and self-rating steps of
a run, the progression rule, and the schedule's iCalendar export (parsed back)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ical_parse import parse as parse_ical
from ical_parse import utc
from server.config import Config, playable_folders
from server.courses import progress, schedule
from server.courses.loader import lint_report, parse
from server.courses.schema import json_schema
from server.records.fidelity import fidelity
from server.scenarios import MemoryRunStore, ScenarioRun, load_file
from server.scenarios.loader import load_folders
from server.scenarios.paths import full_run_inputs
from wire.errors import WireError

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_COURSE = ROOT / "scenarios" / "courses" / "social_skills_8_weeks.yaml"
OPENING = load_file(ROOT / "scenarios" / "courses" / "openings" / "homework_review.yaml")
CONVERSATION = load_file(ROOT / "scenarios" / "starting_a_conversation.yaml")
SCENARIOS = load_folders(playable_folders(Config()))

GOOD = """\
peerspace_course: 1
id: two_weeks
title: Two weeks
summary: A short course.
weeks: 1
sessions_per_week: 2
sessions:
  - title: Hello
    scenarios: [starting_a_conversation]
    difficulty: easy
  - title: Hello again
    scenarios: [homework_review, starting_a_conversation]
    difficulty: medium
    review: true
"""


def lint_text(tmp_path, text: str, name: str = "course.yaml") -> list[str]:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    problems, _ = lint_report([f], SCENARIOS)
    return [str(p) for p in problems]


def test_the_shipped_course_lints_and_covers_every_skill_with_review_sessions():
    problems, files = lint_report([SHIPPED_COURSE.parent], SCENARIOS)
    assert problems == [] and files == [SHIPPED_COURSE]
    course, _ = parse(SHIPPED_COURSE.read_text(encoding="utf-8"), str(SHIPPED_COURSE), SCENARIOS)
    assert course is not None
    assert len(course.sessions) == 16 and course.data["weeks"] == 8 and course.data["sessions_per_week"] == 2
    practised = {sid for s in course.sessions for sid in s["scenarios"]}
    shipped = {p.stem for p in (ROOT / "scenarios").glob("*.yaml")}
    assert shipped <= practised  # the five skills and the emotion exercise
    assert sum(s["review"] for s in course.sessions) >= 3
    assert all(s["scenarios"][0] == "homework_review" for s in course.sessions[1:])  # each opens with homework
    cli = subprocess.run(
        [sys.executable, "-m", "server.courses", "lint"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert cli.returncode == 0, cli.stderr
    assert "ok (0 warning(s))" in cli.stdout


def test_course_lint_errors_say_file_line_and_what_to_write(tmp_path):
    assert lint_text(tmp_path, GOOD) == []
    # an unknown scenario, with the likely one
    out = lint_text(tmp_path, GOOD.replace("[starting_a_conversation]", "[starting_a_conversaton]", 1))
    assert len(out) == 1 and out[0].startswith(f"{tmp_path / 'course.yaml'}:9: session 1 > scenario 1:")
    assert "no scenario 'starting_a_conversaton' (did you mean 'starting_a_conversation'?)" in out[0]
    assert "write e.g. scenarios: [starting_a_conversation]" in out[0]
    # a misspelt key
    out = lint_text(tmp_path, GOOD.replace("difficulty: easy", "dificulty: easy"))
    assert any(":10:" in p and "dificulty" in p and "difficulty" in p for p in out), out
    # a difficulty that is not one
    out = lint_text(tmp_path, GOOD.replace("difficulty: easy", "difficulty: simple"))
    assert any(":10:" in p and "'simple' is not allowed" in p and "one of easy, medium, hard" in p for p in out), out
    # a review session first
    out = lint_text(tmp_path, GOOD.replace("difficulty: easy\n", "difficulty: easy\n    review: true\n"))
    assert any("session 1 is a review session" in p and "write e.g. review: false" in p for p in out), out
    # too few sessions for the weeks: a warning that says how to fix it
    out = lint_text(tmp_path, GOOD.replace("weeks: 1", "weeks: 2"))
    assert out == [
        f"{tmp_path / 'course.yaml'}:7: warning: the course runs 2 week(s) x 2 session(s) = 4 session(s), but lists 2; "
        "allowed: as many sessions as weeks x sessions_per_week; write e.g. weeks: 1, or add or remove sessions"
    ]
    # a required key missing, a tab, an empty file, two documents
    out = lint_text(tmp_path, GOOD.replace("weeks: 1\n", ""))
    assert any("needs 'weeks'" in p and "write e.g. weeks: 8" in p for p in out), out
    out = lint_text(tmp_path, GOOD.replace("  - title: Hello\n", "\t- title: Hello\n", 1))
    assert len(out) == 1 and ":8:" in out[0] and "tab" in out[0]
    assert lint_text(tmp_path, "") == [
        f"{tmp_path / 'course.yaml'}:1: the file is empty; allowed: one course map per "
        "file; write e.g. peerspace_course: 1"
    ]
    # the same id twice across files
    (tmp_path / "a.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(GOOD, encoding="utf-8")
    problems, _ = lint_report([tmp_path / "a.yaml", tmp_path / "b.yaml"], SCENARIOS)
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'b.yaml'}:2: course id 'two_weeks' is also used by {tmp_path / 'a.yaml'}; "
        "allowed: an id unique across all course files"
    ]
    # a session difficulty the scenario lacks, and the CLI's exit code on errors
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "c.yaml").write_text(GOOD.replace("[homework_review, starting_a_conversation]", "[nowhere]"), "utf-8")
    cli = subprocess.run(
        [sys.executable, "-m", "server.courses", "lint", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 1 and f"{bad / 'c.yaml'}:12: session 2 > scenario 1: there is no scenario" in cli.stderr


def test_the_course_json_schema_is_generated_from_the_schema():
    on_disk = json.loads((ROOT / "docs" / "course.schema.json").read_text(encoding="utf-8"))
    assert on_disk == json_schema()
    assert on_disk["properties"]["sessions"]["items"]["properties"]["difficulty"]["enum"] == ["easy", "medium", "hard"]


def _run(scenario, last_homework=None, difficulty="easy"):
    store = MemoryRunStore()
    run = ScenarioRun.create(store, "room-1", scenario, difficulty, participant_user_id=7, participant_name="Sam")
    if last_homework:
        run.state["last_homework"] = last_homework
    run.start()
    return run, store


def test_homework_review_asks_about_the_last_homework_and_stores_the_answer():
    run, store = _run(OPENING, {"run": 3, "text": "Say hello to a neighbour."})
    view = run.view()
    assert view["wait"] == "homework" and "Say hello to a neighbour." in view["prompt"]
    assert [o["id"] for o in view["options"]] == ["done", "partly", "not_yet"] and not view["free_text"]
    assert view["homework_review"] == {"homework": "Say hello to a neighbour.", "status": None}
    with pytest.raises(WireError) as err:
        run.answer("I did it")
    assert err.value.code == "conflict" and "done, partly or not yet" in err.value.message
    with pytest.raises(WireError):
        run.choose("maybe")
    run.choose("partly")
    assert run.view()["free_text"] and [o["id"] for o in run.view()["options"]] == ["skip"]
    run.answer("I said hi but did not ask anything.")
    assert run.status == "finished"
    reviews = [e["data"] for e in store.events if e["kind"] == "homework_review"]
    assert reviews == [
        {
            "phase": "review",
            "status": "partly",
            "homework_run": 3,
            "homework": "Say hello to a neighbour.",
            "text": "I said hi but did not ask anything.",
        }
    ]
    checklist = fidelity([{"ts": 1.0, **e} for e in store.events])
    assert checklist["steps"][0] == {
        "step": "homework_reviewed",
        "label": "Homework reviewed",
        "done": True,
        "source": "event",
        "ts": 1.0,
    }
    assert checklist["total"] == 10
    # without homework set before, the question says so; a plain practice run keeps its nine steps
    first, _ = _run(OPENING)
    assert first.view()["prompt"] == "Did you get to practise anything since last time?"
    plain, plain_store = _run(CONVERSATION)
    assert fidelity([{"ts": 1.0, **e} for e in plain_store.events])["total"] == 9


def test_self_rating_after_a_role_play_ending_is_stored_and_replaced():
    run, store = _run(CONVERSATION)
    inputs = full_run_inputs(CONVERSATION, "easy")
    with pytest.raises(WireError) as err:
        run.rate(5)
    assert err.value.code == "conflict"
    for method, arg in inputs:
        getattr(run, method)(arg)
        if run.view()["self_rating"] is not None:
            break
    assert run.view()["wait"] == "ended" and run.view()["self_rating"] == {"phase": "practice", "value": None}
    with pytest.raises(WireError) as err:
        run.rate(11)
    assert err.value.code == "invalid"
    run.rate(4)
    run.rate(7)
    assert run.view()["self_rating"] == {"phase": "practice", "value": 7}
    rated = [e["data"] for e in store.events if e["kind"] == "self_rating"]
    assert [r["rating"] for r in rated] == [4, 7] and rated[-1]["scores"]["greet"] == 2


RULE = {"step_up_after": 2, "step_down_after": 2, "hard_below": 0.5, "hard_rating": 3}


def play(difficulty, share, rating=None):
    return {"difficulty": difficulty, "share": share, "all_done": share >= 0.5, "rating": rating}


def test_progression_steps_up_after_two_good_role_plays_and_down_after_two_hard_ones():
    assert progress.suggest([], "easy", RULE)["difficulty"] == "easy"
    one = [play("easy", 1.0, 9)]
    assert progress.suggest(one, "easy", RULE)["difficulty"] == "easy"
    up = progress.suggest([*one, play("easy", 0.9, 8)], "easy", RULE)
    assert up == {"difficulty": "medium", "from": "easy", "reason": up["reason"]} and "2 role-plays" in up["reason"]
    # every step done, but the participant found it hard: no step up
    assert progress.suggest([*one, play("easy", 0.9, 2)], "easy", RULE)["difficulty"] == "easy"
    # the streak counts at the current level only
    assert progress.suggest([*one, play("easy", 1.0), play("medium", 1.0)], "easy", RULE)["difficulty"] == "medium"
    down = progress.suggest([play("medium", 0.2), play("medium", 0.8, 1)], "easy", RULE)
    assert down["difficulty"] == "easy" and down["from"] == "medium"
    assert progress.suggest([play("hard", 1.0), play("hard", 1.0)], "easy", RULE)["difficulty"] == "hard"
    assert progress.suggest([play("easy", 0.1), play("easy", 0.1)], "easy", RULE)["difficulty"] == "easy"


def test_a_schedule_and_its_icalendar_file_parse_back():
    starts = schedule.plan("2027-03-22", "18:30", ["mon", "thu"], 4)
    assert starts == ["2027-03-22T18:30", "2027-03-25T18:30", "2027-03-29T18:30", "2027-04-01T18:30"]
    with pytest.raises(WireError):
        schedule.plan("2027-03-22", "18:30", ["monday"], 4)
    with pytest.raises(WireError):
        schedule.zone("Mars/Olympus")
    tz = "Europe/London"  # British Summer Time starts on 28 March 2027: the offset changes mid-course
    events = [
        {
            "uid": f"course-1-{n}@peerspace",
            "start": schedule.starts_at(local, tz),
            "minutes": 90,
            "summary": f"Session {n}; practice, together",
            "description": "Practising: Asking for help, Refusing a request. " + "Ü" * 80,
        }
        for n, local in enumerate(starts, 1)
    ]
    stamp = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
    cal = parse_ical(schedule.ical(events, stamp, "Social skills (Tuesday group)"))
    assert cal["VCALENDAR"]["X-WR-CALNAME"] == "Social skills (Tuesday group)"
    got = cal["VEVENT"]
    assert [e["UID"] for e in got] == [f"course-1-{n}@peerspace" for n in range(1, 5)]
    assert [utc(e["DTSTART"]) for e in got] == [
        dt.datetime(2027, 3, 22, 18, 30, tzinfo=dt.UTC),  # GMT
        dt.datetime(2027, 3, 25, 18, 30, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 29, 17, 30, tzinfo=dt.UTC),  # BST: an hour earlier in UTC
        dt.datetime(2027, 4, 1, 17, 30, tzinfo=dt.UTC),
    ]
    assert all(utc(e["DTEND"]) - utc(e["DTSTART"]) == dt.timedelta(minutes=90) for e in got)
    assert got[0]["SUMMARY"] == "Session 1; practice, together"
    assert got[0]["DESCRIPTION"].endswith("Ü" * 80)
    where = schedule.position(
        [{"number": n, "starts": s, "minutes": 90} for n, s in enumerate(starts, 1)],
        tz,
        dt.datetime(2027, 3, 26, tzinfo=dt.UTC),
    )
    assert where == {"held": 2, "total": 4, "next": 3}
