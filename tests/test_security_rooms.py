"""Room access (issue #11, hole 5) and a peer specialist's people page at scale (hole 6), over real sockets,
real HTTP (the dashboard's own login form) and the real SQLite file.

- Nobody walks in on someone else's 1:1 practice, or gets its state or answers.
- A group's members room lets in its members, its staff, facilitators and admins; nobody else, and it is
  not listed to them. Groups, members and rooms are set up with the real CLI while the server runs.
- A peer specialist sees the records of the people they are assigned to; joining a room and saying "hi"
  shows nothing of its history (alerts, report notes, earlier lines).
- /dashboard/people for 400 people and 400 runs is right, and its storage work leaves the loop free.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from pathlib import Path

import aiohttp
import pytest

from conftest import PASSWORD, ROOT, dashboard_login
from server.scenarios import ScenarioRun, load_file
from wire import controllers as wc
from wire import events
from wire import safety as ws
from wire import scenario as wsc
from wire.errors import WireError

CONVERSATION = load_file(Path(__file__).resolve().parent.parent / "scenarios" / "starting_a_conversation.yaml")


async def cli(server, *args: str) -> str:
    """The real `peerspace` command against the running server's database (not blocking the loop)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server",
        "--data-dir",
        str(Path(server.cfg.database).parent),
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, out.decode()
    return out.decode()


async def dashboard(server, name: str) -> aiohttp.ClientSession:
    """An HTTP session logged in through the dashboard's own form (cookie)."""
    http, status = await dashboard_login(server.url, name)
    assert status == 303, name
    return http


async def get(http, server, path: str) -> tuple[int, str]:
    async with http.get(server.url + path) as r:
        return r.status, await r.text()


async def test_a_participant_cannot_walk_into_someone_elses_practice(server):
    ana = await server.bot("Ana", room="interview")
    await ana.call(events.CONSENT, {"recording": True})
    run = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
    await ana.wait_for(wsc.SCENARIO_STATE)
    ben = await server.bot("Ben")
    with pytest.raises(WireError) as e:
        await ben.join("interview")
    assert e.value.code == "forbidden" and "another room" in e.value.message
    # Ana practises on; Ben, refused at the door, hears none of it
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
    await ana.say("my practice words")
    await asyncio.sleep(0.3)
    assert not [d for ev, d in ben.inbox if ev in (wsc.SCENARIO_STATE, wsc.SCENARIO_ENDED, events.SAID)]
    # staff who look after Ana may come in and follow it; an unassigned peer specialist may not
    sue = await server.bot("Sue", role="peer_specialist")
    with pytest.raises(WireError) as e:
        await sue.join("interview")
    assert e.value.code == "forbidden"
    sam_id = server.add_user("Sam", "peer_specialist")["id"]
    await cli(server, "assign", "Sam", "Ana")
    sam = await server.bot("Sam", role="peer_specialist", room="interview")
    assert (await sam.wait_for(wsc.SCENARIO_STATE))["run"] == run
    assert server.store.staff_sees_person(sam_id, ana.user["id"])
    # once Ana has gone, the room is open again, but the run she left running is not Ben's to see
    await ana.call(events.LEAVE)
    await ben.join("interview")
    await asyncio.sleep(0.3)
    assert not [d for ev, d in ben.inbox if ev in (wsc.SCENARIO_STATE, wsc.SCENARIO_ENDED)]
    with pytest.raises(WireError) as e:
        await ben.call(wsc.SCENARIO_STOP)
    assert e.value.code == "forbidden"
    said = [d["text"] for ev, d in ben.inbox if ev == events.SAID]
    assert "my practice words" not in said
    # nor an unassigned peer specialist's to drive or supervise
    await sue.join("interview")
    coach = next(a for a, m in sue.members.items() if m.get("role") == "coach")
    for event, payload in (
        (wc.CLAIM, {"role": "coach"}),
        (wc.SUPERVISE, {"avatar": coach, "seconds": 5}),
        (wsc.SCENARIO_ADVANCE, {}),
    ):
        with pytest.raises(WireError) as e:
            await sue.call(event, payload)
        assert e.value.code == "forbidden", event
    assert not [d for ev, d in sue.inbox if ev in (wsc.SCENARIO_STATE, wsc.SCENARIO_ENDED)]


