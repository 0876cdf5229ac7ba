"""Dashboard role boundaries over HTTP: who sees which page, login form, CSRF, admin-only export/delete."""

import re
from pathlib import Path

import aiohttp

from conftest import PASSWORD, dashboard_login
from server.scenarios import ScenarioRun, load_file
from server.scenarios.paths import full_run_inputs

CONVERSATION = load_file(Path(__file__).resolve().parent.parent / "scenarios" / "starting_a_conversation.yaml")


def seed(server):
    for name, role in (
        ("Ana", "participant"),
        ("Bob", "participant"),
        ("Sam", "peer_specialist"),
        ("Sue", "peer_specialist"),
        ("Fay", "facilitator"),
        ("Adi", "admin"),
        ("Robo", "agent"),
    ):
        server.add_user(name, role)
    sam = server.store.find_user("Sam")
    # Sam looks after a group with Ana in it (an assignment, not presence, is what Sam may see)
    group = server.store.add_group("Sam's group")
    server.store.add_group_member(group["id"], server.store.find_user("Ana")["id"])
    server.store.assign_group_staff(group["id"], sam["id"])
    server.world.create_room(
        "Sam's group", "park", 8, created_by=sam["id"], room_id="sams-group", access="members", group_id=group["id"]
    )
    runs = {}
    for who, room in (("Ana", "sams-group"), ("Bob", "cafe")):
        u = server.store.find_user(who)
        run = ScenarioRun.create(server.store, room, CONVERSATION, "easy", participant_user_id=u["id"])
        run.start()
        for method, arg in full_run_inputs(CONVERSATION, "easy"):
            getattr(run, method)(arg)
        runs[who] = run.run_id
    return runs


async def session(server, name):
    return await dashboard_login(server.url, name)


async def test_login_form_and_roles(server):
    seed(server)
    async with aiohttp.ClientSession() as anon:
        async with anon.get(server.url + "/dashboard/sessions", allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"].startswith("/dashboard/login")
        async with anon.get(server.url + "/dashboard/login") as r:
            html = await r.text()
            assert 'name="password"' in html
    for name, status in (("Ana", 403), ("Robo", 403), ("Sam", 303), ("Fay", 303), ("Adi", 303)):
        http, got = await session(server, name)
        await http.close()
        assert got == status, name
    http, got = await session(server, "Nobody")
    await http.close()
    assert got == 401
    # a participant with a token from the game login is refused on every page
    async with aiohttp.ClientSession() as http:
        async with http.post(server.url + "/api/login", json={"name": "Ana", "password": PASSWORD}) as r:
            token = (await r.json())["token"]
        for path in (
            "/dashboard",
            "/dashboard/sessions",
            "/dashboard/people",
            "/dashboard/safety",
            "/dashboard/sessions/1",
            "/dashboard/people/1",
        ):
            async with http.get(server.url + path, headers={"Authorization": f"Bearer {token}"}) as r:
                assert r.status == 403, path
                assert "for staff" in await r.text()


async def test_peer_specialist_sees_own_rooms_and_sessions_only(server):
    runs = seed(server)
    ana, bo = server.store.find_user("Ana"), server.store.find_user("Bob")
    http, _ = await session(server, "Sam")
    async with http:
        async with http.get(server.url + "/dashboard/sessions") as r:
            html = await r.text()
        assert f"/sessions/{runs['Ana']}'" in html and f"/sessions/{runs['Bob']}'" not in html
        async with http.get(server.url + f"/dashboard/sessions/{runs['Bob']}") as r:
            assert r.status == 404
        async with http.get(server.url + f"/dashboard/sessions/{runs['Ana']}") as r:
            assert r.status == 200 and "Fidelity" in await r.text()
        async with http.get(server.url + f"/dashboard/people/{ana['id']}") as r:
            assert r.status == 200
        async with http.get(server.url + f"/dashboard/people/{bo['id']}") as r:
            assert r.status == 404
        async with http.get(server.url + "/dashboard") as r:
            html = await r.text()
        assert "Sam&#39;s group" in html and "The cafe" not in html
        async with http.get(server.url + f"/dashboard/people/{ana['id']}/export") as r:
            assert r.status == 403
        async with http.get(server.url + "/dashboard/safety") as r:
            assert "Moderation" not in await r.text()
    http, _ = await session(server, "Fay")
    async with http:
        async with http.get(server.url + "/dashboard/sessions") as r:
            html = await r.text()
        assert f"/sessions/{runs['Ana']}'" in html and f"/sessions/{runs['Bob']}'" in html
        async with http.get(server.url + f"/dashboard/people/{bo['id']}") as r:
            html = await r.text()
        assert r.status == 200 and "<svg" in html and "Delete everything" not in html


async def test_admin_export_and_delete_need_csrf_and_the_name(server):
    seed(server)
    bo = server.store.find_user("Bob")
    http, _ = await session(server, "Adi")
    async with http:
        async with http.get(server.url + f"/dashboard/people/{bo['id']}/export") as r:
            assert r.status == 200
            data = await r.json()
            assert data["user"]["name"] == "Bob" and data["runs"]
        async with http.get(server.url + f"/dashboard/people/{bo['id']}") as r:
            csrf = re.search(r"name='csrf' value='([0-9a-f]+)'", await r.text()).group(1)
        url = server.url + f"/dashboard/people/{bo['id']}/delete"
        async with http.post(url, data={"confirm": "Bob"}) as r:
            assert r.status == 403  # no CSRF field: refused
        async with http.post(url, data={"confirm": "Bobby", "csrf": csrf}) as r:
            assert r.status == 400
        assert server.store.find_user("Bob") is not None
        async with http.post(url, data={"confirm": "Bob", "csrf": csrf}) as r:
            assert r.status == 200 and "Deleted" in await r.text()
        assert server.store.find_user("Bob") is None


async def test_staff_mark_an_alert_handled_only_where_they_may_see_it(server):
    seed(server)
    ana = await server.bot("Ana", room="sams-group")
    await ana.say("I want to end my life")
    await ana.wait_until(lambda: server.world.safety.db.alerts(None), timeout=5)
    alert = server.world.safety.db.alerts(None)[0]
    assert alert["status"] == "open"
    url = f"{server.url}/dashboard/alerts/{alert['id']}/handled"
    sue, _ = await session(server, "Sue")  # a peer specialist of another group
    sam, _ = await session(server, "Sam")  # the group's own peer specialist
    try:
        for http in (sue, sam):
            async with http.get(server.url + "/dashboard/safety") as r:
                page = await r.text()
            csrf = re.search(r"""name=["']csrf["'] value=["']([0-9a-f]+)""", page).group(1)
            if http is sue:
                assert "Mark handled" not in page
                async with http.post(url, data={"csrf": csrf}) as r:
                    assert r.status == 404
                assert server.world.safety.db.alerts(None)[0]["status"] == "open"
            else:
                assert "Mark handled" in page
                async with http.post(url, data={"csrf": "forged"}) as r:
                    assert r.status == 403  # no CSRF token, no change
                async with http.post(url, data={"csrf": csrf}, allow_redirects=False) as r:
                    assert r.status == 303 and r.headers["Location"] == "/dashboard/safety"
        assert server.world.safety.db.alerts(None)[0]["status"] == "handled"
    finally:
        await sue.close()
        await sam.close()
