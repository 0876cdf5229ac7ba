"""The coach console's review card, rendered offscreen: an unsure typed answer is decided with one key or a click."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from client.testing import frame, shared_app
from client.ui.coach import CoachConsole
from scenario_play import settled
from test_scenario_crisis import to_the_role_play
from wire import scenario as wsc

REVIEW = {
    "text": "Hello, sorry, can I grab you for two minutes?",
    "candidates": [
        {"id": "excuse_me", "text": "Excuse me, do you have a moment?", "confidence": 0.54},
        {"id": "hover", "text": "(You stand near the desk and wait to be noticed.)", "confidence": 0.1},
        {"id": "walk_away", "text": "(You leave.)", "confidence": 0.02},
    ],
    "signals": ["negation"],
}
STATE = {"run": 1, "wait": "review", "avatars": {}, "cue": {"roles": {"coach": []}, "intents": [], "expect": "review"}}


@pytest.fixture
def app():
    return shared_app()


def test_the_card_shows_the_answer_and_its_keys_and_buttons_decide(app):
    sent = []
    console = CoachConsole(app.aspect2d, lambda e, p: sent.append((e, p)), me="Sam")
    try:
        console.on_event(wsc.SCENARIO_STATE, STATE)
        before = frame(app)
        assert console.review.root.isHidden()  # nothing waits: no card
        console.on_event(wsc.SCENARIO_STATE, STATE | {"review": REVIEW})
        img = frame(app)
        assert not console.review.root.isHidden()
        assert np.abs(img - before).sum(axis=2).max() > 0.1, "the card is drawn"
        assert REVIEW["text"] in console.review.text.getText()
        assert "'not'" in console.review.signals.getText()
        texts = [b["text"] for b in console.review.buttons]
        assert texts[0].startswith("1  Excuse me") and "54%" in texts[0] and texts[3].startswith("U ")
        console.on_char("2")  # the key of the second nearest option, before the palette's own "2"
        assert sent == [(wsc.SCENARIO_REVIEW, {"option": "hover"})] and console.review.root.isHidden()
        console.on_char("1")  # decided: the key is the console's again (nothing to say in an empty palette)
        assert sent == [(wsc.SCENARIO_REVIEW, {"option": "hover"})]
        sent.clear()
        console.on_event(wsc.SCENARIO_STATE, STATE | {"review": REVIEW})
        console.on_char("u")
        assert sent == [(wsc.SCENARIO_REVIEW, {"option": wsc.UNSCORABLE})]
        sent.clear()
        console.on_event(wsc.SCENARIO_STATE, STATE | {"review": REVIEW})
        button = console.review.buttons[0]
        button["command"](*button["extraArgs"])  # a click on the first option
        assert sent == [(wsc.SCENARIO_REVIEW, {"option": "excuse_me"})]
        console.on_event(wsc.SCENARIO_ENDED, {"run": 1})
        assert console.review.root.isHidden()
    finally:
        console.destroy()


async def test_a_console_key_decides_a_held_answer_on_the_real_server(server, app):
    server.look_after("Sam", "Ana")
    ana = await server.bot("Ana", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    loop = asyncio.get_running_loop()
    pending = []
    console = CoachConsole(app.aspect2d, lambda e, p: pending.append(loop.create_task(sam.call(e, p))), me="Sam")
    try:
        for ev in (wsc.SCENARIO_STATE, wsc.SCENARIO_ENDED):
            sam.on(ev, lambda d, ev=ev: console.on_event(ev, d))
        run = await to_the_role_play(server, ana)
        await ana.call(wsc.SCENARIO_ANSWER, {"text": REVIEW["text"]})
        await sam.wait_until(lambda: console.review.open)
        frame(app)
        assert console.review.candidates[0]["id"] == "excuse_me"
        console.on_char("1")
        await asyncio.gather(*pending)
        await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["node"] == "attention")
        await settled(server)
        choice = [e["data"] for e in server.store.run_events(run) if e["kind"] == "choice"][-1]
        assert choice["via"] == "review" and choice["decided"] == str(sam.user["id"])
        assert not console.review.open
    finally:
        console.destroy()