async def test_a_group_room_is_for_its_members_and_their_staff(server):
    for name, role in (
        ("Ana", "participant"),
        ("Ben", "participant"),
        ("Sam", "peer_specialist"),
        ("Sue", "peer_specialist"),
        ("Fay", "facilitator"),
    ):
        server.add_user(name, role)
    # set up with the CLI while the server runs: the server picks it up without a restart
    await cli(server, "group", "add", "Tuesday group")
    await cli(server, "group", "member", "Tuesday group", "Ana")
    await cli(server, "group", "assign", "Tuesday group", "Sam")
    out = await cli(
        server, "room", "add", "tuesday", "--name", "Tuesday room", "--scene", "park", "--group", "Tuesday group"
    )
    assert "Tuesday group" in out
    ben = await server.bot("Ben")
    with pytest.raises(WireError) as e:
        await ben.join("tuesday")
    assert e.value.code == "forbidden" and "Ask your peer specialist to add you" in e.value.message
    listed = {r["id"] for r in (await ben.call(events.LIST_ROOMS))["rooms"]}
    assert "tuesday" not in listed and {"cafe", "interview", "park"} <= listed
    async with aiohttp.ClientSession() as http:
        async with http.post(server.url + "/api/login", json={"name": "Ben", "password": PASSWORD}) as r:
            token = (await r.json())["token"]
        async with http.get(server.url + "/api/rooms", headers={"Authorization": f"Bearer {token}"}) as r:
            assert "tuesday" not in {room["id"] for room in (await r.json())["rooms"]}
    sue = await server.bot("Sue", role="peer_specialist")
    with pytest.raises(WireError) as e:
        await sue.join("tuesday")
    assert e.value.code == "forbidden"
    ana = await server.bot("Ana", room="tuesday")
    assert any(r["id"] == "tuesday" and r["access"] == "members" for r in (await ana.call(events.LIST_ROOMS))["rooms"])
    sam = await server.bot("Sam", role="peer_specialist", room="tuesday")
    fay = await server.bot("Fay", role="facilitator", room="tuesday")
    await ana.wait_until(lambda: {m["name"] for m in ana.members.values()} >= {"Ana", "Sam", "Fay"})
    # taken out of the group: the door closes for her next time
    await cli(server, "group", "member", "Tuesday group", "Ana", "--remove")
    await ana.call(events.LEAVE)
    with pytest.raises(WireError) as e:
        await ana.join("tuesday")
    assert e.value.code == "forbidden"
    assert sam.room and fay.room


