"""Safety in the desktop client, against the real server on loopback, rendered offscreen.

The quiet room (Home), choosing a person with R and blocking or reporting them, the
what-is-monitored note, the crisis-resources card and the staff alert banner. Assertions look at
the server's own safety state, at what other (bot) participants got, and at rendered pixels.
"""

from __future__ import annotations

import numpy as np
import pytest
from direct.showbase.MessengerGlobal import messenger

from client.testing import frame, pump, region, to_pixel
from client.ui.safety import CRISIS_COLOUR, HIGHLIGHT, QUIET_COLOUR, ListPanel
from client_room import app  # noqa: F401  (the fixture)
from client_room import enter as enter_room
from conftest import eventually
from server.appkeys import SAFETY
from wire import events
from wire import safety as ws


async def enter(app, server, name="Ana", role="participant", room="cafe"):
    await enter_room(app, server, name, role, room)
    await pump(app, lambda: app.safety.monitoring)  # the server's `monitoring` note arrived


def type_text(text: str):
    for ch in text:
        messenger.send("keystroke", [ch])


def uid(server, name):
    return server.store.find_user(name)["id"]


def close_to(img_region, colour, tol=0.04) -> float:
    """Share of pixels within `tol` of `colour` (RGB)."""
    return float((np.abs(img_region - np.array(colour[:3])).max(axis=2) < tol).mean())


async def test_monitoring_note_on_joining_then_from_settings_and_recording_flag(app, server):
    await enter(app, server)
    card = app.safety.monitoring_card
    assert card is not None and "What is monitored here" in card.text
    assert "short list of phrases" in card.text  # the server's text, not the client's
    assert app.recording is False and "NOT recorded" in app.recorded.text
    # on screen: hiding the card changes where it is drawn (the top-left corner, or the middle when the notice
    # is too long for the corner at this text size)
    shown = frame(app)
    card.root.hide()
    hidden = frame(app)
    card.root.show()
    h, w = shown.shape[:2]
    lo, hi = card.root.getTightBounds(app.render2d)
    x0, x1 = int((lo.x + 1) / 2 * w), int((hi.x + 1) / 2 * w)
    y0, y1 = int((1 - hi.z) / 2 * h), int((1 - lo.z) / 2 * h)
    assert x1 - x0 > w // 5 and y1 - y0 > h // 6  # a card, not a line
    assert np.abs(shown[y0:y1, x0:x1] - hidden[y0:y1, x0:x1]).mean() > 0.05
    # any key closes the note, and the key still does its job (here F12: allow recording)
    messenger.send("f12")
    assert app.safety.monitoring_card is None
    await pump(app, lambda: app.recording is True)  # the consent notice's `recording` bool
    assert "are recorded" in app.recorded.text
    # F10 -> "What is monitored here" shows it again, with the resources (`safety_info`)
    messenger.send("f10")
    names = [n for n, _ in app.settings_panel._items()]
    for _ in range(names.index("What is monitored here")):
        messenger.send("arrow_down")
    messenger.send("enter")
    await pump(app, lambda: app.safety.dialog is not None)
    assert app.settings_panel is None
    text = app.safety.dialog.text
    assert "short list of phrases" in text and "Your own lines are recorded" in text and "Home" in text
    messenger.send("escape")
    assert app.safety.dialog is None and app.focus is None


