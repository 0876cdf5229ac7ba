"""The client is made of parts (issue #12): a short assembly, an input stack of modes merged by
priority, screens in an FSM, UI parts that use only the app's public interface, and handler
exceptions that are logged at WARNING and fail the tests. Offscreen, without a server."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

import pytest
from direct.showbase.MessengerGlobal import messenger

import client_handlers
from client.input import Mode, MovementMode, TextEntryMode
from client.net import HANDLER_LOG
from client.testing import FakeSession, sample_room, shared_app
from client.ui.screens import LoginScreen
from wire import events

CLIENT = Path(__file__).resolve().parent.parent / "client"
LAYOUT = {0: (0.0, -2.0, 0.0), 1: (-1.3, 1.5, 180.0)}


@pytest.fixture
def app():
    yield shared_app()


def test_peerspace_client_is_a_short_assembly():
    tree = ast.parse((CLIENT / "app.py").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "PeerspaceClient")
    assert cls.end_lineno - cls.lineno + 1 < 300


def test_ui_parts_call_no_private_method_of_the_app():
    private = re.compile(r"\bapp\._[a-z]\w*")
    found = [
        f"{p.relative_to(CLIENT)}: {m.group(0)}"
        for p in CLIENT.rglob("*.py")
        if p.name != "app.py"
        for m in private.finditer(p.read_text())
    ]
    assert found == []


def test_a_key_goes_to_the_highest_priority_mode_that_wants_it(app):
    app.session = FakeSession()
    sample_room(app, LAYOUT)
    assert not any(part.root.isHidden() for part in (app.chat, app.recorded, app.self_status))  # the room HUD
    assert [m.priority for m in app.input.modes] == sorted((m.priority for m in app.input.modes), reverse=True)
    messenger.send("w")  # nothing has the focus: movement wants it
    assert app.held == {"w": (0, 1)}
    messenger.send("w-up")
    messenger.send("enter")  # the chat opens and takes the focus
    assert app.chat.typing
    messenger.send("w")  # text entry outranks movement
    assert app.held == {}
    messenger.send("f1")  # the chat lets F-keys through: help opens
    assert app.help is not None
    app.close_help()
    messenger.send("escape")
    assert not app.chat.typing and app.focus is None

    class Swallow(Mode):  # a new context is one object with a priority
        priority = MovementMode.priority + 1

        def on_key(self, key):
            return key == "w"

    stack = app.input.modes
    app.input.modes = sorted([*stack, Swallow(app)], key=lambda m: -m.priority)
    try:
        messenger.send("w")
        assert app.held == {}
        assert isinstance(app.input.modes[1], TextEntryMode)
    finally:
        app.input.modes = stack


def test_screens_are_states_of_an_fsm(app):
    app.show_login("Signing in...")
    assert app.screens.state == "Login" and isinstance(app.screen, LoginScreen)
    assert app.focus is app.screen and "Signing in" in app.screen.status.getText()
    assert not app.in_room
    app.set_screen(None)
    assert app.screens.state == "Room" and app.screen is None and app.focus is None


def test_a_handler_that_raises_is_logged_at_warning_and_fails_the_test(app, client_handler_errors):
    assert HANDLER_LOG.name == client_handlers.HANDLER_LOGGER

    class Recorder(FakeSession):
        handlers: dict = {}

        def on(self, event, handler):
            self.handlers[event] = handler

    session = Recorder()
    app.net.register(session)
    session.handlers[events.MEMBER_JOINED]({"member": "not a member"})  # the client cannot use this
    [record] = client_handler_errors.records
    assert record.levelno == logging.WARNING and record.exc_info is not None
    assert events.MEMBER_JOINED in record.getMessage()
    with pytest.raises(pytest.fail.Exception, match="a client handler raised"):
        client_handler_errors.check()  # what the fixture does at teardown
    assert client_handler_errors.records == []  # so this test itself ends clean
