"""Text that can be read: the scenario panel keeps the phase's lines and scrolls back, the chat wraps long
lines and scrolls back instead of cutting them, the panel says who is speaking, and the reading pace
chosen in the settings goes with the practice. The real client (offscreen), by keyboard and mouse wheel;
the real server where a practice runs.
"""

from __future__ import annotations

import asyncio

from direct.showbase.MessengerGlobal import messenger
from panda3d.core import Point2

from client.testing import FakeSession, pump, resize, sample_room, shared_app
from client.ui.settings import Settings
from client_room import app, enter  # noqa: F401  (the fixture)

LONG = (
    "This is a long line of chat that goes on well past seventy characters, so that it has to wrap "
    "onto more rows; the last words must still be readable: purple elephant."
)


def shown_chat(app) -> str:
    return " ".join(r.getText() for r in reversed(app.chat.rows) if r.getText())


def test_chat_wraps_long_lines_and_scrolls_back_by_keys_and_wheel():
    app = shared_app()
    app.session = FakeSession()
    sample_room(app, {0: (0.0, -2.0, 0.0), 1: (0.0, 1.0, 180.0)})
    app.on_said({"avatar": 1, "name": "Kim", "text": LONG})
    assert "purple elephant." in shown_chat(app), "the end of a long line is cut off"
    assert "..." not in shown_chat(app)
    for i in range(12):
        app.on_said({"avatar": 1, "name": "Kim", "text": f"line {i}"})
    assert "line 11" in shown_chat(app) and "purple elephant" not in shown_chat(app)
    assert "Page Up" in app.chat.hint.getText()
    for _ in range(3):
        messenger.send("page_up")
    assert "purple elephant" in shown_chat(app) and "line 11" not in shown_chat(app)
    assert "newer rows below" in app.chat.hint.getText()
    app.on_said({"avatar": 1, "name": "Kim", "text": "a new line while reading back"})
    assert "purple elephant" in shown_chat(app), "reading back: a new line must not move the view"
    for _ in range(20):
        messenger.send("wheel_down")
    assert "a new line while reading back" in shown_chat(app) and app.chat.scroll == 0
    messenger.send("wheel_up")
    assert app.chat.scroll == 1
    # while you type a message, Page Up reads back too (and the letters still go into the message)
    messenger.send("enter")
    messenger.send("page_down")
    messenger.send("keystroke", ["h"])
    assert app.chat.scroll == 0 and app.chat.input.value == "h"
    messenger.send("escape")


def test_the_panel_says_who_is_speaking_while_nothing_is_offered():
    app = shared_app()
    app.session = FakeSession()
    sample_room(app, {0: (0.0, -2.0, 0.0), 5: (0.0, 1.0, 180.0)})
    state = {
        "run": 1,
        "title": "Starting a conversation",
        "wait": "choice",
        "phase": {"index": 3, "count": 9, "kind": "role_play", "title": "Your turn"},
        "cast": {"you": {"kind": "participant", "name": "You"}, "alex": {"kind": "partner", "name": "Alex"}},
        "avatars": {"alex": 5, "you": 0},
        "options": [],
        "speaking": "alex",
    }
    app.scenarios.on_state(state)
    assert "Alex is speaking..." in app.scenario_panel.text
    app.scenarios.on_state({**state, "options": [{"id": "greet", "text": "Say hello"}]})
    assert "is speaking" not in app.scenario_panel.text and "Say hello" in app.scenario_panel.text
    app.scenarios.on_state({k: v for k, v in state.items() if k != "speaking"})  # a server without the field
    assert "is speaking" not in app.scenario_panel.text
    app.scenarios.close_panel()


async def test_the_panel_keeps_the_phase_lines_and_scrolls_back(app, server):
    await enter(app, server)
    resize(app, 960, 600)
    app.apply_settings(Settings(text_size="extra large"))
    messenger.send("p")
    await pump(app, lambda: app.picker is not None and len(app.picker.scenarios) >= 2)
    while app.picker.scenarios[app.picker.index]["id"] != "starting_a_conversation":
        messenger.send("arrow_down")
    messenger.send("enter")
    await pump(app, lambda: app.scenario_panel is not None and app.scenario_panel.waiting_for_me, timeout=8)
    panel = app.scenario_panel

    def part():
        beat = panel.state.get("beat") or {"index": 0, "count": 1}
        return panel.state["phase"]["index"], beat["index"], beat["count"]

    while not (panel.state["phase"]["kind"] == "modelling" and part()[1] == part()[2] - 1):
        before = part()
        messenger.send("enter")  # continue, then wait for the next part or beat (never press twice in one)
        await pump(app, lambda: not panel.busy and part() != before, timeout=8)
        # its lines are said before it offers anything: Enter before then would open the chat
        await pump(app, lambda: panel.waiting_for_me, timeout=8)
    # "Watch an example": five lines in beats, all kept (the panel used to keep the last three)
    first, last = "Sure, go ahead. I'm Alex.", "Did you notice?"
    await pump(app, lambda: any(last in t for _, t, _ in panel.lines), timeout=8)
    said = [t for _, t, _ in panel.lines]
    assert first in said and len(said) >= 5
    # at this size they do not all fit: the newest show, and the panel says there is more above
    assert last in panel.text and first not in panel.text
    assert "Page Up:" in panel.text and "earlier line" in panel.text
    while first not in panel.text:
        before = panel.scroll
        messenger.send("page_up")
        assert panel.scroll > before, "Page Up should read further back"
    assert "Page Down:" in panel.text
    messenger.send("page_down")
    messenger.send("page_down")
    assert panel.scroll == 0 and last in panel.text
    messenger.send("wheel_up")  # the mouse wheel scrolls the panel too
    assert panel.scroll == 1
    messenger.send("wheel_down")
    assert panel.scroll == 0


