"""Mouse as well as keyboard, typing without a mode switch, Esc = back, login settings, calm notices (#15),
offscreen: the real client with Panda3D events (tests/test_client_window.py does the same through X)."""

from __future__ import annotations

import json

import pytest
from direct.showbase.MessengerGlobal import messenger

from client.pointer import ARRIVED, steer
from client.predict import integrate
from client.testing import FakeSession, pump, sample_room, shared_app, to_pixel
from client.ui.scenario import AnswerFocus
from client.ui.screens import LoginScreen, RoomListScreen
from client.ui.settings import Settings
from wire import events
from wire import scenario as wsc


@pytest.fixture
def app():
    a = shared_app(size=(960, 600))
    a.session = FakeSession()
    return a


def window_xy(app, point) -> tuple[float, float]:
    """A point in the room -> the window's -1..1 mouse coordinates."""
    px = to_pixel(app, point)
    assert px is not None, "not in view"
    w, h = app.win.getXSize(), app.win.getYSize()
    return px[0] / w * 2 - 1, 1 - px[1] / h * 2


def press(ch: str) -> None:
    """What Panda sends for a typed character: the key event (if the key is bound), then the character."""
    key = ch.lower() if not ch.isupper() else f"shift-{ch.lower()}"
    messenger.send(" " if ch == " " else key if ch != " " else "space")
    messenger.send("keystroke", [ch])


FREE_TEXT_STATE = {
    "run": 7,
    "title": "Minimal",
    "wait": "choice",
    "free_text": True,
    "phase": {"index": 1, "count": 2, "kind": "role_play", "title": "Your turn"},
    "cast": {"you": {"kind": "participant", "name": "You"}, "pat": {"kind": "partner", "name": "Pat"}},
    "avatars": {"pat": 5, "you": 0},
    "options": [{"id": "greet", "text": "Hello, I'm Sam."}, {"id": "mumble", "text": "Um."}],
    "prompt": "What do you say?",
}


# --- Esc is "back", never settings, never quit; Ctrl+Q asks first ----------------------------------------------


def test_esc_on_every_screen_goes_back_and_never_quits_or_opens_settings(app):
    app.show_login()
    assert isinstance(app.screen, LoginScreen)
    messenger.send("escape")
    assert not app.quit_requested and app.settings_panel is None and isinstance(app.screen, LoginScreen)
    app.show_rooms()
    assert isinstance(app.screen, RoomListScreen)
    messenger.send("escape")
    assert app.settings_panel is None and isinstance(app.screen, RoomListScreen)
    app.set_screen(None)
    sample_room(app, {0: (0.0, 0.0, 0.0), 5: (0.0, 2.0, 180.0)})
    app.step(3)
    messenger.send("escape")
    assert app.settings_panel is None and app.focus is None and not app.quit_requested
    # whatever is open, Esc closes it (the top one) and nothing else
    for opener, is_open in (
        ("f1", lambda: app.help is not None),
        ("f10", lambda: app.settings_panel is not None),
        ("enter", lambda: app.chat.typing),
        ("r", lambda: app.safety.selected is not None),
    ):
        messenger.send(opener)
        assert is_open(), opener
        messenger.send("escape")
        assert not is_open() and app.settings_panel is None and app.focus is None, opener
    assert not app.quit_requested


def test_ctrl_q_asks_first_on_every_screen(app):
    app.show_login()
    login = app.screen
    messenger.send("control-q")
    assert app.screens.quit_dialog is not None and not app.quit_requested
    messenger.send("escape")  # no, stay: the login screen has the keys again
    assert app.screens.quit_dialog is None and app.focus is login and not app.quit_requested
    login.quit()  # the Quit button asks too
    assert app.screens.quit_dialog is not None and not app.quit_requested
    messenger.send("enter")
    assert app.quit_requested


# --- typing: a sentence is text, never commands ----------------------------------------------------------------


