"""Scenario versions saved in the dashboard editor: every save kept (who, when), and which are published.

The database is the source of truth for a scenario edited in the dashboard (docs/scenarios.md, "Editing and
publishing"): the newest *published* version of a scenario id is the one rooms offer, over a file of the same id.
Rows hold the YAML text a facilitator wrote, never anything about participants; a deleted account leaves its
versions without a name (saved_by / published_by ON DELETE SET NULL).
"""

from __future__ import annotations

from .connection import SQLiteConnection
from .interfaces import Row

_COLUMNS = "v.id, v.scenario_id, v.saved, v.problems, v.content_hash, v.published, v.saved_by, v.published_by"
_NAMES = (
    "(SELECT name FROM users u WHERE u.id=v.saved_by) AS saved_by_name, "
    "(SELECT name FROM users u WHERE u.id=v.published_by) AS published_by_name"
)


class SQLiteScenarioVersions(SQLiteConnection):
    def save_scenario_version(
        self, scenario_id: str, text: str, user_id: int | None, ts: float, problems: int, content_hash: str | None
    ) -> int:
        """A new draft version; returns its id (versions of one scenario count up in id order)."""
        return self._insert(
            "INSERT INTO scenario_versions(scenario_id, text, saved_by, saved, problems, content_hash) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (scenario_id, text, user_id, ts, problems, content_hash),
        )

    def scenario_versions(self, scenario_id: str) -> list[Row]:
        """Every version of one scenario, newest first, with who saved and published it (no text)."""
        return self._exec(
            f"SELECT {_COLUMNS}, {_NAMES} FROM scenario_versions v WHERE v.scenario_id=? ORDER BY v.id DESC",
            (scenario_id,),
        ).fetchall()

    def scenario_version(self, version_id: int) -> Row | None:
        """One version with its text."""
        row: Row | None = self._exec(
            f"SELECT {_COLUMNS}, v.text, {_NAMES} FROM scenario_versions v WHERE v.id=?", (version_id,)
        ).fetchone()
        return row

    def latest_scenario_version(self, scenario_id: str) -> Row | None:
        """The newest version (draft or published) of a scenario: what the editor opens."""
        row: Row | None = self._exec(
            f"SELECT {_COLUMNS}, v.text, {_NAMES} FROM scenario_versions v WHERE v.scenario_id=? "
            "ORDER BY v.id DESC LIMIT 1",
            (scenario_id,),
        ).fetchone()
        return row

    def edited_scenarios(self) -> list[Row]:
        """One row per scenario id with versions: its newest version and its newest published one."""
        return self._exec(
            "SELECT scenario_id, MAX(id) AS latest, COUNT(*) AS versions, "
            "MAX(CASE WHEN published IS NOT NULL THEN id END) AS published_version "
            "FROM scenario_versions GROUP BY scenario_id ORDER BY scenario_id"
        ).fetchall()

    def publish_scenario_version(self, version_id: int, user_id: int | None, ts: float) -> bool:
        """Mark a version published (the newest published version of its scenario is the one played)."""
        return (
            self._exec(
                "UPDATE scenario_versions SET published=?, published_by=? WHERE id=?", (ts, user_id, version_id)
            ).rowcount
            == 1
        )

    def published_scenarios(self) -> list[Row]:
        """The newest published version of every scenario id, with its text: what the server offers at start."""
        return self._exec(
            f"SELECT {_COLUMNS}, v.text FROM scenario_versions v WHERE v.id IN "
            "(SELECT MAX(id) FROM scenario_versions WHERE published IS NOT NULL GROUP BY scenario_id) "
            "ORDER BY v.scenario_id"
        ).fetchall()

    def scenario_version_by_hash(self, scenario_id: str, content_hash: str) -> Row | None:
        """The newest published version of a scenario with this content hash (the version a run started with)."""
        row: Row | None = self._exec(
            f"SELECT {_COLUMNS}, v.text FROM scenario_versions v WHERE v.scenario_id=? AND v.content_hash=? "
            "AND v.published IS NOT NULL ORDER BY v.id DESC LIMIT 1",
            (scenario_id, content_hash),
        ).fetchone()
        return row
