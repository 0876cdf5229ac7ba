"""Safety records: blocks, reports, alerts (crisis language, reports) and the moderation log.

Every row that is about a person references users(id) with ON DELETE CASCADE (or SET NULL for the
other party), so deleting a person deletes their safety records too.
"""

from __future__ import annotations

import time
from typing import Any

from .connection import SQLiteConnection
from .interfaces import Row
from .rooms import SCOPE_SQL


class SQLiteSafety(SQLiteConnection):
    # --- blocks (durable, both directions are enforced) -------------------------------
    def block(self, blocker: int, blocked: int) -> None:
        self._exec(
            "INSERT OR IGNORE INTO blocks(blocker_id, blocked_id, created) VALUES (?,?,?)",
            (blocker, blocked, time.time()),
        )

    def unblock(self, blocker: int, blocked: int) -> bool:
        return self._exec("DELETE FROM blocks WHERE blocker_id=? AND blocked_id=?", (blocker, blocked)).rowcount > 0

    def blocked_by(self, blocker: int) -> list[Row]:
        return self._exec(
            "SELECT b.blocked_id AS user, u.name AS name, b.created FROM blocks b "
            "JOIN users u ON u.id=b.blocked_id WHERE b.blocker_id=? ORDER BY b.created",
            (blocker,),
        ).fetchall()

    def all_blocks(self) -> list[tuple[int, int]]:
        return [(r["blocker_id"], r["blocked_id"]) for r in self._exec("SELECT * FROM blocks").fetchall()]

    # --- reports -------------------------------------------------------------------------
    def add_report(
        self, room_id: str | None, reporter: int, reported: int | None, reason: str, note: str | None
    ) -> int:
        return self._insert(
            "INSERT INTO reports(ts, room_id, reporter_id, reported_id, reason, note) VALUES (?,?,?,?,?,?)",
            (time.time(), room_id, reporter, reported, reason, note),
        )

    def add_report_with_alert(
        self, room_id: str | None, reporter: int, reported: int | None, reason: str, note: str | None, notified: int
    ) -> int:
        """The report and its alert row, in one transaction (a retry never writes one twice)."""
        with self._transaction("BEGIN IMMEDIATE") as db:
            rid = db.execute(
                "INSERT INTO reports(ts, room_id, reporter_id, reported_id, reason, note) VALUES (?,?,?,?,?,?)",
                (time.time(), room_id, reporter, reported, reason, note),
            ).lastrowid
            db.execute(
                "INSERT INTO safety_alerts(ts, room_id, user_id, kind, category, event_id, notified) "
                "VALUES (?,?,?,?,?,?,?)",
                (time.time(), room_id, reporter, "report", reason, None, notified),
            )
        assert rid is not None  # an INSERT always sets it
        return rid

    def reports(self, room_ids: list[str] | None = None, limit: int = 200, staff: int | None = None) -> list[Row]:
        """Newest first; `staff`: only reports made by or about the participants that staff member looks after."""
        sql = (
            "SELECT r.*, a.name AS reporter, b.name AS reported FROM reports r "
            "LEFT JOIN users a ON a.id=r.reporter_id LEFT JOIN users b ON b.id=r.reported_id WHERE 1=1"
        )
        args: tuple[Any, ...] = ()
        if room_ids is not None:
            sql += f" AND r.room_id IN ({','.join('?' * len(room_ids))})"
            args = tuple(room_ids)
        if staff is not None:
            sql += f" AND (r.reporter_id IN ({SCOPE_SQL}) OR r.reported_id IN ({SCOPE_SQL}))"
            args += (staff,) * 4
        return self._exec(sql + " ORDER BY r.id DESC LIMIT ?", args + (limit,)).fetchall()

    # --- alerts (crisis language, reports) -------------------------------------------------
    def add_alert(
        self, room_id: str, user_id: int | None, kind: str, category: str | None, event_id: int | None, notified: int
    ) -> int:
        return self._insert(
            "INSERT INTO safety_alerts(ts, room_id, user_id, kind, category, event_id, notified) "
            "VALUES (?,?,?,?,?,?,?)",
            (time.time(), room_id, user_id, kind, category, event_id, notified),
        )

    def alerts(self, room_ids: list[str] | None = None, limit: int = 200, staff: int | None = None) -> list[Row]:
        """Newest first; `staff`: only alerts about the participants that staff member looks after."""
        sql = "SELECT s.*, u.name AS name FROM safety_alerts s LEFT JOIN users u ON u.id=s.user_id WHERE 1=1"
        args: tuple[Any, ...] = ()
        if room_ids is not None:
            sql += f" AND s.room_id IN ({','.join('?' * len(room_ids))})"
            args = tuple(room_ids)
        if staff is not None:
            sql += f" AND s.user_id IN ({SCOPE_SQL})"
            args += (staff, staff)
        return self._exec(sql + " ORDER BY s.id DESC LIMIT ?", args + (limit,)).fetchall()

    def alert(self, alert_id: int) -> Row | None:
        return self._exec("SELECT * FROM safety_alerts WHERE id=?", (alert_id,)).fetchone()

    def set_alert_status(self, alert_id: int, status: str) -> None:
        self._exec("UPDATE safety_alerts SET status=? WHERE id=?", (status, alert_id))

    # --- moderation log (who did what to whom, when; never why in words) ------------------
    def log_action(
        self, room_id: str | None, staff: int | None, target: int, action: str, until: float | None = None
    ) -> int:
        return self._insert(
            "INSERT INTO moderation(ts, room_id, staff_id, target_id, action, until) VALUES (?,?,?,?,?,?)",
            (time.time(), room_id, staff, target, action, until),
        )

    def actions(self, limit: int = 200) -> list[Row]:
        return self._exec(
            "SELECT m.*, s.name AS staff, t.name AS target FROM moderation m "
            "LEFT JOIN users s ON s.id=m.staff_id LEFT JOIN users t ON t.id=m.target_id "
            "ORDER BY m.id DESC LIMIT ?",
            (limit,),
        ).fetchall()
