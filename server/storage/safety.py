"""Safety records: blocks, reports, alerts (crisis language, reports) and the moderation log.

Every row that is about a person references users(id) with ON DELETE CASCADE (or SET NULL for the
other party), so deleting a person deletes their safety records too.
"""

from __future__ import annotations

import json
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
        self,
        room_id: str | None,
        reporter: int,
        reported: int | None,
        reason: str,
        note: str | None,
        notified: int,
        told: list[str] | None = None,
        severity: str | None = None,
        live_key: str | None = None,
    ) -> int:
        """The report and its alert row, in one transaction (a retry never writes one twice)."""
        with self._transaction("BEGIN IMMEDIATE") as db:
            rid = db.execute(
                "INSERT INTO reports(ts, room_id, reporter_id, reported_id, reason, note) VALUES (?,?,?,?,?,?)",
                (time.time(), room_id, reporter, reported, reason, note),
            ).lastrowid
            db.execute(
                "INSERT INTO safety_alerts(ts, room_id, user_id, kind, category, event_id, notified, told, severity, "
                "live_key) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (time.time(), room_id, reporter, "report", reason, None, notified, _names(told), severity, live_key),
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
        self,
        room_id: str,
        user_id: int | None,
        kind: str,
        category: str | None,
        event_id: int | None,
        notified: int,
        told: list[str] | None = None,
        severity: str | None = None,
        live_key: str | None = None,
    ) -> int:
        """`told`: the names of the staff who got it live; `live_key`: the key the live alert carried."""
        return self._insert(
            "INSERT INTO safety_alerts(ts, room_id, user_id, kind, category, event_id, notified, told, severity, "
            "live_key) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (time.time(), room_id, user_id, kind, category, event_id, notified, _names(told), severity, live_key),
        )

    def alerts(self, room_ids: list[str] | None = None, limit: int = 200, staff: int | None = None) -> list[Row]:
        """The queue: unhandled crisis alerts first, then the others, newest first within each;
        `staff`: only alerts about the participants that staff member looks after."""
        sql = (
            "SELECT s.*, u.name AS name, ack.name AS acknowledged_name, h.name AS handled_name "
            "FROM safety_alerts s LEFT JOIN users u ON u.id=s.user_id "
            "LEFT JOIN users ack ON ack.id=s.acknowledged_by LEFT JOIN users h ON h.id=s.handled_by WHERE 1=1"
        )
        args: tuple[Any, ...] = ()
        if room_ids is not None:
            sql += f" AND s.room_id IN ({','.join('?' * len(room_ids))})"
            args = tuple(room_ids)
        if staff is not None:
            sql += f" AND s.user_id IN ({SCOPE_SQL})"
            args += (staff, staff)
        order = " ORDER BY (s.kind='crisis' AND s.status='open') DESC, s.id DESC LIMIT ?"
        return [_alert_row(r) for r in self._exec(sql + order, args + (limit,)).fetchall()]

    def alert(self, alert_id: int) -> Row | None:
        row = self._exec(
            "SELECT s.*, u.name AS name, ack.name AS acknowledged_name, h.name AS handled_name "
            "FROM safety_alerts s LEFT JOIN users u ON u.id=s.user_id "
            "LEFT JOIN users ack ON ack.id=s.acknowledged_by LEFT JOIN users h ON h.id=s.handled_by WHERE s.id=?",
            (alert_id,),
        ).fetchone()
        return _alert_row(row) if row is not None else None

    def alert_by_key(self, live_key: str) -> Row | None:
        """The row of a live alert, by the key it carried (None while it is not written yet)."""
        row = self._exec("SELECT id FROM safety_alerts WHERE live_key=?", (live_key,)).fetchone()
        return self.alert(row["id"]) if row is not None else None

    def set_alert_status(self, alert_id: int, status: str) -> None:
        self._exec("UPDATE safety_alerts SET status=? WHERE id=?", (status, alert_id))

    def acknowledge_alert(self, alert_id: int, user_id: int) -> bool:
        """A staff member has seen the alert: who and when (the first acknowledgement stays), and a history row.
        True if this was the first time anyone acknowledged or handled it."""
        with self._transaction("BEGIN IMMEDIATE") as db:
            first = db.execute(
                "UPDATE safety_alerts SET acknowledged_by=?, acknowledged_at=? WHERE id=? AND acknowledged_at IS NULL",
                (user_id, time.time(), alert_id),
            ).rowcount
            db.execute(
                "INSERT INTO alert_history(alert_id, ts, user_id, action, details) VALUES (?,?,?,?,?)",
                (alert_id, time.time(), user_id, "acknowledged", None),
            )
        return first > 0

    def handle_alert(self, alert_id: int, user_id: int, actions: list[str], note: str | None, follow_up: bool) -> bool:
        """A staff member has followed the alert up: what was done, a note, whether follow-up is needed; the alert
        stops counting as open (kept, never deleted), with a history row. Handling also acknowledges it if no one
        had. True if this was the first time anyone acknowledged or handled it."""
        now = time.time()
        details = json.dumps({"actions": actions, "note": note, "follow_up": follow_up})
        with self._transaction("BEGIN IMMEDIATE") as db:
            first = db.execute(
                "UPDATE safety_alerts SET acknowledged_by=?, acknowledged_at=? WHERE id=? AND acknowledged_at IS NULL",
                (user_id, now, alert_id),
            ).rowcount
            db.execute(
                "UPDATE safety_alerts SET status='handled', handled_by=?, handled_at=?, actions=?, note=?, "
                "follow_up=? WHERE id=?",
                (user_id, now, json.dumps(actions), note, int(follow_up), alert_id),
            )
            db.execute(
                "INSERT INTO alert_history(alert_id, ts, user_id, action, details) VALUES (?,?,?,?,?)",
                (alert_id, now, user_id, "handled", details),
            )
        return first > 0

    def alert_history(self, alert_id: int) -> list[Row]:
        """The audit trail of one alert, oldest first (details decoded)."""
        rows = self._exec(
            "SELECT h.*, u.name AS user_name FROM alert_history h LEFT JOIN users u ON u.id=h.user_id "
            "WHERE h.alert_id=? ORDER BY h.id",
            (alert_id,),
        ).fetchall()
        return [{**r, "details": json.loads(r["details"]) if r["details"] else None} for r in rows]

    # --- who is on duty (server/safety/moderation.py keeps the live view) ------------------
    def set_on_duty(self, user_id: int, on: bool) -> None:
        if on:
            self._exec("INSERT OR IGNORE INTO staff_duty(user_id, since) VALUES (?,?)", (user_id, time.time()))
        else:
            self._exec("DELETE FROM staff_duty WHERE user_id=?", (user_id,))

    def on_duty(self) -> list[Row]:
        """Who is on duty: user id, name, role and since when, oldest first."""
        return self._exec(
            "SELECT d.user_id, d.since, u.name, u.role FROM staff_duty d JOIN users u ON u.id=d.user_id "
            "ORDER BY d.since"
        ).fetchall()

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


def _names(told: list[str] | None) -> str | None:
    return json.dumps(told) if told is not None else None


def _alert_row(row: Row) -> Row:
    """An alert row with its JSON columns decoded (`told`: names, `actions`: ids)."""
    return {
        **row,
        "told": json.loads(row["told"]) if row.get("told") else [],
        "actions": json.loads(row["actions"]) if row.get("actions") else [],
    }
