"""Kill the server process mid-conversation and restart it: no transcript line is lost, rooms come back."""

from __future__ import annotations

from client.bot import Bot
from conftest import PASSWORD, close_bots
from wire import events


async def _bot(url: str, name: str) -> Bot:
    bot = Bot(url)
    await bot.login(name, PASSWORD)
    await bot.connect()
    return bot


async def test_kill_and_restart_loses_no_transcript_line(server_process, database_url):
    proc = server_process(PEERSPACE_LOG_LEVEL="WARNING", PEERSPACE_DATABASE_URL=database_url)  # SQLite, PostgreSQL
    for name, role in (("Ana", "participant"), ("Fay", "facilitator")):
        assert proc.cli("user", "add", name, "--password", PASSWORD, "--role", role).returncode == 0
    proc.start()
    ana, fay = await _bot(proc.url, "Ana"), await _bot(proc.url, "Fay")
    bots = [ana, fay]
    try:
        made = (await fay.call(events.CREATE_ROOM, {"name": "Group room", "scene": "park"}))["room"]["id"]
        await ana.join(made)
        await ana.call(events.CONSENT, {"recording": True})
        await fay.join(made)
        sent = []
        for i in range(20):  # lines acknowledged before the kill are persisted
            who = (ana, fay)[i % 2]
            await who.say(f"line {i}")
            sent.append(f"line {i}")
        proc.kill()  # SIGKILL: no shutdown path runs
        await ana.wait_until(lambda: ana.state == "reconnecting", timeout=10)
        proc.start()  # same port, same data dir
        await ana.wait_until(lambda: ana.connected, timeout=20)
        await fay.wait_until(lambda: fay.connected, timeout=20)
        # the room created before the crash is back, and people can meet in it again
        listed = await ana.call(events.LIST_ROOMS)
        assert made in {r["id"] for r in listed["rooms"]}
        await ana.join(made)
        await fay.join(made)
        await ana.say("after the restart")
        await fay.wait_until(lambda: any(s["text"] == "after the restart" for s in fay.said), timeout=5)
    finally:
        await close_bots(bots)
    proc.stop()
    from server.storage import open_storage

    store = open_storage(database_url)
    try:
        texts = [e["data"]["text"] for e in store.room_events(made) if e["kind"] == "said"]
    finally:
        store.close()
    assert texts == sent + ["after the restart"]
