"""Storage is a real SQLite file; the CLI manages accounts and a person's records."""

import json
import sqlite3

import pytest

from wire import events


async def test_consented_chat_is_recorded_and_exportable_then_deleted(make_server, database_url):
    server = await make_server(database_url=database_url)  # a SQLite file, then PostgreSQL
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    await ana.say("not recorded: no consent yet")
    await ana.call(events.CONSENT, {"recording": True})
    await ana.say("recorded with consent")
    await ben.say("Ben has not consented")
    await ana.wait_until(lambda: len(ana.said) == 3)
    rows = server.store.room_events("cafe")
    texts = [r["data"]["text"] for r in rows if r["kind"] == "said"]
    assert texts == ["recorded with consent"]

    ana_id = server.store.find_user("Ana")["id"]
    export = server.store.export_user(ana_id)
    assert export["user"]["name"] == "Ana" and "pw_hash" not in export["user"]
    assert [e["data"]["text"] for e in export["events"]] == ["recorded with consent"]
    json.dumps(export)  # the export is plain JSON

    assert server.store.delete_user(ana_id)
    assert server.store.find_user("Ana") is None
    assert server.store.room_events("cafe") == []


def test_database_file_is_wal_and_migrated(tmp_path):
    from server.storage import SQLiteStorage

    path = tmp_path / "p.db"
    store = SQLiteStorage(path)
    version = store.schema_version
    assert version >= 1
    store.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"users", "rooms", "events", "runs"} <= {
        r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    # reopening does not re-run migrations
    again = SQLiteStorage(path)
    assert again.schema_version == version


def test_cli_user_add_export_delete(server_process, database_url):
    srv = server_process(PEERSPACE_DATABASE_URL=database_url)
    out = srv.cli("user", "add", "Robin", "--role", "participant", "--password", "a long pass")
    assert out.returncode == 0, out.stderr
    assert "added participant 'Robin'" in out.stdout
    dup = srv.cli("user", "add", "robin", "--password", "a long pass")
    assert dup.returncode == 2 and "taken" in dup.stderr
    bad = srv.cli("user", "add", "x", "--password", "a long pass")
    assert bad.returncode == 2 and "display name" in bad.stderr
    listed = srv.cli("user", "list")
    assert "Robin" in listed.stdout
    exported = srv.cli("export", "Robin")
    assert json.loads(exported.stdout)["user"]["name"] == "Robin"
    refused = srv.cli("delete", "Robin")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    gone = srv.cli("delete", "Robin", "--yes")
    assert gone.returncode == 0
    assert "Robin" not in srv.cli("user", "list").stdout


async def test_served_process_accepts_logins(server_process, database_url):
    from client.bot import Bot

    srv = server_process(PEERSPACE_DATABASE_URL=database_url)
    assert srv.cli("user", "add", "Robin", "--password", "a long pass").returncode == 0
    srv.start()
    bot = Bot(srv.url)
    await bot.login("Robin", "a long pass")
    welcome = await bot.connect()
    assert welcome["user"]["name"] == "Robin" and welcome["resumed"] is False
    await bot.join("park")
    assert bot.room["scene"] == "park"
    await bot.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_each_store_implements_every_repository_interface(backend):
    """Each aggregate's Protocol is what a backend must provide: the store offers every method of each with the
    same signature, and no public method that no interface names."""
    import inspect

    from server.storage import interfaces
    from server.storage.postgres import PostgresStorage
    from server.storage.sqlite import SQLiteStorage

    store_class = SQLiteStorage if backend == "sqlite" else PostgresStorage

    repos = [
        interfaces.AccountsRepository,
        interfaces.RoomsRepository,
        interfaces.RunsRepository,
        interfaces.SafetyRepository,
        interfaces.EscalationsRepository,
        interfaces.HelplineRepository,
        interfaces.RecordsRepository,
        interfaces.ScenarioVersionsRepository,
        interfaces.CoursesRepository,
    ]
    named = set()
    for repo in repos:
        methods = {n for n, f in vars(repo).items() if callable(f) and not n.startswith("_")}
        assert methods, repo
        for name in methods:
            assert hasattr(store_class, name), f"{repo.__name__}.{name} missing"
            assert inspect.signature(getattr(store_class, name)) == inspect.signature(getattr(repo, name)), (
                f"{repo.__name__}.{name}: the signature differs from the interface"
            )
        assert not named & methods, f"{repo.__name__} repeats a method of another aggregate"
        named |= methods
    plumbing = {n for n in vars(interfaces.Storage) if not n.startswith("_")}
    public = {n for n in dir(store_class) if not n.startswith("_")}
    assert public - named - plumbing == set(), "store methods that no interface names"
