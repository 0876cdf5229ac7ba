"""The care protocol on the server: who is on duty, the honest card, crisis alerts first, handling on the record.

Real server on loopback, real Socket.IO bots, the dashboard over HTTP, a real SQLite file.
"""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest

from conftest import dashboard_login, eventually, form_csrf
from server.appkeys import SAFETY
from server.safety import care
from server.safety.crisis import load
from test_scenario_crisis import CRISIS as SCENE_CRISIS
from test_scenario_crisis import TEXTS, refused, to_the_role_play
from wire import events
from wire import safety as ws
from wire import scenario as wsc

PHRASES = load("scenarios/safety/crisis_phrases.yaml")
CARE = care.load("scenarios/safety/care.yaml")
CRISIS = "there is no reason to live"


def alerts(server) -> list[dict]:
    return server.app[SAFETY].db.alerts()


async def support_card(bot, since: int = 0) -> dict:
    return await bot.wait_for(events.NOTICE, lambda d: d.get("kind") == "support", since=since)


async def test_staff_logged_in_but_off_duty_are_not_told_and_the_card_says_no_one(server):
    sam = await server.bot("Sam", role="peer_specialist", room="cafe", on_duty=False)
    ana = await server.bot("Ana", room="cafe")
    status = await ana.wait_for(ws.DUTY_STATUS)
    assert status["on_duty"] == [] and status["text"] == CARE.duty_text([])
    assert status["text"].startswith("No one from the team is online right now.")
    await ana.say(CRISIS)
    card = await support_card(ana)
    # honest: no one is on duty, so no one was told; the alert waits; the out-of-hours resources are given
    assert card["text"] == f"{PHRASES.texts['told.nobody']} {CARE.resources_text()}"
    for must in ("Samaritans", "116 123", "call 999", "The team is usually here"):
        assert must in card["text"]
    row = (await eventually(lambda: alerts(server)))[0]
    assert row["kind"] == "crisis" and row["notified"] == 0 and row["told"] == [] and row["status"] == "open"
    assert row["severity"] == "high"
    assert not [e for e, _ in sam.inbox if e == ws.SAFETY_ALERT]  # logged in is not enough

    # Sam goes on duty: Ana is told plainly who is here, and the next alert reaches Sam
    mark = len(ana.inbox)
    ack = await sam.call(ws.DUTY, {"on": True})
    assert ack["on"] is True and ack["on_duty"] == [{"name": "Sam", "role": "peer_specialist"}]
    status = await ana.wait_for(ws.DUTY_STATUS, since=mark)
    assert status["on_duty"] == [{"name": "Sam", "role": "peer_specialist"}]
    assert status["text"] == "Sam, peer specialist, is here today."
    mark = len(ana.inbox)
    await ana.say(CRISIS)
    alert = await sam.wait_for(ws.SAFETY_ALERT)
    assert alert["kind"] == "crisis" and alert["severity"] == "high" and alert["key"]
    card = await support_card(ana, since=mark)
    assert card["text"] == f"{PHRASES.texts['told.staff']} {PHRASES.resources_text}"
    rows = await eventually(lambda: alerts(server), lambda r: len(r) == 2)
    newest = max(rows, key=lambda r: r["id"])
    assert newest["notified"] == 1 and newest["told"] == ["Sam"] and newest["live_key"] == alert["key"]


