"""The private help line's records: each conversation (`help_channels`) and its lines (`help_lines`).

A conversation is a safety record about the participant who asked for help: it is in their export
and goes with their delete (ON DELETE CASCADE). A staff member's own lines stay in it when their
account is deleted, without their name (SET NULL): the record is the participant's.

The server tells people first and writes after, retried (OffLoop.persist), so writes may arrive late
or out of order: every write names the conversation by its wire key and makes sure its row exists.
"""

from __future__ import annotations

from typing import Any

from .connection import RowConnection, SQLiteConnection
from .interfaces import Row

_UPSERT = (
    "INSERT INTO help_channels(key, participant_id, staff_id, room_id, opened, agreed, closed) "
    "VALUES (?,?,?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET "
    "staff_id=COALESCE(excluded.staff_id, staff_id), agreed=COALESCE(excluded.agreed, agreed), "
    "closed=COALESCE(excluded.closed, closed)"
)


def _channel_args(ch: dict[str, Any]) -> tuple[Any, ...]:
    return (
        ch["key"],
        ch["participant_id"],
        ch.get("staff_id"),
        ch.get("room_id"),
        ch["opened"],
        ch.get("agreed"),
        ch.get("closed"),
    )


class SQLiteHelpline(SQLiteConnection):
    def save_help_channel(self, channel: dict[str, Any]) -> None:
        """The conversation's state (key, participant_id, staff_id, room_id, opened, agreed, closed); what is
        already known is kept (a late write never takes back who joined, the agreement or the close)."""
        self._exec(_UPSERT, _channel_args(channel))

    def add_help_line(self, channel: dict[str, Any], user_id: int, ts: float, text: str) -> int:
        """One line of the conversation, with the conversation's row made first if it is not there yet."""
        with self._transaction("BEGIN IMMEDIATE") as db:
            db.execute(_UPSERT, _channel_args(channel))
            return _line(db, channel["key"], user_id, ts, text)

    def help_channels(self, user_id: int) -> list[Row]:
        """The conversations a person took part in, oldest first, each with its lines (`lines`: ts, who
        (`user_id`, `name`), text): every line of those they asked for help in; of those they answered as
        staff, only their own lines (the rest is the participant's record, not theirs)."""
        rows = self._exec(
            "SELECT c.id, c.key, c.participant_id, p.name AS participant, c.staff_id, s.name AS staff, c.room_id, "
            "c.opened, c.agreed, c.closed FROM help_channels c LEFT JOIN users p ON p.id=c.participant_id "
            "LEFT JOIN users s ON s.id=c.staff_id WHERE c.participant_id=? OR c.staff_id=? ORDER BY c.opened, c.id",
            (user_id, user_id),
        ).fetchall()
        for r in rows:
            r["lines"] = self._exec(
                "SELECT l.ts, l.user_id, u.name AS name, l.text FROM help_lines l LEFT JOIN users u ON u.id=l.user_id "
                "WHERE l.channel_id=? AND (? OR l.user_id=?) ORDER BY l.ts, l.id",
                (r.pop("id"), r["participant_id"] == user_id, user_id),
            ).fetchall()
        return rows


def _line(db: RowConnection, key: str, user_id: int, ts: float, text: str) -> int:
    rowid = db.execute(
        "INSERT INTO help_lines(channel_id, ts, user_id, text) SELECT id, ?, ?, ? FROM help_channels WHERE key=?",
        (ts, user_id, text, key),
    ).lastrowid
    assert rowid is not None  # the row was made in the same transaction
    return rowid