async def test_the_reading_pace_goes_with_the_practice_and_a_change_is_sent(app, server, tmp_path):
    await enter(app, server)
    app.opts.settings_path = tmp_path / "client.json"
    calls: list[tuple[str, dict]] = []
    session_call = app.session.call

    async def call(event, payload=None):
        calls.append((event, payload))
        return await session_call(event, payload)

    app.session.call = call
    # F10, down to "Reading pace", Left: slower
    messenger.send("f10")
    while app.settings_panel._items()[app.settings_panel.index][0] != "Reading pace":
        messenger.send("arrow_down")
    messenger.send("arrow_left")
    messenger.send("escape")
    assert app.settings.pace == "slower"
    assert '"pace": "slower"' in (tmp_path / "client.json").read_text()
    messenger.send("p")
    await pump(app, lambda: app.picker is not None and len(app.picker.scenarios) >= 2)
    messenger.send("enter")
    await pump(app, lambda: app.scenario_panel is not None and app.scenario_panel.waiting_for_me, timeout=8)
    start = [p for e, p in calls if e == "scenario_start"]
    assert start and start[0]["pace"] == "slower"
    # changed during the run: sent at once as scenario_pace
    messenger.send("f10")
    while app.settings_panel._items()[app.settings_panel.index][0] != "Reading pace":
        messenger.send("arrow_down")
    messenger.send("arrow_right")
    messenger.send("arrow_right")
    messenger.send("escape")
    assert app.settings.pace == "faster"
    await pump(app, lambda: any(e == "scenario_pace" for e, _ in calls), timeout=5)
    assert ("scenario_pace", {"pace": "faster"}) in calls
    await pump(app, frames=10)
    await asyncio.sleep(0.2)
    await pump(app, frames=5)
    # a server that does not know reading paces yet refuses the intent: nothing alarming is shown
    shown = " ".join(app.notices.texts) + " ".join(t for t, _ in app.chat.lines)
    assert "Unknown event" not in shown and "scenario_pace" not in shown
    assert "The practice now goes at a faster pace." in shown  # this server knows paces: the change is confirmed
    assert app.scenario_panel is not None and app.scenario_panel.mode == "run"


class Pointer:
    """A mouse watcher's answer for a pointer at (x, y) in the window (-1..1 both ways)."""

    def __init__(self, x: float, y: float):
        self.at = Point2(x, y)

    def hasMouse(self) -> bool:  # noqa: N802  (Panda3D's name)
        return True

    def getMouse(self) -> Point2:  # noqa: N802
        return self.at


def test_the_wheel_scrolls_what_the_pointer_is_over():
    app = shared_app()
    app.session = FakeSession()
    sample_room(app, {0: (0.0, -2.0, 0.0), 5: (0.0, 1.0, 180.0)})
    for i in range(12):
        app.on_said({"avatar": 5, "name": "Kim", "text": f"chat line {i}"})
    state = {
        "run": 1,
        "title": "Practice",
        "wait": "continue",
        "phase": {"index": 0, "count": 2, "kind": "rationale", "title": "Why"},
        "cast": {"coach": {"kind": "coach", "name": "Kim"}},
        "avatars": {"coach": 5},
        "options": [{"id": "continue", "text": "Continue"}],
    }
    app.scenarios.on_state(state)
    for i in range(8):
        app.scenario_panel.add_line("Kim", f"panel line {i}")
    saved = app.mouseWatcherNode
    try:
        app.mouseWatcherNode = Pointer(-0.8, -0.9)  # bottom left: over the chat
        messenger.send("wheel_up")
        assert app.chat.scroll == 1 and app.scenario_panel.scroll == 0
        app.mouseWatcherNode = Pointer(0.7, 0.3)  # right: over the scenario panel
        messenger.send("wheel_up")
        assert app.chat.scroll == 1 and app.scenario_panel.scroll == 1
        messenger.send("page_up")  # the keys read back the panel while it is open
        assert app.scenario_panel.scroll == 4 and app.chat.scroll == 1
    finally:
        app.mouseWatcherNode = saved
        app.scenarios.close_panel()
