"""The course, homework, group practice and supervision views in headless Chromium: a facilitator creates a
group, fills it and schedules a course through the real forms, then reads where the group is, each participant's
homework and suggested difficulty, a group turn's peer feedback, and the supervision page's plots."""

import json
from pathlib import Path

import pytest

from conftest import PASSWORD
from server.scenarios import ScenarioRun, load_file
from server.scenarios.paths import full_run_inputs
from test_dashboard_browser import CHROMIUM, Browser  # noqa: F401  (the same headless Chromium driver)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
ROOT = Path(__file__).resolve().parent.parent
CONVERSATION = load_file(ROOT / "scenarios" / "starting_a_conversation.yaml")
OPENING = load_file(ROOT / "scenarios" / "courses" / "openings" / "homework_review.yaml")


@pytest.fixture
async def browser(tmp_path):
    b = await Browser(tmp_path).start()
    yield b
    await b.close()


def practise(store, user, rating):
    run = ScenarioRun.create(store, "cafe", CONVERSATION, "easy", participant_user_id=user["id"])
    run.start()
    for method, arg in full_run_inputs(CONVERSATION, "easy"):
        if run.view()["self_rating"] == {"phase": run.current["id"], "value": None}:
            run.rate(rating)
        getattr(run, method)(arg)
    return run.run_id


def review(store, user, status):
    run = ScenarioRun.create(store, "cafe", OPENING, "easy", participant_user_id=user["id"])
    run.state["last_homework"] = store.last_homework(user["id"])
    run.start()
    run.choose(status)
    run.choose("skip")


async def test_a_facilitator_sets_up_a_course_group_and_reads_it(server, browser):
    server.add_user("Fay", "facilitator")
    ana, ben = server.add_user("Ana"), server.add_user("Ben")
    ana_run = practise(server.store, ana, 8)
    practise(server.store, ben, 6)
    review(server.store, ana, "done")
    review(server.store, ben, "not_yet")

    await browser.goto(server.url + "/dashboard/login")
    await browser.submit(
        "document.getElementById('name').value='Fay';"
        f"document.getElementById('password').value={json.dumps(PASSWORD)};"
        "document.getElementById('login').click()"
    )
    await browser.goto(server.url + "/dashboard/courses")
    text = await browser.js("document.body.innerText")
    assert "Social skills: eight weeks" in text and "No groups you can see yet." in text
    await browser.submit(
        "document.getElementById('name').value='Thursday group';document.getElementById('add-group').click()"
    )
    assert await browser.js("document.querySelector('h1').innerText") == "Thursday group"
    for name in ("Ana", "Ben"):
        await browser.submit(
            f"document.getElementById('person-name').value='{name}';document.getElementById('save-person').click()"
        )
    await browser.submit(
        "document.getElementById('first_day').value='2030-01-07';"
        "document.getElementById('time').value='18:00';"
        "document.getElementById('timezone').value='Europe/Berlin';"
        'document.querySelector("input[name=weekday][value=tue]").checked=true;'
        'document.querySelector("input[name=weekday][value=fri]").checked=true;'
        "document.getElementById('save-schedule').click()"
    )
    text = await browser.js("document.body.innerText")
    assert "Social skills: eight weeks · time zone Europe/Berlin · 0 of 16 sessions held, next: session 1" in text
    rows = await browser.js("[...document.querySelectorAll('#sessions tr')].map(r => r.innerText)")
    assert len(rows) == 17 and "2030-01-08 18:00" in rows[1] and "2030-01-11 18:00" in rows[2]
    assert "review" in rows[6]
    people = await browser.js("[...document.querySelectorAll('#participants tr')].slice(1).map(r => r.innerText)")
    assert len(people) == 2
    assert "Ana" in people[0] and "1 / 0 / 0" in people[0] and "8 / 10" in people[0]
    assert "Recognising emotions: easy" in people[0]  # session 1's scenario, not practised yet: its starting level
    assert "Ben" in people[1] and "0 / 0 / 1" in people[1]
    await browser.screenshot("course-group")

    await browser.goto(server.url + "/dashboard/courses")
    text = await browser.js("document.body.innerText")
    assert "Thursday group" in text and "0 of 16 sessions held" in text and "1. Recognising emotions" in text

    await browser.goto(server.url + "/dashboard/supervision")
    text = await browser.js("document.body.innerText")
    assert "Supervision: fidelity of delivery" in text and "Fay" in text
    assert await browser.js("document.querySelectorAll('svg.plot').length") >= 2
    await browser.screenshot("course-supervision")

    # Ben watched Ana's turn in a group practice and said what went well (server/courses/group.py stores it so)
    step, step_text = next(iter(CONVERSATION.step_texts().items()))
    feedback = {"step": step, "text": "You smiled before you spoke."}
    server.store.append_event("cafe", ana_run, "peer_feedback", "Ben", feedback, user_id=ben["id"])
    await browser.goto(f"{server.url}/dashboard/sessions/{ana_run}")
    text = await browser.js("document.body.innerText")
    assert "Peer feedback: what went well" in text
    assert "You smiled before you spoke." in text and step_text in text and "Ben" in text
    await browser.screenshot("course-peer-feedback")