def test_a_sentence_typed_in_the_room_without_enter_becomes_a_chat_message(app):
    said: list[str] = []
    app.say = said.append  # type: ignore[method-assign]
    sample_room(app, {0: (0.0, 0.0, 0.0), 5: (0.0, 1.5, 180.0)})  # someone near, whom R would choose
    app.step(3)
    assert app.hud.mode.mode == "walk"
    for ch in "I read every word here":
        press(ch)
    app.step(1)
    assert app.chat.typing and app.chat.input.value == "I read every word here"
    assert app.safety.selected is None and app.safety.dialog is None and not app.held
    assert app.hud.mode.mode == "chat" and app.hud.mode.text.getText() == "Chat"
    messenger.send("enter")
    del app.say
    assert said == ["I read every word here"] and app.focus is None


def test_command_letters_still_act_when_nothing_is_open(app):
    sample_room(app, {0: (0.0, 0.0, 0.0), 5: (0.0, 1.5, 180.0)})
    app.step(3)
    press("r")  # R chooses the nearest person, as before
    assert app.safety.selected == 5 and not app.chat.typing


async def test_own_words_are_typed_at_once_where_a_text_answer_is_possible(app):
    sample_room(app, {0: (0.0, -2.0, 0.0), 5: (0.0, 1.0, 180.0)})
    app.scenarios.on_state(FREE_TEXT_STATE)
    await pump(app, frames=2)
    panel = app.scenario_panel
    assert panel.typing and isinstance(app.focus, AnswerFocus) and app.hud.mode.mode == "answer"
    assert "Typing an answer" in app.hud.mode.text.getText()
    for ch in "hello, I'm ready":  # r, e, a, d ... never choose, walk or report
        press(ch)
    assert panel.typed == "hello, I'm ready"
    assert app.safety.selected is None and not app.held and not app.chat.typing
    messenger.send("escape")  # back: clears the words, keeps the field
    assert panel.typed == "" and panel.typing and panel.mode == "run"
    for ch in "hello":
        press(ch)
    messenger.send("enter")
    await pump(app, lambda: any(e == wsc.SCENARIO_ANSWER for e, _ in app.session.sent))
    assert (wsc.SCENARIO_ANSWER, {"text": "hello"}) in app.session.sent
    # the next state: with the field empty the number keys choose (and the digit is not typed)
    app.scenarios.on_state({**FREE_TEXT_STATE, "node": "again"})
    await pump(app, frames=2)
    assert panel.typing and panel.typed == ""
    press("2")
    await pump(app, lambda: any(e == wsc.SCENARIO_CHOOSE for e, _ in app.session.sent))
    assert (wsc.SCENARIO_CHOOSE, {"option": "mumble"}) in app.session.sent and panel.typed == ""
    await pump(app, frames=2)
    assert app.focus is None  # chosen: the keys act in the room again
    # Esc with an empty field asks to stop (as before)
    app.scenarios.on_state({**FREE_TEXT_STATE, "node": "third"})
    await pump(app, frames=2)
    messenger.send("escape")
    assert panel.mode == "confirm_stop"
    messenger.send("escape")
    assert panel.mode == "run" and panel.typing


# --- the mouse ---------------------------------------------------------------------------------------------------


async def test_a_click_on_an_option_row_chooses_it(app):
    sample_room(app, {0: (0.0, -2.0, 0.0), 5: (0.0, 1.0, 180.0)})
    app.scenarios.on_state({**FREE_TEXT_STATE, "free_text": False})
    panel = app.scenario_panel
    rows = {b.getTag("click"): b for b in panel._buttons}
    assert set(rows) == {"option:greet", "option:mumble"}
    b = rows["option:mumble"]
    b["command"](*b["extraArgs"])  # what a click on the row runs
    await pump(app, lambda: any(e == wsc.SCENARIO_CHOOSE for e, _ in app.session.sent))
    assert (wsc.SCENARIO_CHOOSE, {"option": "mumble"}) in app.session.sent
    assert panel.busy and panel._buttons == []  # no second click while waiting


