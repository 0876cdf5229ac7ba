"""Courses: a group's course run (which course, its time zone, its dated sessions) and the course records kept
as run events (homework reviews, self-ratings), read back per participant."""

from __future__ import annotations

import json
import time
from typing import Any

from .connection import SQLiteConnection
from .interfaces import Row


class SQLiteCourses(SQLiteConnection):
    def set_course_run(
        self, group_id: int, course_id: str, timezone: str, sessions: list[tuple[int, str, int]], set_by: int | None
    ) -> None:
        """The group runs `course_id`: its schedule (number, local start 'YYYY-MM-DDTHH:MM', minutes) replaces any
        earlier one."""
        with self._lock:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO course_runs(group_id, course_id, timezone, set_by, updated) VALUES (?,?,?,?,?) "
                    "ON CONFLICT(group_id) DO UPDATE SET course_id=excluded.course_id, timezone=excluded.timezone, "
                    "set_by=excluded.set_by, updated=excluded.updated",
                    (group_id, course_id, timezone, set_by, time.time()),
                )
                db.execute("DELETE FROM course_sessions WHERE group_id=?", (group_id,))
                for n, starts, minutes in sessions:
                    db.execute(
                        "INSERT INTO course_sessions(group_id, number, starts, minutes) VALUES (?,?,?,?)",
                        (group_id, n, starts, minutes),
                    )

    def group_detail(self, group_id: int) -> Row | None:
        """A group with its members, staff, course run (course_id and timezone None when it runs none) and dated
        sessions, oldest first; None when there is no such group."""
        row = self._exec(
            "SELECT g.id AS group_id, g.name AS group_name, c.course_id, c.timezone FROM groups g "
            "LEFT JOIN course_runs c ON c.group_id=g.id WHERE g.id=?",
            (group_id,),
        ).fetchone()
        if row is None:
            return None
        row["sessions"] = self._exec(
            "SELECT number, starts, minutes FROM course_sessions WHERE group_id=? ORDER BY number", (group_id,)
        ).fetchall()
        row["members"] = self._exec(
            "SELECT u.id, u.name FROM group_members m JOIN users u ON u.id=m.user_id WHERE m.group_id=? ORDER BY u.id",
            (group_id,),
        ).fetchall()
        row["staff"] = self._exec(
            "SELECT u.id, u.name, u.role FROM group_staff s JOIN users u ON u.id=s.staff_id WHERE s.group_id=? "
            "ORDER BY u.id",
            (group_id,),
        ).fetchall()
        return row

    def course_run(self, group_id: int) -> Row | None:
        """A group's course run (group_detail), or None when the group runs no course."""
        row = self.group_detail(group_id)
        return row if row is not None and row["course_id"] is not None else None

    def remove_group_staff(self, group_id: int, staff_id: int) -> bool:
        return self._exec("DELETE FROM group_staff WHERE group_id=? AND staff_id=?", (group_id, staff_id)).rowcount > 0

    def course_runs(self, staff_id: int | None = None) -> list[Row]:
        """Every group (or those `staff_id` is staff of) with its course run (course_id None where it has none) and
        its dated sessions."""
        sql = (
            "SELECT g.id AS group_id, g.name AS group_name, c.course_id, c.timezone, "
            "(SELECT COUNT(*) FROM group_members m WHERE m.group_id=g.id) AS members "
            "FROM groups g LEFT JOIN course_runs c ON c.group_id=g.id"
        )
        args: tuple[Any, ...] = ()
        if staff_id is not None:
            sql += " WHERE g.id IN (SELECT group_id FROM group_staff WHERE staff_id=?)"
            args = (staff_id,)
        rows = self._exec(sql + " ORDER BY g.name", args).fetchall()
        for r in rows:
            r["sessions"] = self._exec(
                "SELECT number, starts, minutes FROM course_sessions WHERE group_id=? ORDER BY number",
                (r["group_id"],),
            ).fetchall()
        return rows

    def course_group_of(self, user_id: int) -> int | None:
        """The group whose course this participant follows (their first group that runs a course)."""
        row = self._exec(
            "SELECT m.group_id FROM group_members m JOIN course_runs c ON c.group_id=m.group_id WHERE m.user_id=? "
            "ORDER BY m.group_id LIMIT 1",
            (user_id,),
        ).fetchone()
        return None if row is None else int(row["group_id"])

    def last_homework(self, user_id: int) -> Row | None:
        """The homework last set for this participant: {run, text, ts}, or None."""
        row = self._exec(
            "SELECT id, json_extract(state, '$.homework') AS text, updated FROM runs WHERE participant_user_id=? "
            "AND json_extract(state, '$.homework') IS NOT NULL ORDER BY id DESC LIMIT 1",
            (user_id,),
        ).fetchone()
        return None if row is None else {"run": row["id"], "text": row["text"], "ts": row["updated"]}

    def course_events(self, user_ids: list[int], kinds: tuple[str, ...]) -> list[Row]:
        """Events of these kinds in these participants' runs, oldest first, each with its run's participant,
        scenario and difficulty."""
        if not user_ids or not kinds:
            return []
        people = ",".join("?" * len(user_ids))
        names = ",".join("?" * len(kinds))
        rows = self._exec(
            "SELECT e.id, e.ts, e.run_id, e.kind, e.actor, e.user_id, e.data, r.participant_user_id AS participant, "
            "r.scenario_id, r.difficulty FROM events e JOIN runs r ON r.id=e.run_id "
            f"WHERE r.participant_user_id IN ({people}) AND e.kind IN ({names}) ORDER BY e.id",
            (*user_ids, *kinds),
        ).fetchall()
        for r in rows:
            r["data"] = json.loads(r["data"])
        return rows

    def add_peer_fidelity(
        self, staff_id: int, run_id: int | None, rated_by: int, items: dict[str, int], note: str | None
    ) -> int:
        return self._insert(
            "INSERT INTO peer_fidelity(staff_id, run_id, rated_by, ts, items, note) VALUES (?,?,?,?,?,?)",
            (staff_id, run_id, rated_by, time.time(), json.dumps(items), note),
        )

    def peer_fidelity(self, staff_id: int | None = None) -> list[Row]:
        sql = "SELECT * FROM peer_fidelity"
        args: tuple[Any, ...] = ()
        if staff_id is not None:
            sql += " WHERE staff_id=?"
            args = (staff_id,)
        rows = self._exec(sql + " ORDER BY ts", args).fetchall()
        for r in rows:
            r["items"] = json.loads(r["items"])
        return rows
