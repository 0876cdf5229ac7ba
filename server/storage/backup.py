"""`peerspace db backup`: a consistent copy of a live SQLite database, taken while the server runs.

SQLite's online backup API copies the database page by page from a read transaction, so the copy is one
consistent state even while the server writes (WAL: the server's writers are not blocked). The copy is
written beside the target under a temporary name, checked, and only then renamed into place, so a backup
that fails half-way never leaves a file that looks like a good one. PostgreSQL is backed up with its own
tools (pg_dump; docs/deploy.md).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

PAGES_PER_STEP = 1024  # pages copied per step: short read transactions, so checkpoints are not held up for long


class BackupError(Exception):
    """Why a backup was not made, in words a person running the command can act on."""


@dataclass
class BackupResult:
    path: Path
    size: int
    schema_version: int
    users: int


def sqlite_path(database: str) -> Path:
    """The file of a `sqlite:///` URL, `sqlite:PATH` or a plain path; other URLs are not backed up by this command."""
    if "://" in database and not database.startswith("sqlite:///"):
        scheme = database.split("://", 1)[0]
        raise BackupError(
            f"the database is {scheme}, not SQLite: back it up with its own tools "
            "(PostgreSQL: pg_dump --format=custom; see docs/deploy.md, 'Backups')"
        )
    return Path(database.removeprefix("sqlite:///").removeprefix("sqlite:"))


def backup_sqlite(database: str, target: str | os.PathLike[str], *, overwrite: bool = False) -> BackupResult:
    source_path = sqlite_path(database)
    if not source_path.is_file():
        raise BackupError(f"there is no database at {source_path} (check --data-dir or --db)")
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the backup's file name, e.g. {target / 'peerspace.db'}")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists already; choose another name, or add --overwrite")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    # mode=ro: the backup never writes to the live database
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=PAGES_PER_STEP)
            check = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy failed its integrity check ({check}); the live database may be damaged")
            version = copy.execute("PRAGMA user_version").fetchone()[0]
            users = copy.execute("SELECT count(*) FROM users").fetchone()[0]
        finally:
            copy.close()
        os.replace(partial, target)
    except sqlite3.Error as e:
        raise BackupError(f"the backup failed: {e}") from e
    finally:
        source.close()
        partial.unlink(missing_ok=True)
    return BackupResult(target, target.stat().st_size, version, users)
