"""The scenario editor over HTTP: save and lint at the right line, versions and diff, the form, the flow
picture, the dry run, publishing to rooms without a restart, export/import round-trip."""

import re

import aiohttp
import pytest

from conftest import dashboard_login, form_csrf
from wire import scenario as wsc
from wire.errors import WireError


async def editor(server, name="Fay", role="facilitator"):
    server.add_user(name, role)
    http, status = await dashboard_login(server.url, name)
    assert status == 303
    return http


async def page(http, url):
    async with http.get(url) as r:
        return r.status, await r.text()


async def post(http, url, data, csrf_from):
    """A form post with the CSRF token of the page at `csrf_from`; returns (status, where it redirects to)."""
    _, html = await page(http, csrf_from)
    async with http.post(url, data={**data, "csrf": form_csrf(html)}, allow_redirects=False) as r:
        return r.status, r.headers.get("Location", ""), await r.text()


async def new_scenario(http, server, sid, source="template"):
    status, where, _ = await post(
        http, server.url + "/dashboard/scenarios/new", {"id": sid, "from": source}, server.url + "/dashboard/scenarios"
    )
    assert status == 303 and where == f"/dashboard/scenarios/{sid}"
    _, html = await page(http, server.url + where)
    return html


def textarea(html):
    import html as h

    return h.unescape(re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', html, re.S).group(1))


async def save(http, server, sid, text):
    url = f"{server.url}/dashboard/scenarios/{sid}"
    status, where, _ = await post(http, url, {"text": text}, url)
    assert status == 303
    return (await page(http, url))[1]


async def test_a_broken_line_is_shown_at_that_line_and_a_good_save_is_kept(server):
    http = await editor(server)
    try:
        html = await new_scenario(http, server, "phone_gp")
        assert "No errors" in html and "draft" in html
        text = textarea(html)
        assert "id: phone_gp" in text
        lines = text.split("\n")
        n = next(i for i, line in enumerate(lines) if line.startswith("summary:"))
        lines[n] = "summary: Phoning the GP, a busy morning: be clear."  # ': ' in unquoted text
        html = await save(http, server, "phone_gp", "\n".join(lines))
        assert "1 error(s)" in html
        row = re.search(rf'<tr id="L{n + 1}" class="bad">.*?</tr>', html, re.S)
        assert row and "must be quoted" in row.group(0), html[-3000:]
        assert f'<a href="#L{n + 1}">line {n + 1}</a>: text that contains' in html  # listed at the top, linked
        assert 'class="problem error" data-line' in html and "Publish" not in html  # no publishing with errors
        lines[n] = "summary: 'Phoning the GP, a busy morning: be clear.'"
        html = await save(http, server, "phone_gp", "\n".join(lines))
        assert "No errors" in html and "Publish version" in html
        # what a person typed is shown as text, never as markup
        lines[n + 1 : n + 1] = ["# <script>alert(1)</script>"]
        html = await save(http, server, "phone_gp", "\n".join(lines))
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        del lines[n + 1]
        await save(http, server, "phone_gp", "\n".join(lines))
        versions = server.store.scenario_versions("phone_gp")
        assert [v["problems"] for v in versions] == [0, 0, 0, 1, 0]  # newest first: every save kept
        # a version with errors is refused by the server too, not only hidden by the page
        url = server.url + "/dashboard/scenarios/phone_gp"
        status, _, refused = await post(http, url + "/publish", {"version": str(versions[3]["id"])}, url)
        assert status == 400 and "1 error(s): fix them" in refused
        assert "phone_gp" not in server.world.scenarios.scenarios
        assert {v["saved_by"] for v in versions} == {server.store.find_user("Fay")["id"]}
        # the history lists them; the diff shows what changed between two versions
        _, hist = await page(http, server.url + "/dashboard/scenarios/phone_gp/history")
        assert hist.count("by Fay") == 5
        first, last = versions[-1]["id"], versions[0]["id"]
        _, diff = await page(http, server.url + f"/dashboard/scenarios/phone_gp/diff?a={first}&b={last}")
        assert '<pre class="del">-summary: One or two sentences' in diff
        assert '<pre class="add">+summary: &#39;Phoning the GP, a busy morning: be clear.&#39;</pre>' in diff
    finally:
        await http.close()


async def test_only_facilitators_and_admins_edit(server):
    server.add_user("Sam", "peer_specialist")
    http, status = await dashboard_login(server.url, "Sam")
    try:
        status, html = await page(http, server.url + "/dashboard/scenarios")
        assert status == 403 and "facilitators and admins" in html
        _, html = await page(http, server.url + "/dashboard")
        assert "/dashboard/scenarios" not in html  # not in the nav either
    finally:
        await http.close()
    http = await editor(server, "Adi", "admin")
    try:
        status, html = await page(http, server.url + "/dashboard/scenarios")
        assert status == 200 and "starting_a_conversation" in html and 'href="/dashboard/scenarios"' in html
        # a form without its CSRF token changes nothing
        async with http.post(server.url + "/dashboard/scenarios/new", data={"id": "x_y"}) as r:
            assert r.status == 403
        assert server.store.scenario_versions("x_y") == []
    finally:
        await http.close()


async def test_publish_reaches_rooms_without_restart_and_a_run_in_progress_keeps_its_version(server):
    http = await editor(server)
    try:
        # a participant starts the shipped scenario before it is changed
        ana = await server.bot("Ana", room="cafe")
        with pytest.raises(WireError) as refused:
            await ana.call(wsc.SCENARIO_START, {"scenario": "greeting_copy", "difficulty": "easy"})
        assert refused.value.code == "not_found"
        html = await new_scenario(http, server, "greeting_copy", source="starting_a_conversation")
        assert "No errors" in html
        listed = await ana.call(wsc.SCENARIO_LIST)
        assert "greeting_copy" not in {s["id"] for s in listed["scenarios"]}  # a draft is not offered
        version = server.store.scenario_versions("greeting_copy")[0]["id"]
        url = server.url + "/dashboard/scenarios/greeting_copy"
        status, _, _ = await post(http, url + "/publish", {"version": str(version)}, url)
        assert status == 303
        listed = await ana.call(wsc.SCENARIO_LIST)
        assert "greeting_copy" in {s["id"] for s in listed["scenarios"]}
        await ana.call(wsc.SCENARIO_START, {"scenario": "greeting_copy", "difficulty": "easy"})
        state = await ana.wait_for(wsc.SCENARIO_STATE)
        old_title = state["title"]
        rr = server.world.scenarios.run_in(server.world.rooms["cafe"])
        old = rr.run.scenario
        # a new version with another title is published while Ana's run goes on
        text = textarea((await page(http, url))[1])
        text = re.sub(r"(?m)^title: .*$", "title: Starting a conversation, again", text, count=1)
        html = await save(http, server, "greeting_copy", text)
        assert "No errors" in html, html
        version2 = server.store.scenario_versions("greeting_copy")[0]["id"]
        status, _, _ = await post(http, url + "/publish", {"version": str(version2)}, url)
        assert status == 303
        assert server.world.scenarios.scenarios["greeting_copy"].title == "Starting a conversation, again"
        assert rr.run.scenario is old and rr.run.scenario.title == old_title  # the run keeps its version
        assert rr.run.state["scenario_hash"] == old.content_hash
        # a new run in another room starts the new version, without a restart
        bob = await server.bot("Bob", room="park")
        await bob.call(wsc.SCENARIO_START, {"scenario": "greeting_copy", "difficulty": "easy"})
        state = await bob.wait_for(wsc.SCENARIO_STATE)
        assert state["title"] == "Starting a conversation, again"
        _, hist = await page(http, url + "/history")
        assert f"dashboard:greeting_copy@v{version2}" in hist
        # a shipped scenario changed and published: its changes from the file it was loaded from
        conv = server.url + "/dashboard/scenarios/starting_a_conversation"
        text = textarea((await page(http, conv))[1])
        await save(http, server, "starting_a_conversation", text.replace("title: ", "title: Renewed ", 1))
        await publish_latest(http, server, "starting_a_conversation")
        _, diff = await page(
            http, conv + "/diff?a=file&b=" + str(server.store.scenario_versions("starting_a_conversation")[0]["id"])
        )
        assert diff.count('<pre class="add">') == 1 and diff.count('<pre class="del">') == 1
    finally:
        await http.close()


async def publish_latest(http, srv, sid):
    url = f"{srv.url}/dashboard/scenarios/{sid}"
    version = srv.store.scenario_versions(sid)[0]["id"]
    status, _, _ = await post(http, url + "/publish", {"version": str(version)}, url)
    assert status == 303
    return version


async def test_after_a_restart_the_published_version_is_offered_and_a_run_in_progress_keeps_its_own(make_server):
    srv = await make_server()
    http = await editor(srv)
    try:
        text = textarea(await new_scenario(http, srv, "kept_one"))
        await publish_latest(http, srv, "kept_one")
        ana = await srv.bot("Ana", room="cafe")
        await ana.call(wsc.SCENARIO_START, {"scenario": "kept_one", "difficulty": "easy"})
        await ana.wait_for(wsc.SCENARIO_STATE)
        await save(http, srv, "kept_one", text.replace("title: A new scenario", "title: The second version"))
        second = await publish_latest(http, srv, "kept_one")
    finally:
        await http.close()
    await srv.stop()
    again = await make_server()
    rooms = again.world.scenarios
    assert rooms.scenarios["kept_one"].file == f"dashboard:kept_one@v{second}"
    assert rooms.scenarios["kept_one"].title == "The second version"
    rr = rooms.run_in(again.world.rooms["cafe"])  # Ana's run, resumed on the version it started with
    assert rr is not None and rr.run.scenario.title == "A new scenario"
    assert "resumed_changed" not in [e["kind"] for e in again.store.run_events(rr.run.run_id)]


async def test_flow_picture_marks_endings_and_an_unreachable_node(server):
    http = await editor(server)
    try:
        text = textarea(await new_scenario(http, server, "flow_one"))
        text = text.replace(
            "      bye: {cast: pat, say: Bye then., end: short}\n",
            "      bye: {cast: pat, say: Bye then., end: short}\n"
            "      lost: {cast: pat, say: Nobody gets here., end: short}\n",
        )
        await save(http, server, "flow_one", text)
        status, html = await page(http, server.url + "/dashboard/scenarios/flow_one/flow")
        assert status == 200
        svg = re.search(r"<svg .*?</svg>", html, re.S).group(0)
        for node in ("hello", "bye_good", "bye", "lost"):
            assert f'data-node="{node}"' in svg
        assert '<g class="node start" data-node="hello">' in svg
        assert '<g class="node ending" data-node="bye_good">' in svg and "ends: Good" in svg
        assert '<g class="node unreachable" data-node="lost">' in svg
        assert 'data-option="greet" data-from="hello" data-to="bye_good"' in svg
        assert 'data-option="mumble" data-from="hello" data-to="bye"' in svg
        # a draft whose option leads nowhere is still drawn: the missing node is marked
        await save(http, server, "flow_one", text.replace("next: bye\n", "next: nowhere\n", 1))
        _, html = await page(http, server.url + "/dashboard/scenarios/flow_one/flow")
        assert '<g class="node missing" data-node="nowhere">' in html and "missing node" in html
        assert 'data-option="mumble" data-from="hello" data-to="nowhere"' in html
        assert '<g class="node unreachable" data-node="bye">' in html  # nothing leads to it any more
        # an ending's title is text in the picture, never markup
        await save(http, server, "flow_one", text.replace("good: {title: Good}", 'good: {title: "<script>x"}'))
        _, html = await page(http, server.url + "/dashboard/scenarios/flow_one/flow")
        assert "ends: &lt;script&gt;x" in html and "<script>x" not in html
    finally:
        await http.close()


async def test_dry_run_plays_each_step_and_shows_the_matcher(server):
    http = await editor(server)
    try:
        await new_scenario(http, server, "dry_one")
        url = server.url + "/dashboard/scenarios/dry_one"
        status, where, _ = await post(http, url + "/try", {"difficulty": "hard"}, url)
        assert status == 303 and "/try/" in where
        _, html = await page(http, server.url + where)
        assert "Greeting people helps." in html and "(hard)" in html
        csrf = form_csrf(html)

        async def step(**data):
            async with http.post(server.url + where, data={**data, "csrf": csrf}, allow_redirects=False) as r:
                assert r.status == 303
            return (await page(http, server.url + where))[1]

        for _ in range(3):  # through the rationale to the role-play's first node
            if 'name="text"' in html:
                break
            offered = re.search(r'name="option" value="([^"]+)"', html)
            html = await step(option=offered.group(1)) if offered else await step(coach="next")
        assert "Hi there!" in html and 'name="text"' in html
        html = await step(text="purple elephants on the moon")  # near no option
        assert 'class="route">far</strong>' in html and "Sorry?" in html
        html = await step(text="shut up you idiot")  # abuse: never scored, the partner answers the tone
        assert 'class="route">rude</strong>' in html and "abuse" in html
        html = await step(text="hello my name is Fay")
        assert re.search(r'class="route">auto</strong>, confidence \d+%', html), html[-2000:]
        assert "Nice to meet you. Bye!" in html
    finally:
        await http.close()
    other = await editor(server, "Adi", "admin")  # someone else's session cannot see this dry run
    try:
        status, _ = await page(other, server.url + where)
        assert status == 404
    finally:
        await other.close()


async def test_the_form_writes_back_into_the_yaml_and_keeps_the_notes(server):
    http = await editor(server)
    try:
        await new_scenario(http, server, "form_one")
        url = server.url + "/dashboard/scenarios/form_one"
        _, html = await page(http, url + "/form")
        assert 'name="f.title" value="A new scenario"' in html
        assert 'name="f.cast.pat.name" value="Pat"' in html
        assert 'name="f.phases.1.nodes.hello.say" value="Hi there!"' in html
        assert 'name="f.endings.good.title"' not in html  # the form is for the common texts
        status, _, _ = await post(
            http,
            url + "/form",
            {
                "f.title": "Phoning the GP",
                "f.cast.pat.name": "Dana, the receptionist",
                "f.phases.4.assignment": "Ring once.",
            },
            url + "/form",
        )
        assert status == 303
        text = server.store.latest_scenario_version("form_one")["text"]
        assert 'title: "Phoning the GP" # what participants see in the list' in text
        assert 'pat: {kind: partner, name: "Dana, the receptionist"}       # the other person' in text
        assert 'assignment: "Ring once."' in text
        assert server.store.latest_scenario_version("form_one")["problems"] == 0
    finally:
        await http.close()


async def test_export_and_import_round_trip(server):
    http = await editor(server)
    try:
        await new_scenario(http, server, "trip_one")
        url = server.url + "/dashboard/scenarios/trip_one"
        async with http.get(url + "/export") as r:
            assert r.status == 200 and 'filename="trip_one.yaml"' in r.headers["Content-Disposition"]
            exported = await r.read()
        assert exported.decode() == server.store.latest_scenario_version("trip_one")["text"]
        changed = exported.replace(b"title: A new scenario", b"title: Edited elsewhere")
        _, html = await page(http, server.url + "/dashboard/scenarios")
        form = aiohttp.FormData()
        form.add_field("csrf", form_csrf(html))
        form.add_field("file", changed, filename="trip_one.yaml", content_type="application/yaml")
        async with http.post(server.url + "/dashboard/scenarios/import", data=form, allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/dashboard/scenarios/trip_one"
        async with http.get(url + "/export") as r:
            assert await r.read() == changed  # byte for byte
        assert len(server.store.scenario_versions("trip_one")) == 2
    finally:
        await http.close()


async def test_live_check_lints_without_saving_and_only_the_editor_page_may_run_the_apps_script(server):
    http = await editor(server)
    try:
        text = textarea(await new_scenario(http, server, "live_one"))
        url = server.url + "/dashboard/scenarios/live_one"
        async with http.get(url) as r:
            csp = r.headers["Content-Security-Policy"]
            html = await r.text()
        assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "default-src 'none'" in csp
        assert '<script src="/dashboard/editor.js" defer></script>' in html and "<script>" not in html
        async with http.get(server.url + "/dashboard/scenarios") as r:
            assert "script-src" not in r.headers["Content-Security-Policy"]  # every other page: no script at all
        async with http.get(server.url + "/dashboard/editor.js") as r:
            assert r.status == 200 and r.content_type == "text/javascript" and "textContent" in await r.text()
        broken = text.replace("\n  pat: {kind: partner", "\n\tpat: {kind: partner")
        line = (
            broken.split("\n").index("\tpat: {kind: partner, name: Pat}       # the other person in the role-play") + 1
        )
        async with http.post(url + "/check", data={"text": broken, "csrf": form_csrf(html)}) as r:
            problems = (await r.json())["problems"]
        assert [(p["line"], p["severity"]) for p in problems] == [(line, "error")]
        assert "tabs" in problems[0]["message"]
        assert len(server.store.scenario_versions("live_one")) == 1  # a check saves nothing
        async with http.post(url + "/check", data={"text": broken}) as r:
            assert r.status == 403  # without the form's CSRF token
    finally:
        await http.close()


def test_flow_layout_options_lead_right_and_loops_are_marked():
    """Every option that does not go back leads to a column further right; a loop (back to a node on the way
    here) is drawn as such; options to the same next node share one arrow. Over every shipped scenario."""
    from pathlib import Path

    from server.dashboard.flow import flows
    from server.scenarios import load_file
    from server.scenarios.loader import parse

    root = Path(__file__).resolve().parent.parent / "scenarios"
    drawn = 0
    for f in sorted(root.glob("*.yaml")):
        for flow in flows(load_file(f)):
            boxes = {b.id: b for b in flow.boxes}
            pairs = [(a.source, a.target) for a in flow.arrows]
            assert len(pairs) == len(set(pairs)), f.name
            for a in flow.arrows:
                assert a.back or boxes[a.target].x > boxes[a.source].x, (f.name, a)
                assert 0 < float(a.label_y) < flow.height and 0 < float(a.label_x) < flow.width
            drawn += len(flow.boxes)
    assert drawn > 20
    template = (Path(__file__).resolve().parent.parent / "server/dashboard/data/new_scenario.yaml").read_text()
    looped = template.replace("__ID__", "looped").replace("next: bye\n", "next: hello\n", 1)
    scenario, problems = parse(looped, draft=True)
    (flow,) = flows(scenario)
    (back,) = [a for a in flow.arrows if a.back]
    assert (back.option, back.source, back.target) == ("mumble", "hello", "hello")
    assert next(b for b in flow.boxes if b.id == "bye").kind == "unreachable"
