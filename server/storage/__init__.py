"""Storage behind one small interface; SQLite (WAL) is the embedded default."""

from .sqlite import SQLiteStorage


# The server's store waits at most this long for another connection's write lock; its calls run on the
# store thread, and writes that must not be lost are retried (OffLoop.persist), so a short wait is safe.
SERVER_BUSY_TIMEOUT = 0.2


def open_storage(url: str, busy_timeout: float = 5.0) -> SQLiteStorage:
    """`sqlite:///path/to/file.db` or a plain path."""
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
    return SQLiteStorage(path, busy_timeout=busy_timeout)


__all__ = ["SERVER_BUSY_TIMEOUT", "SQLiteStorage", "open_storage"]
