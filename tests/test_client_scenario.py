"""The participant's scenario panel and local prediction, in the real client against the real server.

The client renders offscreen and is driven by key events only; the server is
the real one on loopback (`server` fixture) with the in-process autonomous
coach speaking the cast's cues. Assertions look at what is drawn (text nodes
and pixels), at the run's transcript in the server's store, and at the
server's own pose of the participant's avatar.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import numpy as np
import pytest
from direct.showbase.MessengerGlobal import messenger

from client.testing import frame, pump
from client_room import app, enter  # noqa: F401  (the fixture)
from server.scenarios.loader import load_file
from server.scenarios.paths import full_run_inputs
from wire import scenario as wsc


async def start(app, scenario: str):
    messenger.send("p")  # the scenario list, by keyboard
    await pump(app, lambda: app.picker is not None and len(app.picker.scenarios) >= 2)
    titles = [s["title"] for s in app.picker.scenarios]
    assert "Starting a conversation" in titles
    while app.picker.scenarios[app.picker.index]["id"] != scenario:
        messenger.send("arrow_down")
    assert [d["id"] for d in app.picker.difficulties()] == ["easy", "medium", "hard"]
    messenger.send("enter")
    await pump(app, lambda: app.scenario_panel is not None and app.scenario_panel.waiting_for_me)
    return app.scenario_panel


async def wait_state(app, cond, timeout=8.0):
    await pump(
        app,
        lambda: (
            app.scenario_panel is not None
            and app.scenario_panel.state is not None
            and not app.scenario_panel.busy
            and not app.scenario_panel.state.get("speaking")  # a cast line is still owed: nothing to answer yet
            and cond(app.scenario_panel.state)
        ),
        timeout=timeout,
    )
    return app.scenario_panel.state


def events_of(server, run_id, kind):
    return [e for e in server.store.run_events(run_id) if e["kind"] == kind]


async def test_number_keys_choose_options_the_server_records_and_stopping_asks_first(app, server):
    await enter(app, server)
    panel = await start(app, "starting_a_conversation")
    run_id = panel.state["run"]
    assert panel.state["phase"]["index"] == 0 and panel.wait == "continue"
    assert "Part 1 of" in panel.text
    # scripted phases: Enter continues until the role-play asks for a choice
    while panel.state["wait"] == "continue":
        messenger.send("enter")
        await wait_state(app, lambda st: st["wait"] in ("continue", "choice"))
    st = panel.state
    assert st["wait"] == "choice" and len(st["options"]) >= 2
    # the options are drawn as a numbered list: text nodes on the panel, and pixels where the panel is
    for o in st["options"]:
        assert o["text"] in panel.text
    assert "1-" in panel.text and "choose" in panel.text
    await pump(app, frames=30)  # let the turn towards the speaker settle
    with_panel = frame(app)
    panel.root.hide()
    without = frame(app)
    panel.root.show()
    h, w = with_panel.shape[:2]
    lo, hi = panel.root.getTightBounds(app.aspect2d)
    ratio = app.getAspectRatio()
    c0, c1 = int((lo.x / ratio + 1) / 2 * w), int((hi.x / ratio + 1) / 2 * w)
    r0, r1 = int((1 - hi.z) / 2 * h), int((1 - lo.z) / 2 * h)
    assert c1 - c0 > w * 0.25 and r1 - r0 > h * 0.3, "a panel big enough to read"
    diff = np.abs(with_panel - without).mean(axis=2)
    inside = diff[r0:r1, c0:c1].mean()
    outside = diff[:, : c0 - 4].mean()
    assert inside > 0.05 and inside > 4 * outside, (inside, outside)
    # the partner's line is on the panel (and the cast avatar says it in a bubble)
    line = st["line"]["text"]
    await pump(app, lambda: line in panel.text)
    partner = st["avatars"][st["line"]["cast"]]
    bubble = app.avatars[partner]._bubble
    assert bubble is not None and bubble.node().getText() == line
    # key 2 chooses the second option; it is not a gesture while options are offered
    second = st["options"][1]["id"]
    messenger.send("2")
    await pump(app, lambda: events_of(server, run_id, "choice"))
    choice = events_of(server, run_id, "choice")[0]["data"]
    assert choice["option"] == second and choice["via"] == "choice"
    assert app.avatars[app.my_id].gesture == "none"
    await wait_state(app, lambda s: s.get("node") != st["node"])
    # Esc asks first; Esc again keeps going; Esc then Enter stops
    messenger.send("escape")
    assert panel.mode == "confirm_stop" and "Stop this practice now?" in panel.text
    messenger.send("escape")
    assert panel.mode == "run" and app.settings_panel is None
    assert not events_of(server, run_id, "stopped")
    messenger.send("escape")
    messenger.send("enter")
    await pump(app, lambda: panel.mode == "summary")
    assert events_of(server, run_id, "stopped")
    assert "You stopped the practice. That is fine" in panel.text
    assert "Traceback" not in panel.text
    messenger.send("enter")  # closes the summary
    assert app.scenario_panel is None


async def test_an_emotion_item_is_answered_in_own_words_and_the_run_reaches_its_end(app, server):
    await enter(app, server, name="Bea", room="park")
    panel = await start(app, "emotion_recognition")
    run_id = panel.state["run"]
    while panel.state["wait"] == "continue":
        messenger.send("space")
        await wait_state(app, lambda st: st["wait"] in ("continue", "emotion"))
    st = panel.state
    assert st["wait"] == "emotion" and [o["id"] for o in st["options"]][:2] == ["neutral", "happy"]
    # the cast avatar's face shows the item's emotion (as the server recorded it)
    shown = events_of(server, run_id, "show_face")[-1]["data"]
    kim = st["avatars"][st["line"]["cast"]]
    await pump(app, lambda: app.avatars[kim].expression == shown["expression"])
    assert "Which emotion" in panel.text and "happy" in panel.text
    # F9 looks closely; then Enter types the answer in own words; Enter sends
    messenger.send("f9")
    assert app.closeup == kim
    messenger.send("enter")
    assert panel.typing
    for ch in f"I think {shown['expression']}":
        messenger.send("keystroke", [ch])
    assert app.avatars[app.my_id].gesture == "none"
    messenger.send("enter")
    await pump(app, lambda: events_of(server, run_id, "emotion_answer"))
    ans = events_of(server, run_id, "emotion_answer")[0]["data"]
    assert ans["given"] == shown["expression"] and ans["correct"] is True
    # the rest by number keys (the first option each time) until the end
    for _ in range(80):
        await pump(app, lambda: panel.mode == "summary" or panel.waiting_for_me, timeout=8)
        if panel.mode == "summary":
            break
        messenger.send("1")
    assert panel.mode == "summary"
    kinds = [e["kind"] for e in server.store.run_events(run_id)]
    assert "ending" in kinds and "finished" in kinds
    text = panel.text
    assert "You finished the practice" in text and "faces" in text and "Practice this week" in text
    assert server.store.get_run(run_id)["status"] == "finished"


async def test_prediction_moves_your_avatar_at_once_and_settles_where_the_server_says(app, server):
    await enter(app, server, name="Cyd")
    me = app.avatars[app.my_id]
    room = server.world.rooms["cafe"]
    await pump(app, frames=5)
    start_xy = (me.root.getX(), me.root.getY())
    server_start = room.pos[app.my_id].copy()
    messenger.send("arrow_up")
    app.taskMgr.step()  # one frame, before the server has even read the key
    moved = math.hypot(me.root.getX() - start_xy[0], me.root.getY() - start_xy[1])
    assert moved > 0.001, "your avatar should move on the very frame the key goes down"
    assert np.allclose(room.pos[app.my_id], server_start)
    # walk for a while: steady, no jumps
    last, biggest = (me.root.getX(), me.root.getY()), 0.0

    def track():
        nonlocal last, biggest
        p = (me.root.getX(), me.root.getY())
        biggest = max(biggest, math.hypot(p[0] - last[0], p[1] - last[1]))
        last = p
        return False

    for _ in range(60):
        app.taskMgr.step()
        track()
        await asyncio.sleep(0.01)
    messenger.send("arrow_up-up")
    for _ in range(60):
        app.taskMgr.step()
        track()
        await asyncio.sleep(0.01)
    assert biggest < 0.12, f"a jump of {biggest:.3f} m in one frame"
    walked = math.hypot(*(room.pos[app.my_id] - server_start))
    assert walked > 0.3
    # it ends exactly where the server says (pose quantised to 1 cm on the wire)
    await pump(
        app,
        lambda: np.hypot(me.root.getX() - room.pos[app.my_id][0], me.root.getY() - room.pos[app.my_id][1]) < 0.015,
        timeout=3,
    )
    await pump(app, frames=20)
    assert abs(me.root.getX() - room.pos[app.my_id][0]) < 0.015
    assert abs(me.root.getY() - room.pos[app.my_id][1]) < 0.015
    # room_state said how you move and whether your lines are recorded; the indicator uses it
    assert app.predictor.walk == pytest.approx(server.world.cfg.walk_speed)
    assert app.recording is False and "NOT recorded" in app.recorded.text


async def test_after_a_role_play_the_participant_rates_it_by_keys_and_the_rating_is_stored(app, server):
    scenario = load_file(Path(__file__).resolve().parent.parent / "scenarios" / "starting_a_conversation.yaml")
    await enter(app, server)
    panel = await start(app, "starting_a_conversation")
    for method, arg in full_run_inputs(scenario, "easy"):
        await wait_state(app, lambda s: bool(s.get("options")))
        if panel.rating_due:
            break
        assert method == "choose", method
        await app.session.call(wsc.SCENARIO_CHOOSE, {"option": arg})
    assert panel.rating_due, "the first role-play ended without asking for a rating"
    assert "How did that go for you?" in panel.text and "[5]" in panel.text
    assert "Enter: save your rating" in panel.text
    for _ in range(3):
        messenger.send("arrow_right")
    messenger.send("arrow_left")
    assert "[7]" in panel.text
    messenger.send("enter")
    await wait_state(app, lambda s: (s.get("self_rating") or {}).get("value") == 7)
    assert not panel.rating_due and "Enter or Space: continue" in panel.text
    (rated,) = events_of(server, panel.state["run"], "self_rating")
    assert rated["data"]["rating"] == 7