async def test_presence_never_widens_a_peer_specialists_records(server):
    for name, role in (
        ("Ana", "participant"),
        ("Ben", "participant"),
        ("Sam", "peer_specialist"),
        ("Sue", "peer_specialist"),
    ):
        server.add_user(name, role)
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    await ana.call(events.CONSENT, {"recording": True})
    aid = ana.user["id"]
    run = ScenarioRun.create(server.store, "cafe", CONVERSATION, "easy", participant_user_id=aid)
    run.start()  # a session of Ana's, still active
    await ana.say("the key is under the blue flowerpot")
    await ben.call(events.CONSENT, {"recording": True})
    await ben.say("ben keeps his own words")  # another participant's line, not Ana's session's
    await ana.say("I want to end my life")
    await ana.wait_until(lambda: server.world.safety.db.alerts(None), timeout=5)
    await ana.call(ws.REPORT, {"avatar": ben.avatar, "reason": "upsetting", "note": "note about the stairwell"})
    await ana.call(events.LEAVE)
    await ben.call(events.LEAVE)
    # Sue looks after nobody here: she walks in and says hi
    sue_bot = await server.bot("Sue", role="peer_specialist", room="cafe")
    await sue_bot.say("hi")
    await asyncio.sleep(0.2)
    secrets = ("blue flowerpot", "stairwell", "I want to end my life")
    for name, sees in (("Sue", False), ("Sam", True)):
        if name == "Sam":
            await cli(server, "assign", "Sam", "Ana")  # Sam looks after Ana: he sees her records
        http = await dashboard(server, name)
        async with http:
            status, html = await get(http, server, "/dashboard/safety")
            assert status == 200
            assert ("<table id='alerts'>" in html) is sees, name
            assert ("stairwell" in html) is sees, name
            status, html = await get(http, server, "/dashboard/sessions")
            assert (f"/dashboard/sessions/{run.run_id}'" in html) is sees, name
            status, html = await get(http, server, f"/dashboard/sessions/{run.run_id}")
            assert status == (200 if sees else 404), name
            assert ("blue flowerpot" in html) is sees, name
            assert "ben keeps his own words" not in html, name
            status, html = await get(http, server, f"/dashboard/people/{aid}")
            assert status == (200 if sees else 404), name
            status, html = await get(http, server, "/dashboard/people")
            assert (f"/dashboard/people/{aid}'" in html) is sees, name
            status, html = await get(http, server, "/dashboard")
            assert ('class="pill alert"' in html) is sees, name  # open alerts in the cafe
            if not sees:
                status, html = await get(http, server, "/dashboard/safety")
                assert not any(s in html for s in secrets)


async def test_people_page_for_400_people_and_400_runs_is_right_and_leaves_the_loop_free(server):
    store = server.store
    sam = server.add_user("Sam", "peer_specialist")
    group = store.add_group("Big group")
    store.assign_group_staff(group["id"], sam["id"])

    def seed() -> list[int]:  # straight into the store (400 scrypt hashes would take long),
        ids = []  # on the store's thread, not the test's event loop
        for i in range(400):
            u = store.create_user(f"P{i:03d}", "participant", b"x", b"x")
            ids.append(u["id"])
            if i % 4 == 0:
                store.add_group_member(group["id"], u["id"])
            elif i % 4 == 1:
                store.assign_participant(sam["id"], u["id"])
            store.create_run("cafe", "starting_a_conversation", "easy", u["id"])
        for uid in ids[:8]:  # some people have more than one session
            store.create_run("park", "starting_a_conversation", "easy", uid)
        return ids

    ids = await store.aio.apply(seed)
    mine = {uid for i, uid in enumerate(ids) if i % 4 in (0, 1)}
    bot = await server.bot("Bea", room="park")  # someone in another room, doing a round trip
    http = await dashboard(server, "Sam")
    async with http:
        status, html = await get(http, server, "/dashboard/people")
        assert status == 200
        shown = {int(m) for m in re.findall(r"href='/dashboard/people/(\d+)'", html)}
        assert shown == mine
        rows = dict(re.findall(r"href='/dashboard/people/(\d+)'>[^<]*</a></td><td>(\d+)</td>", html))
        assert rows[str(ids[0])] == "2" and rows[str(ids[12])] == "1"
        # Hold the store's own thread busy; the page's storage work waits behind it, off the loop, so a
        # round trip in another room still completes while the page is pending.
        gate = threading.Event()
        store.aio._pool.submit(gate.wait, 10)
        try:
            page = asyncio.create_task(get(http, server, "/dashboard/people"))
            await asyncio.sleep(0.05)
            for _ in range(3):
                await asyncio.wait_for(bot.call(wsc.SCENARIO_LIST), 5)
            assert not page.done()  # the page is still waiting on storage...
        finally:
            gate.set()  # ...and finishes once storage is free
        status, html = await asyncio.wait_for(page, 10)
        assert status == 200 and {int(m) for m in re.findall(r"href='/dashboard/people/(\d+)'", html)} == mine
