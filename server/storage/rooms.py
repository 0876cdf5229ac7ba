"""Rooms and who may enter them: rooms, groups, group staff, staff assignments, a staff member's scope."""

from __future__ import annotations

import time
from typing import Any

from .connection import SQLiteConnection
from .interfaces import Row

# The participants a peer specialist looks after: their groups' members and those assigned to them
# directly. Two positional parameters, both the staff member's id.
SCOPE_SQL = (
    "SELECT gm.user_id FROM group_staff gs JOIN group_members gm ON gm.group_id=gs.group_id "
    "WHERE gs.staff_id=? UNION SELECT participant_id FROM staff_assignments WHERE staff_id=?"
)


class SQLiteRooms(SQLiteConnection):
    def save_room(self, room_id: str, name: str, scene: str, capacity: int, created_by: int | None) -> None:
        self._exec(
            "INSERT OR REPLACE INTO rooms(id, name, scene, capacity, created_by, created) VALUES (?,?,?,?,?,?)",
            (room_id, name, scene, capacity, created_by, time.time()),
        )

    def list_rooms(self) -> list[Row]:
        return self._exec("SELECT * FROM rooms ORDER BY created").fetchall()

    def get_room(self, room_id: str) -> Row | None:
        return self._exec("SELECT * FROM rooms WHERE id=?", (room_id,)).fetchone()

    def set_room_access(self, room_id: str, access: str, group_id: int | None) -> None:
        self._exec("UPDATE rooms SET access=?, group_id=? WHERE id=?", (access, group_id, room_id))

    def room_entry(self, room_id: str, user_id: int) -> Row | None:
        """A room's current policy and this person's ties to its group, in one read (World.join decides)."""
        return self._exec(
            "SELECT r.access, r.group_id, "
            "EXISTS(SELECT 1 FROM group_members m WHERE m.group_id=r.group_id AND m.user_id=?) AS member, "
            "EXISTS(SELECT 1 FROM group_staff s WHERE s.group_id=r.group_id AND s.staff_id=?) AS staff "
            "FROM rooms r WHERE r.id=?",
            (user_id, user_id, room_id),
        ).fetchone()

    def groups_of(self, user_id: int) -> list[int]:
        """Ids of the groups this person is in or looks after (their members rooms)."""
        return [
            r["group_id"]
            for r in self._exec(
                "SELECT group_id FROM group_members WHERE user_id=? UNION SELECT group_id FROM group_staff "
                "WHERE staff_id=?",
                (user_id, user_id),
            ).fetchall()
        ]

    # --- groups and staff assignments -------------------------------------------------
    def add_group(self, name: str) -> Row:
        group_id = self._insert("INSERT INTO groups(name, created) VALUES (?,?)", (name, time.time()))
        return self._single("SELECT * FROM groups WHERE id=?", (group_id,))

    def find_group(self, name: str) -> Row | None:
        return self._exec("SELECT * FROM groups WHERE name=?", (name,)).fetchone()

    def list_groups(self) -> list[Row]:
        return self._exec(
            "SELECT g.id, g.name, (SELECT COUNT(*) FROM group_members m WHERE m.group_id=g.id) AS members, "
            "(SELECT COUNT(*) FROM group_staff s WHERE s.group_id=g.id) AS staff FROM groups g ORDER BY g.name"
        ).fetchall()

    def add_group_member(self, group_id: int, user_id: int) -> None:
        self._exec("INSERT OR IGNORE INTO group_members(group_id, user_id) VALUES (?,?)", (group_id, user_id))

    def remove_group_member(self, group_id: int, user_id: int) -> bool:
        return self._exec("DELETE FROM group_members WHERE group_id=? AND user_id=?", (group_id, user_id)).rowcount > 0

    def assign_group_staff(self, group_id: int, staff_id: int) -> None:
        self._exec("INSERT OR IGNORE INTO group_staff(group_id, staff_id) VALUES (?,?)", (group_id, staff_id))

    def assign_participant(self, staff_id: int, participant_id: int) -> None:
        self._exec(
            "INSERT OR IGNORE INTO staff_assignments(staff_id, participant_id, created) VALUES (?,?,?)",
            (staff_id, participant_id, time.time()),
        )

    def unassign_participant(self, staff_id: int, participant_id: int) -> bool:
        return (
            self._exec(
                "DELETE FROM staff_assignments WHERE staff_id=? AND participant_id=?", (staff_id, participant_id)
            ).rowcount
            > 0
        )

    def staff_scope(self, staff_id: int) -> set[int]:
        """Ids of the participants this staff member looks after (SCOPE_SQL)."""
        return {r["user_id"] for r in self._exec(SCOPE_SQL, (staff_id, staff_id)).fetchall()}

    def staff_sees_person(self, staff_id: int, person_id: int) -> bool:
        yes: int = self._single(
            "SELECT EXISTS(SELECT 1 FROM staff_assignments WHERE staff_id=? AND participant_id=?) OR "
            "EXISTS(SELECT 1 FROM group_staff s JOIN group_members m ON m.group_id=s.group_id "
            "WHERE s.staff_id=? AND m.user_id=?) AS yes",
            (staff_id, person_id, staff_id, person_id),
        )["yes"]
        return yes == 1

    def participants_overview(self, staff_id: int | None) -> list[Row]:
        """Participants with their session counts: everyone (staff_id None) or one staff member's scope.

        One indexed query (runs_participant, the scope's primary keys), not a loop over people x runs.
        """
        sql = (
            "SELECT u.id, u.name, u.created, u.banned_until, "
            "(SELECT COUNT(*) FROM runs r WHERE r.participant_user_id=u.id) AS sessions "
            "FROM users u WHERE u.role='participant'"
        )
        args: tuple[Any, ...] = ()
        if staff_id is not None:
            sql += f" AND u.id IN ({SCOPE_SQL})"
            args = (staff_id, staff_id)
        return self._exec(sql + " ORDER BY u.id", args).fetchall()

    # --- who drives or supervises a room's cast roles (server/controllers/host.py) ----------------------
    def set_cast_claim(self, room_id: str, role: str, user_id: int | None) -> None:
        """`user_id` holds (None: nobody holds) the claim on this cast role of this room."""
        self._set_cast_control(room_id, role, "claimed_by=?", (user_id,))

    def set_cast_supervision(self, room_id: str, role: str, user_id: int | None, seconds: int | None) -> None:
        """`user_id` supervises (None: nobody supervises) the autonomous driver of this cast role."""
        self._set_cast_control(room_id, role, "supervisor=?, supervise_seconds=?", (user_id, seconds))

    def _set_cast_control(self, room_id: str, role: str, assign: str, args: tuple[Any, ...]) -> None:
        with self._lock:
            with self._transaction() as db:
                db.execute(
                    "INSERT OR IGNORE INTO cast_controls(room_id, role, updated) VALUES (?,?,?)",
                    (room_id, role, time.time()),
                )
                db.execute(
                    f"UPDATE cast_controls SET {assign}, updated=? WHERE room_id=? AND role=?",
                    (*args, time.time(), room_id, role),
                )
                db.execute(
                    "DELETE FROM cast_controls WHERE room_id=? AND role=? "
                    "AND claimed_by IS NULL AND supervisor IS NULL",
                    (room_id, role),
                )

    def cast_controls(self, room_id: str | None = None) -> list[Row]:
        """Claims and supervision kept for cast roles (all rooms, or one), with the holder's name and role."""
        sql = (
            "SELECT c.room_id, c.role, c.claimed_by, u.name AS claimed_name, u.role AS claimed_role, "
            "c.supervisor, c.supervise_seconds FROM cast_controls c LEFT JOIN users u ON u.id=c.claimed_by"
        )
        args: tuple[Any, ...] = ()
        if room_id is not None:
            sql += " WHERE c.room_id=?"
            args = (room_id,)
        return self._exec(sql + " ORDER BY c.room_id, c.role", args).fetchall()
