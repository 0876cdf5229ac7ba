"""`peerspace db copy`: every record of one store into another, empty one (SQLite to PostgreSQL when a service
grows past one machine; either way round works). Ids are kept, so every reference stays right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .interfaces import Row, Storage

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
    "course_runs",
    "course_sessions",
    "peer_fidelity",
    "store_probe",
)

BATCH = 500  # rows per read, so a long events table is never all in memory


class CopyError(Exception):
    """The copy cannot start (a target with records in it, a table this version does not know)."""


def copy_database(
    source: Storage, target: Storage, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every row of every table from `source` to `target` (both open, so both migrated to this version) in one
    transaction on the target: it has all of them or none. Returns the rows copied per table."""
    unknown = set(source.table_names()) - set(COPY_ORDER)
    if unknown:
        raise CopyError(f"the source has tables this version cannot copy: {', '.join(sorted(unknown))}")
    filled = [t for t in COPY_ORDER if t != "store_probe" and target.count_rows(t)]
    if filled:
        raise CopyError(f"the target already has records (in {', '.join(filled)}); copy into an empty database")
    tables = [t for t in COPY_ORDER if t != "store_probe"]
    counts = target.load_tables((t, _batches(source, t)) for t in tables)
    if progress is not None:
        for table in tables:
            progress(table, counts[table])
    return counts


def table_counts(store: Storage) -> dict[str, int]:
    """Rows per table, the health probe's aside (`peerspace db copy` tests compare both sides)."""
    return {t: store.count_rows(t) for t in COPY_ORDER if t != "store_probe"}


# the primary key of the tables without an integer id: pages in a stable order
_KEY = {
    "group_members": "group_id, user_id",
    "group_staff": "group_id, staff_id",
    "staff_assignments": "staff_id, participant_id",
    "blocks": "blocker_id, blocked_id",
    "alert_escalation_rounds": "alert_id, round",
    "staff_duty": "user_id",
    "cast_controls": "room_id, role",
    "course_runs": "group_id",
    "course_sessions": "group_id, number",
}


def _batches(store: Storage, table: str) -> Iterator[list[Row]]:
    offset = 0
    while True:
        rows = store.table_rows(table, _KEY.get(table, "id"), BATCH, offset)
        if not rows:
            return
        yield rows
        offset += len(rows)
