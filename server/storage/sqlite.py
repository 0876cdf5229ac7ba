"""The embedded default store: one SQLite file in WAL mode.

Methods are synchronous. Async server code never calls them on the event loop: it awaits
`store.aio.method(...)`, which runs the same method on the store's own thread, so a disk that
stalls or a database another process holds write-locked delays that one call, never every room.
The server opens the store with a short busy timeout (a locked write fails fast, on the store
thread); writes that must not be lost (alerts, reports, transcript lines) are retried in the
background with `store.aio.persist(...)`. Schema changes are append-only migrations, applied in
order at open time.

The files are the records of vulnerable people: they are created 0600, deleted rows are
overwritten (`secure_delete`), and a person's delete is checkpointed out of the WAL at once.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import logging
import os
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger("peerspace.storage")

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
]

# The participants a peer specialist looks after: their groups' members and those assigned to them
# directly. Two positional parameters, both the staff member's id.
SCOPE_SQL = ("SELECT gm.user_id FROM group_staff gs JOIN group_members gm ON gm.group_id=gs.group_id "
             "WHERE gs.staff_id=? UNION SELECT participant_id FROM staff_assignments WHERE staff_id=?")

# A write that fails for one of these may succeed later (a lock released, a disk remounted writable);
# anything else (a constraint, e.g. the person was deleted meanwhile) will not, and is not retried.
RETRYABLE = (sqlite3.OperationalError,)
PERSIST_BACKOFF = (0.05, 5.0)       # first and longest wait between tries of a write that must not be lost


class OffLoop:
    """`await store.aio.method(...)`: the same store method, run on the store's own thread.

    The event loop must never wait on the disk or on a lock held by another process; every store
    call made from async code goes through here. One thread keeps calls in the order they were made.
    """

    def __init__(self, store):
        self._store = store
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="peerspace-store")
        self._persisting: set[asyncio.Task] = set()

    def __getattr__(self, name: str):
        fn = getattr(self._store, name)
        if not callable(fn):
            raise AttributeError(name)

        async def call(*args, **kwargs):
            return await asyncio.get_running_loop().run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))
        setattr(self, name, call)
        return call

    async def apply(self, fn, *args, **kwargs):
        """Run any function that uses the store (a query helper, a whole read) on the store thread."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    async def write(self, fn, *args, **kwargs):
        """A write's first try, on the store thread. While the store is known to be failing it does not wait
        for the lock, so a locked database costs the store thread (and every read queued on it) one busy
        timeout, not one per write."""
        if self._store.write_fault:
            return await self.apply(self._store.without_waiting, fn, *args, **kwargs)
        return await self.apply(fn, *args, **kwargs)

    @property
    def pending(self) -> int:
        """Writes waiting for the store to accept them again (a gauge on /metrics)."""
        return len(self._persisting)

    def persist(self, what: str, fn, *args, on_done=None, tried: bool = False, **kwargs) -> asyncio.Task:
        """Write that must not be lost: try now, and on a lock or read-only fault retry in the background
        with bounded backoff until it succeeds. `fn` is a store method name or a function run on the store
        thread. Returns the task (its result is fn's result); `on_done` gets that result. `tried`: the
        caller's own first try just failed, so start by waiting. `what` names the record in logs (ids and
        kinds, never content)."""
        task = asyncio.get_running_loop().create_task(self._persist(what, fn, args, kwargs, on_done, tried))
        self._persisting.add(task)
        task.add_done_callback(self._persisting.discard)
        return task

    async def _persist(self, what, fn, args, kwargs, on_done, tried):
        if isinstance(fn, str):
            fn = getattr(self._store, fn)
        delay, longest = PERSIST_BACKOFF
        tries = int(tried)
        if tried:
            await asyncio.sleep(delay)
        while True:
            tries += 1
            try:
                if tries == 1:
                    result = await self.write(fn, *args, **kwargs)
                else:
                    result = await self.apply(self._store.without_waiting, fn, *args, **kwargs)
            except RETRYABLE as e:
                if tries == 1 or (tried and tries == 2):
                    log.warning("store cannot write %s now (%s); retrying in the background", what, e)
                await asyncio.sleep(delay)
                delay = min(longest, delay * 2)
                continue
            except Exception:
                log.exception("store refused %s; not retried", what)
                raise
            if tries > 1:
                log.warning("store wrote %s after %d tries", what, tries)
            if on_done is not None:
                on_done(result)
            return result

    async def drain(self, timeout: float) -> None:
        """At shutdown: give pending writes `timeout` seconds, then give up on them (and say so)."""
        if not self._persisting:
            return
        pending = list(self._persisting)
        done, left = await asyncio.wait(pending, timeout=timeout)
        for task in left:
            task.cancel()
        if left:
            log.error("shutting down with %d writes the store never accepted", len(left))

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _row(cur: sqlite3.Cursor, row: tuple) -> dict:
    return {d[0]: v for d, v in zip(cur.description, row)}


