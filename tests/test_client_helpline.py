"""The private help line and the care protocol in the desktop client, against the real server, rendered offscreen.

A participant asks to talk (H, or the button; also from the quiet room), reads the consent, writes; a staff
member answers from their client; the staff banner is drawn above the coach console (pixels); a crisis
banner goes ahead of an older report; the duty line and "someone has seen it" are shown.
"""

from __future__ import annotations

import numpy as np
from direct.showbase.MessengerGlobal import messenger

from client.i18n import t
from client.testing import frame, pump
from client.ui.helpline import click
from client.ui.safety import ALERT_COLOUR
from client_room import app  # noqa: F401  (the fixture)
from client_room import enter as enter_room
from server.safety import Helpline
from wire import helpline as wh
from wire import safety as ws


async def enter(app, server, name="Ana", role="participant", room="cafe"):
    # The room's scene is built here first: its one-off geometry build (over 100 ms on a loaded machine) is
    # the harness's, not work of the room_state handler that would otherwise do it.
    app.show_scene(room)
    await enter_room(app, server, name, role, room)
    await pump(app, lambda: app.safety.monitoring)
    messenger.send("f2")  # a key closes the arrival note (and sets a neutral face)


async def on_duty(session) -> None:
    """Staff go on duty (being logged in is not enough to be told of requests and alerts)."""
    await session.call(ws.DUTY, {"on": True})


def type_text(text: str):
    for ch in text:
        messenger.send("keystroke", [ch])


def close_to(img_region, colour, tol=0.05) -> float:
    return float((np.abs(img_region - np.array(colour[:3])).max(axis=2) < tol).mean())


def pixels(app, card):
    """The rows and columns of a card's background (inset a little), in a rendered frame."""
    pos = card.root.getPos(app.aspect2d)
    aspect = float(app.getAspectRatio())
    w, h = app.win.getXSize(), app.win.getYSize()

    def col(x):
        return int((x / aspect + 1) / 2 * w)

    def row(z):
        return int((1 - z) / 2 * h)

    return slice(row(pos.z) + 3, row(pos.z - card.height) - 3), slice(col(pos.x) + 3, col(pos.x + card.width) - 3)


async def test_a_participant_asks_by_key_reads_the_consent_and_talks_privately(app, server):
    sam = await server.bot("Sam", role="peer_specialist", room="park")
    await on_duty(sam)
    await enter(app, server)
    ben = await server.bot("Ben", room="cafe")
    messenger.send("h")
    help_ui = app.safety.helpline
    await pump(app, lambda: help_ui.window is not None)
    window = help_ui.window
    assert window.consenting and "safety record" in window.text and "Enter" in window.text
    assert app.focus is window
    type_text("abc")  # nothing is typed before the consent is read
    assert window.field.value == ""
    request = await sam.wait_for(wh.HELP_REQUESTED)
    messenger.send("enter")  # I understand
    await pump(app, lambda: not window.consenting)
    assert "on duty has been told" in window.text
    type_text("can we talk?")
    messenger.send("enter")
    await pump(app, lambda: any("can we talk?" in r.getText() for r in window.rows))
    joined = await sam.call(wh.HELP_ACCEPT, {"channel": request["channel"]})
    assert [(x["from"], x["text"]) for x in joined["lines"]] == [("Ana", "can we talk?")]  # written while waiting
    await pump(app, lambda: "Sam (peer specialist) has joined" in window.text)
    await sam.call(wh.HELP_SAY, {"channel": request["channel"], "text": "Of course. I am here."})
    await pump(app, lambda: "Sam: Of course. I am here." in window.text)
    assert not [e for e, _ in ben.inbox if e.startswith("help_")]  # the room heard nothing
    # walking keys type into the window, not the world
    messenger.send("w")
    assert not app.held
    # Esc hides it (the conversation stays open); H brings it back; Delete ends it
    messenger.send("escape")
    assert window.hidden and app.focus is None
    messenger.send("h")
    assert not window.hidden and app.focus is window
    messenger.send("delete")
    await pump(app, lambda: help_ui.window is None and app.focus is None)
    closed = await sam.wait_for(wh.HELP_STATUS, lambda d: d["state"] == "closed")
    assert closed["by"] == "Ana"


async def test_the_button_works_from_the_quiet_room(app, server):
    await enter(app, server)
    help_ui = app.safety.helpline
    assert help_ui.team_button is not None and "talk to someone" in help_ui.team_button["text"]
    messenger.send("home")
    await pump(app, lambda: app.safety.quiet is not None)
    shown = frame(app)
    assert shown is not None
    click(help_ui.team_button)  # a mouse click on "I'd like to talk to someone"
    await pump(app, lambda: help_ui.window is not None)
    window = help_ui.window
    # nobody is on duty: said plainly, with the resources, after the consent
    messenger.send("enter")
    await pump(app, lambda: not window.consenting)
    assert "No one from the team is on duty right now" in window.text
    # the window is drawn over the quiet room
    img = frame(app)
    rows, cols = pixels_of_window(app, window)
    assert close_to(img[rows, cols], (0.18, 0.26, 0.30), 0.06) > 0.3
    messenger.send("escape")  # hide: back to the quiet room's keys
    assert type(app.focus).__name__ == "_QuietFocus"
    messenger.send("h")
    assert app.focus is window
    messenger.send("delete")  # changed my mind: the request is withdrawn
    await pump(app, lambda: help_ui.window is None)
    assert (
        not next(f for f in server.world.features if isinstance(f, Helpline)).channels
        and type(app.focus).__name__ == "_QuietFocus"
    )


