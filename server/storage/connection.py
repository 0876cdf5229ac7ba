"""The SQLite plumbing under every repository: the connection, its pragmas, migrations and write-fault
accounting. The files are the records of vulnerable people: they are created 0600, deleted rows are
overwritten (`secure_delete`), and a person's delete is checkpointed out of the WAL at once (records.py).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from .interfaces import Row
from .migrations import MIGRATIONS
from .offloop import OffLoop

T = TypeVar("T")

log = logging.getLogger("peerspace.storage")


def _row(cur: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {d[0]: v for d, v in zip(cur.description, row)}


class RowCursor(Protocol):
    """A cursor of this connection as the repositories see it: its row factory (`_row`) makes every
    row a `Row` (typeshed's sqlite3.Cursor types them Any)."""

    @property
    def rowcount(self) -> int: ...
    @property
    def lastrowid(self) -> int | None: ...
    def fetchone(self) -> Row | None: ...
    def fetchall(self) -> list[Row]: ...


class RowConnection(Protocol):
    """The connection inside `_transaction`, its statements returning `RowCursor`s."""

    def execute(self, sql: str, args: tuple[Any, ...] = ..., /) -> RowCursor: ...


class SQLiteConnection:
    """One SQLite file in WAL mode, its migrations, and the plumbing every SQLite repository uses:
    `_exec` (one statement under the lock, counting write failures) and `_transaction` (several)."""

    def __init__(self, path: str | Path, busy_timeout: float = 5.0):
        """`busy_timeout`: how long a statement waits for another connection's lock before it fails.
        The server passes a short one (its calls run on the store thread and are retried); the CLI
        keeps the long default, so `peerspace delete` waits out a running server's brief writes."""
        self.path = str(path)
        self.write_failures = 0  # failed write attempts: /metrics peerspace_store_write_failures_total
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
        self.db.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not just unlinked
        self._lock = threading.RLock()  # CLI tools may share one store across threads
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
        self.migrated_from: int = have  # the version found at open (`peerspace db migrate` reports it)
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
        version: int = self.db.execute("PRAGMA user_version").fetchone()["user_version"]
        return version

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> RowCursor:
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
            return cast(RowCursor, cur)  # the row factory is _row

    def _single(self, sql: str, args: tuple[Any, ...] = ()) -> Row:
        """A query that always yields one row (an aggregate; a row just written under the store's one thread)."""
        row = self._exec(sql, args).fetchone()
        if row is None:
            raise sqlite3.ProgrammingError("_single is for queries that always return a row")
        return row

    def _insert(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        """An INSERT through `_exec`; returns the new row's id."""
        rowid = self._exec(sql, args).lastrowid
        if rowid is None:
            raise sqlite3.ProgrammingError("_insert is for INSERT statements")
        return rowid

    def without_waiting(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
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

    def _after_delete(self, user_id: int) -> None:
        """Deleted means gone from disk: secure_delete zeroed the rows in the pages it wrote, but the WAL still holds
        the pages as they were. Copy the WAL into the file and cut it to zero bytes now."""
        busy, _, _ = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone().values()
        if busy:
            log.warning(
                "checkpoint after deleting user %s was blocked by a reader; the WAL is cut at the next checkpoint",
                user_id,
            )

    def table_names(self) -> list[str]:
        """The tables of this database (`peerspace db copy` checks it knows them all)."""
        return [
            r["name"]
            for r in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            ).fetchall()
        ]

    # --- whole tables, for `peerspace db copy` (copy.py; table and column names come from its own list) -----------
    def count_rows(self, table: str) -> int:
        n: int = self._single(f"SELECT COUNT(*) AS n FROM {table}")["n"]
        return n

    def table_rows(self, table: str, order: str, limit: int, offset: int) -> list[Row]:
        return self._exec(f"SELECT * FROM {table} ORDER BY {order} LIMIT ? OFFSET ?", (limit, offset)).fetchall()

    def load_tables(self, tables: Iterable[tuple[str, Iterable[list[Row]]]]) -> dict[str, int]:
        """Insert every batch of rows, ids included, in one transaction: all of them or none. Rows copied per table."""
        counts: dict[str, int] = {}
        with self._transaction() as db:
            db.execute("DELETE FROM store_probe")  # the health probe's own row, rewritten by this store's server
            for table, batches in tables:
                counts[table] = 0
                for rows in batches:
                    columns = list(rows[0])
                    sql = f"INSERT INTO {table}({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                    for row in rows:
                        db.execute(sql, tuple(row[c] for c in columns))
                    counts[table] += len(rows)
            self._after_copy(db, tuple(counts))
        return counts

    def _after_copy(self, db: RowConnection, tables: tuple[str, ...]) -> None:
        """After `peerspace db copy` wrote rows with their ids: nothing to do (AUTOINCREMENT follows the ids)."""

    def close(self) -> None:
        self.aio.close()
        self.db.close()

    @contextmanager
    def _transaction(self, begin: str = "BEGIN") -> Iterator[RowConnection]:
        """Several statements that succeed or fail together; a failure is counted like `_exec`'s and
        rolled back. `begin="BEGIN IMMEDIATE"` takes the write lock at once (a retry never half-writes)."""
        with self._lock:
            try:
                self.db.execute(begin)
                yield cast(RowConnection, self.db)  # the row factory is _row
                self.db.execute("COMMIT")
            except BaseException as e:
                self._failed(e)
                self._rollback()
                raise

    def _rollback(self) -> None:
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.OperationalError:
            pass  # BEGIN itself failed (locked, read-only): there is no transaction to end
