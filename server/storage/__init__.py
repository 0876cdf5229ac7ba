"""Storage behind one interface per aggregate (interfaces.py); SQLite (WAL) is the embedded default.

All SQL in the server lives in this package (tests/test_architecture_rules.py keeps it so).
"""

from .interfaces import (
    AccountsRepository,
    EscalationsRepository,
    HelplineRepository,
    RecordsRepository,
    RoomsRepository,
    Row,
    RunsRepository,
    SafetyRepository,
    Storage,
)
from .offloop import RETRYABLE
from .sqlite import SQLiteStorage

# The server's store waits at most this long for another connection's write lock; its calls run on the
# store thread, and writes that must not be lost are retried (OffLoop.persist), so a short wait is safe.
SERVER_BUSY_TIMEOUT = 0.2


def open_storage(url: str, busy_timeout: float = 5.0) -> SQLiteStorage:
    """`sqlite:///path/to/file.db`, `sqlite:path` or a plain path: SQLite; `postgresql://...` (or `postgres://`):
    PostgreSQL (postgres.py), the same repositories on a psycopg connection."""
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStorage  # psycopg is imported only by a service that uses it

        return PostgresStorage(url, busy_timeout=busy_timeout)
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url.removeprefix("sqlite:")
    return SQLiteStorage(path, busy_timeout=busy_timeout)


__all__ = [
    "RETRYABLE",
    "SERVER_BUSY_TIMEOUT",
    "AccountsRepository",
    "EscalationsRepository",
    "HelplineRepository",
    "RecordsRepository",
    "RoomsRepository",
    "Row",
    "RunsRepository",
    "SQLiteStorage",
    "SafetyRepository",
    "Storage",
    "open_storage",
]
