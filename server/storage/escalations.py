"""Escalation of alerts nobody acknowledges: which are due, claimed rounds, and every delivery attempt.

An alert counts as acknowledged as soon as a person acknowledged it (`acknowledged_at`: the app's alert_ack,
the dashboard's "I have seen it") or its status is no longer 'open' (handled).
Rows reference safety_alerts(id) ON DELETE CASCADE, so a person's delete removes them with the alert.
They hold no content: ids, a channel name, times and a short error (a status code or error class).
"""

from __future__ import annotations

from typing import Any

from .connection import SQLiteConnection
from .interfaces import Row


class SQLiteEscalations(SQLiteConnection):
    def alerts_to_escalate(self, kinds: list[str], first_after: float, every: float, now: float) -> list[Row]:
        """Open alerts of these kinds whose next round is due: the first `first_after` seconds after the
        alert, each further one `every` seconds after the last round. Newest first (a fresh crisis goes
        ahead of a backlog); `rounds` counts the rounds claimed so far, `room_name` is the room's name (the
        id where the room is gone)."""
        if not kinds:
            return []
        return self._exec(
            # the outer SELECT lets the WHERE use `last_round` (PostgreSQL has no select-list names in WHERE)
            "SELECT * FROM (SELECT s.id, s.ts, s.kind, s.room_id, COALESCE(r.name, s.room_id) AS room_name, "
            "(SELECT COUNT(*) FROM alert_escalation_rounds e WHERE e.alert_id=s.id) AS rounds, "
            "(SELECT MAX(e.ts) FROM alert_escalation_rounds e WHERE e.alert_id=s.id) AS last_round "
            "FROM safety_alerts s LEFT JOIN rooms r ON r.id=s.room_id "
            "WHERE s.status='open' AND s.acknowledged_at IS NULL "
            f"AND s.kind IN ({','.join('?' * len(kinds))}) AND s.ts <= ?) AS due "
            "WHERE (last_round IS NULL OR last_round <= ?) ORDER BY id DESC",
            (*kinds, now - first_after, now - every),
        ).fetchall()

    def alert_severity(self, alert_id: int) -> str | None:
        """The alert's severity (None for an alert written before severities were kept)."""
        row = self._exec("SELECT severity FROM safety_alerts WHERE id=?", (alert_id,)).fetchone()
        return str(row["severity"]) if row is not None and row["severity"] else None

    def claim_escalation_round(self, alert_id: int, round_no: int, ts: float) -> bool:
        """Take round `round_no` of an alert that is still open; False if it was taken (another node, an
        earlier run) or the alert has been acknowledged meanwhile."""
        return (
            self._exec(
                "INSERT OR IGNORE INTO alert_escalation_rounds(alert_id, round, ts) SELECT ?, ?, ? "
                "WHERE EXISTS (SELECT 1 FROM safety_alerts WHERE id=? AND status='open' AND acknowledged_at IS NULL)",
                (alert_id, round_no, ts, alert_id),
            ).rowcount
            == 1
        )

    def alert_is_open(self, alert_id: int) -> bool:
        row = self._exec("SELECT status, acknowledged_at FROM safety_alerts WHERE id=?", (alert_id,)).fetchone()
        return row is not None and row["status"] == "open" and row["acknowledged_at"] is None

    def add_escalation_attempt(
        self, alert_id: int, round_no: int, channel: str, ts: float, ok: bool, error: str | None
    ) -> int:
        return self._insert(
            "INSERT INTO alert_escalations(alert_id, round, channel, ts, ok, error) VALUES (?,?,?,?,?,?)",
            (alert_id, round_no, channel, ts, int(ok), error),
        )

    def escalation_attempts(self, alert_id: int) -> list[Row]:
        """Every attempt for one alert, oldest first."""
        return self._exec("SELECT * FROM alert_escalations WHERE alert_id=? ORDER BY id", (alert_id,)).fetchall()

    def escalation_status(self, alert_ids: list[int]) -> dict[int, Row]:
        """Per alert (only those escalated): `rounds`, `last_round` (time) and `channels`: per channel its
        latest attempt (`ok`, `error`, `ts`) and how many attempts `sent` and `failed` in all."""
        if not alert_ids:
            return {}
        marks = ",".join("?" * len(alert_ids))
        ids = tuple(alert_ids)
        out: dict[int, Row] = {}
        for row in self._exec(
            "SELECT alert_id, COUNT(*) AS rounds, MAX(ts) AS last_round FROM alert_escalation_rounds "
            f"WHERE alert_id IN ({marks}) GROUP BY alert_id",
            ids,
        ).fetchall():
            out[row["alert_id"]] = {"rounds": row["rounds"], "last_round": row["last_round"], "channels": {}}
        for row in self._exec(
            "SELECT e.alert_id, e.channel, e.ok, e.error, e.ts, t.sent, t.failed FROM alert_escalations e JOIN "
            "(SELECT alert_id, channel, MAX(id) AS last_id, SUM(ok) AS sent, SUM(1 - ok) AS failed "
            f"FROM alert_escalations WHERE alert_id IN ({marks}) GROUP BY alert_id, channel) t ON e.id=t.last_id "
            "ORDER BY e.channel",
            ids,
        ).fetchall():
            status = out.setdefault(row["alert_id"], {"rounds": 0, "last_round": None, "channels": {}})
            channels: dict[str, Any] = status["channels"]
            channels[row["channel"]] = {
                "ok": bool(row["ok"]),
                "error": row["error"],
                "ts": row["ts"],
                "sent": row["sent"],
                "failed": row["failed"],
            }
        return out
