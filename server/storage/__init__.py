"""Storage behind one small interface; SQLite (WAL) is the embedded default."""

from .sqlite import SQLiteStorage


def open_storage(url: str) -> SQLiteStorage:
    """`sqlite:///path/to/file.db` or a plain path."""
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
    return SQLiteStorage(path)


__all__ = ["SQLiteStorage", "open_storage"]