async def test_duty_status_follows_staff_on_and_off_duty_and_logout_ends_it(server):
    ana = await server.bot("Ana", room="cafe")
    await ana.wait_for(ws.DUTY_STATUS)
    fay = await server.bot("Fay", role="facilitator", on_duty=False)
    sam = await server.bot("Sam", role="peer_specialist", on_duty=False)
    mark = len(ana.inbox)
    await sam.call(ws.DUTY, {"on": True})
    await fay.call(ws.DUTY, {"on": True})
    both = await ana.wait_for(ws.DUTY_STATUS, lambda d: len(d["on_duty"]) == 2, since=mark)
    assert both["text"] == "Sam, peer specialist, and Fay, facilitator, are here today."
    mark = len(ana.inbox)
    await fay.call(ws.DUTY, {"on": False})
    one = await ana.wait_for(ws.DUTY_STATUS, since=mark)
    assert one["on_duty"] == [{"name": "Sam", "role": "peer_specialist"}]
    # a participant cannot go on duty
    with pytest.raises(Exception) as refused:
        await ana.call(ws.DUTY, {"on": True})
    assert getattr(refused.value, "code", None) == "forbidden"
    # logging out ends duty at once
    mark = len(ana.inbox)
    async with aiohttp.ClientSession() as http:
        async with http.post(server.url + "/api/logout", headers={"Authorization": f"Bearer {sam.token}"}) as r:
            assert r.status == 200
    none = await ana.wait_for(ws.DUTY_STATUS, since=mark)
    assert none["on_duty"] == [] and none["text"] == CARE.duty_text([])
    # people are told first; the duty record ends just after (people before records)
    assert server.app[SAFETY].duty == {} and await eventually(server.store.on_duty, lambda rows: rows == []) == []


async def test_crisis_alerts_go_ahead_of_older_reports_in_the_list_and_on_the_dashboard(server):
    server.add_user("Fay", "facilitator")
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    await ben.call(ws.REPORT, {"avatar": ana.avatar, "reason": "spam"})
    await eventually(lambda: alerts(server))
    await ana.say(CRISIS)
    rows = await eventually(lambda: alerts(server), lambda r: len(r) == 2)
    assert [r["kind"] for r in rows] == ["crisis", "report"]  # newer here, but ahead because it is a crisis
    # a newer report does not push an unhandled crisis down
    await ben.call(ws.REPORT, {"avatar": ana.avatar, "reason": "harassment"})
    rows = await eventually(lambda: alerts(server), lambda r: len(r) == 3)
    assert [(r["kind"], r["severity"]) for r in rows] == [("crisis", "high"), ("report", "medium"), ("report", "low")]
    http, status = await dashboard_login(server.url, "Fay")
    try:
        assert status == 303
        async with http.get(server.url + "/dashboard/safety") as r:
            page = await r.text()
        table = page[page.index("<table id='alerts'>") : page.index("</table>")]
        body = table.split("</tr>", 1)[1]
        first = body.split("</tr>", 1)[0]
        assert "class='urgent'" in first and "Unhandled crisis" in first  # stands out, in words too
        assert body.index("Unhandled crisis") < body.index("spam") and body.count("class='urgent'") == 1
        assert "(no one: waiting)" in first and "not yet" in first  # no one told, no one acknowledged
    finally:
        await http.close()


