"""Scenario runs, the transcript events of rooms and runs, and the pose tracks replays are made of."""

from __future__ import annotations

import json
import time
from typing import Any

from .connection import SQLiteConnection
from .interfaces import Row
from .rooms import SCOPE_SQL


class SQLiteRuns(SQLiteConnection):
    def append_event(
        self,
        room_id: str,
        run_id: int | None,
        kind: str,
        actor: str | None,
        data: dict[str, Any],
        user_id: int | None = None,
    ) -> int:
        return self._insert(
            "INSERT INTO events(ts, room_id, run_id, kind, actor, user_id, data) VALUES (?,?,?,?,?,?,?)",
            (time.time(), room_id, run_id, kind, actor, user_id, json.dumps(data)),
        )

    def _events(self, where: str, args: tuple[Any, ...]) -> list[Row]:
        rows = self._exec(f"SELECT * FROM events WHERE {where} ORDER BY id", args).fetchall()
        for r in rows:
            r["data"] = json.loads(r["data"])
        return rows

    def room_events(self, room_id: str, since_id: int = 0) -> list[Row]:
        return self._events("room_id=? AND id>?", (room_id, since_id))

    def run_events(self, run_id: int) -> list[Row]:
        return self._events("run_id=?", (run_id,))

    # --- scenario runs ------------------------------------------------------------
    def create_run(self, room_id: str, scenario_id: str, difficulty: str, participant_user_id: int | None) -> int:
        now = time.time()
        return self._insert(
            "INSERT INTO runs(room_id, scenario_id, difficulty, participant_user_id, started, updated)"
            " VALUES (?,?,?,?,?,?)",
            (room_id, scenario_id, difficulty, participant_user_id, now, now),
        )

    def save_run_state(self, run_id: int, state: dict[str, Any], status: str) -> None:
        self._exec(
            "UPDATE runs SET state=?, status=?, updated=? WHERE id=?", (json.dumps(state), status, time.time(), run_id)
        )

    def _run(self, row: Row) -> Row:
        row["run_id"] = row["id"]
        row["state"] = json.loads(row["state"])
        return row

    def get_run(self, run_id: int) -> Row | None:
        row = self._exec("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        return None if row is None else self._run(row)

    def active_runs(self) -> list[Row]:
        return [self._run(r) for r in self._exec("SELECT * FROM runs WHERE status='active' ORDER BY id").fetchall()]

    def runs(self, participant_user_id: int | None = None) -> list[Row]:
        if participant_user_id is None:
            rows = self._exec("SELECT * FROM runs ORDER BY id").fetchall()
        else:
            rows = self._exec(
                "SELECT * FROM runs WHERE participant_user_id=? ORDER BY id", (participant_user_id,)
            ).fetchall()
        return [self._run(r) for r in rows]

    def pose_frame_count(self, run_id: int) -> int:
        count: int = self._single("SELECT COUNT(*) AS n FROM pose_tracks WHERE run_id=?", (run_id,))["n"]
        return count

    def runs_in_scope(
        self, staff_id: int | None, participant_id: int | None = None, limit: int | None = None
    ) -> list[Row]:
        """Runs, oldest first: all of them (staff_id None) or those of one staff member's participants."""
        sql = "SELECT * FROM runs WHERE 1=1"
        args: tuple[Any, ...] = ()
        if staff_id is not None:
            sql += f" AND participant_user_id IN ({SCOPE_SQL})"
            args += (staff_id, staff_id)
        if participant_id is not None:
            sql += " AND participant_user_id=?"
            args += (participant_id,)
        if limit is not None:  # the newest `limit`, still returned oldest first
            sql = f"SELECT * FROM ({sql} ORDER BY id DESC LIMIT ?) AS newest"
            args += (limit,)
        return [self._run(r) for r in self._exec(sql + " ORDER BY id", args).fetchall()]

    # --- pose tracks (replays; read back in records.py) ------------------------------------
    def add_pose_sample(self, run_id: int, t: float, poses: bytes, members: str | None) -> None:
        """One replay sample: quantised pose records (wire.codec) and, when they changed, the members."""
        self._exec("INSERT INTO pose_tracks(run_id, t, poses, members) VALUES (?,?,?,?)", (run_id, t, poses, members))
