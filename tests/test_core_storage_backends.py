"""Every repository of the store, on both backends: a SQLite file and a real PostgreSQL server (tests/pgserver.py).

The same calls must give the same answers: types included (ints, floats, bytes, decoded JSON), order included.
"""

from __future__ import annotations

import sqlite3
import time

import pytest

from server.storage import open_storage
from server.storage.migrations import MIGRATIONS


@pytest.fixture
def store(database_url):
    s = open_storage(database_url)
    yield s
    s.close()


def _people(store):
    ana = store.create_user("Ana", "participant", b"h1", b"s1")
    ben = store.create_user("Ben", "participant", b"h2", b"s2")
    sam = store.create_user("Sam", "peer_specialist", b"h3", b"s3")
    return ana["id"], ben["id"], sam["id"]


def test_migrated_to_the_last_version_and_reopening_changes_nothing(database_url):
    store = open_storage(database_url)
    assert store.schema_version == len(MIGRATIONS)
    store.create_user("Ana", "participant", b"h", b"s")
    store.close()
    again = open_storage(database_url)
    assert again.schema_version == len(MIGRATIONS)
    assert again.find_user("Ana") is not None
    again.close()


def test_accounts(store):
    ana = store.create_user("Ana", "participant", b"\x00hash", b"salt")
    assert ana["name"] == "Ana" and ana["pw_hash"] == b"\x00hash" and isinstance(ana["created"], float)
    assert store.find_user("ANA")["id"] == ana["id"]  # names are case-blind, as people type them
    with pytest.raises(sqlite3.IntegrityError):
        store.create_user("ana", "participant", b"h", b"s")
    store.set_password(ana["id"], b"new", b"salt2")
    assert bytes(store.get_user(ana["id"])["pw_hash"]) == b"new"
    start = store.last_revocation()
    assert store.revoke_sessions(ana["id"], "logout") == 1
    store.set_banned_until(ana["id"], time.time() + 60)
    revs = store.revocations_since(start)
    assert [(r["user_id"], r["reason"]) for r in revs] == [(ana["id"], "logout"), (ana["id"], "ban")]
    assert store.get_user(ana["id"])["session_epoch"] == 2
    store.set_consent(ana["id"], True)
    store.set_appearance(ana["id"], '{"hair": 2}')
    user = store.get_user(ana["id"])
    assert user["consent_recording"] == 1 and user["appearance"] == '{"hair": 2}'
    assert [u["name"] for u in store.list_users()] == ["Ana"]


def test_rooms_groups_scope_and_cast_controls(store):
    ana, ben, sam = _people(store)
    store.save_room("cafe", "Café", "cafe", 8, sam)
    group = store.add_group("Tuesday")
    assert store.find_group("tuesday")["id"] == group["id"]
    store.set_room_access("cafe", "members", group["id"])
    store.add_group_member(group["id"], ana)
    store.add_group_member(group["id"], ana)  # twice: ignored
    store.assign_group_staff(group["id"], sam)
    store.assign_participant(sam, ben)
    store.assign_participant(sam, ben)
    entry = store.room_entry("cafe", ana)
    assert entry["access"] == "members" and entry["member"] and not entry["staff"]
    assert not store.room_entry("cafe", ben)["member"]
    assert store.groups_of(ana) == [group["id"]]
    assert store.staff_scope(sam) == {ana, ben}
    assert store.staff_sees_person(sam, ana) and not store.staff_sees_person(ana, ben)
    assert [(g["name"], g["members"], g["staff"]) for g in store.list_groups()] == [("Tuesday", 1, 1)]
    assert [p["id"] for p in store.participants_overview(sam)] == [ana, ben]
    assert [p["sessions"] for p in store.participants_overview(None)] == [0, 0]
    # saving a room again replaces it whole: its access goes back to the default
    store.save_room("cafe", "Café 2", "cafe", 10, None)
    room = store.get_room("cafe")
    assert (room["name"], room["capacity"], room["access"], room["group_id"]) == ("Café 2", 10, "open", None)
    assert [r["id"] for r in store.list_rooms()] == ["cafe"]
    assert store.remove_group_member(group["id"], ana) and not store.remove_group_member(group["id"], ana)
    assert store.unassign_participant(sam, ben) and not store.unassign_participant(sam, ben)

    store.set_cast_claim("cafe", "friend", sam)
    store.set_cast_supervision("cafe", "friend", sam, 30)
    (row,) = store.cast_controls("cafe")
    assert (row["claimed_by"], row["claimed_name"], row["supervisor"], row["supervise_seconds"]) == (
        sam,
        "Sam",
        sam,
        30,
    )
    store.set_cast_claim("cafe", "friend", None)
    store.set_cast_supervision("cafe", "friend", None, None)
    assert store.cast_controls() == []


