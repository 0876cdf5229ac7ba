"""A participant's own records in the client (client/ui/records.py), against the real server: questionnaires
round-trip to the store with the score shown in plain words, My data exports to a file and deletes the
account, My practice tells a finished session in plain words and opens its replay."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import aiohttp
import pytest
from direct.showbase.MessengerGlobal import messenger

from client.input import ALL_KEYS
from client.testing import pump
from client.ui.records import (
    MenuScreen,
    MyDataScreen,
    PracticeScreen,
    QuestionnaireListScreen,
    QuestionnaireScreen,
    ReplayScreen,
)
from client.ui.screens import RoomListScreen
from client_room import app, enter  # noqa: F401  (the fixture)
from conftest import PASSWORD
from real_window import TOOLS, real_client, xdo
from server.appkeys import SAFETY
from server.scenarios import ScenarioRun, load_file
from test_client_window import LOOK
from wire import events

ROOT = Path(__file__).resolve().parent.parent
CONVERSATION = load_file(ROOT / "scenarios" / "starting_a_conversation.yaml")


def keys(app, *names):
    for k in names:
        app.on_key(k)


def typed(app, ch):
    """A letter key as a window delivers it: the key event (where the client maps that key), then the character."""
    if ch in ALL_KEYS:
        app.on_key(ch)
    messenger.send("keystroke", [ch])


async def open_records(app):
    app.records.open()
    await pump(app, lambda: isinstance(app.screen, MenuScreen), timeout=15)


async def test_questionnaire_round_trip_with_the_score_in_plain_words(app, server):
    await enter(app, server)
    uid = server.store.find_user("Ana")["id"]
    await open_records(app)
    assert "Questionnaires" in app.screen.text()
    keys(app, "1")  # the questionnaires
    await pump(app, lambda: isinstance(app.screen, QuestionnaireListScreen), timeout=15)
    listing = app.screen
    assert "Confidence in everyday conversations" in listing.text()
    assert "ready to answer before you practise" in listing.text()  # nothing answered yet: `pre` is due
    listing.click("q1")  # by mouse
    await pump(app, lambda: isinstance(app.screen, QuestionnaireScreen), timeout=15)
    form = app.screen
    assert form.when == "pre" and "I can start a conversation with someone." in form.text()
    keys(app, "4")  # a digit answers and moves on
    assert "I can ask someone for help" in form.text()
    form.click("value5")  # a click answers too
    keys(app, "arrow_down")  # skip the third
    keys(app, "arrow_left", "enter")  # the choice moves from the last answer (5) to 4; Enter takes it
    assert form.at_end and "You answered 3 of 4" in form.text()
    keys(app, "enter")
    await pump(app, lambda: "Thank you" in form.text(), timeout=15)
    rows = server.store.questionnaire_answers(uid)
    assert [(r["questionnaire"], r["phase"], r["answers"]) for r in rows] == [
        ("confidence", "pre", {"start_talk": 4, "ask_help": 5, "feelings": 4})
    ]
    shown = form.text()
    assert "Your answers average 4.3, on a scale from 1 (Not at all) to 5 (Very much)." in shown
    assert "You answered it before practising: an average of 4.3." in shown
    keys(app, "arrow_up", "3")  # sent is sent: the result stays
    assert form.text() == shown
    keys(app, "escape")  # Esc: back to the list, which now says `post` is due
    await pump(app, lambda: isinstance(app.screen, QuestionnaireListScreen), timeout=15)
    assert "ready to answer after practising" in app.screen.text()
    keys(app, "escape")
    await pump(app, lambda: isinstance(app.screen, MenuScreen), timeout=15)
    keys(app, "escape")  # out of the records: back to the room
    await pump(app, lambda: app.screen is None and app.in_room, timeout=15)
    # gone back before a screen loaded: it does not pop up later
    await open_records(app)
    keys(app, "2", "escape")
    await pump(app, frames=100)
    assert app.screen is None and app.in_room


async def test_my_data_exports_to_a_file_and_delete_removes_the_account(app, server, tmp_path, monkeypatch):
    monkeypatch.setenv("PEERSPACE_DOWNLOADS", str(tmp_path / "downloads"))
    await enter(app, server, name="Bea")
    uid = server.store.find_user("Bea")["id"]
    await app.session.call("answer_questionnaire", {"questionnaire": "hope", "when": "pre", "answers": {"future": 3}})
    await app.session.call(events.SAY, {"text": "hello there"})
    await open_records(app)
    keys(app, "3")
    await pump(app, lambda: isinstance(app.screen, MyDataScreen), timeout=15)
    screen = app.screen
    text = screen.text()
    assert server.app[SAFETY].crisis.monitoring_notice in text  # the server's own notice: what is monitored
    assert "Recording is off." in text and "1 questionnaire answers" in text
    # recording on and off, with the existing consent intent
    screen.click("consent")
    await pump(app, lambda: "Recording is on now." in screen.text(), timeout=15)
    assert server.store.get_user(uid)["consent_recording"]
    typed(app, "c")
    await pump(app, lambda: "Recording is off now." in screen.text(), timeout=15)
    assert not server.store.get_user(uid)["consent_recording"]
    # export: a file in the download folder with the person's records; its path is shown
    screen.click("export")
    await pump(app, lambda: "Saved:" in screen.text(), timeout=15)
    saved = list((tmp_path / "downloads").glob("peerspace-my-records-*.json"))
    assert len(saved) == 1 and str(saved[0]) in screen.text()
    doc = json.loads(saved[0].read_text())
    assert doc["user"]["name"] == "Bea" and doc["questionnaires"][0]["answers"] == {"future": 3}
    # delete: the first press names what goes; Esc takes it back; two presses delete
    typed(app, "d")
    assert "deletes the account Bea" in screen.text() and server.store.get_user(uid) is not None
    keys(app, "escape")
    assert "deletes the account" not in screen.text() and app.screen is screen
    screen.click("delete")
    screen.click("delete")
    await pump(app, lambda: app.screen is not screen and app.model.room is None, timeout=15)
    assert server.store.get_user(uid) is None
    assert server.store.questionnaire_answers(uid) == []
    assert "every record about you are deleted" in app.screen.status.getText()


async def test_my_practice_tells_a_finished_session_and_opens_its_replay(app, server):
    await enter(app, server, name="Cai")
    uid = server.store.find_user("Cai")["id"]
    await app.session.call(events.CONSENT, {"recording": True})
    run = ScenarioRun.create(server.store, "cafe", CONVERSATION, "easy", participant_user_id=uid)
    room = server.world.rooms["cafe"]
    room.spawn("Coach", "cast", "coach", at=(0.0, 2.0), yaw=180.0)
    # the recorder has the run once its first sample is kept; walking then keeps more (only changes are kept)
    await pump(app, lambda: server.store.pose_frame_count(run.run_id) >= 1, timeout=15)
    await app.session.emit(events.MOVE, {"forward": 1.0, "strafe": 0.0, "turn": 0.0})
    await pump(app, lambda: server.store.pose_frame_count(run.run_id) >= 3, timeout=15)
    await app.session.emit(events.MOVE, {"forward": 0.0, "strafe": 0.0, "turn": 0.0})
    state = server.store.get_run(run.run_id)["state"]
    state["phases_done"] = [p["id"] for p in CONVERSATION.phases]
    state["feedback"] = {"positive": 2, "corrective": 0}
    state["homework"] = "Say hello to one new person this week."
    # greeting done well in the role-play and again; a question only partly: only the greeting went well
    state["ratings"] = {"role_play": {"greet": [2, 1], "ask_question": [1]}, "repeat": {"greet": [2]}}
    server.store.save_run_state(run.run_id, state, "finished")
    # someone else's run: not theirs to replay
    other = ScenarioRun.create(server.store, "cafe", CONVERSATION, "easy", participant_user_id=None)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {app.session.token}"}) as http:
        async with http.get(f"{server.url}/api/me/runs/{other.run_id}/replay") as r:
            assert r.status == 404
    await open_records(app)
    keys(app, "2")
    await pump(app, lambda: isinstance(app.screen, PracticeScreen), timeout=15)
    shown = app.screen.text()
    assert f"{CONVERSATION.title}, " in shown and "you went all the way through" in shown
    assert "What went well: Greet them and say who you are; the coach noticed 2 good things" in shown
    assert "Make small talk" not in shown
    assert "Say hello to one new person this week." in shown
    assert "You have practised once so far." in shown
    assert "%" not in shown  # progress without marks
    keys(app, "enter")  # its replay
    await pump(app, lambda: isinstance(app.screen, ReplayScreen), timeout=15)
    replay = app.screen
    assert {m["name"] for m in replay.track.members_at(replay.track.end).values()} >= {"Cai", "Coach"}
    await pump(app, frames=5)
    assert replay.view.avatars and app.scene_np.isHidden()
    replay.click("play")  # the mouse pauses it, as Space does
    assert not replay.playing
    keys(app, "escape")
    await pump(app, lambda: isinstance(app.screen, PracticeScreen), timeout=15)
    assert not app.scene_np.isHidden() and replay.view.root.isEmpty()


async def test_questionnaires_are_offered_when_a_practice_starts_and_ends_never_forced(app, server):
    await enter(app, server, name="Dee")
    uid = server.store.find_user("Dee")["id"]
    messenger.send("p")  # a practice, started as a person would
    await pump(app, lambda: app.picker is not None and app.picker.scenarios, timeout=15)
    while app.picker.scenarios[app.picker.index]["id"] != "starting_a_conversation":
        messenger.send("arrow_down")
    messenger.send("enter")
    await pump(app, lambda: app.scenario_panel is not None and app.scenario_panel.state is not None, timeout=15)
    run_id = app.scenario_panel.state["run"]
    await pump(app, lambda: any("Before you start" in line[0] for line in app.chat.lines), timeout=15)
    assert app.screen is None and app.in_room and app.scenario_panel is not None  # offered; the practice goes on
    await open_records(app)
    assert "Answer now: Confidence in everyday conversations" in app.screen.text()
    keys(app, "1")
    await pump(app, lambda: isinstance(app.screen, QuestionnaireScreen), timeout=15)
    form = app.screen
    assert form.when == "pre"
    keys(app, "3", "enter", "enter", "enter", "enter")  # one answer, the rest skipped by Enter on the middle
    await pump(app, lambda: "Thank you" in form.text(), timeout=15)
    row = server.store.questionnaire_answers(uid)[0]
    assert (row["phase"], row["run_id"]) == ("pre", run_id)
    keys(app, "escape")  # back to the menu: the one answered is gone from it, the next one due is offered
    await pump(app, lambda: isinstance(app.screen, MenuScreen), timeout=15)
    assert "Answer now: Confidence" not in app.screen.text() and "Answer now: Hope" in app.screen.text()
    keys(app, "escape")
    await pump(app, lambda: app.screen is None and app.in_room, timeout=15)
    messenger.send("escape")  # stop the practice: Esc asks, Enter stops
    messenger.send("enter")
    await pump(app, lambda: any("Well done" in line[0] for line in app.chat.lines), timeout=15)
    assert app.records.due and app.records.due[0]["due"] == "post" and app.screen is None


async def test_my_records_open_from_the_room_list_and_esc_goes_back_there(app, server):
    server.add_user("Fin")
    app.opts.server, app.opts.room, app.opts.user = server.url, None, "Fin"
    assert await app.login_and_connect("Fin", PASSWORD)
    await pump(app, lambda: isinstance(app.screen, RoomListScreen), timeout=15)
    typed(app, "m")
    await pump(app, lambda: isinstance(app.screen, MenuScreen), timeout=15)
    keys(app, "escape")
    await pump(app, lambda: isinstance(app.screen, RoomListScreen), timeout=15)


async def test_own_records_http_need_a_token(server):
    async with aiohttp.ClientSession() as http:
        for path in ("/api/me/practice", "/api/me/questionnaires", "/api/me/data", "/api/me/runs/1/replay"):
            async with http.get(server.url + path) as r:
                assert r.status == 401, path
        server.add_user("Eve")
        async with http.post(server.url + "/api/login", json={"name": "Eve", "password": PASSWORD}) as r:
            token = (await r.json())["token"]
        async with http.get(server.url + "/api/me/data", headers={"Authorization": f"Bearer {token}"}) as r:
            body = await r.json()
    assert body["name"] == "Eve" and body["recording"] is False and body["kept"]["sessions"] == 0


@pytest.mark.skipif(not TOOLS and not os.environ.get("CI"), reason="needs Xvfb and xdotool")
async def test_my_data_in_a_real_window_by_real_keys_and_a_mouse_click(server, tmp_path):
    """Through X (Xvfb, xdotool): M on the room list, a click on "My data", C turns recording on, E exports."""
    import time

    downloads = tmp_path / "downloads"
    extra_env = {"PEERSPACE_DOWNLOADS": str(downloads)}
    uid = server.add_user("Gus")["id"]
    server.store.set_appearance(uid, json.dumps(LOOK))  # chose a look before: no first-login chooser over the list
    args = ["--server", server.url, "--user", "Gus", "--password", PASSWORD, "--size", "800x500"]
    async with real_client(tmp_path, *args, "--settings", str(tmp_path / "settings.json"), env=extra_env) as rc:
        env = rc.env
        window = await rc.find_window(30)
        deadline = time.time() + 30
        while not any(c.user["id"] == uid for c in server.world.conns.values()) and time.time() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # signed in and connected; the room list is up
        xdo(env, "key", "m")
        await asyncio.sleep(1.0)
        # the menu's third row, "My data", is centred at y = 0.1 of the 2D layer: (1 - 0.1) / 2 of the height
        xdo(env, "mousemove", "--window", window, "400", str(int((1 - 0.1) / 2 * 500)))
        xdo(env, "click", "1")
        await asyncio.sleep(1.5)
        xdo(env, "key", "c")
        deadline = time.time() + 10
        while not server.store.get_user(uid)["consent_recording"] and time.time() < deadline:
            await asyncio.sleep(0.2)
        assert server.store.get_user(uid)["consent_recording"]
        xdo(env, "key", "e")
        deadline = time.time() + 10
        while not list(downloads.glob("*.json")) and time.time() < deadline:
            await asyncio.sleep(0.2)
        saved = list(downloads.glob("peerspace-my-records-*.json"))
        assert len(saved) == 1 and json.loads(saved[0].read_text())["user"]["name"] == "Gus"
