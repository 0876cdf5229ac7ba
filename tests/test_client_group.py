"""The client in a group practice and with its course (client/ui/group.py, client/ui/records.py CourseScreen),
offscreen against the real server: the turn banner, the peer-feedback prompt (mouse and keyboard) and the feedback
received; the next course session on My course, saved as the server's own iCalendar file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from direct.showbase.MessengerGlobal import messenger

from client.input import ALL_KEYS
from client.testing import pump
from client.ui.records import CourseScreen, MenuScreen
from client_room import app, enter  # noqa: F401  (the fixture)
from scenario_play import CONVERSATION, settled
from server.scenarios.paths import full_run_inputs
from wire import courses as wcourse
from wire import events
from wire import scenario as wsc

INPUTS = full_run_inputs(CONVERSATION, "easy")
STEP_TEXTS = list(CONVERSATION.step_texts().values())


def typed(app, text: str) -> None:
    """Characters as a window delivers them: the key event (where the client maps that key), then the character."""
    for ch in text:
        if ch in ALL_KEYS:
            app.on_key(ch)
        messenger.send("keystroke", [ch])


async def play(server, call) -> None:
    for method, arg in INPUTS:
        await settled(server, "cafe")
        if method == "choose":
            await call(wsc.SCENARIO_CHOOSE, {"option": arg})
        else:
            await call(wsc.SCENARIO_ANSWER, {"text": arg})


async def test_the_turn_banner_the_peer_feedback_prompt_and_the_feedback_received(app, server):
    await enter(app, server, "Ana")
    await app.session.call(events.CONSENT, {"recording": True})
    bea = await server.bot("Bea", room="cafe")  # without recording consent: her words are shown, not kept
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    await sam.call(wcourse.GROUP_PRACTICE_START, {"scenario": CONVERSATION.id})
    await pump(app, lambda: "Your turn" in app.group.banner_text(), timeout=10)
    assert "Next: Bea." in app.group.banner_text()

    # Ana's turn (her answers go through the client's own session); Bea says what went well
    await play(server, app.session.call)
    await bea.wait_for(wcourse.GROUP_TURN, lambda d: d["ask"] is not None)
    await bea.call(wcourse.GROUP_FEEDBACK, {"text": "You asked a good question."})
    await pump(app, lambda: app.group.received, timeout=10)
    said = "Bea says what went well: You asked a good question."
    assert any(said in line for line, _ in app.chat.lines)
    [kept] = [e for e in server.store.run_events(app.group.received[0]["run"]) if e["kind"] == "peer_feedback"]
    assert kept["data"]["text_withheld"] is True and "text" not in kept["data"]

    # Bea's turn: Ana watches, then is asked; the prompt takes a click and the keyboard
    await pump(app, lambda: "Bea's turn: you are watching." in app.group.banner_text(), timeout=10)
    assert app.group.prompt is None
    await play(server, bea.call)
    await pump(app, lambda: app.group.prompt is not None, timeout=10)
    prompt = app.group.prompt
    assert app.focus is prompt and "What went well for Bea?" in prompt.text() and STEP_TEXTS[1] in prompt.text()
    assert "The others are saying what went well." in app.group.banner_text()
    app.on_key("enter")  # nothing picked or typed yet: it says what to do, sends nothing
    assert "Pick a step or type a few words" in prompt.text() and not prompt.sent
    prompt.click("step2")  # a click picks the second step
    typed(app, "Warm hello")
    app.on_key("backspace")
    typed(app, "o!")
    app.on_key("enter")
    got = await sam.wait_for(wcourse.PEER_FEEDBACK, lambda d: d["from"] == "Ana")
    assert got["step"] == list(CONVERSATION.step_texts())[1] and got["text"] == "Warm hello!"
    await pump(app, lambda: app.group.prompt is None, timeout=10)
    assert app.focus is None
    # nobody else to ask, no one left in the queue: the practice has ended
    await pump(app, lambda: "has ended" in app.group.banner_text(), timeout=10)
    [stored] = [e for e in server.store.run_events(got["run"]) if e["kind"] == "peer_feedback"]
    assert stored["user_id"] == app.session.user["id"] and stored["data"]["text"] == "Warm hello!"


async def test_my_course_shows_the_next_session_and_saves_the_calendar(app, server, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    await enter(app, server, "Ana")
    store = server.store
    group = store.add_group("Thursday group")
    store.add_group_member(group["id"], store.find_user("Ana")["id"])
    tz = ZoneInfo("Europe/London")
    now = dt.datetime.now(tz)
    starts = [now - dt.timedelta(days=1), now + dt.timedelta(days=2)] + [
        now + dt.timedelta(days=d) for d in range(3, 17)
    ]
    store.set_course_run(
        group["id"],
        "social_skills_8_weeks",
        "Europe/London",
        [(n, s.strftime("%Y-%m-%dT%H:%M"), 90) for n, s in enumerate(starts, 1)],
        None,
    )
    app.records.open()
    await pump(app, lambda: isinstance(app.screen, MenuScreen), timeout=15)
    assert "My course" in app.screen.text()
    app.on_key("4")  # the fourth item by its digit (Up/Down and Enter, or a click, do the same)
    await pump(app, lambda: isinstance(app.screen, CourseScreen), timeout=15)
    text = app.screen.text()
    assert "Thursday group: Social skills: eight weeks" in text and "1 of 16 sessions held." in text
    assert "Next session (2): Starting a conversation" in text
    assert starts[1].strftime("%A %d %B %Y, %H:%M") in text and "(Europe/London)" in text
    typed(app, "s")  # S saves the calendar (the button does the same)
    path = Path(tmp_path / "data" / "peerspace" / "peerspace-course.ics")
    await pump(app, lambda: path.exists() and "Saved:" in app.screen.text(), timeout=15)
    assert str(path) in app.screen.text()
    ics = path.read_text()
    assert ics.startswith("BEGIN:VCALENDAR") and ics.count("BEGIN:VEVENT") == 15
    path.unlink()
    app.screen.click("save")
    await pump(app, lambda: path.exists(), timeout=15)
    app.on_key("escape")
    await pump(app, lambda: isinstance(app.screen, MenuScreen), timeout=5)