class SQLiteStorage:
    def __init__(self, path: str | Path, busy_timeout: float = 5.0):
        """`busy_timeout`: how long a statement waits for another connection's lock before it fails.
        The server passes a short one (its calls run on the store thread and are retried); the CLI
        keeps the long default, so `peerspace delete` waits out a running server's brief writes."""
        self.path = str(path)
        self.write_failures = 0         # failed write attempts: /metrics peerspace_store_write_failures_total
        # The last write failed (locked, read-only) and none has succeeded since: new writes then fail fast
        # instead of each holding the store thread for the busy timeout (OffLoop.write); retries clear it.
        self.write_fault = False
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # Private from the first byte: create the file 0600 (SQLite gives the -wal and -shm files the
            # main file's mode) and tighten one made by an older version.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            os.chmod(self.path, 0o600)
        self._busy_ms = int(busy_timeout * 1000)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=busy_timeout)
        self.db.row_factory = _row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA secure_delete=ON")      # deleted rows are overwritten, not just unlinked
        self._lock = threading.Lock()  # CLI tools may share one store across threads
        self._migrate()
        self._private_files()
        self.aio = OffLoop(self)

    def _private_files(self) -> None:
        if self.path == ":memory:":
            return
        for suffix in ("-wal", "-shm"):
            try:
                os.chmod(self.path + suffix, 0o600)
            except FileNotFoundError:
                pass

    # --- plumbing -----------------------------------------------------------
    def _migrate(self) -> None:
        have = self.db.execute("PRAGMA user_version").fetchone()["user_version"]
        if have >= len(MIGRATIONS):
            return
        # A migration may rebuild a table that others reference: foreign keys are off while it runs
        # (SQLite ignores that pragma inside a transaction) and checked before it commits.
        self.db.execute("PRAGMA foreign_keys=OFF")
        try:
            for version, sql in enumerate(MIGRATIONS, start=1):
                if version > have:
                    with self._lock:
                        self.db.execute("BEGIN")
                        try:
                            for stmt in filter(str.strip, sql.split(";")):
                                self.db.execute(stmt)
                            broken = self.db.execute("PRAGMA foreign_key_check").fetchall()
                            if broken:
                                raise sqlite3.IntegrityError(f"migration {version} broke {len(broken)} references")
                            self.db.execute(f"PRAGMA user_version={version}")
                            self.db.execute("COMMIT")
                        except BaseException:
                            self.db.execute("ROLLBACK")
                            raise
        finally:
            self.db.execute("PRAGMA foreign_keys=ON")

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()["user_version"]

    def _exec(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        write = not sql.lstrip().upper().startswith("SELECT")
        with self._lock:
            try:
                cur = self.db.execute(sql, args)
            except sqlite3.OperationalError:
                if write:
                    self.write_failures += 1
                    self.write_fault = True
                raise
            if write:
                self.write_fault = False
            return cur

    def without_waiting(self, fn, *args, **kwargs):
        """Run fn with no busy wait: a retry that finds the lock still held fails at once and leaves the
        store thread free for the calls queued behind it (first tries keep the normal short wait)."""
        with self._lock:
            self.db.execute("PRAGMA busy_timeout=0")
        try:
            return fn(*args, **kwargs)
        finally:
            with self._lock:
                self.db.execute(f"PRAGMA busy_timeout={self._busy_ms}")

    def _failed(self, e: BaseException) -> None:
        if isinstance(e, sqlite3.OperationalError):
            self.write_failures += 1
            self.write_fault = True

    def probe_write(self) -> str:
        """A real write, for /api/health: 'ok', 'read_only', 'locked' or 'error'."""
        with self._lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    self.db.execute("INSERT OR REPLACE INTO store_probe(id, ts) VALUES (1, ?)", (time.time(),))
                    self.db.execute("COMMIT")
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise
                self.write_fault = False
                return "ok"
            except sqlite3.OperationalError as e:
                self.write_failures += 1
                msg = str(e).lower()
                if "readonly" in msg or "read-only" in msg or "read only" in msg:
                    return "read_only"
                if "locked" in msg or "busy" in msg:
                    return "locked"
                return "error"
            except sqlite3.DatabaseError:
                self.write_failures += 1
                return "error"

    def close(self) -> None:
        self.aio.close()
        self.db.close()

    # --- accounts -------------------------------------------------------------
    def create_user(self, name: str, role: str, pw_hash: bytes, pw_salt: bytes) -> dict:
        cur = self._exec("INSERT INTO users(name, role, pw_hash, pw_salt, created) VALUES (?,?,?,?,?)",
                         (name, role, pw_hash, pw_salt, time.time()))
        return self.get_user(cur.lastrowid)

    def get_user(self, user_id: int) -> dict | None:
        return self._exec("SELECT * FROM users WHERE id=?", (user_id,)).fetchone()

    def find_user(self, name: str) -> dict | None:
        return self._exec("SELECT * FROM users WHERE name=?", (name,)).fetchone()

    def set_password(self, user_id: int, pw_hash: bytes, pw_salt: bytes) -> None:
        self._exec("UPDATE users SET pw_hash=?, pw_salt=? WHERE id=?", (pw_hash, pw_salt, user_id))

    def set_banned_until(self, user_id: int, until: float | None) -> None:
        self._exec("UPDATE users SET banned_until=? WHERE id=?", (until, user_id))
        if until is not None:
            self.revoke_sessions(user_id, "ban")

    # --- sessions -----------------------------------------------------------------
    def revoke_sessions(self, user_id: int, reason: str) -> int:
        """End every session token of this person now (logout, password change, ban, delete).

        Bumps the epoch that every token is checked against, and appends to `revocations`, which each
        running server polls so that open connections are cut too. Returns the new epoch.
        """
        with self._lock:
            self.db.execute("BEGIN")
            try:
                self.db.execute("UPDATE users SET session_epoch=session_epoch+1 WHERE id=?", (user_id,))
                self.db.execute("INSERT INTO revocations(ts, user_id, reason) VALUES (?,?,?)",
                                (time.time(), user_id, reason))
                row = self.db.execute("SELECT session_epoch FROM users WHERE id=?", (user_id,)).fetchone()
                self.db.execute("COMMIT")
            except BaseException as e:
                self._failed(e)
                self._rollback()
                raise
        return row["session_epoch"] if row else -1

    def revocations_since(self, last_id: int) -> list[dict]:
        """Revocations after `last_id`, oldest first; `last_revocation()` is where a new server starts."""
        return self._exec("SELECT id, user_id, reason FROM revocations WHERE id>? ORDER BY id",
                          (last_id,)).fetchall()

    def last_revocation(self) -> int:
        return self._exec("SELECT COALESCE(MAX(id), 0) AS n FROM revocations").fetchone()["n"]

    def set_consent(self, user_id: int, recording: bool) -> None:
        """Durable consent to recording (transcripts, replays); World.record() reads it for every line."""
        self._exec("UPDATE users SET consent_recording=?, consent_updated=? WHERE id=?",
                   (int(bool(recording)), time.time(), user_id))

    def list_users(self) -> list[dict]:
        return self._exec("SELECT id, name, role, created, banned_until FROM users ORDER BY id").fetchall()

    # --- rooms ----------------------------------------------------------------
    def save_room(self, room_id: str, name: str, scene: str, capacity: int, created_by: int | None) -> None:
        self._exec("INSERT OR REPLACE INTO rooms(id, name, scene, capacity, created_by, created) VALUES (?,?,?,?,?,?)",
                   (room_id, name, scene, capacity, created_by, time.time()))

    def list_rooms(self) -> list[dict]:
        return self._exec("SELECT * FROM rooms ORDER BY created").fetchall()

    def get_room(self, room_id: str) -> dict | None:
        return self._exec("SELECT * FROM rooms WHERE id=?", (room_id,)).fetchone()

    def set_room_access(self, room_id: str, access: str, group_id: int | None) -> None:
        self._exec("UPDATE rooms SET access=?, group_id=? WHERE id=?", (access, group_id, room_id))

    def room_entry(self, room_id: str, user_id: int) -> dict | None:
        """A room's current policy and this person's ties to its group, in one read (World.join decides)."""
        return self._exec(
            "SELECT r.access, r.group_id, "
            "EXISTS(SELECT 1 FROM group_members m WHERE m.group_id=r.group_id AND m.user_id=?) AS member, "
            "EXISTS(SELECT 1 FROM group_staff s WHERE s.group_id=r.group_id AND s.staff_id=?) AS staff "
            "FROM rooms r WHERE r.id=?", (user_id, user_id, room_id)).fetchone()

    def groups_of(self, user_id: int) -> list[int]:
        """Ids of the groups this person is in or looks after (their members rooms)."""
        return [r["group_id"] for r in self._exec(
            "SELECT group_id FROM group_members WHERE user_id=? UNION SELECT group_id FROM group_staff "
            "WHERE staff_id=?", (user_id, user_id)).fetchall()]

    # --- groups and staff assignments -------------------------------------------------
    def add_group(self, name: str) -> dict:
        cur = self._exec("INSERT INTO groups(name, created) VALUES (?,?)", (name, time.time()))
        return self._exec("SELECT * FROM groups WHERE id=?", (cur.lastrowid,)).fetchone()

    def find_group(self, name: str) -> dict | None:
        return self._exec("SELECT * FROM groups WHERE name=?", (name,)).fetchone()

    def list_groups(self) -> list[dict]:
        return self._exec(
            "SELECT g.id, g.name, (SELECT COUNT(*) FROM group_members m WHERE m.group_id=g.id) AS members, "
            "(SELECT COUNT(*) FROM group_staff s WHERE s.group_id=g.id) AS staff FROM groups g ORDER BY g.name"
        ).fetchall()

    def add_group_member(self, group_id: int, user_id: int) -> None:
        self._exec("INSERT OR IGNORE INTO group_members(group_id, user_id) VALUES (?,?)", (group_id, user_id))

    def remove_group_member(self, group_id: int, user_id: int) -> bool:
        return self._exec("DELETE FROM group_members WHERE group_id=? AND user_id=?",
                          (group_id, user_id)).rowcount > 0

    def assign_group_staff(self, group_id: int, staff_id: int) -> None:
        self._exec("INSERT OR IGNORE INTO group_staff(group_id, staff_id) VALUES (?,?)", (group_id, staff_id))

    def assign_participant(self, staff_id: int, participant_id: int) -> None:
        self._exec("INSERT OR IGNORE INTO staff_assignments(staff_id, participant_id, created) VALUES (?,?,?)",
                   (staff_id, participant_id, time.time()))

    def unassign_participant(self, staff_id: int, participant_id: int) -> bool:
        return self._exec("DELETE FROM staff_assignments WHERE staff_id=? AND participant_id=?",
                          (staff_id, participant_id)).rowcount > 0

    def staff_scope(self, staff_id: int) -> set[int]:
        """Ids of the participants this staff member looks after (SCOPE_SQL)."""
        return {r["user_id"] for r in self._exec(SCOPE_SQL, (staff_id, staff_id)).fetchall()}

    def staff_sees_person(self, staff_id: int, person_id: int) -> bool:
        return self._exec(
            "SELECT EXISTS(SELECT 1 FROM staff_assignments WHERE staff_id=? AND participant_id=?) OR "
            "EXISTS(SELECT 1 FROM group_staff s JOIN group_members m ON m.group_id=s.group_id "
            "WHERE s.staff_id=? AND m.user_id=?) AS yes", (staff_id, person_id, staff_id, person_id)
        ).fetchone()["yes"] == 1

    def participants_overview(self, staff_id: int | None) -> list[dict]:
        """Participants with their session counts: everyone (staff_id None) or one staff member's scope.

        One indexed query (runs_participant, the scope's primary keys), not a loop over people x runs.
        """
        sql = ("SELECT u.id, u.name, u.created, u.banned_until, "
               "(SELECT COUNT(*) FROM runs r WHERE r.participant_user_id=u.id) AS sessions "
               "FROM users u WHERE u.role='participant'")
        args: tuple = ()
        if staff_id is not None:
            sql += f" AND u.id IN ({SCOPE_SQL})"
            args = (staff_id, staff_id)
        return self._exec(sql + " ORDER BY u.id", args).fetchall()

    def runs_in_scope(self, staff_id: int | None, participant_id: int | None = None,
                      limit: int | None = None) -> list[dict]:
        """Runs, oldest first: all of them (staff_id None) or those of one staff member's participants."""
        sql, args = "SELECT * FROM runs WHERE 1=1", ()
        if staff_id is not None:
            sql += f" AND participant_user_id IN ({SCOPE_SQL})"
            args += (staff_id, staff_id)
        if participant_id is not None:
            sql += " AND participant_user_id=?"
            args += (participant_id,)
        if limit is not None:        # the newest `limit`, still returned oldest first
            sql = f"SELECT * FROM ({sql} ORDER BY id DESC LIMIT ?)"
            args += (limit,)
        return [self._run(r) for r in self._exec(sql + " ORDER BY id", args).fetchall()]

    # --- transcript events --------------------------------------------------------
    def append_event(self, room_id: str, run_id: int | None, kind: str, actor: str | None,
                     data: dict, user_id: int | None = None) -> int:
        cur = self._exec("INSERT INTO events(ts, room_id, run_id, kind, actor, user_id, data) VALUES (?,?,?,?,?,?,?)",
                         (time.time(), room_id, run_id, kind, actor, user_id, json.dumps(data)))
        return cur.lastrowid

    def _events(self, where: str, args: tuple) -> list[dict]:
        rows = self._exec(f"SELECT * FROM events WHERE {where} ORDER BY id", args).fetchall()
        for r in rows:
            r["data"] = json.loads(r["data"])
        return rows

    def room_events(self, room_id: str, since_id: int = 0) -> list[dict]:
        return self._events("room_id=? AND id>?", (room_id, since_id))

    def run_events(self, run_id: int) -> list[dict]:
        return self._events("run_id=?", (run_id,))

    # --- scenario runs ------------------------------------------------------------
    def create_run(self, room_id: str, scenario_id: str, difficulty: str, participant_user_id: int | None) -> int:
        now = time.time()
        cur = self._exec("INSERT INTO runs(room_id, scenario_id, difficulty, participant_user_id, started, updated)"
                         " VALUES (?,?,?,?,?,?)", (room_id, scenario_id, difficulty, participant_user_id, now, now))
        return cur.lastrowid

    def save_run_state(self, run_id: int, state: dict, status: str) -> None:
        self._exec("UPDATE runs SET state=?, status=?, updated=? WHERE id=?",
                   (json.dumps(state), status, time.time(), run_id))

    def _run(self, row: dict | None) -> dict | None:
        if row is not None:
            row["run_id"] = row["id"]
            row["state"] = json.loads(row["state"])
        return row

    def get_run(self, run_id: int) -> dict | None:
        return self._run(self._exec("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone())

    def active_runs(self) -> list[dict]:
        return [self._run(r) for r in self._exec("SELECT * FROM runs WHERE status='active' ORDER BY id").fetchall()]

    def runs(self, participant_user_id: int | None = None) -> list[dict]:
        if participant_user_id is None:
            rows = self._exec("SELECT * FROM runs ORDER BY id").fetchall()
        else:
            rows = self._exec("SELECT * FROM runs WHERE participant_user_id=? ORDER BY id",
                              (participant_user_id,)).fetchall()
        return [self._run(r) for r in rows]

    def pose_frame_count(self, run_id: int) -> int:
        return self._exec("SELECT COUNT(*) AS n FROM pose_tracks WHERE run_id=?", (run_id,)).fetchone()["n"]

    # --- a person's records: export and delete ------------------------------------
    def export_user(self, user_id: int) -> dict | None:
        """Every record peerspace holds about one person, as one JSON-able document.

        The one export: the CLI, the person's own HTTP export and the dashboard all use it.
        Every table with a user column appears here; `delete_user` removes the same rows.
        """
        q = self._exec
        user = q("SELECT id, name, role, created, banned_until, consent_recording, consent_updated FROM users "
                 "WHERE id=?", (user_id,)).fetchone()
        if user is None:
            return None
        runs = self.runs(user_id)
        events = self._events("user_id=?", (user_id,))
        for run in runs:
            events += [e for e in self.run_events(run["id"]) if e["user_id"] != user_id]
        events.sort(key=lambda e: e["id"])
        answers = q("SELECT id, ts, questionnaire, phase, run_id, answers, score FROM questionnaire_answers "
                    "WHERE user_id=? ORDER BY ts, id", (user_id,)).fetchall()
        for a in answers:
            a["answers"] = json.loads(a["answers"])
        replays = [{"run": run["id"], "pose_format": "wire.codec POSE_DTYPE, base64",
                    "frames": [{"t": r["t"], "poses": base64.b64encode(bytes(r["poses"])).decode(),
                                "members": r["members"]}
                               for r in q("SELECT t, poses, members FROM pose_tracks WHERE run_id=? ORDER BY t",
                                          (run["id"],)).fetchall()]}
                   for run in runs]
        consent = {"recording": bool(user.pop("consent_recording")), "updated": user.pop("consent_updated")}
        return {
            "format": "peerspace-export/2", "exported": time.time(), "user": user, "consent": consent,
            "runs": runs, "events": events,
            "rooms_created": q("SELECT * FROM rooms WHERE created_by=?", (user_id,)).fetchall(),
            "questionnaires": answers, "replays": replays,
            "blocks": q("SELECT blocked_id, created FROM blocks WHERE blocker_id=?", (user_id,)).fetchall(),
            "groups": q("SELECT g.name AS name, 'member' AS role FROM group_members m JOIN groups g ON g.id=m.group_id "
                        "WHERE m.user_id=? UNION ALL SELECT g.name, 'staff' FROM group_staff s JOIN groups g "
                        "ON g.id=s.group_id WHERE s.staff_id=?", (user_id, user_id)).fetchall(),
            "assignments": q("SELECT staff_id, participant_id, created FROM staff_assignments "
                             "WHERE staff_id=? OR participant_id=?", (user_id, user_id)).fetchall(),
            "reports_made": q("SELECT id, ts, room_id, reason, note, status FROM reports WHERE reporter_id=?",
                              (user_id,)).fetchall(),
            "safety_alerts": q("SELECT id, ts, room_id, kind, category, event_id, status FROM safety_alerts "
                               "WHERE user_id=?", (user_id,)).fetchall(),
            "moderation": q("SELECT ts, room_id, action, until FROM moderation WHERE target_id=?",
                            (user_id,)).fetchall(),
        }

    def delete_user(self, user_id: int) -> bool:
        """Remove the account and every record about the person (their runs and their lines)."""
        with self._lock:
            self.db.execute("BEGIN")
            try:
                self.db.execute("DELETE FROM events WHERE user_id=?", (user_id,))
                self.db.execute("DELETE FROM events WHERE run_id IN (SELECT id FROM runs WHERE participant_user_id=?)",
                                (user_id,))
                self.db.execute("DELETE FROM runs WHERE participant_user_id=?", (user_id,))
                cur = self.db.execute("DELETE FROM users WHERE id=?", (user_id,))
                self.db.execute("INSERT INTO revocations(ts, user_id, reason) VALUES (?,?,?)",
                                (time.time(), user_id, "delete"))
                self.db.execute("COMMIT")
            except BaseException as e:
                self._failed(e)
                self._rollback()
                raise
            # Deleted means gone from disk: secure_delete zeroed the rows in the pages it wrote, but the WAL
            # still holds the pages as they were. Copy the WAL into the file and cut it to zero bytes now.
            busy, _, _ = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone().values()
            if busy:
                log.warning("checkpoint after deleting user %s was blocked by a reader; the WAL is cut at the "
                            "next checkpoint", user_id)
        return cur.rowcount > 0

    def _rollback(self) -> None:
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.OperationalError:
            pass        # BEGIN itself failed (locked, read-only): there is no transaction to end