def test_runs_events_and_replays(store):
    ana, ben, sam = _people(store)
    store.assign_participant(sam, ana)
    run = store.create_run("cafe", "greeting", "easy", ana)
    other = store.create_run("cafe", "greeting", "easy", ben)
    store.save_run_state(run, {"step": 2}, "active")
    assert store.get_run(run)["state"] == {"step": 2} and store.get_run(run)["run_id"] == run
    e1 = store.append_event("cafe", run, "said", "Ana", {"text": "hi"}, ana)
    store.append_event("cafe", None, "said", "Sam", {"text": "hello"}, sam)
    store.append_event("cafe", None, "said", "Ben", {"text": "not in Ana's session"}, ben)
    assert [e["data"]["text"] for e in store.room_events("cafe", since_id=e1)] == ["hello", "not in Ana's session"]
    assert [e["id"] for e in store.run_events(run)] == [e1]
    assert [r["id"] for r in store.active_runs()] == [run, other]
    assert [r["id"] for r in store.runs(ana)] == [run]
    assert [r["id"] for r in store.runs_in_scope(sam)] == [run]
    assert [r["id"] for r in store.runs_in_scope(None, limit=1)] == [other]
    assert [r["id"] for r in store.runs_in_scope(None, participant_id=ben)] == [other]
    transcript = store.run_transcript(run, "cafe", 0, time.time() + 1, ana)
    assert [e["data"]["text"] for e in transcript] == ["hi", "hello"]
    assert len(store.run_transcript(run, "cafe", 0, time.time() + 1, None)) == 2

    store.add_pose_sample(run, 0.5, b"\x01\x02", '["Ana"]')
    store.add_pose_sample(run, 1.0, b"\x03", None)
    assert store.pose_frame_count(run) == 2
    frames = store.pose_frames(run, 0.0, 10)
    assert [(f["t"], bytes(f["poses"]), f["members"]) for f in frames] == [
        (0.5, b"\x01\x02", '["Ana"]'),
        (1.0, b"\x03", None),
    ]
    assert store.pose_members_at(run, 0.9)["members"] == '["Ana"]'
    span = store.pose_track_span(run)
    assert (span["n"], span["t0"], span["t1"]) == (2, 0.5, 1.0)
    qid = store.add_questionnaire_answer(ana, "wellbeing", "before", run, {"q1": 3}, 3.0)
    assert [(a["id"], a["answers"], a["score"]) for a in store.questionnaire_answers(ana)] == [(qid, {"q1": 3}, 3.0)]


