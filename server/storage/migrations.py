"""The schema, as append-only migrations applied in order at open time (SQLite: PRAGMA user_version;
PostgreSQL: the `schema_version` table).

Never edit one that has shipped: add the next. There is one list for both backends: `postgres_migrations()`
renders each entry for PostgreSQL (types, identity columns, the case-blind collation), and the few whose
PostgreSQL form is not a rewrite are written out in `POSTGRES_BY_HAND` beside it, under the same number, so a
version means the same tables on either backend.
"""

import re

MIGRATIONS: list[str] = [
    # 1: accounts, rooms, transcript events, scenario runs
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        role TEXT NOT NULL,
        pw_hash BLOB NOT NULL,
        pw_salt BLOB NOT NULL,
        created REAL NOT NULL,
        banned_until REAL
    );
    CREATE TABLE rooms (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        scene TEXT NOT NULL,
        capacity INTEGER NOT NULL,
        created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
        created REAL NOT NULL
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        room_id TEXT NOT NULL,
        scenario_id TEXT NOT NULL,
        difficulty TEXT NOT NULL,
        participant_user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
        status TEXT NOT NULL DEFAULT 'active',
        state TEXT NOT NULL DEFAULT '{}',
        started REAL NOT NULL,
        updated REAL NOT NULL
    );
    CREATE INDEX runs_status ON runs(status);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        room_id TEXT NOT NULL,
        run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        actor TEXT,
        user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
        data TEXT NOT NULL
    );
    CREATE INDEX events_room ON events(room_id, id);
    CREATE INDEX events_run ON events(run_id, id);
    CREATE INDEX events_user ON events(user_id);
    """,
    # 2: safety, consent, records, replay (server/safety, server/records)
    """
    ALTER TABLE users ADD COLUMN consent_recording INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE users ADD COLUMN consent_updated REAL;
    CREATE TABLE blocks (
        blocker_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        blocked_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created REAL NOT NULL,
        PRIMARY KEY (blocker_id, blocked_id)
    );
    CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        room_id TEXT,
        reporter_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
        reported_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        reason TEXT NOT NULL,
        note TEXT,
        status TEXT NOT NULL DEFAULT 'open'
    );
    CREATE TABLE safety_alerts (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        room_id TEXT NOT NULL,
        user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        category TEXT,
        event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,
        notified INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'open'
    );
    CREATE INDEX safety_alerts_room ON safety_alerts(room_id, id);
    CREATE TABLE moderation (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        room_id TEXT,
        staff_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        target_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
        action TEXT NOT NULL,
        until REAL
    );
    CREATE TABLE questionnaire_answers (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        questionnaire TEXT NOT NULL,
        phase TEXT NOT NULL,
        run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
        answers TEXT NOT NULL,
        score REAL
    );
    CREATE INDEX questionnaire_user ON questionnaire_answers(user_id, ts);
    CREATE TABLE pose_tracks (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        t REAL NOT NULL,
        poses BLOB NOT NULL,
        members TEXT
    );
    CREATE INDEX pose_tracks_run ON pose_tracks(run_id, t);
    """,
    # 3: account ids are never reused (AUTOINCREMENT), and every session token is checked against a
    # per-user epoch; `revocations` tells running servers (and other nodes) whose sessions just ended.
    """
    CREATE TABLE users_v3 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        role TEXT NOT NULL,
        pw_hash BLOB NOT NULL,
        pw_salt BLOB NOT NULL,
        created REAL NOT NULL,
        banned_until REAL,
        consent_recording INTEGER NOT NULL DEFAULT 0,
        consent_updated REAL,
        session_epoch INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO users_v3(id, name, role, pw_hash, pw_salt, created, banned_until, consent_recording,
                         consent_updated)
        SELECT id, name, role, pw_hash, pw_salt, created, banned_until, consent_recording, consent_updated
        FROM users;
    DROP TABLE users;
    ALTER TABLE users_v3 RENAME TO users;
    CREATE TABLE revocations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        user_id INTEGER NOT NULL,
        reason TEXT NOT NULL
    );
    """,
    # 4 (room access): groups, who is in them and which staff look after them; rooms get an access
    # policy ('open', or 'members': the room's group and its staff only). A peer specialist's records
    # scope is their groups' participants plus those assigned to them directly, never presence.
    """
    CREATE TABLE groups (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        created REAL NOT NULL
    );
    CREATE TABLE group_members (
        group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (group_id, user_id)
    );
    CREATE INDEX group_members_user ON group_members(user_id);
    CREATE TABLE group_staff (
        group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        staff_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (group_id, staff_id)
    );
    CREATE INDEX group_staff_staff ON group_staff(staff_id);
    CREATE TABLE staff_assignments (
        staff_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        participant_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created REAL NOT NULL,
        PRIMARY KEY (staff_id, participant_id)
    );
    CREATE INDEX staff_assignments_participant ON staff_assignments(participant_id);
    ALTER TABLE rooms ADD COLUMN access TEXT NOT NULL DEFAULT 'open';
    ALTER TABLE rooms ADD COLUMN group_id INTEGER REFERENCES groups(id) ON DELETE SET NULL;
    CREATE INDEX runs_participant ON runs(participant_user_id, id);
    CREATE INDEX safety_alerts_user ON safety_alerts(user_id, id);
    CREATE INDEX reports_reporter ON reports(reporter_id);
    CREATE INDEX reports_reported ON reports(reported_id);
    """,
    # 5: one row that /api/health rewrites to prove the store can still write
    """
    CREATE TABLE store_probe (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL
    );
    """,
    # 6 (care protocol): an alert's severity, who was told, who acknowledged and handled it (with what was
    # done, a note and whether follow-up is needed), its live key (the id a live `safety_alert` carries before
    # the row exists); `alert_history`, the audit trail of each alert; `staff_duty`, who is on duty.
    """
    ALTER TABLE safety_alerts ADD COLUMN severity TEXT;
    ALTER TABLE safety_alerts ADD COLUMN told TEXT;
    ALTER TABLE safety_alerts ADD COLUMN live_key TEXT;
    ALTER TABLE safety_alerts ADD COLUMN acknowledged_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
    ALTER TABLE safety_alerts ADD COLUMN acknowledged_at REAL;
    ALTER TABLE safety_alerts ADD COLUMN handled_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
    ALTER TABLE safety_alerts ADD COLUMN handled_at REAL;
    ALTER TABLE safety_alerts ADD COLUMN actions TEXT;
    ALTER TABLE safety_alerts ADD COLUMN note TEXT;
    ALTER TABLE safety_alerts ADD COLUMN follow_up INTEGER;
    CREATE INDEX safety_alerts_live_key ON safety_alerts(live_key);
    CREATE INDEX safety_alerts_queue ON safety_alerts(status, kind, id);
    CREATE TABLE alert_history (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL REFERENCES safety_alerts(id) ON DELETE CASCADE,
        ts REAL NOT NULL,
        user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        action TEXT NOT NULL,
        details TEXT
    );
    CREATE INDEX alert_history_alert ON alert_history(alert_id, id);
    CREATE TABLE staff_duty (
        user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        since REAL NOT NULL
    );
    """,
    # 7: escalation of alerts nobody acknowledges (server/safety/escalation.py). A round is claimed once
    # (primary key), so two nodes or a restart never send the same round twice; every delivery attempt is
    # kept with its channel and a short error (a status or error class, never a message's content).
    """
    CREATE TABLE alert_escalation_rounds (
        alert_id INTEGER NOT NULL REFERENCES safety_alerts(id) ON DELETE CASCADE,
        round INTEGER NOT NULL,
        ts REAL NOT NULL,
        PRIMARY KEY (alert_id, round)
    );
    CREATE TABLE alert_escalations (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL REFERENCES safety_alerts(id) ON DELETE CASCADE,
        round INTEGER NOT NULL,
        channel TEXT NOT NULL,
        ts REAL NOT NULL,
        ok INTEGER NOT NULL,
        error TEXT
    );
    CREATE INDEX alert_escalations_alert ON alert_escalations(alert_id, channel, id);
    CREATE INDEX safety_alerts_status ON safety_alerts(status, kind);
    """,
    # 8: the private help line. A
    # conversation belongs to the participant who asked (their export, their delete); a staff member's
    # deleted account leaves their lines in it without a name.
    """
    CREATE TABLE help_channels (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        participant_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        staff_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        room_id TEXT,
        opened REAL NOT NULL,
        agreed REAL,
        closed REAL
    );
    CREATE INDEX help_channels_participant ON help_channels(participant_id);
    CREATE INDEX help_channels_staff ON help_channels(staff_id);
    CREATE TABLE help_lines (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel_id INTEGER NOT NULL REFERENCES help_channels(id) ON DELETE CASCADE,
        ts REAL NOT NULL,
        user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        text TEXT NOT NULL
    );
    CREATE INDEX help_lines_channel ON help_lines(channel_id, ts);
    CREATE INDEX help_lines_user ON help_lines(user_id);
    """,
    # 9: who drives or supervises each cast role of a room (server/controllers/host.py), so claims and
    # supervision survive a server restart. One row per room and role; a column is NULL when nobody holds it.
    """
    CREATE TABLE cast_controls (
        room_id TEXT NOT NULL,
        role TEXT NOT NULL,
        claimed_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
        supervisor INTEGER REFERENCES users(id) ON DELETE SET NULL,
        supervise_seconds INTEGER,
        updated REAL NOT NULL,
        PRIMARY KEY (room_id, role)
    );
    CREATE INDEX cast_controls_claimed ON cast_controls(claimed_by);
    CREATE INDEX cast_controls_supervisor ON cast_controls(supervisor);
    """,
    # 10: a person's own avatar (#15): their chosen appearance as JSON (wire/appearance.py), NULL until chosen.
    # On the users row, so it goes with the account's delete and is read with the user at login.
    """
    ALTER TABLE users ADD COLUMN appearance TEXT;
    """,
    # 11: scenario versions saved in the dashboard editor (server/dashboard/editor.py): every save is kept
    # with who saved it and when; `published` marks the versions offered to rooms (the newest published one
    # of a scenario id is the one played). The text is the YAML file as saved; `problems` counts its lint errors.
    """
    CREATE TABLE scenario_versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        scenario_id TEXT NOT NULL,
        text TEXT NOT NULL,
        saved_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
        saved REAL NOT NULL,
        problems INTEGER NOT NULL DEFAULT 0,
        content_hash TEXT,
        published REAL,
        published_by INTEGER REFERENCES users(id) ON DELETE SET NULL
    );
    CREATE INDEX scenario_versions_scenario ON scenario_versions(scenario_id, id);
    CREATE INDEX scenario_versions_saved_by ON scenario_versions(saved_by);
    CREATE INDEX scenario_versions_published_by ON scenario_versions(published_by);
    """,
    # 12 (courses, server/courses/): a group's course run, its dated sessions (local time in the run's time zone),
    # and peer-specific fidelity ratings of a peer specialist's delivery (kept apart from participant progress).
    """
    CREATE TABLE course_runs (
        group_id INTEGER PRIMARY KEY REFERENCES groups(id) ON DELETE CASCADE,
        course_id TEXT NOT NULL,
        timezone TEXT NOT NULL,
        set_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
        updated REAL NOT NULL
    );
    CREATE TABLE course_sessions (
        group_id INTEGER NOT NULL REFERENCES course_runs(group_id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        starts TEXT NOT NULL,
        minutes INTEGER NOT NULL,
        PRIMARY KEY (group_id, number)
    );
    CREATE TABLE peer_fidelity (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        staff_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
        rated_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
        ts REAL NOT NULL,
        items TEXT NOT NULL,
        note TEXT
    );
    CREATE INDEX peer_fidelity_staff ON peer_fidelity(staff_id, ts);
    CREATE INDEX events_kind ON events(kind);
    """,
]


# PostgreSQL forms that are not a rewrite of the SQLite text, by migration number.
POSTGRES_BY_HAND: dict[int, str] = {
    # 0 (before 1): names compare case-blind as SQLite's COLLATE NOCASE does (an ICU collation; PostgreSQL 12+)
    0: "CREATE COLLATION IF NOT EXISTS nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
    # 3: SQLite rebuilt `users` for AUTOINCREMENT; a PostgreSQL identity column never reuses ids already, and the
    # table cannot be dropped under the tables that reference it: only the new column is added.
    3: """
    ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
    CREATE TABLE revocations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        user_id INTEGER NOT NULL,
        reason TEXT NOT NULL
    );
    """,
}

_POSTGRES_TYPES = [
    # an integer key SQLite makes the rowid: an identity column (BY DEFAULT, so `db copy` can keep ids)
    (r"\bINTEGER PRIMARY KEY( AUTOINCREMENT)?", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (r"\bINTEGER\b", "BIGINT"),
    (r"\bREAL\b", "DOUBLE PRECISION"),  # PostgreSQL's REAL is 4 bytes: times would lose their seconds
    (r"\bBLOB\b", "BYTEA"),
    (r"\bCOLLATE NOCASE\b", "COLLATE nocase"),
]


def postgres_migration(version: int) -> str:
    """Migration `version` (1-based) as PostgreSQL DDL."""
    sql = POSTGRES_BY_HAND.get(version, MIGRATIONS[version - 1])
    for pattern, replacement in _POSTGRES_TYPES:
        sql = re.sub(pattern, replacement, sql)
    if version == 1:
        sql = POSTGRES_BY_HAND[0] + ";\n" + sql
    return sql


def postgres_migrations() -> list[str]:
    """Every migration rendered for PostgreSQL, in order, numbered as MIGRATIONS."""
    return [postgres_migration(v) for v in range(1, len(MIGRATIONS) + 1)]