async def test_acknowledge_live_then_handle_on_the_dashboard_keeps_a_history_and_tells_the_person(server):
    ana = await server.bot("Ana", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    await ana.say(CRISIS)
    alert = await sam.wait_for(ws.SAFETY_ALERT)
    # participants cannot acknowledge; an unknown key is not found
    with pytest.raises(Exception) as refused:
        await ana.call(ws.ALERT_ACK, {"alert": alert["key"]})
    assert getattr(refused.value, "code", None) == "forbidden"
    with pytest.raises(Exception) as refused:
        await sam.call(ws.ALERT_ACK, {"alert": "no-such-key"})
    assert getattr(refused.value, "code", None) == "not_found"
    ack = await sam.call(ws.ALERT_ACK, {"alert": alert["key"]})
    assert ack["acknowledged"] is True and ack["first"] is True
    seen = await ana.wait_for(ws.ALERT_SEEN)
    assert seen["text"] == CARE.seen["crisis"] and seen["kind"] == "crisis"
    assert not [e for e, _ in ben.inbox if e == ws.ALERT_SEEN]  # only the person it is about
    again = await sam.call(ws.ALERT_ACK, {"alert": alert["key"]})
    assert again["first"] is False
    row = server.app[SAFETY].db.alert(ack["alert"])
    assert row["acknowledged_name"] == "Sam" and row["acknowledged_at"] and row["status"] == "open"

    # Sam handles it on the dashboard: what was done, a note, follow-up
    http, _ = await _staff_session(server, "Fay")
    try:
        url = f"{server.url}/dashboard/alerts/{row['id']}"
        async with http.get(url) as r:
            page = await r.text()
            assert r.status == 200 and "Talked with them" in page and "Follow-up needed" in page
        csrf = form_csrf(page)
        mark = len(ana.inbox)
        form = aiohttp.FormData()
        for key, value in (
            ("csrf", csrf),
            ("action", "talked"),
            ("action", "referred"),
            ("action", "not-an-action"),
            ("note", "Spoke on the  phone;\nshe is safe tonight"),
            ("follow_up", "1"),
        ):
            form.add_field(key, value)
        async with http.post(url + "/handled", data=form, allow_redirects=False) as r:
            assert r.status == 303
        row = server.app[SAFETY].db.alert(row["id"])
        assert row["status"] == "handled" and row["handled_name"] == "Fay" and row["handled_at"]
        assert row["actions"] == ["talked", "referred"] and row["follow_up"] == 1
        assert row["note"] == "Spoke on the phone; she is safe tonight"
        assert row["acknowledged_name"] == "Sam"  # the first acknowledgement stays
        history = server.app[SAFETY].db.alert_history(row["id"])
        assert [(h["user_name"], h["action"]) for h in history] == [
            ("Sam", "acknowledged"),
            ("Sam", "acknowledged"),
            ("Fay", "handled"),
        ]
        assert history[-1]["details"] == {
            "actions": ["talked", "referred"],
            "note": "Spoke on the phone; she is safe tonight",
            "follow_up": True,
        }
        async with http.get(url) as r:
            page = await r.text()
        hist = page[page.index("<table id='history'>") :]
        assert "Fay" in hist and "Talked with them; Referred them to another service" in hist
        assert "follow-up needed" in hist and "she is safe tonight" in hist
        assert not [e for e, _ in ana.inbox[mark:] if e == ws.ALERT_SEEN]  # already told once
    finally:
        await http.close()


async def _staff_session(server, name: str, role: str = "facilitator"):
    server.add_user(name, role)
    return await dashboard_login(server.url, name)


async def test_handling_on_the_dashboard_tells_the_person_when_no_one_had_seen_it(server):
    ana = await server.bot("Ana", room="cafe")
    await ana.say(CRISIS)
    row = (await eventually(lambda: alerts(server)))[0]
    http, _ = await _staff_session(server, "Fay")
    url = f"{server.url}/dashboard/alerts/{row['id']}"
    try:
        async with http.get(url) as r:
            csrf = form_csrf(await r.text())
        async with http.post(url + "/handled", data={"csrf": "forged", "action": "talked"}) as r:
            assert r.status == 403  # no CSRF token, no change
        assert server.app[SAFETY].db.alert(row["id"])["status"] == "open"
        form = {"csrf": csrf, "action": "emergency", "note": "Ambulance called"}
        async with http.post(url + "/handled", data=form, allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/dashboard/safety"
        seen = await ana.wait_for(ws.ALERT_SEEN)
        assert seen["text"] == CARE.seen["crisis"]
        done = server.app[SAFETY].db.alert(row["id"])
        # handling also acknowledges an alert no one had acknowledged; no follow-up box ticked: no follow-up
        assert done["status"] == "handled" and done["acknowledged_name"] == done["handled_name"] == "Fay"
        assert done["actions"] == ["emergency"] and done["follow_up"] == 0
        history = server.app[SAFETY].db.alert_history(row["id"])
        assert [(h["user_name"], h["action"], h["details"]) for h in history] == [
            ("Fay", "handled", {"actions": ["emergency"], "note": "Ambulance called", "follow_up": False})
        ]
    finally:
        await http.close()


async def test_i_have_seen_it_on_the_dashboard_acknowledges_and_tells_the_person(server):
    ana = await server.bot("Ana", room="cafe")
    await ana.say(CRISIS)
    row = (await eventually(lambda: alerts(server)))[0]
    http, _ = await _staff_session(server, "Fay")
    url = f"{server.url}/dashboard/alerts/{row['id']}"
    try:
        async with http.get(url) as r:
            page = await r.text()
            assert "I have seen it" in page and "Nothing recorded yet." in page
        async with http.post(url + "/ack", data={"csrf": form_csrf(page)}, allow_redirects=False) as r:
            assert r.status == 303
        assert (await ana.wait_for(ws.ALERT_SEEN))["text"] == CARE.seen["crisis"]
        acked = server.app[SAFETY].db.alert(row["id"])
        assert acked["acknowledged_name"] == "Fay" and acked["status"] == "open"
        async with http.get(url) as r:
            page = await r.text()
            assert "I have seen it" not in page and "acknowledged" in page[page.index("<table id='history'>") :]
    finally:
        await http.close()


async def test_the_dashboard_duty_toggle_is_csrf_protected_and_reaches_people_only_in_the_app(server):
    ana = await server.bot("Ana", room="cafe")
    http, _ = await _staff_session(server, "Fay")
    try:
        async with http.get(server.url + "/dashboard/safety") as r:
            page = await r.text()
            assert "Go on duty" in page and "You are off duty" in page
        csrf = form_csrf(page)
        async with http.post(server.url + "/dashboard/duty", data={"csrf": "forged", "on": "1"}) as r:
            assert r.status == 403
        assert server.app[SAFETY].duty == {}
        async with http.post(
            server.url + "/dashboard/duty", data={"csrf": csrf, "on": "1"}, allow_redirects=False
        ) as r:
            assert r.status == 303
        assert list(server.app[SAFETY].duty) == [server.store.find_user("Fay")["id"]]
        async with http.get(server.url + "/dashboard/safety") as r:
            page = await r.text()
            assert "You are on duty" in page and "only in the app" in page
        # on duty, but not in the app: no one can be reached live, so the card still says no one was told
        await ana.say(CRISIS)
        card = await support_card(ana)
        assert card["text"].startswith(PHRASES.texts["told.nobody"])
        # once Fay opens the app she is reached, and named to participants
        mark = len(ana.inbox)
        fay = await server.bot("Fay", role="facilitator", on_duty=False)
        status = await ana.wait_for(ws.DUTY_STATUS, since=mark)
        assert status["text"] == "Fay, facilitator, is here today."
        await ana.say(CRISIS)
        assert (await fay.wait_for(ws.SAFETY_ALERT))["kind"] == "crisis"
        async with http.post(
            server.url + "/dashboard/duty", data={"csrf": csrf, "on": "0"}, allow_redirects=False
        ) as r:
            assert r.status == 303
        assert server.app[SAFETY].duty == {}
    finally:
        await http.close()


async def test_duty_survives_a_restart_and_ends_when_the_grace_runs_out(make_server):
    srv = await make_server(resume_grace=3.0)
    await srv.bot("Sam", role="peer_specialist")
    await srv.bot("Fay", role="facilitator")
    assert len(await eventually(srv.store.on_duty, lambda rows: len(rows) == 2)) == 2  # saved just after
    await srv.stop()
    srv2 = await make_server(resume_grace=3.0)
    assert {d.name for d in srv2.app[SAFETY].duty.values()} == {"Sam", "Fay"}  # kept in the store
    sam = await srv2.bot("Sam", role="peer_specialist", on_duty=False)  # comes back, does not say duty again
    ana = await srv2.bot("Ana", room="cafe")
    # Fay did not come back within the grace: her duty ended; Sam's holds
    status = await ana.wait_for(ws.DUTY_STATUS, lambda d: d["on_duty"] == [{"name": "Sam", "role": "peer_specialist"}])
    assert status["text"] == "Sam, peer specialist, is here today."
    await eventually(lambda: [d.name for d in srv2.app[SAFETY].duty.values()], lambda n: n == ["Sam"], timeout=10)
    assert [r["name"] for r in srv2.store.on_duty()] == ["Sam"]
    await ana.say(CRISIS)
    assert (await sam.wait_for(ws.SAFETY_ALERT))["kind"] == "crisis"


def write_care(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "care.yaml"
    path.write_text(text)
    return path


GOOD = Path("scenarios/safety/care.yaml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "line", "says"),
    [
        ("timezone: Europe/London", "timezone: Europe/Atlantis", 7, "is not a time zone; write one like Europe/London"),
        ('  monday: ["10:00-16:00"]', '  monday: ["16:00-10:00"]', 13, "write it as 09:00-17:00"),
        ("  sunday: []", "  someday: []", 19, "is not a weekday"),
        ('emergency_number: "999"', 'emergency_number: ""', 22, "write a short text here"),
        ('  one: "{people} is here today."', "  one: Someone is here today.", 45, "{people}"),
        ("    talked: Talked with them", "    Talked: Talked with them", 69, "an action id is a short word"),
    ],
)
def test_the_care_file_is_checked_with_file_line_and_what_to_write(tmp_path, old, new, line, says):
    assert old in GOOD
    path = write_care(tmp_path, GOOD.replace(old, new))
    with pytest.raises(care.CareFileError) as err:
        care.load(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: ") and says in message, message


def test_a_care_file_without_a_section_names_where_to_add_it(tmp_path):
    text = re.sub(r"\nseen:\n(  .*\n|    .*\n)+", "\n", GOOD)
    assert "seen:" not in text
    with pytest.raises(care.CareFileError) as err:
        care.load(write_care(tmp_path, text))
    assert ": seen: write a map with the texts crisis, report" in str(err.value)


def test_hours_of_cover_are_read_in_the_services_time_zone():
    # Wednesday 2026-12-02 18:30 in London (UTC in winter): the evening span covers it; 17:00 does not
    assert CARE.in_hours(1796236200.0)
    assert not CARE.in_hours(1796230800.0)


async def test_staff_cannot_acknowledge_alerts_about_people_they_do_not_look_after(server):
    # Sue looks after someone else; she was not told of Ana's alert (off duty), so she may not acknowledge it
    server.look_after("Sue", "Zed")
    ana = await server.bot("Ana", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="park")
    sue = await server.bot("Sue", role="peer_specialist", on_duty=False)
    await ana.say(CRISIS)
    alert = await sam.wait_for(ws.SAFETY_ALERT)  # Sam was told, so Sam may say he saw it
    await eventually(lambda: alerts(server))
    with pytest.raises(Exception) as refused:
        await sue.call(ws.ALERT_ACK, {"alert": alert["key"]})
    assert getattr(refused.value, "code", None) == "not_found"
    assert (await sam.call(ws.ALERT_ACK, {"alert": alert["key"]}))["first"] is True


async def test_a_live_acknowledgement_lets_the_participant_carry_on_a_paused_practice(server):
    server.look_after("Sam", "Ana")
    ana = await server.bot("Ana", room="cafe")
    run = await to_the_role_play(server, ana)
    sam = await server.bot("Sam", role="peer_specialist", room="park")
    await ana.call(wsc.SCENARIO_ANSWER, {"text": SCENE_CRISIS})
    alert = await sam.wait_for(ws.SAFETY_ALERT)
    err = await refused(ana, wsc.SCENARIO_CHOOSE, {"option": "resume"})
    assert err.message == TEXTS["resume_waits"]  # no one has acknowledged it yet
    await sam.call(ws.ALERT_ACK, {"alert": alert["key"]})  # from the staff banner, not in the room
    assert (await ana.wait_for(ws.ALERT_SEEN))["text"] == CARE.seen["crisis"]
    ack = await ana.call(wsc.SCENARIO_CHOOSE, {"option": "resume"})
    assert ack["wait"] == "choice"
    evs = [e for e in server.store.run_events(run) if e["kind"] in ("pause_acknowledged", "resumed")]
    assert [(e["kind"], e["actor"]) for e in evs] == [("pause_acknowledged", "alert_ack"), ("resumed", "Ana")]


async def test_going_on_duty_brings_the_alerts_that_waited_crisis_first(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    await ben.call(ws.REPORT, {"avatar": ana.avatar, "reason": "spam"})
    await ana.say(CRISIS)
    await ben.call(ws.REPORT, {"avatar": ana.avatar, "reason": "upsetting"})
    await eventually(lambda: alerts(server), lambda r: len(r) == 3)
    fay = await server.bot("Fay", role="facilitator", on_duty=False)
    on = await fay.call(ws.DUTY, {"on": True})
    waiting = on["waiting"]
    assert [(w["kind"], w["category"]) for w in waiting] == [
        ("crisis", "no_way_out"),
        ("report", "upsetting"),
        ("report", "spam"),
    ]
    assert all(w["told"] == 0 and "text" not in w for w in waiting)  # no one was told; nobody's words
    with pytest.raises(Exception) as refused:
        await fay.call(ws.ALERT_ACK, {})
    assert getattr(refused.value, "code", None) == "invalid"
    assert (await fay.call(ws.ALERT_ACK, {"id": waiting[0]["alert"]}))["first"] is True
    assert (await ana.wait_for(ws.ALERT_SEEN))["kind"] == "crisis"
    again = await fay.call(ws.DUTY, {"on": True})
    assert [w["category"] for w in again["waiting"]] == ["upsetting", "spam"]  # acknowledged: no longer waiting


async def test_duty_covers_the_people_a_peer_specialist_looks_after(server):
    server.look_after("Sam", "Ana")
    server.look_after("Sue", "Zed")
    await server.bot("Sam", role="peer_specialist")
    sue = await server.bot("Sue", role="peer_specialist")
    ana = await server.bot("Ana", room="cafe")
    zed = await server.bot("Zed", room="cafe")
    bob = await server.bot("Bob", room="cafe")  # no one looks after Bob
    assert (await ana.wait_for(ws.DUTY_STATUS))["text"] == "Sam, peer specialist, is here today."
    assert (await zed.wait_for(ws.DUTY_STATUS))["text"] == "Sue, peer specialist, is here today."
    both = await bob.wait_for(ws.DUTY_STATUS)
    assert [p["name"] for p in both["on_duty"]] == ["Sam", "Sue"]  # the safety net: whoever is on duty
    sam = server.bots[0]
    await ana.say(CRISIS)
    assert (await sam.wait_for(ws.SAFETY_ALERT))["name"] == "Ana"
    row = (await eventually(lambda: alerts(server)))[0]
    assert row["told"] == ["Sam"]  # Ana's own peer specialist, not Sue
    assert not [e for e, _ in sue.inbox if e == ws.SAFETY_ALERT]
    await bob.say(CRISIS)
    assert (await sue.wait_for(ws.SAFETY_ALERT))["name"] == "Bob"  # no one covers Bob: everyone on duty
    rows = await eventually(lambda: alerts(server), lambda r: len(r) == 2)
    assert sorted(max(rows, key=lambda r: r["id"])["told"]) == ["Sam", "Sue"]
    # once Sam goes off duty, Ana is told plainly who is left for her
    mark = len(ana.inbox)
    await sam.call(ws.DUTY, {"on": False})
    status = await ana.wait_for(ws.DUTY_STATUS, since=mark)
    assert status["text"] == "Sue, peer specialist, is here today."