def test_safety_alerts_and_history(store):
    ana, ben, sam = _people(store)
    store.assign_participant(sam, ana)
    store.block(ana, ben)
    store.block(ana, ben)
    assert [b["user"] for b in store.blocked_by(ana)] == [ben] and store.all_blocks() == [(ana, ben)]
    assert store.unblock(ana, ben) and not store.unblock(ana, ben)
    report = store.add_report_with_alert("cafe", ana, ben, "harassment", None, 1, told=["Sam"], severity="high")
    assert isinstance(report, int)
    store.add_report("cafe", ben, None, "other", "a note")
    assert [r["reporter"] for r in store.reports()] == ["Ben", "Ana"]
    assert [r["id"] for r in store.reports(["cafe"], staff=sam)] == [report]
    crisis = store.add_alert("cafe", ana, "crisis", "self_harm", None, 2, live_key="k1", severity="high")
    alerts = store.alerts()
    assert alerts[0]["id"] == crisis and alerts[1]["told"] == ["Sam"]  # open crises first
    assert [a["id"] for a in store.alerts(["cafe"], staff=sam)] == [crisis, crisis - 1]
    assert store.alert_by_key("k1")["id"] == crisis
    assert store.acknowledge_alert(crisis, sam) and not store.acknowledge_alert(crisis, sam)
    assert not store.handle_alert(crisis, sam, ["called"], "ok now", True)
    handled = store.alert(crisis)
    assert (handled["status"], handled["actions"], handled["follow_up"], handled["handled_name"]) == (
        "handled",
        ["called"],
        1,
        "Sam",
    )
    history = store.alert_history(crisis)
    assert [h["action"] for h in history] == ["acknowledged", "acknowledged", "handled"]
    assert history[-1]["details"] == {"actions": ["called"], "note": "ok now", "follow_up": True}
    store.set_alert_status(crisis, "closed")
    store.set_on_duty(sam, True)
    store.set_on_duty(sam, True)
    assert [d["name"] for d in store.on_duty()] == ["Sam"]
    store.set_on_duty(sam, False)
    assert store.on_duty() == []
    store.log_action("cafe", sam, ben, "mute", time.time() + 60)
    assert [(a["staff"], a["target"], a["action"]) for a in store.actions()] == [("Sam", "Ben", "mute")]


def test_escalation_rounds_are_claimed_once(store):
    ana, _, sam = _people(store)
    store.save_room("cafe", "Café", "cafe", 8, None)
    alert = store.add_alert("cafe", ana, "crisis", None, None, 0)
    now = time.time() + 10
    (due,) = store.alerts_to_escalate(["crisis", "help_request"], 5.0, 60.0, now)
    assert (due["id"], due["rounds"], due["last_round"], due["room_name"]) == (alert, 0, None, "Café")
    assert store.claim_escalation_round(alert, 1, now)
    assert not store.claim_escalation_round(alert, 1, now)
    assert store.alerts_to_escalate(["crisis"], 5.0, 60.0, now + 1) == []  # the last round is too recent
    assert [a["rounds"] for a in store.alerts_to_escalate(["crisis"], 5.0, 60.0, now + 61)] == [1]
    store.add_escalation_attempt(alert, 1, "webhook", now, False, "timeout")
    store.add_escalation_attempt(alert, 1, "webhook", now + 1, True, None)
    assert [a["ok"] for a in store.escalation_attempts(alert)] == [0, 1]
    status = store.escalation_status([alert])[alert]
    webhook = status["channels"]["webhook"]
    assert (status["rounds"], webhook["ok"], webhook["sent"], webhook["failed"]) == (1, True, 1, 1)
    assert type(webhook["sent"]) is int
    assert store.alert_severity(alert) is None and store.alert_is_open(alert)
    store.acknowledge_alert(alert, sam)
    assert not store.alert_is_open(alert) and not store.claim_escalation_round(alert, 2, now)


def test_helpline_export_and_delete(store):
    ana, ben, sam = _people(store)
    channel = {"key": "h1", "participant_id": ana, "opened": time.time()}
    store.save_help_channel(channel)
    store.add_help_line({**channel, "staff_id": sam, "agreed": time.time()}, ana, time.time(), "can we talk")
    store.add_help_line(channel, sam, time.time() + 1, "yes")  # a late write keeps who joined
    (mine,) = store.help_channels(ana)
    assert mine["staff"] == "Sam" and [line["text"] for line in mine["lines"]] == ["can we talk", "yes"]
    (theirs,) = store.help_channels(sam)
    assert [line["text"] for line in theirs["lines"]] == ["yes"]

    run = store.create_run("cafe", "greeting", "easy", ana)
    store.append_event("cafe", run, "said", "Ana", {"text": "hi"}, ana)
    store.add_pose_sample(run, 0.5, b"\x01", None)
    store.block(ana, ben)
    export = store.export_user(ana)
    assert export["user"]["name"] == "Ana" and export["replays"][0]["frames"][0]["poses"] == "AQ=="
    assert [e["data"] for e in export["events"]] == [{"text": "hi"}] and len(export["help_channels"]) == 1
    assert store.delete_user(ana) and not store.delete_user(ana)
    assert store.find_user("Ana") is None and store.runs() == [] and store.help_channels(sam) == []
    assert store.revocations_since(0)[-1]["reason"] == "delete"


