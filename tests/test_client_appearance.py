"""Your own avatar in the client (#15 item 4): the chooser by keyboard and mouse, its preview of face and
expressions, and a look chosen by one real client seen identically by a second real client (payload and
rendered pixel colours), through the real server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from direct.showbase.MessengerGlobal import messenger

from client.testing import FakeSession, pump, shared_app
from client.ui.appearance import ROWS, Portrait
from client.ui.helpline import click
from client_room import enter
from conftest import PASSWORD
from wire.appearance import APPEARANCE, choices

ROOT = Path(__file__).resolve().parent.parent


def keys(*names: str) -> None:
    for k in names:
        messenger.send(k)


def row_keys(row: str, steps: int) -> list[str]:
    """From the first row: down to `row`, then `steps` to the right."""
    return ["arrow_down"] * ROWS.index(row) + ["arrow_right"] * steps


@pytest.fixture
def offline():
    app = shared_app()
    app.session = FakeSession()
    yield app
    app.looks.close()
    app.session = None


def test_the_chooser_by_keyboard_saves_what_was_chosen_and_esc_goes_back(offline):
    app = offline
    app.looks.open(first_time=True)
    chooser = app.looks.chooser
    assert chooser is not None and app.focus is chooser
    start = dict(chooser.look)
    keys("arrow_right")  # skin: the next tone
    keys("arrow_down", "arrow_right", "arrow_right")  # hair: two styles on
    keys("arrow_down", "arrow_down", "arrow_left")  # top: the last colour
    c = choices()
    assert chooser.look["skin"] == c["skin"][1]
    assert chooser.look["hair"] == c["hair"][2]
    assert chooser.look["top"] == c["top"][-1]
    assert chooser.look["body"] == start["body"]
    assert app.session.sent == [], "nothing is sent before Enter"
    assert chooser.first_time


async def test_enter_sends_the_look_and_closes_esc_sends_nothing(offline):
    app = offline
    before = app.focus
    app.looks.open()
    keys(*row_keys("bottom", 1))
    chosen = dict(app.looks.chooser.look)
    keys("enter")
    await pump(app, lambda: app.looks.chooser is None)
    assert app.session.sent == [(APPEARANCE, chosen)]
    assert app.focus is before, "the focus goes back to what had it"
    # Esc: back, nothing sent
    app.looks.open()
    keys("arrow_right", "escape")
    await pump(app, frames=2)
    assert app.looks.chooser is None and app.session.sent == [(APPEARANCE, chosen)]


async def test_the_chooser_by_mouse(offline):
    app = offline
    app.looks.open()
    chooser = app.looks.chooser
    body = list(choices()["body"])
    start = chooser.look["body"]
    click(chooser.buttons["body>"])
    assert chooser.look["body"] == body[(body.index(start) + 1) % len(body)]
    assert chooser.index == ROWS.index("body"), "clicking a row's arrow also selects the row"
    click(chooser.buttons["body<"])
    assert chooser.look["body"] == start
    click(chooser.buttons["skin>"])
    chosen = dict(chooser.look)
    click(chooser.buttons["save"])
    await pump(app, lambda: app.looks.chooser is None)
    assert app.session.sent[-1] == (APPEARANCE, chosen)
    app.looks.open()
    click(app.looks.chooser.buttons["back"])
    assert app.looks.chooser is None


def test_the_preview_shows_the_chosen_colours_and_each_expression_on_the_face(offline):
    app = offline
    app.looks.open()
    chooser = app.looks.chooser
    portrait = chooser.portrait
    assert portrait.ok
    before = portrait.colours()
    keys("arrow_right")  # the next skin tone
    after = portrait.colours()
    assert np.abs(after["skin"] - before["skin"]).sum() > 0.05, "the preview's skin follows the choice"
    assert np.abs(after["top"] - before["top"]).sum() < 0.02, "and nothing else changed"
    keys(*(["arrow_down"] * ROWS.index("top")), "arrow_right")
    assert np.abs(portrait.colours()["top"] - after["top"]).sum() > 0.05
    # "Try a face": the preview's own face shows each expression
    keys(*(["arrow_down"] * (ROWS.index("expression") - ROWS.index("top"))))
    assert chooser.index == ROWS.index("expression")

    def face() -> np.ndarray:
        img = portrait.image()
        c, r = portrait.pixel((0, 0.3, 1.58))
        return img[r - 18 : r + 18, c - 18 : c + 18]

    faces = {"neutral": face()}
    for _ in range(3):
        keys("arrow_right")
        assert portrait.avatar.expression == chooser.expression
        faces[chooser.expression] = face()
    assert len(faces) == 4
    for name, img in faces.items():
        if name != "neutral":
            assert np.abs(img - faces["neutral"]).mean() > 0.01, f"{name} looks neutral in the preview"
    assert app.session.sent == [], "trying faces sends nothing"


async def test_a_look_chosen_in_one_client_is_seen_identically_by_a_second_client(server):
    app = shared_app()
    app.opts.ask_appearance = True
    try:
        await enter(app, server, "Ana")  # a first login: the chooser offers itself
        chooser = app.looks.chooser
        assert chooser is not None and chooser.first_time and app.focus is chooser
        # a skin and a top unlike the look Ana's avatar id gives her (client/avatars/avatar.py)
        skin, top = ((app.my_id * 7 + 3) % 6 + 3) % 8, (app.my_id % 8 + 3) % 8
        keys(*row_keys("skin", skin), "arrow_up")  # then up wraps to "Try a face"
        keys(*(["arrow_down"] * (1 + ROWS.index("top"))), *(["arrow_right"] * top))
        keys("arrow_down", "arrow_down", "arrow_right")  # body
        chosen = dict(chooser.look)
        keys("enter")
        await pump(app, lambda: app.looks.chooser is None and app.looks.mine == chosen, timeout=10)
        me = app.avatars[app.my_id]
        await pump(app, lambda: me.appearance == chosen)
        assert server.store.get_user(app.session.user["id"])["appearance"] is not None
        mine = Portrait(app)
        try:
            mine.show_body(me.body)
            seen_here = mine.colours()
            mine.show(None, avatar_id=app.my_id)  # the id-derived look Ana had before
            before = mine.colours()
        finally:
            mine.destroy()
        assert np.abs(seen_here["skin"] - before["skin"]).sum() > 0.05
        assert np.abs(seen_here["top"] - before["top"]).sum() > 0.05
        # Ben, a second real client in its own process, joins later and draws Ana
        server.add_user("Ben")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "tests" / "appearance_peer.py"),
            server.url,
            "Ben",
            PASSWORD,
            "cafe",
            "Ana",
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        while proc.returncode is None:  # keep Ana's client answering while Ben's runs
            await pump(app, frames=1)
            try:
                await asyncio.wait_for(proc.wait(), 0.05)
            except TimeoutError:
                pass
        stdout, stderr = await proc.communicate()
        assert proc.returncode == 0, stderr.decode()[-2000:]
        ben = json.loads(stdout.decode().strip().splitlines()[-1])
        assert ben["member"]["appearance"] == chosen == app.model.members[app.my_id]["appearance"]
        for part in ("skin", "top"):
            theirs = np.array(ben["colours"][part])
            assert np.abs(theirs - seen_here[part]).max() < 0.02, (part, theirs, seen_here[part])
    finally:
        app.opts.ask_appearance = False
        await app.close_network()


def test_settings_opens_the_chooser_by_keyboard(offline):
    app = offline
    keys("f10")
    names = [name for name, _ in app.settings_panel._items()]
    assert "Your avatar" in names
    keys(*(["arrow_down"] * names.index("Your avatar")), "enter")
    assert app.settings_panel is None and app.looks.chooser is not None and app.focus is app.looks.chooser
    keys("escape")
    assert app.looks.chooser is None and app.focus is None
