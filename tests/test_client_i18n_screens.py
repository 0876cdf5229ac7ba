"""The client in Spanish: choosing the language on the login screen and in settings (keys and mouse), remembered,
defaulting to the OS locale; the language sent with the connect; and the Spanish client rendered offscreen (login,
the room and a scenario panel), checked on the scene graph's text and on pixels."""

from __future__ import annotations

import json

import numpy as np
import pytest
from direct.showbase.MessengerGlobal import messenger
from panda3d.core import NodePath

from client import i18n
from client.testing import frame, pump, shared_app
from client.ui.screens import LOGIN_SETTINGS
from client.ui.settings import Settings
from client_room import enter
from wire.session import Session

LANGUAGE_ROW = 2 + LOGIN_SETTINGS.index("language")  # after the name and password fields


def texts(root: NodePath) -> list[str]:
    return [np.node().getText() for np in root.findAllMatches("**/+TextNode") if np.node().getText()]


def text_node(root: NodePath, text: str) -> NodePath:
    found = [np for np in root.findAllMatches("**/+TextNode") if np.node().getText() == text]
    assert found, f"{text!r} is not drawn; drawn: {texts(root)}"
    return found[0]


def pixels_of(app, np: NodePath, img: np.ndarray) -> np.ndarray:
    """The window's pixels under a text node's bounds (aspect2d coordinates -> rows and columns)."""
    lo, hi = np.getTightBounds(app.aspect2d)
    h, w = img.shape[:2]
    ratio = w / h
    x0, x1 = int((lo.x / ratio + 1) / 2 * w), int((hi.x / ratio + 1) / 2 * w)
    y0, y1 = int((1 - hi.z) / 2 * h), int((1 - lo.z) / 2 * h)
    assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h, "the label is not inside the window"
    return img[y0 : y1 + 1, x0 : x1 + 1]


@pytest.fixture
def app():
    a = shared_app(size=(960, 600))
    yield a
    i18n.set_language("en")


def test_the_language_is_chosen_on_the_login_screen_by_keys_and_mouse_and_remembered(app, tmp_path):
    path = tmp_path / "client.json"
    app.opts.settings_path = path
    app.show_login()
    login = app.screen
    assert "Password" in texts(login.root) and "English" in " ".join(texts(login.root))
    for ch in "Ana":
        messenger.send("keystroke", [ch])
    for _ in range(LANGUAGE_ROW):
        messenger.send("arrow_down")  # down past the fields and the settings rows to Language
    messenger.send("arrow_right")
    assert app.settings.language == "es" and i18n.language() == "es"
    shown = texts(app.screen.root)
    assert {"Contraseña", "Idioma", "Tamaño del texto"} <= set(shown), shown
    assert {"Entrar", "Salir"} <= {w["text"] for w in app.screen._widgets}  # the buttons' words
    assert any("Español" in s for s in shown) and "Password" not in shown
    assert app.screen.fields[0].value == "Ana"  # drawn again in Spanish, nothing typed is lost
    assert json.loads(path.read_text())["language"] == "es"
    assert Settings.load(path).language == "es"
    app.screen.click_row(LANGUAGE_ROW)  # the mouse: a click on the row is the next language
    assert app.settings.language == "en" and "Password" in texts(app.screen.root)
    assert Settings.load(path).language == "en"


def test_the_language_is_chosen_in_settings_and_the_hud_follows(app):
    app.open_settings()
    panel = app.settings_panel
    row = [name for name, _ in panel._items()].index("Language")
    panel.click(row)  # a click changes the row, as Enter does
    assert app.settings.language == "es"
    shown = texts(app.settings_panel.root)
    assert {"Ajustes", "Idioma", "Distancia de la cámara", "Salir de peerspace"} <= set(shown), shown
    assert "Qué se graba en esta sala" in texts(app.aspect2d)  # the HUD is drawn again in Spanish
    while app.settings_panel.index != row:
        messenger.send("arrow_down")
    messenger.send("arrow_left")  # the keyboard: back to English
    assert app.settings.language == "en" and "Settings" in texts(app.settings_panel.root)
    messenger.send("escape")


def test_a_first_start_takes_the_os_language_when_it_is_shipped(tmp_path, monkeypatch):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "es_AR.UTF-8")
    assert Settings.load(tmp_path / "none.json").language == "es"
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert Settings.load(tmp_path / "none.json").language == "en"
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps({"language": "en"}))
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    assert Settings.load(saved).language == "en"  # a choice made stays made


def spying_sessions(sent: list[dict]):
    """Real sessions (wire/session.py) that note the auth each connect sends."""

    def make(url: str) -> Session:
        session = Session(url)
        connect = session.sio.connect

        async def noting(*args, **kwargs):
            sent.append(dict(kwargs.get("auth") or {}))
            return await connect(*args, **kwargs)

        session.sio.connect = noting
        return session

    return make


async def test_the_spanish_client_sends_its_language_and_renders_login_room_and_scenario_in_spanish(server, tmp_path):
    app = shared_app(size=(960, 600))
    sent: list[dict] = []
    app.net.session_factory = spying_sessions(sent)
    try:
        app.settings.language = "es"
        app.apply_settings(app.settings)
        # the login screen, rendered: its Spanish labels are drawn and their pixels are not the bare panel
        app.show_login()
        img = frame(app)
        for text in ("Te damos la bienvenida a peerspace", "Contraseña"):
            under = pixels_of(app, text_node(app.screen.root, text), img)
            assert under.std() > 0.05, f"{text!r} is not visible"
        app.save_screenshot(str(tmp_path / "login-es.png"))
        assert (tmp_path / "login-es.png").stat().st_size > 10_000

        await enter(app, server)
        assert sent and sent[-1]["language"] == "es" and sent[-1]["token"] == app.session.token
        assert any(text.startswith("Estás en ") for text, _ in app.chat.lines), app.chat.lines

        messenger.send("p")  # the scenario list, in Spanish
        await pump(app, lambda: app.picker is not None and len(app.picker.scenarios) >= 2)
        assert "Practica una situación" in texts(app.picker.root)
        messenger.send("enter")
        await pump(app, lambda: app.scenario_panel is not None and app.scenario_panel.waiting_for_me, timeout=10)
        panel = app.scenario_panel
        assert "Parte 1 de " in panel.text and "Esc: parar" in panel.text, panel.text
        await pump(app, frames=20)
        with_panel = frame(app)
        keys = [np for np in panel.root.findAllMatches("**/+TextNode") if "Esc: parar" in np.node().getText()][0]
        assert pixels_of(app, keys, with_panel).std() > 0.03  # the Spanish key line is drawn, not blank
        panel.root.hide()
        without = frame(app)
        panel.root.show()
        assert np.abs(with_panel - without).mean() > 0.01  # the panel is on screen
        app.save_screenshot(str(tmp_path / "scenario-es.png"))
    finally:
        app.net.session_factory = None
        i18n.set_language("en")
        await app.close_network()
