"""A participant's own records as the server tells them (server/records/mine.py), on a real SQLite store:
which questionnaire is due, what went well in a session, how many records are kept."""

from __future__ import annotations

from pathlib import Path

from server.records import mine
from server.records.questionnaires import Questionnaires
from server.storage.sqlite import SQLiteStorage

SCALE = "scale: {min: 1, max: 5}\nitems: [{id: a, text: One}, {id: b, text: Two}]\n"


def setup(tmp_path: Path) -> tuple[SQLiteStorage, Questionnaires, int]:
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    (folder / "both.yaml").write_text("id: both\nwhen: [pre, post]\n" + SCALE)
    (folder / "after.yaml").write_text("id: after\nwhen: [post]\n" + SCALE)
    store = SQLiteStorage(tmp_path / "peerspace.db")
    uid = store.create_user("Ana", "participant", b"h", b"s")["id"]
    return store, Questionnaires(store, folder), uid


def due(qs: Questionnaires, uid: int) -> dict[str, str | None]:
    return {q["id"]: q["due"] for q in mine.questionnaires(qs, uid)}


def test_pre_until_answered_then_post_after_each_new_pre(tmp_path):
    store, qs, uid = setup(tmp_path)
    assert due(qs, uid) == {"after": "post", "both": "pre"}
    qs.answer(uid, "both", "pre", {"a": 2})
    assert due(qs, uid)["both"] == "post"
    qs.answer(uid, "both", "post", {"a": 4, "b": 4})
    assert due(qs, uid)["both"] is None
    qs.answer(uid, "both", "pre", {"a": 3})  # a new practice course starts
    assert due(qs, uid)["both"] == "post"
    qs.answer(uid, "after", "post", {"a": 1})
    assert due(qs, uid)["after"] == "post"  # asked only after a practice: due after each one
    both = next(q for q in mine.questionnaires(qs, uid) if q["id"] == "both")
    assert (both["pre"], both["post"], both["answered"]) == (2.0, 4.0, 3)  # the first pre, the latest post


def test_what_went_well_and_the_counts_kept(tmp_path):
    store, qs, uid = setup(tmp_path)
    run_id = store.create_run("cafe", "starting_a_conversation", "easy", uid)
    state = {
        "phases_done": ["a", "b"],
        "ratings": {"role_play": {"greet": [2, 1], "ask_question": [1, 1]}, "again": {"end_politely": [2]}},
        "feedback": {"positive": 1},
        "homework": "Say hello.",
    }
    store.save_run_state(run_id, state, "stopped")
    store.append_event("cafe", None, "said", "Ana", {"text": "hi"}, user_id=uid)
    qs.answer(uid, "both", "pre", {"a": 2})
    practice = mine.practice(store, uid, None)
    (s,) = practice["sessions"]
    # without the scenario loaded, step ids stand in for their texts
    assert s["went_well"] == ["end politely", "greet"] and s["parts"] is None and s["parts_done"] == 2
    assert practice["homework"][0]["text"] == "Say hello." and practice["homework"][0]["done"] is None
    assert practice["progress"] == {"sessions": 1, "finished": 0, "scenarios": 1, "skills_went_well": 2}
    assert store.record_counts(uid) == {"sessions": 1, "lines": 1, "questionnaires": 1, "replays": 0, "reports": 0}