def pixels_of_window(app, window):
    class Box:
        root, width, height = window.root, window.W, window.H

    return pixels(app, Box)


async def test_staff_answer_a_request_from_the_banner_with_h(app, server):
    await enter(app, server, name="Sam", role="peer_specialist")
    await on_duty(app.session)
    ana = await server.bot("Ana")
    asked = await ana.call(wh.HELP_REQUEST)
    await ana.call(wh.HELP_AGREE, {"channel": asked["channel"]})
    await ana.call(wh.HELP_SAY, {"channel": asked["channel"], "text": "hello, is anyone there"})
    await pump(app, lambda: app.safety.banner is not None)
    assert "Ana would like to talk to someone" in app.safety.banner.text
    help_ui = app.safety.helpline
    assert help_ui.answer_button is not None  # a mouse can answer too (the banner's button); here: H
    messenger.send("h")
    await pump(app, lambda: help_ui.window is not None)
    window = help_ui.window
    assert help_ui.answer_button is None
    assert "Talking with Ana" in window.text and "Ana: hello, is anyone there" in window.text
    assert app.safety.banner is None  # answered: it left the queue
    await ana.wait_for(wh.HELP_STATUS, lambda d: d["state"] == "joined")
    type_text("Hi Ana, I am Sam.")
    messenger.send("enter")
    got = await ana.wait_for(wh.HELP_LINE, lambda d: d["from"] == "Sam")
    assert got["text"] == "Hi Ana, I am Sam."
    await ana.call(wh.HELP_CLOSE, {"channel": asked["channel"]})
    await pump(app, lambda: help_ui.window is None)


async def test_the_staff_banner_is_drawn_above_the_coach_console(app, server):
    await enter(app, server, name="Sam", role="peer_specialist")
    await on_duty(app.session)
    ana = await server.bot("Ana", room="cafe")
    messenger.send("k")  # the coach console, over the left of the screen
    await pump(app, lambda: app.coach is not None and not app.coach.root.isHidden())
    await ana.say("I want to die")
    await pump(app, lambda: app.safety.banner is not None)
    img = frame(app)
    rows, cols = pixels(app, app.safety.banner)
    under_console = img[rows, cols]
    assert under_console.size
    # the banner's warm colour, not the console's panel, fills its rectangle (text aside)
    assert close_to(under_console, ALERT_COLOUR, 0.06) > 0.5
    app.safety.banner.root.hide()
    console_only = frame(app)
    app.safety.banner.root.show()
    assert close_to(console_only[rows, cols], ALERT_COLOUR, 0.06) < 0.05


async def test_a_crisis_banner_goes_ahead_of_an_older_report(app, server):
    await enter(app, server, name="Sam", role="peer_specialist")
    await on_duty(app.session)
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    await pump(app, lambda: ana.avatar in app.avatars)
    await ben.call(ws.REPORT, {"avatar": ana.avatar, "reason": "spam"})
    await pump(app, lambda: app.safety.banner is not None)
    assert "Report from Ben" in app.safety.banner.text
    await ana.say("there is no reason to live")
    await pump(app, lambda: len(app.safety.alerts) == 2)
    banner = app.safety.banner
    assert "please check in" in banner.text and "Ana" in banner.text and "(1 more)" in banner.text
    messenger.send("end")
    assert "Report from Ben" in app.safety.banner.text


async def test_the_duty_line_and_someone_has_seen_it(app, server):
    await enter(app, server)
    sid = server.world.sids_of(app.session.user["id"])[0]
    help_ui = app.safety.helpline
    # the server's own line on joining, worded by the service's care file: nobody is on duty
    await pump(app, lambda: help_ui.duty_label is not None)
    assert help_ui.duty_label.getText().startswith("No one from the team is online right now.")
    # without a text from the server, the client words it itself
    await server.world.sio.emit(
        ws.DUTY_STATUS, {"on_duty": [{"name": "Sam", "role": "peer_specialist"}], "text": ""}, to=sid
    )
    await pump(app, lambda: help_ui.duty_label.getText() == "Sam, peer specialist, is here today.")
    await server.world.sio.emit(ws.DUTY_STATUS, {"on_duty": [], "text": ""}, to=sid)
    await pump(app, lambda: help_ui.duty_label.getText() == t("duty.line_nobody"))
    told = "Sam has seen your message and will check in with you."
    await server.world.sio.emit(ws.ALERT_SEEN, {"text": told}, to=sid)
    await pump(app, lambda: told in app.notices.texts)


async def test_staff_go_on_and_off_duty_with_o(app, server):
    await enter(app, server, name="Sam", role="peer_specialist")
    help_ui = app.safety.helpline
    assert help_ui.team_button["text"] == t("duty.off_button")
    sent = []

    async def call(event, payload=None):  # the duty intent is the server's (H1); here its answer is stood in
        sent.append((event, payload))
        return {"ok": True, "on": payload["on"]}

    real = app.session.call
    app.session.call = call
    try:
        messenger.send("o")
        await pump(app, lambda: help_ui.on_duty)
        assert sent == [(ws.DUTY, {"on": True})] and help_ui.team_button["text"] == t("duty.on_button")
        click(help_ui.team_button)
        await pump(app, lambda: not help_ui.on_duty)
        assert sent[-1] == (ws.DUTY, {"on": False})
    finally:
        app.session.call = real