def test_a_click_on_a_person_chooses_them_and_a_click_on_the_floor_walks_there(app):
    sent: list = []
    app.send = lambda e, p: sent.append((e, p))  # type: ignore[method-assign]
    try:
        sample_room(app, {0: (0.0, 0.0, 0.0), 5: (0.5, 3.0, 180.0)})
        for _ in range(5):
            app.step(1)
        assert app.pointer.click_at(*window_xy(app, (0.5, 3.0, 1.2))) == "person"
        assert app.safety.selected == 5 and app.safety.hint is not None  # as R: Enter for the person menu
        app.safety.select(None)
        assert app.pointer.click_at(*window_xy(app, (-1.5, 2.0, 0.0))) == "walk"
        tx, ty = app.pointer.walk.target
        assert tx == pytest.approx(-1.5, abs=0.15) and ty == pytest.approx(2.0, abs=0.15)
        app.step(1)
        move = [p for e, p in sent if e == events.MOVE]
        assert move and move[-1]["turn"] > 0  # the point is to the left: turn left first
        # a movement key takes over at once, and the steering stops
        messenger.send("arrow_up")
        messenger.send("arrow_up-up")
        app.step(1)
        assert app.pointer.walk.target is None
        # a click over the chat panel is not a click on the floor
        assert app.pointer.click_at(-0.8, -0.9) == ""
    finally:
        del app.send


def test_steering_reaches_the_point_by_the_servers_motion_model():
    pose = (0.0, 0.0, 0.0)
    for target in ((3.0, 2.0), (-4.0, -1.0), (0.0, -5.0)):
        for _ in range(30 * 12):
            axes = steer(pose, target)
            if not any(axes):
                break
            pose = integrate(*pose, axes, 1 / 30)
        assert abs(pose[0] - target[0]) < ARRIVED + 0.05 and abs(pose[1] - target[1]) < ARRIVED + 0.05, target


# --- login settings, remembered --------------------------------------------------------------------------------


def test_text_size_contrast_and_reduced_motion_on_the_login_screen_are_remembered(app, tmp_path):
    path = tmp_path / "client.json"
    assert Settings.load(path).text_size == "large"  # a first start: larger text
    app.opts.settings_path = path
    app.show_login()
    login = app.screen
    for ch in "Ann":
        messenger.send("keystroke", [ch])
    login.click_row(2)  # a click on "Text size": the next size
    assert app.settings.text_size == "large"
    login = app.screen
    assert login.fields[0].value == "Ann"  # drawn again at the new size, nothing typed is lost
    messenger.send("arrow_down")  # keyboard: down to Contrast, Right changes it
    messenger.send("arrow_right")
    messenger.send("arrow_down")
    messenger.send("enter")  # Enter signs in (the rows change with Left/Right or a click)
    login.click_row(4)
    saved = json.loads(path.read_text())
    assert saved["text_size"] == "large" and saved["contrast"] == "high" and saved["reduced_motion"] is True
    again = Settings.load(path)
    assert (again.text_size, again.contrast, again.reduced_motion) == ("large", "high", True)
    app.show_login()


# --- notices: one at a time, never over the crisis card ----------------------------------------------------------


def test_notices_come_one_at_a_time_and_wait_under_the_crisis_card(app):
    sample_room(app, {0: (0.0, 0.0, 0.0)})
    n = app.notices
    for text in ("First.", "Second.", "First.", "Third."):
        n.show(text, seconds=1.0)
    assert n.shown == "First." and n.texts == ["First.", "Second.", "Third."]  # the same words once
    assert sum(1 for node in n.root.findAllMatches("**/+TextNode")) == 1
    app.safety.show_crisis("Support is here", "Call 116 123.")
    app.step(1)
    assert n.shown == "" and n.root.findAllMatches("**/+TextNode").getNumPaths() == 0
    n.update(5.0, held=True)  # time under the card does not count
    assert n.texts == ["First.", "Second.", "Third."]
    app.safety.close_crisis()
    n.update(0.0)
    assert n.shown == "First."
    n.update(1.1)
    assert n.shown == "Second."
    n.set_connection("The connection dropped. Reconnecting...")
    assert n.shown.startswith("The connection dropped")  # the connection line first, still one at a time


