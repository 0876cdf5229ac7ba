"""`peerspace db copy`: every record of one store into another, empty one (SQLite to PostgreSQL when a service
grows past one machine; either way round works). Ids are kept, so every reference stays right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .interfaces import Row
from .sqlite import SQLiteStorage

# Every table, parents before the tables that reference them. A migration that adds a table must add it here:
# `copy_database` refuses a source with a table this list does not name (a copy never leaves records behind).
COPY_ORDER = (
    "users",
    "groups",
    "rooms",
    "runs",
    "events",
    "revocations",
    "group_members",
    "group_staff",
    "staff_assignments",
    "blocks",
    "reports",
    "safety_alerts",
    "alert_history",
    "alert_escalation_rounds",
    "alert_escalations",
    "moderation",
    "questionnaire_answers",
    "pose_tracks",
    "staff_duty",
    "help_channels",
    "help_lines",
    "cast_controls",
    "scenario_versions",
    "store_probe",
)

BATCH = 500  # rows per read, so a long events table is never all in memory


class CopyError(Exception):
    """The copy cannot start (a target with records in it, a table this version does not know)."""


def copy_database(
    source: SQLiteStorage, target: SQLiteStorage, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every row of every table from `source` to `target` (both open, so both migrated to this version) in one
    transaction on the target: it has all of them or none. Returns the rows copied per table."""
    unknown = set(source.table_names()) - set(COPY_ORDER)
    if unknown:
        raise CopyError(f"the source has tables this version cannot copy: {', '.join(sorted(unknown))}")
    filled = [t for t in COPY_ORDER if t != "store_probe" and _count(target, t)]
    if filled:
        raise CopyError(f"the target already has records (in {', '.join(filled)}); copy into an empty database")
    counts: dict[str, int] = {}
    with target._transaction() as db:
        for table in COPY_ORDER:
            if table == "store_probe":
                db.execute("DELETE FROM store_probe")  # the health probe's row, rewritten by the target's server
            n = 0
            for rows in _batches(source, table):
                columns = list(rows[0])
                sql = f"INSERT INTO {table}({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                for row in rows:
                    db.execute(sql, tuple(row[c] for c in columns))
                n += len(rows)
            counts[table] = n
            if progress is not None:
                progress(table, n)
        target._after_copy(db, COPY_ORDER)
    return counts


def table_counts(store: SQLiteStorage) -> dict[str, int]:
    """Rows per table (`peerspace db copy` prints both sides; the tests compare them)."""
    return {t: _count(store, t) for t in COPY_ORDER}


def _count(store: SQLiteStorage, table: str) -> int:
    n: int = store._single(f"SELECT COUNT(*) AS n FROM {table}")["n"]
    return n


# the primary key of the tables without an integer id: pages in a stable order
_KEY = {
    "group_members": "group_id, user_id",
    "group_staff": "group_id, staff_id",
    "staff_assignments": "staff_id, participant_id",
    "blocks": "blocker_id, blocked_id",
    "alert_escalation_rounds": "alert_id, round",
    "staff_duty": "user_id",
    "cast_controls": "room_id, role",
}


def _batches(store: SQLiteStorage, table: str) -> Iterator[list[Row]]:
    order = _KEY.get(table, "id")
    offset = 0
    while True:
        rows = store._exec(f"SELECT * FROM {table} ORDER BY {order} LIMIT ? OFFSET ?", (BATCH, offset)).fetchall()
        if not rows:
            return
        yield rows
        offset += len(rows)
