"""The coach console, rendered offscreen: the palette is drawn, and its keys send lines the server records."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import numpy as np
import pytest
from direct.showbase.MessengerGlobal import messenger

from client.testing import frame, pump, shared_app
from client.ui.coach import ROWS, CoachConsole
from client_room import enter
from wire import controllers as wc
from wire import events
from wire import scenario as wsc
from wire.errors import WireError

STATE = {
    "run": 1,
    "wait": "continue",
    "avatars": {"coach": 5, "you": 1},
    "cue": {
        "roles": {
            "coach": [
                {"id": "r/line/1", "text": "Second line.", "primary": False},
                {
                    "id": "r/line/0",
                    "text": "Hello, I'm Robin.",
                    "expression": "happy",
                    "gesture": "wave",
                    "primary": True,
                },
            ]
        },
        "intents": [],
        "expect": "continue",
    },
}


@pytest.fixture
def app():
    return shared_app()


def test_the_console_draws_the_palette_and_its_keys_become_intents(app):
    empty = frame(app)
    sent = []
    console = CoachConsole(app.aspect2d, lambda e, p: sent.append((e, p)), me="Sam")
    try:
        console.on_event(
            wc.CONTROLLER, {"avatar": 5, "role": "coach", "name": "Robin", "driver": "teleop", "by": "Sam"}
        )
        console.on_event(wsc.SCENARIO_STATE, STATE)
        img = frame(app)
        assert console.rows[0].getText().startswith("1* Hello, I'm Robin.")  # the script's line first
        assert console.rows[1].getText().startswith("2  Second line.")
        assert "driven by Sam" in console.status.getText()
        h, w = img.shape[:2]
        left = np.abs(img[:, : w // 2] - empty[:, : w // 2]).sum(axis=2) > 0.1
        assert left.mean() > 0.3, "the console panel covers the left of the screen"
        console.on_char("1")
        assert sent == [
            ("expression", {"name": "happy", "avatar": 5}),
            ("gesture", {"name": "wave", "avatar": 5}),
            ("say", {"text": "Hello, I'm Robin.", "avatar": 5, "suggestion": "r/line/0"}),
        ]
        sent.clear()
        console.on_key("enter")
        for ch in "You did well":
            console.on_char(ch)
        console.on_key("enter")
        console.on_key("f5")
        console.on_char("c")  # Sam holds it: c releases
        console.on_char("o")
        assert sent == [
            ("say", {"text": "You did well", "avatar": 5}),
            ("scenario_feedback", {"kind": "positive"}),
            ("release", {"role": "coach"}),
            ("gesture", {"name": "nod", "avatar": 5}),
        ]
        sent.clear()
        console.on_event(wc.PROPOSAL, {"proposal": 7, "text": "Hi", "seconds": 10, "status": "open"})
        assert "Hi" in console.proposal_text.getText()
        console.on_key("f7")
        assert sent == [("approve", {"proposal": 7})] and console.proposal_text.getText() == ""
    finally:
        console.destroy()


async def test_a_console_key_sends_a_palette_line_the_server_records(server, app):
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    ana = await server.bot("Ana", room="cafe")
    loop = asyncio.get_running_loop()
    pending = []
    console = CoachConsole(app.aspect2d, lambda e, p: pending.append(loop.create_task(sam.call(e, p))), me="Sam")
    try:
        for ev in (wsc.SCENARIO_STATE, wc.CONTROLLER, wc.PROPOSAL, wsc.SCENARIO_ENDED):
            sam.on(ev, lambda d, ev=ev: console.on_event(ev, d))
        console.selected = "coach"
        console.on_char("c")  # claim the coach before the start
        await asyncio.gather(*pending)
        run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
        await sam.wait_until(lambda: console.state is not None and console.mine())
        frame(app)
        first = console.palette()[0]
        assert first["primary"] and console.rows[0].getText().startswith("1* ")
        console.on_char("1")
        await asyncio.gather(*pending)
        line = await ana.wait_for(events.SAID, lambda l: l.get("suggestion") == first["id"])
        assert line["text"] == first["text"] and line["name"] == "Robin"
        said = [e for e in server.store.run_events(run_id) if e["kind"] == "said"]
        assert said[0]["data"]["suggestion"] == first["id"] and said[0]["data"]["verbatim"]
        assert said[0]["user_id"] == sam.user["id"]
    finally:
        console.destroy()


async def test_the_running_client_opens_the_console_with_k_and_teleoperates_the_coach(server, app):
    await enter(app, server, "Sam", role="peer_specialist")
    ana = await server.bot("Ana", room="cafe")
    assert app.coach is not None and app.coach.root.isHidden()  # there for staff, closed until asked for
    messenger.send("k")
    assert not app.coach.root.isHidden()
    app.coach.selected = "coach"
    messenger.send("keystroke", ["c"])  # claim the coach before the practice starts
    await pump(app, lambda: "coach" in app.coach.controllers, timeout=5)
    run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
    await pump(app, lambda: app.coach.state is not None and app.coach.mine())
    first = app.coach.palette()[0]
    messenger.send("1")  # the key event alone does nothing twice...
    messenger.send("keystroke", ["1"])  # ...the typed character says the script's line
    line = await ana.wait_for(events.SAID, lambda l: l.get("suggestion") == first["id"], timeout=5)
    assert line["text"] == first["text"]
    said = [
        e for e in server.store.run_events(run_id) if e["kind"] == "said" and e["data"]["suggestion"] == first["id"]
    ]
    assert said and said[-1]["user_id"] == server.store.find_user("Sam")["id"]  # the teleoperator's line
    messenger.send("w")  # letters belong to the console, not to walking
    assert app.axes == (0.0, 0.0, 0.0)
    await asyncio.sleep(0.3)
    assert (
        len(
            [
                e
                for e in server.store.run_events(run_id)
                if e["kind"] == "said" and e["data"]["suggestion"] == first["id"]
            ]
        )
        == 1
    )  # said once, not once per event
    messenger.send("escape")
    assert app.coach.root.isHidden() and app.focus is None


async def test_name_tags_say_whether_a_program_or_a_peer_specialist_drives_a_role_play_avatar(server, app):
    await enter(app, server, "Ana")
    await app.session.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"})

    def coach_tag():
        cast = [a for a in app.avatars.values() if a.kind == "cast" and a.name == "Robin"]
        return cast[0]._tag_text.getText() if cast else ""

    await pump(app, lambda: "computer-run" in coach_tag())
    assert coach_tag() == "Robin  (role-play, computer-run)"
    server.look_after("Sam", "Ana")  # only staff who look after Ana walk in on her practice
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    await sam.call(wc.CLAIM, {"role": "coach"})
    await pump(app, lambda: "peer specialist" in coach_tag())
    # an agent program in the room is labelled as a program, not shown as a person
    bot = await server.bot("Helper", role="agent", room="cafe")
    await pump(app, lambda: bot.avatar in app.avatars)
    assert app.avatars[bot.avatar]._tag_text.getText() == "Helper  (program)"


FOLLOWED = {
    **STATE,
    "wait": "choice",
    "node": "hello",
    "prompt": "Alex is sitting alone. What do you say?",
    "options": [{"id": "greet", "text": "Hi, is this seat free?"}, {"id": "weather", "text": "Nice weather."}],
    "hints": ["Start with a greeting."],
    "free_text": True,
}


def test_the_console_shows_what_the_participant_sees_the_transcript_and_the_cue_countdown(app):
    empty = frame(app)
    sent, asked = [], []
    now = [1000.0]
    console = CoachConsole(
        app.aspect2d,
        lambda e, p: sent.append((e, p)),
        me="Sam",
        call=lambda e, p, done: asked.append((e, p, done)),
        clock=lambda: now[0],
    )
    try:
        console.on_event(wsc.SCENARIO_STATE, FOLLOWED)
        # on meeting a run the console asks for its transcript; the store's lines come first
        assert [(e, p) for e, p, _ in asked] == [(wsc.SCENARIO_TRANSCRIPT, {})]
        console.on_event(events.SAID, {"avatar": 5, "name": "Robin", "text": "Said while the store was read."})
        # more lines than the transcript page shows at once, so that it scrolls
        asked.pop()[2](True, {"run": 1, "lines": [{"name": "Robin", "text": f"Line {i}."} for i in range(40)]})
        assert console.transcript[-1] == ("Robin", "Said while the store was read.") and len(console.transcript) == 41
        console.on_event(events.SAID, {"avatar": 1, "name": "Ana", "text": "Hello there."})
        console.on_event(events.SAID, {"avatar": 77, "name": "Bo", "text": "Not part of the run."})
        console.on_event(wsc.SCENARIO_TYPING, {"run": 1, "text": "I was wondering if"})
        console.on_event(wc.CUE, {"role": "coach", "id": "r/line/0", "text": "Hello", "deadline": 1012.2})
        img = frame(app)
        sees = console.sees.getText()
        assert "Alex is sitting alone" in sees and "Hi, is this seat free? | Nice weather." in sees
        assert "Start with a greeting." in sees
        assert console.draft_text.getText() == "Typing: I was wondering if"
        rows = [r.getText() for r in console.transcript_rows]
        assert rows[-1] == "Ana: Hello there." and not any("Bo:" in r for r in rows)
        assert console.countdown.getText() == "Line due in 13 s"
        # drawn: the console's side of the screen changed, the right side (the people on stage) did not
        h, w = img.shape[:2]
        assert (np.abs(img[:, : w // 2] - empty[:, : w // 2]).sum(axis=2) > 0.1).mean() > 0.3
        assert (np.abs(img[:, w // 2 + 8 :] - empty[:, w // 2 + 8 :]).sum(axis=2) > 0.1).mean() < 0.01
        # the transcript scrolls back by key and by mouse
        console.on_key("page_up")
        assert console.transcript_rows[-1].getText() != "Ana: Hello there."
        console.click("later")
        assert console.transcript_rows[-1].getText() == "Ana: Hello there."
        now[0] = 1020.0
        console.tick()
        assert "overdue" in console.countdown.getText()
        console.on_event(events.SAID, {"avatar": 5, "name": "Robin", "text": "Hello", "suggestion": "r/line/0"})
        assert console.countdown.getText() == ""
        # a new question: the old draft is gone
        console.on_event(wsc.SCENARIO_STATE, {**FOLLOWED, "node": "next"})
        assert console.draft_text.getText() == "Typing: -"
    finally:
        console.destroy()


def test_pace_and_feedback_keys_and_buttons_show_the_servers_answer(app):
    sent, asked = [], []
    console = CoachConsole(
        app.aspect2d, lambda e, p: sent.append((e, p)), me="Sam", call=lambda e, p, done: asked.append((e, p, done))
    )
    try:
        console.on_event(wsc.SCENARIO_STATE, FOLLOWED)
        asked.clear()
        console.on_char("p")
        assert asked[-1][:2] == ("scenario_pause", {})
        assert console.reply.getText() == "Sending..."
        asked[-1][2](False, {"code": "unknown_event", "message": "Unknown event 'scenario_pause'."})
        assert console.reply.getText() == "Not done: Unknown event 'scenario_pause'."
        console.click("pause")  # the same by mouse; this time the server pauses
        asked[-1][2](True, {"ok": True})
        assert console.reply.getText() == "Paused." and console.paused
        assert console.buttons["pause"]["text"] == "Resume (P)"
        console.on_char("p")
        assert asked[-1][:2] == (wsc.SCENARIO_RESUME, {})
        asked[-1][2](True, {"ok": True})
        assert console.reply.getText() == "Resumed." and not console.paused
        for key, event in (("m", wsc.SCENARIO_ADVANCE), ("b", "scenario_repeat")):
            console.on_char(key)
            assert asked[-1][:2] == (event, {})
        for name, event in (("advance", wsc.SCENARIO_ADVANCE), ("repeat", "scenario_repeat")):
            console.click(name)
            assert asked[-1][:2] == (event, {})
        console.on_key("f5")
        assert asked[-1][:2] == (wsc.SCENARIO_FEEDBACK, {"kind": "positive"})
        asked[-1][2](True, {"run": 1})
        assert console.reply.getText() == "Positive feedback tagged."
        console.click("corrective")
        assert asked[-1][:2] == (wsc.SCENARIO_FEEDBACK, {"kind": "corrective"})
        asked[-1][2](True, {"run": 1})
        assert console.reply.getText() == "Corrective feedback tagged."
        # palette lines and claiming by mouse, as by key
        console.click("row1")
        assert sent[-1] == ("say", {"text": "Hello, I'm Robin.", "avatar": 5, "suggestion": "r/line/0"})
        console.click("claim")
        assert sent[-1] == ("claim", {"role": "coach"})
        console.click("face_sad")
        assert sent[-1] == ("expression", {"name": "sad", "avatar": 5})
        console.click("gesture_nod")
        assert sent[-1] == ("gesture", {"name": "nod", "avatar": 5})
        console.click("supervise")
        assert sent[-1] == ("supervise", {"avatar": 5, "seconds": 10})
        console.click("words")
        assert console.typing
        console.on_event(wc.CLAIMS, {"claims": [{"role": "coach", "name": "Robin", "driver": "teleop", "by": "Sam"}]})
        assert console.reply.getText() == "You still drive Robin."
    finally:
        console.destroy()


def test_the_console_keeps_the_text_size_and_shows_the_rest_on_pages(app):
    """At extra large text in a small window the console's rows stay that size: what does not fit below the
    participant's rows is on its own page (tabs by mouse, Left/Right by key), and a palette line that does not
    fit is neither shown nor said by its digit."""
    from client.ui.layout import coach_region

    sent = []
    lines = [{"id": f"r/line/{i}", "text": f"Line {i}.", "primary": i == 0} for i in range(ROWS)]
    state = {**FOLLOWED, "cue": {**FOLLOWED["cue"], "roles": {"coach": lines}}}
    big = CoachConsole(app.aspect2d, lambda e, p: sent.append((e, p)), me="Sam", scale=1.5)
    medium = CoachConsole(app.aspect2d, lambda e, p: None, me="Sam")
    try:
        big.place(coach_region(1.6, 1.5), 1.5)
        for console in (big, medium):
            console.on_event(wc.CONTROLLER, {"avatar": 5, "role": "coach", "name": "Robin", "driver": "teleop"})
            console.on_event(wsc.SCENARIO_STATE, state)
        # the same text size as asked for: 1.5 times the medium console's, not shrunk to fit
        assert big.rows[0].getScale()[0] == pytest.approx(1.5 * medium.rows[0].getScale()[0])
        assert big.root.getScale()[0] == 1.0
        assert medium.shown_rows == ROWS and 0 < big.shown_rows < ROWS
        shown = [r for r in big.rows if not r.isHidden()]
        assert len(shown) == big.shown_rows and all(r.getText() for r in shown)
        big.on_char(str(ROWS))  # not on the screen: not said
        assert sent == []
        big.on_char(str(big.shown_rows))
        assert sent[-1][1]["text"] == f"Line {big.shown_rows - 1}."
        assert big.page == "lines" and big.buttons["face_sad"].isHidden() and not big.words.isHidden()
        big.on_key("arrow_right")
        assert big.page == "transcript" and not big.transcript_title.isHidden()
        assert all(r.isHidden() for r in big.rows) and big.words.isHidden()
        big.on_key("arrow_right")
        assert big.page == "actions"
        assert not any(big.buttons[n].isHidden() for n in big.action_names), "every action button fits"
        big.on_key("arrow_right")
        assert big.page == "lines"
        big.on_key("arrow_left")
        assert big.page == "actions"
        big.click("page_transcript")
        assert big.page == "transcript"
        # the participant's rows are on every page
        assert not big.sees.isHidden() and "Alex is sitting alone" in big.sees.getText()
    finally:
        big.destroy()
        medium.destroy()


async def test_the_console_follows_a_real_run_its_transcript_feedback_and_the_participants_typing(server, app):
    server.look_after("Sam", "Bea")
    sam = await server.bot("Sam", role="peer_specialist", room="park")
    await enter(app, server, "Bea", room="park")
    loop = asyncio.get_running_loop()
    pending = []

    def call(e, p, done):
        async def go():
            try:
                done(True, await sam.call(e, p))
            except WireError as err:
                done(False, {"code": err.code, "message": err.message})

        pending.append(loop.create_task(go()))

    await app.session.call(wsc.SCENARIO_START, {"scenario": "emotion_recognition"})
    await sam.wait_until(lambda: len(sam.said) >= 1)  # said before the console came
    console = CoachConsole(app.aspect2d, lambda e, p: None, me="Sam", call=call)
    try:
        for ev in (wsc.SCENARIO_STATE, wsc.SCENARIO_TYPING, events.SAID, wc.CONTROLLER):
            sam.on(ev, lambda d, ev=ev: console.on_event(ev, d))
        st = next(d for e, d in reversed(sam.inbox) if e == wsc.SCENARIO_STATE)
        console.on_event(wsc.SCENARIO_STATE, st)
        await pump(app, lambda: len(console.transcript) >= 1)
        assert console.transcript[0][1] == sam.said[0]["text"]
        console.on_key("f5")
        await pump(app, lambda: console.reply.getText() == "Positive feedback tagged.")
        console.on_char("p")  # P pauses the scene, and P again resumes it: the server's answers are shown
        await asyncio.gather(*pending)
        assert console.reply.getText() == "Paused."
        await sam.wait_for(wsc.SCENARIO_STATE, lambda s: s["held"])  # the held state reaches the console too
        console.on_char("p")
        await pump(app, lambda: console.reply.getText() == "Resumed.", timeout=5)
        await asyncio.gather(*pending)
        # the participant types in their own client: the console sees it (throttled), the store never does
        panel = app.scenario_panel
        while panel.state["wait"] == "continue":
            messenger.send("space")
            await pump(app, lambda: panel.state["wait"] in ("emotion",) or not panel.waiting_for_me, timeout=8)
            await pump(app, lambda: panel.waiting_for_me, timeout=8)
        assert panel.state["free_text"]
        messenger.send("enter")
        for ch in "maybe sad":
            messenger.send("keystroke", [ch])
        await pump(app, lambda: console.draft == "maybe sad", timeout=5)
        assert "Typing: maybe sad" in console.draft_text.getText()
        run_id = panel.state["run"]
        assert not any("maybe sad" in str(e["data"]) for e in server.store.run_events(run_id))
    finally:
        await asyncio.gather(*pending)
        console.destroy()


def test_the_participants_client_sends_its_draft_at_most_twice_a_second(app, monkeypatch):
    sent = []
    monkeypatch.setattr(app, "send", lambda e, p: sent.append((e, p)))
    panel = SimpleNamespace(state={"status": "active", "free_text": True}, mine=True, mode="run", typing=True, typed="")
    monkeypatch.setattr(app.scenarios, "panel", panel)
    coaching = app.coaching
    coaching.draft_sent, coaching.draft_at = "", 0.0
    words = "I was wondering if you would like some company today"
    for i in range(21):  # a second of typing, a character every 50 ms
        panel.typed = words[: i + 1]
        coaching.update(100.0 + i * 0.05)
    assert [p["text"] for _, p in sent] == [words[:1], words[:11], words[:21]]
    assert all(e == wsc.SCENARIO_DRAFT for e, _ in sent)
    sent.clear()
    panel.typing = False  # sent or cancelled: the console's "Typing" line is cleared
    coaching.update(103.0)
    coaching.update(104.0)
    assert sent == [(wsc.SCENARIO_DRAFT, {"text": ""})]
    sent.clear()
    panel.state, panel.typing = {"status": "active", "free_text": False}, True  # nothing to type into
    coaching.update(105.0)
    assert sent == []
    panel.state = {"status": "active", "free_text": True}
    panel.mine = False  # someone else's practice: this client never sends their words
    panel.typing, panel.typed = True, "mine"
    coaching.update(106.0)
    assert sent == []
