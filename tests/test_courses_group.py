"""A course run end to end: a facilitator sets up a group on the dashboard, three participants (real bots) and a
peer specialist go through the opening homework review and role-plays with self-ratings; the progression
suggestion, homework completion and fidelity of delivery are checked in the store and on the dashboard (HTTP), and
the participant's calendar is parsed back."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from conftest import dashboard_login, form_csrf
from ical_parse import parse as parse_ical
from ical_parse import utc
from scenario_play import CONVERSATION, settled, teleoperate
from server.courses import fidelity as delivery
from server.scenarios.paths import full_run_inputs
from wire import controllers as wc
from wire import courses as wcourse
from wire import events
from wire import scenario as wsc
from wire.errors import WireError

TZ = "Europe/London"
HARD_PATH = ["go_now", "apologise_wait", "sit_silently", "stay_silent", "leave"]


async def post_form(http, url: str, data: dict, page: str | None = None) -> aiohttp.ClientResponse:
    """Post a dashboard form with the CSRF token of the page it is on (`page`, default the dashboard's start)."""
    async with http.get(page or url.split("/dashboard")[0] + "/dashboard") as r:
        csrf = form_csrf(await r.text())
    async with http.post(url, data={**data, "csrf": csrf}, allow_redirects=False) as r:
        await r.read()
        return r


async def practise(srv, bot, room: str, inputs: list, rating: int | None, difficulty: str = "easy") -> int:
    """One whole run of a scenario; at each role-play ending the participant rates it (`rating`)."""
    run_id = (await bot.call(wsc.SCENARIO_START, {"scenario": CONVERSATION.id, "difficulty": difficulty}))["run"]
    for method, arg in inputs:
        await settled(srv, room)
        run = srv.world.scenarios.active[room].run
        if rating is not None and run.view()["self_rating"] == {"phase": run.current["id"], "value": None}:
            await bot.call(wsc.SCENARIO_RATE, {"rating": rating})
        if method == "choose":
            await bot.call(wsc.SCENARIO_CHOOSE, {"option": arg})
        else:
            await bot.call(wsc.SCENARIO_ANSWER, {"text": arg})
    await bot.wait_for(wsc.SCENARIO_ENDED)
    return run_id


async def review_homework(srv, bot, room: str, status: str, words: str | None) -> dict:
    await bot.call(wsc.SCENARIO_START, {"scenario": "homework_review", "difficulty": "easy"})
    await settled(srv, room)
    state = srv.world.scenarios.active[room].run.view()
    await bot.call(wsc.SCENARIO_CHOOSE, {"option": status})
    await settled(srv, room)
    if words is None:
        await bot.call(wsc.SCENARIO_CHOOSE, {"option": "skip"})
    else:
        await bot.call(wsc.SCENARIO_ANSWER, {"text": words})
    await bot.wait_for(wsc.SCENARIO_ENDED)
    return state


async def test_a_group_of_three_and_a_peer_specialist_through_a_course_session(make_server):
    # bots answer as fast as the server lets them, through whole sessions: a budget no person would reach
    server = await make_server(rate_per_s=200.0, rate_burst=400.0)
    store = server.store
    server.add_user("Fay", "facilitator")
    sam_user = server.add_user("Sam", "peer_specialist")
    names = ("Ana", "Bea", "Cyd")
    people = {n: server.add_user(n) for n in names}

    # --- the facilitator sets the group up on the dashboard -----------------------------------------------------
    fay, status = await dashboard_login(server.url, "Fay")
    assert status == 303
    async with fay:
        r = await post_form(fay, server.url + "/dashboard/courses", {"name": "Tuesday group"})
        assert r.status == 303
        group_id = int(r.headers["Location"].rsplit("/", 1)[1])
        base = f"{server.url}/dashboard/courses/{group_id}"
        for n in names:
            assert (await post_form(fay, base + "/people", {"name": n, "action": "add_participant"})).status == 303
        assert (await post_form(fay, base + "/people", {"name": "Sam", "action": "add_staff"})).status == 303
        refused = await post_form(fay, base + "/people", {"name": "Sam", "action": "add_participant"})
        assert refused.status == 400
        form = {"course": "social_skills_8_weeks", "timezone": TZ, "first_day": "2030-01-07", "time": "18:00"}
        async with fay.get(base) as got:
            csrf = form_csrf(await got.text())
        async with fay.post(
            base + "/schedule",
            data=[*form.items(), ("weekday", "mon"), ("weekday", "thu"), ("csrf", csrf)],
            allow_redirects=False,
        ) as r:
            assert r.status == 303
        async with fay.post(base + "/schedule", data={**form, "csrf": "forged"}, allow_redirects=False) as r:
            assert r.status == 403  # no CSRF token, no change
    run = store.course_run(group_id)
    assert run["course_id"] == "social_skills_8_weeks" and run["timezone"] == TZ and len(run["sessions"]) == 16
    assert [s["starts"] for s in run["sessions"][:3]] == ["2030-01-07T18:00", "2030-01-10T18:00", "2030-01-14T18:00"]
    assert {m["name"] for m in run["members"]} == set(names) and [s["name"] for s in run["staff"]] == ["Sam"]

    # session 1 was yesterday; session 2 starts in two hours (dates fixed here so the test does not depend on today)
    now = dt.datetime.now(ZoneInfo(TZ))
    starts = [now - dt.timedelta(days=1), now + dt.timedelta(hours=2)]
    starts += [now + dt.timedelta(days=d) for d in range(2, 16)]
    store.set_course_run(
        group_id,
        "social_skills_8_weeks",
        TZ,
        [(n, s.strftime("%Y-%m-%dT%H:%M"), 90) for n, s in enumerate(starts, 1)],
        None,
    )

    # --- session 1: Ana and Bea practise (the autonomous cast), rating each role-play -----------------------------
    bots = {n: await server.bot(n, room=room) for n, room in zip(names, ("cafe", "park", "interview"), strict=True)}
    for bot in bots.values():
        await bot.call(events.CONSENT, {"recording": True})
    good = full_run_inputs(CONVERSATION, "easy")
    hard = full_run_inputs(CONVERSATION, "easy", {"practice": HARD_PATH, "practice_again": HARD_PATH})
    await practise(server, bots["Ana"], "cafe", good, rating=8)
    await practise(server, bots["Bea"], "park", hard, rating=2)
    ratings = store.course_events([people["Ana"]["id"]], ("self_rating",))
    assert [e["data"]["rating"] for e in ratings] == [8, 8] and ratings[0]["user_id"] == people["Ana"]["id"]
    ana_course = await bots["Ana"].call(wcourse.MY_COURSE)
    suggested = {s["id"]: s.get("suggested") for s in ana_course["next"]["scenarios"]}
    assert suggested["homework_review"] is None  # nothing to rate there
    assert suggested["starting_a_conversation"]["difficulty"] == "medium"  # two role-plays, every step done
    bea_course = await bots["Bea"].call(wcourse.MY_COURSE)
    bea_next = {s["id"]: s.get("suggested") for s in bea_course["next"]["scenarios"]}
    assert bea_next["starting_a_conversation"]["difficulty"] == "easy"  # two hard ones at the easiest level
    assert ana_course["position"] == {"held": 1, "total": 16, "next": 2}
    assert ana_course["next"]["title"] == "Starting a conversation" and ana_course["group"]["name"] == "Tuesday group"
    assert dt.datetime.fromisoformat(ana_course["next"]["starts"]).replace(second=0, microsecond=0) == starts[
        1
    ].replace(second=0, microsecond=0)
    assert ana_course["homework"]["text"] and ana_course["homework_done"] == {"done": 0, "partly": 0, "not_yet": 0}

    # --- session 2 opens with the homework review; Sam (the group's peer specialist) delivers Ana's in person --
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    for role in ("coach", "alex"):
        assert (await sam.call(wc.CLAIM, {"role": role}))["driver"] == "teleop"
    teleoperate(sam)
    asked = await review_homework(server, bots["Ana"], "cafe", "done", "I said hello to my neighbour.")
    assert ana_course["homework"]["text"] in asked["prompt"]
    asked = await review_homework(server, bots["Bea"], "park", "partly", None)
    assert "Did you do it?" in asked["prompt"]
    asked = await review_homework(server, bots["Cyd"], "interview", "not_yet", None)
    assert asked["prompt"] == "Did you get to practise anything since last time?"  # no homework was set for Cyd
    reviews = store.course_events([p["id"] for p in people.values()], ("homework_review",))
    assert [(e["participant"], e["data"]["status"]) for e in reviews] == [
        (people["Ana"]["id"], "done"),
        (people["Bea"]["id"], "partly"),
        (people["Cyd"]["id"], "not_yet"),
    ]
    assert reviews[0]["data"]["text"] == "I said hello to my neighbour." and reviews[0]["data"]["homework_run"]

    # Ana overrules the suggestion (medium) and practises at easy again, with Sam in both cast roles
    sam_run = await practise(server, bots["Ana"], "cafe", good, rating=9, difficulty="easy")
    assert store.get_run(sam_run)["difficulty"] == "easy"
    # both saw the suggestion it overruled, in the run's state
    assert store.get_run(sam_run)["state"]["suggested"]["difficulty"] == "medium"
    seen = [d for e, d in sam.inbox if e == wsc.SCENARIO_STATE and d.get("run") == sam_run and "cue" in d]
    assert seen and seen[0]["suggested"] == {
        "difficulty": "medium",
        "from": "easy",
        "reason": seen[0]["suggested"]["reason"],
    }
    mine = [d for e, d in bots["Ana"].inbox if e == wsc.SCENARIO_STATE and d.get("run") == sam_run]
    assert mine[0]["suggested"]["difficulty"] == "medium"
    said = [e for e in store.run_events(sam_run) if e["kind"] == "said" and "cast" in e["data"]]
    assert said and {e["user_id"] for e in said} == {sam_user["id"]}
    delivered = {r["run"]: r for r in delivery.per_specialist(store, None)}
    assert delivered[sam_run]["people"] == [sam_user["id"]] and delivered[sam_run]["person_share"] == 1.0
    assert delivered[sam_run]["own_words"] == 0 and delivered[sam_run]["palette_lines"] == len(said)
    ana_review_run = reviews[0]["run_id"]
    assert delivered[ana_review_run]["homework_reviewed"] and delivered[ana_review_run]["people"] == [sam_user["id"]]

    # --- the dashboard: where the group is, each participant's homework, rating and suggestion ------------------
    sam_http, status = await dashboard_login(server.url, "Sam")
    assert status == 303
    async with sam_http:
        async with sam_http.get(server.url + "/dashboard/courses") as r:
            html = await r.text()
        assert r.status == 200 and "Tuesday group" in html and "1 of 16 sessions held" in html
        assert "2. Starting a conversation" in html
        async with sam_http.get(base) as r:
            page = await r.text()
        assert r.status == 200
        rows = {
            name: row
            for row in re.findall(r"<tr><td><a href='/dashboard/people/\d+'>.*?</tr>", page, re.S)
            for name in names
            if f">{name}</a>" in row
        }
        assert "1 / 0 / 0" in rows["Ana"] and "0 / 1 / 0" in rows["Bea"] and "0 / 0 / 1" in rows["Cyd"]
        assert "9 / 10" in rows["Ana"] and "2 / 10" in rows["Bea"]
        assert "<strong>medium</strong> (from easy)" in rows["Ana"] and "<strong>easy</strong>" in rows["Bea"]
        assert "id='schedule'" not in page  # a peer specialist sees the run; facilitators change it
        r = await post_form(sam_http, base + "/people", {"name": "Cyd", "action": "remove"})
        assert r.status == 403
        async with sam_http.get(server.url + f"/dashboard/people/{people['Ana']['id']}") as r:
            person = await r.text()
        assert "Skill-step scores and self-ratings" in person and "Homework done" in person
        assert "Session fidelity" not in person  # progress plots never show fidelity
        async with sam_http.get(server.url + f"/dashboard/sessions/{sam_run}") as r:
            session_page = await r.text()
        steps = delivered[sam_run]["delivered"]
        assert steps >= 8 and f"Delivery: {steps} of {steps} steps by a person" in session_page
        assert f"{len(said)} from the palette as written, 0 in their own words" in session_page
        async with sam_http.get(server.url + "/dashboard/supervision") as r:
            supervision = await r.text()
        assert r.status == 200 and f"id='staff-{sam_user['id']}'" in supervision
        assert f"#{sam_run}</a>" in supervision and "Fay" not in supervision.split("<main>")[1]  # own delivery only

    fay, _ = await dashboard_login(server.url, "Fay")
    async with fay:
        items = {"shared_experience": 3, "conveyed_hope": 4, "followed_lead": 4, "within_role": 4}
        r = await post_form(fay, server.url + "/dashboard/supervision/rate", {"staff": sam_user["id"], **items})
        assert r.status == 303
        bad = await post_form(fay, server.url + "/dashboard/supervision/rate", {"staff": sam_user["id"]})
        assert bad.status == 400
        async with fay.get(server.url + "/dashboard/supervision") as r:
            assert "Sam: peer-specific ratings" in await r.text()
    assert [r["items"] for r in store.peer_fidelity(sam_user["id"])] == [items]

    # --- the calendar: the sessions still to come, parsed back -------------------------------------------------
    async with aiohttp.ClientSession() as http:
        auth = {"Authorization": f"Bearer {bots['Ana'].token}"}
        async with http.get(server.url + "/api/me/course.ics", headers=auth) as r:
            assert r.status == 200 and r.content_type == "text/calendar"
            cal = parse_ical(await r.text())
        lone = await server.bot("Lou")
        async with http.get(server.url + "/api/me/course.ics", headers={"Authorization": f"Bearer {lone.token}"}) as r:
            assert r.status == 404
    assert (await lone.call(wcourse.MY_COURSE))["course"] is None
    sessions = cal["VEVENT"]
    assert len(sessions) == 15  # session 1 is over
    assert utc(sessions[0]["DTSTART"]) == starts[1].replace(second=0, microsecond=0).astimezone(dt.UTC)
    assert sessions[0]["SUMMARY"].endswith("session 2, Starting a conversation")
    assert "Last session's homework" in sessions[0]["DESCRIPTION"]


async def test_without_recording_consent_the_homework_words_are_not_kept_and_a_group_holds_eight(server):
    dee = await server.bot("Dee", room="cafe")  # no recording consent
    await review_homework(server, dee, "cafe", "partly", "I tried once at the shop.")
    [review] = server.store.course_events([dee.user["id"]], ("homework_review",))
    assert review["data"]["status"] == "partly" and review["data"]["text_withheld"] is True
    assert "text" not in review["data"]
    # only the run's participant rates a role-play
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    server.look_after("Sam", "Dee")
    run_id = (await dee.call(wsc.SCENARIO_START, {"scenario": CONVERSATION.id}))["run"]
    with pytest.raises(WireError) as refused:
        await sam.call(wsc.SCENARIO_RATE, {"rating": 5})
    assert refused.value.code == "forbidden"
    await dee.call(wsc.SCENARIO_STOP)
    assert not server.store.course_events([dee.user["id"]], ("self_rating",)) and run_id
    # a group holds at most eight participants
    server.add_user("Fay", "facilitator")
    group = server.store.add_group("Full group")
    for n in range(8):
        server.store.add_group_member(group["id"], server.add_user(f"Member {n}")["id"])
    server.add_user("Ninth")
    fay, _ = await dashboard_login(server.url, "Fay")
    async with fay:
        url = f"{server.url}/dashboard/courses/{group['id']}/people"
        r = await post_form(fay, url, {"name": "Ninth", "action": "add_participant"})
        assert r.status == 400
        async with fay.get(f"{server.url}/dashboard/courses/{group['id']}") as page:
            assert "Participants (8 of at most 8)" in await page.text()
    assert len(server.store.group_detail(group["id"])["members"]) == 8
