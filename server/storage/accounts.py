"""Accounts: people, their passwords, bans, consent, and their sessions (epochs and revocations)."""

from __future__ import annotations

import time

from .connection import SQLiteConnection
from .interfaces import Row


class SQLiteAccounts(SQLiteConnection):
    def create_user(self, name: str, role: str, pw_hash: bytes, pw_salt: bytes) -> Row:
        user_id = self._insert(
            "INSERT INTO users(name, role, pw_hash, pw_salt, created) VALUES (?,?,?,?,?)",
            (name, role, pw_hash, pw_salt, time.time()),
        )
        return self._single("SELECT * FROM users WHERE id=?", (user_id,))

    def get_user(self, user_id: int) -> Row | None:
        return self._exec("SELECT * FROM users WHERE id=?", (user_id,)).fetchone()

    def find_user(self, name: str) -> Row | None:
        return self._exec("SELECT * FROM users WHERE name=?", (name,)).fetchone()

    def set_password(self, user_id: int, pw_hash: bytes, pw_salt: bytes) -> None:
        self._exec("UPDATE users SET pw_hash=?, pw_salt=? WHERE id=?", (pw_hash, pw_salt, user_id))

    def set_banned_until(self, user_id: int, until: float | None) -> None:
        self._exec("UPDATE users SET banned_until=? WHERE id=?", (until, user_id))
        if until is not None:
            self.revoke_sessions(user_id, "ban")

    # --- sessions -----------------------------------------------------------------
    def revoke_sessions(self, user_id: int, reason: str) -> int:
        """End every session token of this person now (logout, password change, ban, delete).

        Bumps the epoch that every token is checked against, and appends to `revocations`, which each
        running server polls so that open connections are cut too. Returns the new epoch.
        """
        with self._transaction() as db:
            db.execute("UPDATE users SET session_epoch=session_epoch+1 WHERE id=?", (user_id,))
            db.execute("INSERT INTO revocations(ts, user_id, reason) VALUES (?,?,?)", (time.time(), user_id, reason))
            row = db.execute("SELECT session_epoch FROM users WHERE id=?", (user_id,)).fetchone()
        return row["session_epoch"] if row else -1

    def revocations_since(self, last_id: int) -> list[Row]:
        """Revocations after `last_id`, oldest first; `last_revocation()` is where a new server starts."""
        return self._exec("SELECT id, user_id, reason FROM revocations WHERE id>? ORDER BY id", (last_id,)).fetchall()

    def last_revocation(self) -> int:
        last: int = self._single("SELECT COALESCE(MAX(id), 0) AS n FROM revocations")["n"]
        return last

    def set_consent(self, user_id: int, recording: bool) -> None:
        """Durable consent to recording (transcripts, replays); World.record() reads it for every line."""
        self._exec(
            "UPDATE users SET consent_recording=?, consent_updated=? WHERE id=?",
            (int(bool(recording)), time.time(), user_id),
        )

    def set_appearance(self, user_id: int, appearance: str) -> None:
        """Their own avatar's look, as JSON (wire/appearance.py); read back on the user row (`appearance`)."""
        self._exec("UPDATE users SET appearance=? WHERE id=?", (appearance, user_id))

    def list_users(self) -> list[Row]:
        return self._exec("SELECT id, name, role, created, banned_until FROM users ORDER BY id").fetchall()
