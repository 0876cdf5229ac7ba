"""`peerspace db backup PATH`: a copy of the live SQLite database, taken while the server runs and writes,
that a new server starts from (the restore in docs/deploy.md: the copy becomes the database file)."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3

from client.bot import Bot
from conftest import PASSWORD, ServerProcess
from wire import events


def said_texts(db_path) -> list[str]:
    db = sqlite3.connect(db_path)
    try:
        rows = db.execute("SELECT data FROM events WHERE kind = 'said' ORDER BY id").fetchall()
    finally:
        db.close()
    return [r[0] for r in rows]


async def test_backup_while_the_server_writes_then_a_server_starts_from_the_copy(server_process, tmp_path):
    live = server_process()
    for name in ("Dana", "Eli"):
        assert live.cli("user", "add", name, "--password", PASSWORD).returncode == 0
    live.start()
    dana = Bot(live.url, reconnect=False)
    await dana.login("Dana", PASSWORD)
    await dana.connect()
    await dana.join("cafe")
    await dana.call(events.CONSENT, {"recording": True})
    await dana.say("before the backup")

    async def keep_talking() -> None:  # the server writes while the backup runs
        for i in range(20):
            await dana.say(f"during the backup {i}")

    talking = asyncio.create_task(keep_talking())
    backup = tmp_path / "backups" / "peerspace-1.db"
    backup.parent.mkdir()
    done = await asyncio.to_thread(live.cli, "db", "backup", str(backup))
    await talking
    assert done.returncode == 0, done.stderr
    assert f"backed up to {backup}" in done.stdout and "2 accounts" in done.stdout
    assert not list(backup.parent.glob(".*partial"))
    copied = said_texts(backup)
    assert "before the backup" in copied[0]  # stored as JSON: the first line is in the copy
    assert len(copied) <= 21
    await dana.close()
    live.stop()

    # restore: the copy becomes the database file of a (new) data folder; the server starts from it
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    shutil.copy(backup, restored_dir / "peerspace.db")
    restored = ServerProcess(restored_dir, extra_env=live.env)
    try:
        restored.start()
        eli = Bot(restored.url, reconnect=False)
        await eli.login("Eli", PASSWORD)
        await eli.connect()
        joined = await eli.join("cafe")
        assert joined["room"]["id"] == "cafe"
        await eli.close()
        assert "Dana" in restored.cli("user", "list").stdout
    finally:
        restored.stop()
    assert said_texts(restored_dir / "peerspace.db")[: len(copied)] == copied


def test_backup_refuses_and_says_why(server_process, tmp_path):
    srv = server_process()
    no_db = srv.cli("db", "backup", str(tmp_path / "a.db"))
    assert no_db.returncode == 2 and "there is no database" in no_db.stderr

    assert srv.cli("user", "add", "Dana", "--password", PASSWORD).returncode == 0
    target = tmp_path / "b.db"
    assert srv.cli("db", "backup", str(target)).returncode == 0
    again = srv.cli("db", "backup", str(target))
    assert again.returncode == 2 and "exists already" in again.stderr and "--overwrite" in again.stderr
    assert srv.cli("db", "backup", str(target), "--overwrite").returncode == 0

    folder = srv.cli("db", "backup", str(tmp_path))
    assert folder.returncode == 2 and "is a folder" in folder.stderr
    nowhere = srv.cli("db", "backup", str(tmp_path / "missing" / "c.db"))
    assert nowhere.returncode == 2 and "does not exist" in nowhere.stderr

    pg = srv.cli("--db", "postgresql://peerspace@db/peerspace", "db", "backup", str(tmp_path / "d.db"))
    assert pg.returncode == 2 and "pg_dump" in pg.stderr
    for out in (no_db, again, folder, nowhere, pg):
        assert "Traceback" not in out.stderr
    assert not list(tmp_path.glob(".*partial"))
