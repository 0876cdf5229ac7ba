"""A person's records as a whole and the reads built on several tables: questionnaire answers, the
one export and the one delete, and replays (a session's pose frames and its transcript)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from .helpline import SQLiteHelpline
from .interfaces import Row
from .runs import SQLiteRuns


class SQLiteRecords(SQLiteRuns, SQLiteHelpline):
    # --- questionnaires ---------------------------------------------------------------------
    def add_questionnaire_answer(
        self, user_id: int, questionnaire: str, phase: str, run_id: int | None, answers: dict[str, Any], score: float
    ) -> int:
        return self._insert(
            "INSERT INTO questionnaire_answers(ts, user_id, questionnaire, phase, run_id, answers, score) "
            "VALUES (?,?,?,?,?,?,?)",
            (time.time(), user_id, questionnaire, phase, run_id, json.dumps(answers), score),
        )

    def questionnaire_answers(self, user_id: int) -> list[Row]:
        """One person's answers, oldest first, each with its `answers` decoded."""
        rows = self._exec(
            "SELECT id, ts, questionnaire, phase, run_id, answers, score FROM questionnaire_answers "
            "WHERE user_id=? ORDER BY ts, id",
            (user_id,),
        ).fetchall()
        for r in rows:
            r["answers"] = json.loads(r["answers"])
        return rows

    # --- replays: pose frames and the transcript of a session -----------------------------------
    def run_transcript(
        self, run_id: int, room_id: str, start: float, end: float, participant_id: int | None
    ) -> list[Row]:
        """The run's own events, plus room lines said between `start` and `end` by anyone who is not another
        participant (one person's session never shows another participant's words); in time order."""
        rows = self._exec(
            "SELECT e.* FROM events e LEFT JOIN users u ON u.id=e.user_id WHERE e.run_id=? OR "
            "(e.run_id IS NULL AND e.room_id=? AND e.ts BETWEEN ? AND ? AND "
            "(u.role IS NULL OR u.role!='participant' OR e.user_id IS ?)) ORDER BY e.ts, e.id",
            (run_id, room_id, start, end, participant_id),
        ).fetchall()
        for r in rows:
            r["data"] = json.loads(r["data"])
        return rows

    def pose_frames(self, run_id: int, after: float, limit: int) -> list[Row]:
        """Up to `limit` samples (t, poses, members or None) after time `after`, oldest first."""
        return self._exec(
            "SELECT t, poses, members FROM pose_tracks WHERE run_id=? AND t>? ORDER BY t LIMIT ?",
            (run_id, after, limit),
        ).fetchall()

    def pose_members_at(self, run_id: int, t: float) -> Row | None:
        """The members table in force at time `t` (the last sample at or before it that carries one)."""
        return self._exec(
            "SELECT t, members FROM pose_tracks WHERE run_id=? AND t<=? AND members IS NOT NULL "
            "ORDER BY t DESC LIMIT 1",
            (run_id, t),
        ).fetchone()

    def pose_track_span(self, run_id: int) -> Row:
        """How many samples a run's replay has (`n`) and its first and last times (`t0`, `t1`)."""
        return self._single(
            "SELECT COUNT(*) AS n, MIN(t) AS t0, MAX(t) AS t1 FROM pose_tracks WHERE run_id=?", (run_id,)
        )

    # --- a person's records: export and delete ------------------------------------
    def export_user(self, user_id: int) -> Row | None:
        """Every record peerspace holds about one person, as one JSON-able document.

        The one export: the CLI, the person's own HTTP export and the dashboard all use it.
        Every table with a user column appears here; `delete_user` removes the same rows.
        """
        q = self._exec
        user = q(
            "SELECT id, name, role, created, banned_until, consent_recording, consent_updated, appearance "
            "FROM users WHERE id=?",
            (user_id,),
        ).fetchone()
        if user is None:
            return None
        runs = self.runs(user_id)
        events = self._events("user_id=?", (user_id,))
        for run in runs:
            events += [e for e in self.run_events(run["id"]) if e["user_id"] != user_id]
        events.sort(key=lambda e: e["id"])
        answers = self.questionnaire_answers(user_id)
        replays = [
            {
                "run": run["id"],
                "pose_format": "wire.codec POSE_DTYPE, base64",
                "frames": [
                    {"t": r["t"], "poses": base64.b64encode(bytes(r["poses"])).decode(), "members": r["members"]}
                    for r in q(
                        "SELECT t, poses, members FROM pose_tracks WHERE run_id=? ORDER BY t", (run["id"],)
                    ).fetchall()
                ],
            }
            for run in runs
        ]
        consent = {"recording": bool(user.pop("consent_recording")), "updated": user.pop("consent_updated")}
        appearance = user.pop("appearance")
        return {
            "format": "peerspace-export/2",
            "exported": time.time(),
            "user": user,
            "consent": consent,
            "appearance": json.loads(appearance) if appearance else None,  # their avatar's look, as chosen
            "runs": runs,
            "events": events,
            "rooms_created": q("SELECT * FROM rooms WHERE created_by=?", (user_id,)).fetchall(),
            "questionnaires": answers,
            "replays": replays,
            "blocks": q("SELECT blocked_id, created FROM blocks WHERE blocker_id=?", (user_id,)).fetchall(),
            "groups": q(
                "SELECT g.name AS name, 'member' AS role FROM group_members m JOIN groups g ON g.id=m.group_id "
                "WHERE m.user_id=? UNION ALL SELECT g.name, 'staff' FROM group_staff s JOIN groups g "
                "ON g.id=s.group_id WHERE s.staff_id=?",
                (user_id, user_id),
            ).fetchall(),
            "assignments": q(
                "SELECT staff_id, participant_id, created FROM staff_assignments WHERE staff_id=? OR participant_id=?",
                (user_id, user_id),
            ).fetchall(),
            "reports_made": q(
                "SELECT id, ts, room_id, reason, note, status FROM reports WHERE reporter_id=?", (user_id,)
            ).fetchall(),
            # with how staff followed each up (who, when, what was done, the note) and its audit trail
            "safety_alerts": self._alerts_about(user_id),
            "moderation": q(
                "SELECT ts, room_id, action, until FROM moderation WHERE target_id=?", (user_id,)
            ).fetchall(),
            # the private help line's conversations they asked for help in or answered, with every line
            "help_channels": self.help_channels(user_id),
            # staff: the peer-specific fidelity ratings of their delivery (server/courses/), and those they gave
            "peer_fidelity": self._peer_fidelity_of(user_id),
        }

    def _peer_fidelity_of(self, user_id: int) -> dict[str, list[Row]]:
        """Peer-fidelity ratings about this staff member (with who rated them) and the ratings they made.
        Deleting the person removes those about them (staff_id cascades); theirs of others lose the rater."""
        cols = "f.id, f.ts, f.run_id, f.items, f.note"
        about = self._exec(
            f"SELECT {cols}, f.rated_by, u.name AS rated_by_name FROM peer_fidelity f "
            "LEFT JOIN users u ON u.id=f.rated_by WHERE f.staff_id=? ORDER BY f.id",
            (user_id,),
        ).fetchall()
        given = self._exec(
            f"SELECT {cols}, f.staff_id, u.name AS staff_name FROM peer_fidelity f "
            "LEFT JOIN users u ON u.id=f.staff_id WHERE f.rated_by=? AND f.staff_id<>? ORDER BY f.id",
            (user_id, user_id),
        ).fetchall()
        for r in (*about, *given):
            r["items"] = json.loads(r["items"])
        return {"about_me": about, "given": given}

    def _alerts_about(self, user_id: int) -> list[Row]:
        """The alerts about a person for their export: how staff acknowledged and handled each, and each
        alert's history rows (acknowledged, handled: by whom, when, what). Deleting the person removes them
        (safety_alerts.user_id and alert_history.alert_id cascade)."""
        alerts = self._exec(
            "SELECT s.id, s.ts, s.room_id, s.kind, s.category, s.event_id, s.status, s.severity, s.told, "
            "s.acknowledged_by, ack.name AS acknowledged_name, s.acknowledged_at, "
            "s.handled_by, h.name AS handled_name, s.handled_at, s.actions, s.note, s.follow_up "
            "FROM safety_alerts s LEFT JOIN users ack ON ack.id=s.acknowledged_by "
            "LEFT JOIN users h ON h.id=s.handled_by WHERE s.user_id=? ORDER BY s.id",
            (user_id,),
        ).fetchall()
        history: dict[int, list[Row]] = {a["id"]: [] for a in alerts}
        for r in self._exec(
            "SELECT h.alert_id, h.ts, h.user_id, u.name AS user_name, h.action, h.details FROM alert_history h "
            "JOIN safety_alerts s ON s.id=h.alert_id LEFT JOIN users u ON u.id=h.user_id "
            "WHERE s.user_id=? ORDER BY h.id",
            (user_id,),
        ).fetchall():
            details = json.loads(r.pop("details")) if r["details"] else None
            history[r.pop("alert_id")].append({**r, "details": details})
        return [
            {
                **a,
                "told": json.loads(a["told"]) if a["told"] else [],
                "actions": json.loads(a["actions"]) if a["actions"] else [],
                "follow_up": None if a["follow_up"] is None else bool(a["follow_up"]),
                "history": history[a["id"]],
            }
            for a in alerts
        ]

    def record_counts(self, user_id: int) -> dict[str, int]:
        """How many records of each kind are kept about one person (their "My data" screen): their sessions, the
        lines they said that were kept, their questionnaire answers, the sessions with a replay, reports made."""

        def count(sql: str) -> int:
            n: int = self._single(sql, (user_id,))["n"]
            return n

        return {
            "sessions": count("SELECT COUNT(*) AS n FROM runs WHERE participant_user_id=?"),
            "lines": count("SELECT COUNT(*) AS n FROM events WHERE user_id=? AND kind='said'"),
            "questionnaires": count("SELECT COUNT(*) AS n FROM questionnaire_answers WHERE user_id=?"),
            "replays": count(
                "SELECT COUNT(*) AS n FROM runs r WHERE r.participant_user_id=? "
                "AND EXISTS (SELECT 1 FROM pose_tracks p WHERE p.run_id=r.id)"
            ),
            "reports": count("SELECT COUNT(*) AS n FROM reports WHERE reporter_id=?"),
        }

    def delete_user(self, user_id: int) -> bool:
        """Remove the account and every record about the person (their runs and their lines)."""
        with self._lock:
            with self._transaction() as db:
                db.execute("DELETE FROM events WHERE user_id=?", (user_id,))
                db.execute(
                    "DELETE FROM events WHERE run_id IN (SELECT id FROM runs WHERE participant_user_id=?)", (user_id,)
                )
                db.execute("DELETE FROM runs WHERE participant_user_id=?", (user_id,))
                cur = db.execute("DELETE FROM users WHERE id=?", (user_id,))
                db.execute(
                    "INSERT INTO revocations(ts, user_id, reason) VALUES (?,?,?)", (time.time(), user_id, "delete")
                )
            self._after_delete(user_id)
        return cur.rowcount > 0
