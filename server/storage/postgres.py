"""The PostgreSQL backend: the same repositories as SQLite, on one psycopg connection (`PEERSPACE_DATABASE_URL=
postgresql://...`), for a service whose nodes run on more than one machine.

There is ONE set of repository code. The repositories write SQLite-flavoured SQL (`?` placeholders,
`INSERT OR IGNORE`, `lastrowid`); `PostgresConnection._exec` translates the few dialect differences
(`_translate`), and the handful of statements whose meaning needs more than a rewrite are listed in
`_SPECIAL` with their PostgreSQL text. Like SQLite, the store is synchronous: every call runs on the store
thread (offloop.py) on one sync connection in autocommit mode; `_transaction` groups statements.

Errors come back as the sqlite3 exception classes the server already handles (a unique name taken is an
`IntegrityError`, a lost connection an `OperationalError`, which OffLoop.persist retries), so callers need
not know the backend.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row

from .connection import RowConnection, RowCursor
from .interfaces import Row
from .migrations import MIGRATIONS, postgres_migrations
from .offloop import OffLoop
from .sqlite import SQLiteStorage

T = TypeVar("T")

# seconds to reach the database server: a node starting, or the store thread reconnecting after a drop, waits
# this long at most before the call fails (and OffLoop.persist retries a write that must not be lost)
_CONNECT_TIMEOUT = 5

# Tables whose rows have an integer `id` (an identity column): an INSERT into them returns it (`lastrowid`).
_ID_TABLES = frozenset(
    "users runs events reports safety_alerts moderation questionnaire_answers pose_tracks revocations groups "
    "store_probe alert_history alert_escalations help_channels help_lines scenario_versions".split()
)
_INSERT = re.compile(r"^\s*INSERT\s+(?:OR\s+(IGNORE|REPLACE)\s+)?INTO\s+(\w+)", re.IGNORECASE)

# Statements whose PostgreSQL form is not a mechanical rewrite, keyed by their exact SQLite text (docs/scaling.md
# lists them). Each is still written with `?`; `_translate` does the rest.
_SPECIAL: dict[str, str] = {
    # INSERT OR REPLACE: a new row replaces the old one whole, so access and group go back to their defaults
    "INSERT OR REPLACE INTO rooms(id, name, scene, capacity, created_by, created) VALUES (?,?,?,?,?,?)": (
        "INSERT INTO rooms(id, name, scene, capacity, created_by, created) VALUES (?,?,?,?,?,?) "
        "ON CONFLICT (id) DO UPDATE SET name=excluded.name, scene=excluded.scene, capacity=excluded.capacity, "
        "created_by=excluded.created_by, created=excluded.created, access=DEFAULT, group_id=NULL"
    ),
}


@functools.lru_cache(maxsize=1024)  # the repositories' statements are a few hundred distinct strings
def _rewrite(sql: str) -> str:
    """The mechanical part of the translation (kept apart so tests can show every statement translates)."""
    sql = _SPECIAL.get(sql, sql)
    m = _INSERT.match(sql)
    returning = ""
    if m is not None:
        verb, table = m.group(1), m.group(2)
        if verb is not None:
            sql = "INSERT INTO " + sql[m.end(2) - len(table) :]
            if verb.upper() == "IGNORE":
                sql += " ON CONFLICT DO NOTHING"
            else:
                raise ValueError(f"INSERT OR REPLACE INTO {table} needs an entry in postgres._SPECIAL")
        if table.lower() in _ID_TABLES and "RETURNING" not in sql.upper():
            returning = " RETURNING id"
    # SQLite lets an upsert's SET name the target's column bare; PostgreSQL wants it qualified
    sql = re.sub(r"COALESCE\(excluded\.(\w+), \1\)", r"COALESCE(excluded.\1, help_channels.\1)", sql)
    # `x IS ?` (NULL-safe equality) has no parameter form in PostgreSQL
    sql = re.sub(r"\bIS \?", "IS NOT DISTINCT FROM ?", sql)
    # SUM over an integer column is numeric (Decimal) in PostgreSQL; SQLite gives an int
    sql = re.sub(r"SUM\((1 - )?(\w+)\)", r"CAST(SUM(\1\2) AS BIGINT)", sql)
    if sql.lstrip().upper().startswith("BEGIN"):
        return "BEGIN"
    return sql.replace("%", "%%").replace("?", "%s") + returning


class _Cursor:
    """A psycopg cursor as the repositories see it (RowCursor): `lastrowid` is the RETURNING id of an INSERT."""

    def __init__(self, cur: psycopg.Cursor[Row] | None, returning: bool):
        self._cur = cur if cur is not None and cur.description and not returning else None
        self.rowcount = cur.rowcount if cur is not None else -1
        self.lastrowid: int | None = None
        if returning and cur is not None:
            row = cur.fetchone()  # the id is the INSERT's only result: nothing is left to fetch
            self.lastrowid = None if row is None else int(row["id"])

    def fetchone(self) -> Row | None:
        return self._cur.fetchone() if self._cur is not None else None

    def fetchall(self) -> list[Row]:
        return self._cur.fetchall() if self._cur is not None else []


class _Conn:
    """The connection inside `_transaction` (RowConnection), translating like `_exec`."""

    def __init__(self, owner: PostgresConnection):
        self._owner = owner

    def execute(self, sql: str, args: tuple[Any, ...] = ()) -> RowCursor:
        return self._owner._statement(sql, args)


def _as_sqlite_error(e: psycopg.Error) -> sqlite3.Error:
    if isinstance(e, psycopg.IntegrityError):
        return sqlite3.IntegrityError(str(e))
    if isinstance(
        e, psycopg.OperationalError | psycopg.errors.LockNotAvailable | psycopg.errors.ReadOnlySqlTransaction
    ):
        return sqlite3.OperationalError(str(e))
    return sqlite3.DatabaseError(str(e))


class PostgresConnection:
    """One psycopg connection (autocommit), its migrations (`schema_version` table) and write-fault accounting;
    the same plumbing names as SQLiteConnection, so the repositories run on it unchanged."""

    def __init__(self, url: str, busy_timeout: float = 5.0):
        self._url = url
        self.path = re.sub(r"://([^:@/]*):[^@/]*@", r"://\1:***@", url)  # for logs: the URL without its password
        self.write_failures = 0
        self.write_fault = False
        self._busy_ms = int(busy_timeout * 1000)
        self._lock = threading.RLock()
        self._in_transaction = False
        self.db = self._connect()
        self._migrate()
        self.aio = OffLoop(self)  # type: ignore[arg-type]  # the same plumbing as SQLiteConnection

    def _connect(self) -> psycopg.Connection[Row]:
        try:
            conn = psycopg.connect(self._url, autocommit=True, row_factory=dict_row, connect_timeout=_CONNECT_TIMEOUT)
        except psycopg.Error as e:
            raise _as_sqlite_error(e) from e
        # a statement that waits for another node's row lock fails like SQLite's busy timeout
        conn.execute(f"SET lock_timeout = {self._busy_ms}")
        return conn

    # --- plumbing -----------------------------------------------------------
    def _migrate(self) -> None:
        rendered = postgres_migrations()
        with self._lock, self.db.transaction():
            # two nodes starting at once: one migrates, the other waits and then finds nothing to do
            self.db.execute("SELECT pg_advisory_xact_lock(7235001)")
            self.db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = self.db.execute("SELECT MAX(version) AS v FROM schema_version").fetchone()
            have = int(row["v"]) if row and row["v"] is not None else 0
            self.migrated_from = have  # the version found at open (`peerspace db migrate` reports it)
            for version, sql in enumerate(rendered, start=1):
                if version > have:
                    for stmt in filter(str.strip, sql.split(";")):
                        self.db.execute(stmt.encode())  # DDL, no parameters: no placeholder escaping
                    self.db.execute("DELETE FROM schema_version")
                    self.db.execute("INSERT INTO schema_version(version) VALUES (%s)", (version,))
        assert len(rendered) == len(MIGRATIONS)

    @property
    def schema_version(self) -> int:
        row = self._exec("SELECT MAX(version) AS v FROM schema_version").fetchone()
        return int(row["v"]) if row and row["v"] is not None else 0

    def _statement(self, sql: str, args: tuple[Any, ...]) -> RowCursor:
        text = _rewrite(sql)
        if text == "BEGIN":  # a repository's BEGIN inside _transaction, which has begun already
            return _Cursor(None, False)
        cur = self.db.cursor()
        try:
            cur.execute(text.encode(), args)  # always parsed: `%%` turns back into `%`
        except psycopg.Error as e:
            raise _as_sqlite_error(e) from e
        return _Cursor(cur, text.endswith(" RETURNING id"))

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> RowCursor:
        write = not sql.lstrip().upper().startswith("SELECT")
        with self._lock:
            try:
                if self.db.broken or self.db.closed:
                    self.db = self._connect()  # the server restarted or the network dropped: a fresh connection
                cur = self._statement(sql, args)
            except sqlite3.OperationalError:
                if write:
                    self.write_failures += 1
                    self.write_fault = True
                raise
            if write:
                self.write_fault = False
            return cur

    def without_waiting(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run fn with no lock wait (SQLiteConnection.without_waiting)."""
        with self._lock:
            self.db.execute("SET lock_timeout = 1")
        try:
            return fn(*args, **kwargs)
        finally:
            with self._lock:
                if not self.db.broken:
                    self.db.execute(f"SET lock_timeout = {self._busy_ms}")

    def _failed(self, e: BaseException) -> None:
        if isinstance(e, sqlite3.OperationalError | psycopg.OperationalError):
            self.write_failures += 1
            self.write_fault = True

    def probe_write(self) -> str:
        """A real write, for /api/health: 'ok', 'read_only', 'locked' or 'error'."""
        with self._lock:
            try:
                self._exec(
                    "INSERT INTO store_probe(id, ts) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET ts=excluded.ts",
                    (time.time(),),
                )
                return "ok"
            except sqlite3.OperationalError as e:
                msg = str(e).lower()
                if "read-only" in msg or "read only" in msg:
                    return "read_only"
                if "lock" in msg:
                    return "locked"
                return "error"
            except sqlite3.DatabaseError:
                self.write_failures += 1
                return "error"

    def _after_delete(self, user_id: int) -> None:
        """SQLite cuts its WAL here; PostgreSQL's deleted row versions go at the next (auto)vacuum."""

    def table_names(self) -> list[str]:
        """The tables of this database, less the migrations' own `schema_version`."""
        rows = self._exec(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname=current_schema() AND tablename!='schema_version' "
            "ORDER BY tablename"
        ).fetchall()
        return [r["name"] for r in rows]

    def _after_copy(self, db: RowConnection, tables: tuple[str, ...]) -> None:
        """`peerspace db copy` wrote rows with their ids: each identity continues after the highest one copied."""
        for table in tables:
            if table in _ID_TABLES:
                db.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) "
                    f"FROM {table}"
                )

    def close(self) -> None:
        self.aio.close()
        self.db.close()

    @contextmanager
    def _transaction(self, begin: str = "BEGIN") -> Iterator[RowConnection]:
        """Several statements that succeed or fail together (SQLiteConnection._transaction). Row locks take the
        place of SQLite's `BEGIN IMMEDIATE`; the statements that need it re-check their WHERE after the lock."""
        with self._lock:
            try:
                if self.db.broken or self.db.closed:
                    self.db = self._connect()
                with self.db.transaction():
                    yield _Conn(self)
            except psycopg.Error as e:
                err = _as_sqlite_error(e)
                self._failed(err)
                raise err from e
            except BaseException as e:
                self._failed(e)
                raise


class PostgresStorage(PostgresConnection, SQLiteStorage):  # type: ignore[misc]  # `db`: a psycopg connection
    """Every aggregate (interfaces.Storage) on PostgreSQL: the SQLite repositories' methods, on PostgresConnection's
    plumbing (it comes first in the method order, so its `__init__`, `_exec` and `_transaction` are the ones used)."""

    def __init__(self, url: str, busy_timeout: float = 5.0):
        PostgresConnection.__init__(self, url, busy_timeout)
