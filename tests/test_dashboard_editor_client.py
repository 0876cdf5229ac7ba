"""A scenario published in the dashboard editor reaches the participant's real client (offscreen) with no
restart: it is in the scenario list the client opens, and the client starts it."""

from __future__ import annotations

from direct.showbase.MessengerGlobal import messenger

from client.testing import pump
from client_room import app, enter  # noqa: F401  (the fixture)
from conftest import dashboard_login, form_csrf


async def test_the_client_lists_and_starts_a_scenario_published_while_it_was_connected(app, server):  # noqa: F811
    await enter(app, server)  # the client is in the room before the scenario exists
    server.add_user("Fay", "facilitator")
    http, status = await dashboard_login(server.url, "Fay")
    assert status == 303
    try:
        async with http.get(server.url + "/dashboard/scenarios") as r:
            csrf = form_csrf(await r.text())
        async with http.post(
            server.url + "/dashboard/scenarios/new",
            data={"id": "calling_the_gp", "from": "template", "csrf": csrf},
            allow_redirects=False,
        ) as r:
            assert r.status == 303
        version = server.store.scenario_versions("calling_the_gp")[0]["id"]
        async with http.post(
            server.url + "/dashboard/scenarios/calling_the_gp/publish",
            data={"version": str(version), "csrf": csrf},
            allow_redirects=False,
        ) as r:
            assert r.status == 303
    finally:
        await http.close()
    messenger.send("p")  # the scenario list, by keyboard
    await pump(app, lambda: app.picker is not None and any(s["id"] == "calling_the_gp" for s in app.picker.scenarios))
    while app.picker.scenarios[app.picker.index]["id"] != "calling_the_gp":
        messenger.send("arrow_down")
    assert [d["id"] for d in app.picker.difficulties()] == ["easy", "hard"]
    messenger.send("enter")
    await pump(app, lambda: app.scenario_panel is not None and app.scenario_panel.state is not None)
    assert app.scenario_panel.state["scenario"] == "calling_the_gp"
    assert app.scenario_panel.state["title"] == "A new scenario"