def test_scenario_versions(store):
    _, _, sam = _people(store)
    v1 = store.save_scenario_version("greeting", "id: greeting\n", sam, 1.0, 0, "abc")
    v2 = store.save_scenario_version("greeting", "id: greeting # 2\n", sam, 2.0, 1, "def")
    assert [v["id"] for v in store.scenario_versions("greeting")] == [v2, v1]
    assert store.scenario_version(v1)["saved_by_name"] == "Sam"
    assert store.latest_scenario_version("greeting")["id"] == v2
    assert store.publish_scenario_version(v1, sam, 3.0) and not store.publish_scenario_version(999, sam, 3.0)
    (edited,) = store.edited_scenarios()
    assert (edited["latest"], edited["versions"], edited["published_version"]) == (v2, 2, v1)
    assert [p["id"] for p in store.published_scenarios()] == [v1]
    assert store.scenario_version_by_hash("greeting", "abc")["id"] == v1
    assert store.scenario_version_by_hash("greeting", "def") is None


def test_health_probe_writes(store):
    assert store.probe_write() == "ok"
    assert store.probe_write() == "ok"
    assert store.write_fault is False


def _fill(store):
    """Some of every kind of record (the copy test checks each table is non-empty)."""
    ana, ben, sam = _people(store)
    store.save_room("cafe", "Café", "cafe", 8, sam)
    group = store.add_group("Tuesday")
    store.add_group_member(group["id"], ana)
    store.assign_group_staff(group["id"], sam)
    store.assign_participant(sam, ben)
    store.block(ana, ben)
    run = store.create_run("cafe", "greeting", "easy", ana)
    event = store.append_event("cafe", run, "said", "Ana", {"text": "hi"}, ana)
    store.add_pose_sample(run, 0.5, b"\x00\xff", '["Ana"]')
    store.add_questionnaire_answer(ana, "wellbeing", "before", run, {"q1": 3}, 3.0)
    store.revoke_sessions(ben, "logout")
    store.add_report_with_alert("cafe", ana, ben, "harassment", "note", 1, told=["Sam"])
    alert = store.add_alert("cafe", ana, "crisis", "self_harm", event, 1, live_key="k")
    store.handle_alert(alert, sam, ["called"], None, False)
    store.claim_escalation_round(alert - 1, 1, time.time())
    store.add_escalation_attempt(alert - 1, 1, "webhook", time.time(), True, None)
    store.log_action("cafe", sam, ben, "mute")
    store.set_on_duty(sam, True)
    store.add_help_line({"key": "h1", "participant_id": ana, "opened": 1.0, "staff_id": sam}, ana, 2.0, "help")
    store.set_cast_claim("cafe", "friend", sam)
    store.save_scenario_version("greeting", "id: greeting\n", sam, 1.0, 0, "abc")
    store.set_course_run(group["id"], "social_skills_8_weeks", "Europe/London", [(1, "2026-12-01T10:00", 60)], sam)
    store.add_peer_fidelity(sam, run, sam, {"hope": 3}, "kind")
    store.probe_write()
    return ana


def _cli(*args, env=None):
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_db_copy_moves_every_table_with_counts_and_content(tmp_path, postgres):
    from server.storage.copy import COPY_ORDER, _batches, table_counts

    path = tmp_path / "old.db"
    old = open_storage(str(path))
    ana = _fill(old)
    counts = table_counts(old)
    assert set(counts) == set(COPY_ORDER) - {"store_probe"} and all(counts.values()), counts  # every kind of record
    old.close()

    url = postgres.database()
    out = _cli("db", "copy", "--from", f"sqlite:{path}", "--to", url)
    assert out.returncode == 0, out.stderr
    assert f"copied {sum(counts.values())} rows" in out.stdout

    old, new = open_storage(str(path)), open_storage(url)
    assert table_counts(new) == counts
    for table in counts:
        assert [r for b in _batches(new, table) for r in b] == [r for b in _batches(old, table) for r in b], table
    assert new.export_user(ana)["events"] == old.export_user(ana)["events"]
    # ids continue after the copied ones, and the copy is a working store
    assert new.create_user("Dee", "participant", b"h", b"s")["id"] == old.list_users()[-1]["id"] + 1
    assert new.delete_user(ana)
    old.close()
    new.close()

    again = _cli("db", "copy", "--from", f"sqlite:{path}", "--to", url)  # into a store that has records: refused
    assert again.returncode == 1 and "already has records" in again.stderr and "Traceback" not in again.stderr


