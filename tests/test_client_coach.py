"""The coach console, rendered offscreen: the palette is drawn, and its keys send lines the server records."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from direct.showbase.MessengerGlobal import messenger

from client.testing import frame, pump, shared_app
from client.ui.coach import CoachConsole
from client_room import enter
from wire import controllers as wc
from wire import events
from wire import scenario as wsc

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