def test_help_settings_and_safety_dialogs_work_by_click(app):
    sample_room(app, {0: (0.0, 0.0, 0.0), 5: (0.0, 1.5, 180.0)})
    app.step(3)

    def click(widget) -> None:
        widget["command"](*widget["extraArgs"])  # what a click on it runs

    click(app.hud.buttons.help)
    assert app.help is not None
    click(app.help.close)  # Close: the same as Esc
    assert app.help is None and app.focus is None
    click(app.hud.buttons.settings)
    panel = app.settings_panel
    assert panel is not None
    rows = {c.getTag("click"): c for c in panel._clicks}
    click(rows["settings:Contrast"])  # a click on a row changes it
    assert app.settings.contrast == "high"
    click({c.getTag("click"): c for c in app.settings_panel._clicks}["settings:Quit peerspace"])
    assert app.screens.quit_dialog is not None and not app.quit_requested  # asks first
    messenger.send("escape")
    assert app.screens.quit_dialog is None and app.settings_panel is not None
    click({c.getTag("click"): c for c in app.settings_panel._clicks}["settings:close"])
    assert app.settings_panel is None and app.focus is None
    # the person menu (R, Enter) is a list whose rows are clickable
    press("r")
    messenger.send("enter")
    dialog = app.safety.dialog
    assert dialog is not None and dialog._clicks
    close = dialog.items.index(next(i for i in dialog.items if "lose" in i))
    click(dialog._clicks[close])
    assert app.safety.dialog is None


@pytest.mark.parametrize("size", [(960, 600), (1280, 720), (1920, 1080)])
def test_the_mode_line_and_buttons_stay_in_the_chat_column_clear_of_the_stage(app, size):
    from panda3d.core import Point3

    from client.testing import resize
    from client.theme import TEXT_SIZES
    from client.ui.layout import layout
    from client.ui.settings import Settings as S

    resize(app, *size)
    try:
        sample_room(app, {0: (0.0, 0.0, 0.0)})
        for text_size in TEXT_SIZES:
            app.apply_settings(S(text_size=text_size))
            app.hud.mode.set("")
            app.hud.mode.set("answer")  # the longest line
            lay = layout(app.getAspectRatio(), app.settings.text_scale)
            boxes = []
            lo, hi = app.hud.mode.root.getTightBounds(app.aspect2d)
            boxes.append(("mode line", lo.x, hi.x, lo.z, hi.z))
            for b in (app.hud.buttons.help, app.hud.buttons.settings):
                f = b.node().getFrame()
                a = app.aspect2d.getRelativePoint(b, Point3(f[0], 0, f[2]))
                c = app.aspect2d.getRelativePoint(b, Point3(f[1], 0, f[3]))
                boxes.append((b.getTag("click"), a.x, c.x, a.z, c.z))
            for name, left, right, bottom, top in boxes:
                where = f"{name} at {size} text {text_size}"
                eps = 1e-4  # the scene graph keeps 32-bit floats
                assert lay.chat.left - eps <= left and right <= lay.chat.right + eps, where
                assert lay.chat.bottom - eps <= bottom and top <= lay.chat.top + eps, where
                assert lay.chat.top < lay.stage.bottom, where
            mode_right, help_left, help_right, settings_left = boxes[0][2], boxes[1][1], boxes[1][2], boxes[2][1]
            assert mode_right < help_left < help_right < settings_left, "one row: mode, Help, Settings, apart"
    finally:
        resize(app, 960, 600)
