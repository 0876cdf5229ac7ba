"""The embedded default store: one SQLite file in WAL mode, assembled from one repository per aggregate.

Methods are synchronous. Async server code never calls them on the event loop: it awaits
`store.aio.method(...)`, which runs the same method on the store's own thread, so a disk that
stalls or a database another process holds write-locked delays that one call, never every room.
The server opens the store with a short busy timeout (a locked write fails fast, on the store
thread); writes that must not be lost (alerts, reports, transcript lines) are retried in the
background with `store.aio.persist(...)`. Schema changes are append-only migrations, applied in
order at open time.

The files are the records of vulnerable people: they are created 0600, deleted rows are
overwritten (`secure_delete`), and a person's delete is checkpointed out of the WAL at once.

Where the SQL is: accounts.py (users, sessions), rooms.py (rooms, groups, staff scope), runs.py (runs,
events, pose tracks), safety.py (blocks, reports, alerts, moderation),
escalations.py (escalation rounds and delivery attempts), helpline.py (the private help line), records.py
(questionnaires, export and delete, replay reads), courses.py (course runs, schedules, course records),
scenario_versions.py (the dashboard editor's saved versions); connection.py, migrations.py and offloop.py are
the plumbing.
The interfaces they implement are in interfaces.py.
"""

from __future__ import annotations

from .accounts import SQLiteAccounts
from .courses import SQLiteCourses
from .escalations import SQLiteEscalations
from .migrations import MIGRATIONS
from .offloop import PERSIST_BACKOFF, RETRYABLE, OffLoop
from .records import SQLiteRecords
from .rooms import SCOPE_SQL, SQLiteRooms
from .safety import SQLiteSafety
from .scenario_versions import SQLiteScenarioVersions


class SQLiteStorage(
    SQLiteAccounts, SQLiteRooms, SQLiteRecords, SQLiteSafety, SQLiteEscalations, SQLiteScenarioVersions, SQLiteCourses
):
    """Every aggregate on one connection (interfaces.Storage). SQLiteRecords brings SQLiteRuns and SQLiteHelpline
    (a person's export includes their help-line conversations)."""


__all__ = ["MIGRATIONS", "PERSIST_BACKOFF", "RETRYABLE", "SCOPE_SQL", "OffLoop", "SQLiteStorage"]