async def test_home_key_pauses_into_a_quiet_room_and_back(app, server):
    await enter(app, server)
    ben = await server.bot("Ben", room="cafe")
    await pump(app, lambda: ben.avatar in app.avatars and app.avatars[ben.avatar].placed)
    room_view = frame(app)
    me = uid(server, "Ana")
    messenger.send("home")
    await pump(app, lambda: app.safety.quiet is not None)
    assert server.world.safety.paused.get(me) == "cafe"  # the server has Ana paused
    await ben.wait_until(lambda: ben.members[app.my_id].get("paused") is True)
    quiet = app.safety.quiet
    assert "Quiet room" in quiet.text and "Nobody can see or hear you" in quiet.text
    assert "Home" in quiet.text  # how to go back
    img = frame(app)
    h, w = img.shape[:2]
    left = region(img, (w // 12, h // 2), 12)
    assert close_to(left, QUIET_COLOUR) > 0.95  # the soft colour fills the view
    assert np.abs(img - room_view).mean() > 0.05
    # letters and arrows do nothing while resting; Enter does not open the chat
    messenger.send("arrow_up")
    messenger.send("enter")
    assert not app.held and not app.chat.typing
    messenger.send("arrow_up-up")
    # the same key goes back: the server lets Ana in again and the room is drawn
    messenger.send("home")
    await pump(app, lambda: app.safety.quiet is None and me not in server.world.safety.paused)
    await pump(app, lambda: ben.avatar in app.avatars and app.avatars[ben.avatar].placed)
    await ben.wait_until(lambda: ben.members[app.my_id].get("paused") is False)
    back = frame(app)
    assert close_to(region(back, (w // 12, h // 2), 12), QUIET_COLOUR) < 0.5
    assert app.focus is None and any("Welcome back" in t for t in app.notices.texts)


async def test_choose_with_r_then_block_makes_them_vanish_and_unblock_from_settings(app, server):
    await enter(app, server)
    ben = await server.bot("Ben", room="cafe")
    await pump(app, lambda: ben.avatar in app.avatars and app.avatars[ben.avatar].placed)
    await app.session.call(events.LOOK, {"at": ben.avatar})
    await pump(app, frames=30)
    av = app.avatars[ben.avatar]
    head = to_pixel(app, av.head.getPos(app.render))
    tag = to_pixel(app, av.tag.getPos(app.render))
    assert head is not None and tag is not None
    plain = frame(app)
    messenger.send("r")
    assert app.safety.selected == ben.avatar
    assert tuple(round(c, 2) for c in av.tag.getColorScale()) == HIGHLIGHT
    assert "Chosen: Ben" in app.safety.hint.text
    chosen = frame(app)
    assert np.abs(region(chosen, tag, 6) - region(plain, tag, 6)).mean() > 0.02  # the tag lights up
    # Esc clears, R chooses again; Enter opens the small menu
    messenger.send("escape")
    assert app.safety.selected is None and app.settings_panel is None
    messenger.send("r")
    messenger.send("enter")
    menu = app.safety.dialog
    assert isinstance(menu, ListPanel) and menu.items == ["Report something about Ben", "Block Ben", "Close"]
    messenger.send("arrow_down")
    messenger.send("enter")  # Block Ben -> asks first
    assert "Block Ben?" in app.safety.dialog.text
    messenger.send("enter")  # Yes, block Ben
    await pump(app, lambda: ben.avatar not in app.avatars)
    assert server.world.safety.blocked(uid(server, "Ana"), uid(server, "Ben"))
    await ben.wait_until(lambda: app.my_id not in ben.members)
    await pump(app, lambda: any("You blocked Ben" in t for t in app.notices.texts))
    assert app.safety.selected is None and app.focus is None
    gone = frame(app)
    assert np.abs(region(gone, head, 8) - region(chosen, head, 8)).mean() > 0.05  # he is no longer drawn
    # F10 -> People you blocked -> Enter unblocks; Ben is back in view
    messenger.send("f10")
    names = [n for n, _ in app.settings_panel._items()]
    for _ in range(names.index("People you blocked")):
        messenger.send("arrow_down")
    messenger.send("enter")
    await pump(app, lambda: app.safety.dialog is not None)
    assert app.safety.dialog.items == ["Ben"]
    messenger.send("enter")
    await pump(app, lambda: ben.avatar in app.avatars and app.avatars[ben.avatar].placed)
    assert not server.world.safety.blocked(uid(server, "Ana"), uid(server, "Ben"))


async def test_report_by_keyboard_reaches_staff_without_the_note(app, server):
    await enter(app, server)
    ben = await server.bot("Ben", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    await pump(app, lambda: all(a in app.avatars and app.avatars[a].placed for a in (ben.avatar, sam.avatar)))
    while app.safety.selected != ben.avatar:
        messenger.send("r")
    messenger.send("enter")
    messenger.send("enter")  # Report something about Ben
    assert [r for r in app.safety.dialog.items][1] == "I do not feel safe"
    messenger.send("arrow_down")
    messenger.send("enter")  # unsafe -> an optional note
    messenger.send("w")  # letters type, they never walk
    type_text("wa")
    assert not app.held
    messenger.send("backspace")
    type_text("atches me")
    messenger.send("enter")
    alert = await sam.wait_for(ws.SAFETY_ALERT)
    assert alert["kind"] == "report" and alert["reason"] == "unsafe" and alert["name"] == "Ben"
    assert "note" not in alert
    row = (await eventually(server.app[SAFETY].db.reports))[0]  # people first: written just after staff are told
    assert row["note"] == "watches me" and row["reporter"] == "Ana" and row["reported"] == "Ben"
    await pump(app, lambda: any("Thank you for telling us" in t for t in app.notices.texts))
    # staff cannot be blocked: their menu offers report only, and says why
    while app.safety.selected != sam.avatar:
        messenger.send("r")
    messenger.send("enter")
    assert app.safety.dialog.items == ["Report something about Sam", "Close"]
    assert "cannot be blocked" in app.safety.dialog.body_text
    messenger.send("escape")
    assert app.safety.dialog is None


async def test_crisis_words_bring_a_calm_resources_card_that_stays(app, server):
    await enter(app, server)
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    messenger.send("enter")
    type_text("some days I want to die")
    messenger.send("enter")
    await pump(app, lambda: app.safety.crisis_card is not None)
    card = app.safety.crisis_card
    assert "You are not alone" in card.text and "116 123" in card.text and "Home" in card.text
    img = frame(app)
    h, w = img.shape[:2]
    # the card fills the middle of the view in its calm colour (sampled left of centre, between lines)
    mid = img[int(h * 0.3) : int(h * 0.7), int(w * 0.2) : int(w * 0.8)]
    assert close_to(mid, CRISIS_COLOUR, 0.05) > 0.4
    card.root.hide()
    without = frame(app)
    card.root.show()
    assert np.abs(frame(app) - without).mean() > 0.05
    # it stays: walking keys and time do not close it
    messenger.send("arrow_up")
    messenger.send("arrow_up-up")
    await pump(app, frames=30)
    assert app.safety.crisis_card is card and not app.held
    alert = await sam.wait_for(ws.SAFETY_ALERT)
    assert alert["kind"] == "crisis" and alert["name"] == "Ana"
    messenger.send("enter")  # read it: Enter closes
    assert app.safety.crisis_card is None and app.focus is None


async def test_staff_see_a_safety_alert_banner_at_once_and_dismiss_it(app, server):
    await enter(app, server, name="Sam", role="peer_specialist")
    await app.session.call(ws.DUTY, {"on": True})  # alerts reach staff on duty, not everyone logged in
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    await pump(app, lambda: ana.avatar in app.avatars)
    messenger.send("f2")  # a key (neutral face) closes the arrival note
    assert app.safety.monitoring_card is None
    plain = frame(app)
    await ana.say("I want to die")
    await pump(app, lambda: app.safety.banner is not None)
    banner = app.safety.banner
    assert "Safety alert" in banner.text and "Ana" in banner.text and "support" in banner.text
    assert "want to die" not in banner.text  # who and what kind, not the words
    assert "End" in banner.text
    shown = frame(app)
    h, w = shown.shape[:2]
    assert np.abs(shown[: h // 3, : w // 3] - plain[: h // 3, : w // 3]).mean() > 0.05
    # a report queues behind it; End dismisses one at a time, Esc too
    await ben.call(ws.REPORT, {"avatar": ana.avatar, "reason": "spam"})
    await pump(app, lambda: len(app.safety.alerts) == 2)
    assert "(1 more)" in app.safety.banner.text
    messenger.send("end")
    assert "Report from Ben about Ana" in app.safety.banner.text
    messenger.send("escape")
    assert app.safety.banner is None and app.settings_panel is None
    cleared = frame(app)
    assert np.abs(cleared[: h // 3, : w // 3] - plain[: h // 3, : w // 3]).mean() < 0.02


async def test_staff_say_they_have_seen_an_alert_from_the_banner_and_the_person_is_told(app, server):
    await enter(app, server, name="Sam", role="peer_specialist")
    await app.session.call(ws.DUTY, {"on": True})
    ana = await server.bot("Ana", room="cafe")
    await pump(app, lambda: ana.avatar in app.avatars)
    messenger.send("f2")  # a key (neutral face) closes the arrival note
    await ana.say("I want to die")
    await pump(app, lambda: app.safety.banner is not None)
    assert "Insert: I have seen it" in app.safety.banner.text
    messenger.send("insert")
    assert app.safety.banner is None  # acknowledged, so it goes
    seen = await ana.wait_for(ws.ALERT_SEEN)
    assert seen["kind"] == "crisis" and seen["text"]
    alert = next(a for a in server.store.alerts(["cafe"]) if a["kind"] == "crisis")
    assert alert["acknowledged_name"] == "Sam" and alert["status"] == "open"  # seen, not yet handled


async def test_staff_mute_and_remove_someone_from_the_person_menu(app, server):
    await enter(app, server, name="Sam", role="peer_specialist")
    ben = await server.bot("Ben", room="cafe")
    await pump(app, lambda: ben.avatar in app.avatars and app.avatars[ben.avatar].placed)
    await app.session.call(events.LOOK, {"at": ben.avatar})
    messenger.send("r")
    messenger.send("enter")
    menu = app.safety.dialog
    assert menu.items == [
        "Report something about Ben",
        "Block Ben",
        "Mute Ben for 30 minutes",
        "Remove Ben from this room",
        "Remove Ben and pause their account for a day",
        "Close",
    ]
    for _ in range(2):
        messenger.send("arrow_down")
    messenger.send("enter")  # Mute -> asks first
    assert "Mute Ben for 30 minutes?" in app.safety.dialog.text
    messenger.send("enter")
    await pump(app, lambda: any("Done: mute Ben" in t for t in app.notices.texts))
    with pytest.raises(Exception) as refused:
        await ben.say("can anyone hear me")
    assert getattr(refused.value, "code", None) == "forbidden"
    messenger.send("r")
    messenger.send("enter")
    for _ in range(3):
        messenger.send("arrow_down")
    messenger.send("enter")  # Remove Ben from this room
    messenger.send("enter")  # Yes
    await pump(app, lambda: ben.avatar not in app.avatars)
    assert server.world.member_of(uid(server, "Ben")) == (None, None)


async def test_someone_taking_a_pause_is_marked_on_their_name_tag(app, server):
    await enter(app, server)
    ben = await server.bot("Ben", room="cafe")
    await pump(app, lambda: ben.avatar in app.avatars)
    await ben.call(ws.PAUSE, {"on": True})
    await pump(app, lambda: "(taking a pause)" in app.avatars[ben.avatar]._tag_text.getText())
    await ben.call(ws.PAUSE, {"on": False})
    await pump(app, lambda: app.avatars[ben.avatar]._tag_text.getText() == "Ben")