def test_db_migrate_upgrades_an_old_file_and_a_postgres_database(tmp_path, postgres):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for sql in MIGRATIONS[:5]:
        db.executescript(sql)
    db.execute("PRAGMA user_version=5")
    db.close()
    out = _cli("--db", str(path), "db", "migrate")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"database at schema version {len(MIGRATIONS)} (was 5)"
    url = postgres.database()
    out = _cli("db", "migrate", env={"PEERSPACE_DATABASE_URL": url})
    assert out.stdout.strip() == f"database at schema version {len(MIGRATIONS)} (was 0)", out.stderr
    out = _cli("db", "migrate", env={"PEERSPACE_DATABASE_URL": url})
    assert out.stdout.strip() == f"database at schema version {len(MIGRATIONS)} (up to date)", out.stderr


def test_postgres_lock_wait_and_lost_connection_are_retryable_faults(postgres):
    """A lock held elsewhere past the wait, or a dropped connection, is RETRYABLE (sqlite3.OperationalError, as on
    SQLite, so store.aio.persist retries it); the next call after a dropped connection reconnects."""
    import psycopg

    from server.storage import RETRYABLE

    url = postgres.database()
    store = open_storage(url, busy_timeout=0.2)
    other = psycopg.connect(url, autocommit=True)
    try:
        with other.transaction():
            other.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(RETRYABLE):
                store.create_user("Ana", "participant", b"h", b"s")
            assert store.write_fault and store.write_failures == 1
        assert store.create_user("Ana", "participant", b"h", b"s")["name"] == "Ana"
        assert not store.write_fault

        other.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname=current_database() AND pid != pg_backend_pid()"
        )
        with pytest.raises(RETRYABLE):
            store.find_user("Ana")
        assert store.find_user("Ana")["name"] == "Ana"  # a fresh connection
    finally:
        other.close()
        store.close()


def test_postgres_store_path_never_holds_the_password(postgres):
    url = postgres.database().replace("postgres@", "postgres:s3cret-pw@")
    store = open_storage(url)
    try:
        assert "s3cret-pw" not in store.path and store.path.startswith("postgresql://postgres:***@")
    finally:
        store.close()


def test_db_option_names_the_database_over_the_environment(tmp_path, postgres):
    url = postgres.database()
    path = tmp_path / "own.db"
    out = _cli("--db", str(path), "db", "migrate", env={"PEERSPACE_DATABASE_URL": url})
    assert out.returncode == 0 and path.exists(), out.stderr  # the file named, not the URL in the environment
    out = _cli("--db", url, "db", "migrate")
    assert out.stdout.strip() == f"database at schema version {len(MIGRATIONS)} (was 0)", out.stderr


def test_without_postgresql_installed_the_tests_fail_and_say_what_to_install(monkeypatch):
    import pgserver

    monkeypatch.setattr(pgserver.glob, "glob", lambda pattern: [])
    monkeypatch.setattr(pgserver.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="install Debian's postgresql package"):
        pgserver.PostgresServer()


def test_an_insert_or_replace_without_a_postgres_form_is_refused_not_guessed():
    from server.storage.postgres import _rewrite

    assert (
        _rewrite("INSERT OR IGNORE INTO blocks(a) VALUES (?)")
        == "INSERT INTO blocks(a) VALUES (%s) ON CONFLICT DO NOTHING"
    )
    assert _rewrite("INSERT INTO users(name) VALUES (?)").endswith("VALUES (%s) RETURNING id")
    with pytest.raises(ValueError, match="_SPECIAL"):
        _rewrite("INSERT OR REPLACE INTO groups(name) VALUES (?)")
