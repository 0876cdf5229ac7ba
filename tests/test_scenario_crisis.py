"""A crisis phrase in a practice stops the scene (issue #13, item 4), over a real server with real bots.

The failing case replayed: in the hard role-play of 'Asking for help', the typed answer "I can't go on
like this. I want to kill myself." used to match the option `walk_away` (0.75), was scored, and the busy
partner answered in role. Now the scene stops before the answer is matched: staff are alerted, the
participant gets the support card, the cast step out of their roles and the coach checks in.
"""

import asyncio
import math
import re

import pytest

from conftest import dashboard_login, eventually
from scenario_play import settled
from server.appkeys import SAFETY
from server.safety.crisis import load
from wire import events
from wire import safety as ws
from wire import scenario as wsc
from wire.errors import WireError

PHRASES = "scenarios/safety/crisis_phrases.yaml"
CRISIS = "I can't go on like this. I want to kill myself."
TEXTS = {k.split(".", 1)[1]: v for k, v in (load(PHRASES).texts or {}).items() if k.startswith("scene_pause.")}
NOT_FOR_A_PAUSED_ANSWER = {"choice", "score", "no_match", "emotion_answer", "emotion_unclear", "reflection"}


def last_state(bot) -> dict:
    return [d for e, d in bot.inbox if e == wsc.SCENARIO_STATE][-1]


async def to_the_role_play(srv, ana, room: str = "cafe") -> int:
    """Start 'Asking for help' on hard and continue through the scripted phases to the role-play."""
    run = (await ana.call(wsc.SCENARIO_START, {"scenario": "asking_for_help", "difficulty": "hard"}))["run"]
    await ana.wait_for(wsc.SCENARIO_STATE)
    while last_state(ana)["wait"] == "continue":
        await settled(srv, room)
        mark = len(ana.inbox)
        await ana.call(wsc.SCENARIO_CHOOSE, {"option": wsc.CONTINUE})
        await ana.wait_for(wsc.SCENARIO_STATE, since=mark)
    st = last_state(ana)
    assert st["wait"] == "choice" and st["phase"]["kind"] == "role_play" and st["node"] == "desk"
    await settled(srv, room)
    return run


def cast_said(store, run_id: int, after: int = 0) -> list[tuple[str, str | None, bool]]:
    return [
        (e["data"]["cast"], e["data"]["suggestion"], e["data"]["verbatim"])
        for e in store.run_events(run_id)
        if e["kind"] == "said" and "cast" in e["data"] and e["id"] > after
    ]


async def refused(bot, event: str, payload: dict) -> WireError:
    with pytest.raises(WireError) as e:
        await bot.call(event, payload)
    return e.value


async def test_a_crisis_answer_in_a_hard_role_play_stops_the_scene_unscored(server):
    server.look_after("Sam", "Ana")
    ana = await server.bot("Ana", room="cafe")
    await ana.call(events.CONSENT, {"recording": True})
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    run = await to_the_role_play(server, ana)
    cast = {m["role"]: a for a, m in ana.members.items() if m["kind"] == "cast"}
    before = server.store.run_events(run)[-1]["id"]
    mark = len(ana.inbox)

    ack = await ana.call(wsc.SCENARIO_ANSWER, {"text": CRISIS})
    assert ack["wait"] == "paused" and ack["status"] == "active"

    # people first: staff are alerted, the participant gets the support card
    alert = await sam.wait_for(ws.SAFETY_ALERT)
    assert alert["kind"] == "crisis" and alert["avatar"] == ana.avatar and alert["text"] == CRISIS
    support = await ana.wait_for(events.NOTICE, lambda d: d.get("kind") == "support", since=mark)
    phrases = load(PHRASES)
    assert support["text"] == f"{phrases.texts['told.staff']} {phrases.resources_text}"  # Sam is online
    # the run is paused: nothing offered but carrying on or ending, and the participant is told who knows
    st = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["wait"] == "paused", since=mark)
    assert st["paused"] == {"reason": "crisis", "acknowledged": False}
    assert st["options"] == [{"id": "resume", "text": TEXTS["resume"]}, {"id": "end", "text": TEXTS["end"]}]
    assert st["prompt"] == TEXTS["staff_told"] and not st["free_text"] and not st["hints"]
    staff_view = await sam.wait_for(wsc.SCENARIO_STATE, lambda s: s["wait"] == "paused")
    assert staff_view["cue"]["intents"] == [] and staff_view["cue"]["expect"] == "paused"
    # the coach steps out of the scene and checks in, in the data file's words; the partner says nothing
    await ana.wait_until(lambda: any(line["text"] == TEXTS["check_in"] for line in ana.said))
    check_in = next(line for line in ana.said if line["text"] == TEXTS["check_in"])
    assert check_in["avatar"] == cast["coach"]
    said_after = await eventually(lambda: cast_said(server.store, run, before), lambda v: len(v) >= 1)
    assert said_after == [("coach", "pause/check_in", True)]
    await asyncio.sleep(0.3)  # anything the autonomous partner would have said in reply has had time
    assert cast_said(server.store, run, before) == [("coach", "pause/check_in", True)]
    assert not [line for line in ana.said[-5:] if line["avatar"] == cast["jordan"] and line["ts"] > check_in["ts"]]
    room = server.world.rooms["cafe"]
    assert room.avatars[cast["jordan"]].expression == "neutral"
    dx, dz = room.pos[ana.avatar] - room.pos[cast["coach"]]
    assert math.isclose(float(room.yaw[cast["coach"]]), math.degrees(math.atan2(-dx, dz)) % 360.0, abs_tol=0.5)
    # never matched, never scored: the answer is only the participant's line, with the run
    evs = server.store.run_events(run)
    after = [e for e in evs if e["id"] > before]
    assert not [e for e in evs if e["kind"] in NOT_FOR_A_PAUSED_ANSWER]
    assert [e["kind"] for e in after if e["kind"] != "said"] == ["paused"]
    assert any(e["kind"] == "said" and e["data"].get("text") == CRISIS for e in after)
    assert server.store.get_run(run)["state"]["wait"] == "paused"
    assert not any(pts for steps in st["scores"].values() for pts in steps.values())

    # while paused: answers and other choices are refused calmly; carrying on waits for staff
    for event, payload in (
        (wsc.SCENARIO_ANSWER, {"text": "Hello, could you help me?"}),
        (wsc.SCENARIO_CHOOSE, {"option": "walk_away"}),
    ):
        err = await refused(ana, event, payload)
        assert err.code == "conflict" and err.message == TEXTS["waiting"]
    err = await refused(ana, wsc.SCENARIO_CHOOSE, {"option": "resume"})
    assert err.code == "conflict" and err.message == TEXTS["resume_waits"]
    err = await refused(ana, wsc.SCENARIO_RESUME, {})
    assert err.message == TEXTS["resume_waits"]

    # Sam marks the alert handled on the dashboard: now Ana may carry on, where she was
    row = (await eventually(server.app[SAFETY].db.alerts))[0]
    http, status = await dashboard_login(server.url, "Sam")
    try:
        assert status == 303
        async with http.get(server.url + "/dashboard/safety") as r:
            csrf = re.search(r"""name=["']csrf["'] value=["']([0-9a-f]+)""", await r.text()).group(1)
        url = f"{server.url}/dashboard/alerts/{row['id']}/handled"
        async with http.post(url, data={"csrf": csrf}, allow_redirects=False) as r:
            assert r.status == 303
    finally:
        await http.close()
    mark = len(ana.inbox)
    ack = await ana.call(wsc.SCENARIO_CHOOSE, {"option": "resume"})
    assert ack["wait"] == "choice"
    st = await ana.wait_for(wsc.SCENARIO_STATE, since=mark)
    assert st["wait"] == "choice" and st["node"] == "desk" and st["paused"] is None
    assert {o["id"] for o in st["options"]} >= {"walk_away"}
    evs = [e for e in server.store.run_events(run) if e["kind"] in ("paused", "pause_acknowledged", "resumed")]
    assert [e["kind"] for e in evs] == ["paused", "pause_acknowledged", "resumed"]
    assert evs[1]["actor"] == "dashboard" and evs[2]["actor"] == "Ana" and evs[2]["data"]["acknowledged"] == "dashboard"


async def test_a_crisis_line_in_chat_pauses_and_staff_resume_or_hand_back(server):
    ana = await server.bot("Ana", room="cafe")
    fay = await server.bot("Fay", role="facilitator", room="cafe")
    run = await to_the_role_play(server, ana)
    mark = len(ana.inbox)
    await ana.say("honestly there is no reason to live")
    st = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["wait"] == "paused", since=mark)
    assert st["prompt"] == TEXTS["staff_told"]
    await ana.wait_until(lambda: any(line["text"] == TEXTS["check_in"] for line in ana.said))
    assert not [e for e in server.store.run_events(run) if e["kind"] in NOT_FOR_A_PAUSED_ANSWER]
    # a staff member acknowledges live and leaves the choice to Ana
    mark = len(ana.inbox)
    ack = await fay.call(wsc.SCENARIO_RESUME, {"acknowledge": True})
    assert ack["wait"] == "paused"
    st = await ana.wait_for(wsc.SCENARIO_STATE, since=mark)
    assert st["paused"]["acknowledged"] is True and st["prompt"] == TEXTS["acknowledged"]
    assert (await ana.call(wsc.SCENARIO_RESUME, {}))["wait"] == "choice"
    # the live acknowledgement is on the alert's record too (so escalation stops), and Ana is told it was seen
    alert = next(a for a in server.store.alerts(["cafe"]) if a["kind"] == "crisis")
    assert alert["acknowledged_name"] == "Fay" and alert["acknowledged_at"] is not None
    await ana.wait_for(ws.ALERT_SEEN)
    # a second crisis: this time the staff member resumes the scene themselves
    await ana.say("I want to die")
    await ana.wait_until(lambda: last_state(ana)["wait"] == "paused")
    assert (await fay.call(wsc.SCENARIO_RESUME, {}))["wait"] == "choice"
    # and a third: staff advance lifts the pause and moves on to the next part
    await ana.say("I want to die")
    await ana.wait_until(lambda: last_state(ana)["wait"] == "paused")
    ack = await fay.call(wsc.SCENARIO_ADVANCE, {})
    assert ack["wait"] != "paused"
    kinds = [
        e["kind"] for e in server.store.run_events(run) if e["kind"] in ("paused", "resumed", "pause_acknowledged")
    ]
    assert kinds == ["paused", "pause_acknowledged", "resumed", "paused", "resumed", "paused", "resumed"]


async def test_ending_a_paused_practice_is_kind_and_no_staff_is_not_promised(server):
    ana = await server.bot("Ana", room="cafe")
    await ana.call(events.CONSENT, {"recording": True})
    run = await to_the_role_play(server, ana)
    mark = len(ana.inbox)
    await ana.call(wsc.SCENARIO_ANSWER, {"text": CRISIS})
    st = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["wait"] == "paused", since=mark)
    assert st["prompt"] == TEXTS["no_staff"]  # nobody online: told so, no one is promised
    ack = await ana.call(wsc.SCENARIO_CHOOSE, {"option": "end"})
    assert ack["status"] == "stopped"
    ended = await ana.wait_for(wsc.SCENARIO_ENDED)
    assert ended["status"] == "stopped" and ended["closing"] == TEXTS["closing"]
    assert any(line["text"] == TEXTS["closing"] for line in ana.said)
    stopped = [e for e in server.store.run_events(run) if e["kind"] == "stopped"]
    assert stopped[0]["data"]["after_pause"] == "crisis"
    assert not [e for e in server.store.run_events(run) if e["kind"] in NOT_FOR_A_PAUSED_ANSWER]


async def test_a_paused_run_stays_paused_after_a_restart(make_server):
    srv = await make_server()
    ana = await srv.bot("Ana", room="cafe")
    run = await to_the_role_play(srv, ana)
    await ana.call(wsc.SCENARIO_ANSWER, {"text": CRISIS})
    await ana.wait_until(lambda: any(line["text"] == TEXTS["check_in"] for line in ana.said))
    await srv.stop()
    srv2 = await make_server()
    ana2 = await srv2.bot("Ana", room="cafe")
    st = await ana2.wait_for(wsc.SCENARIO_STATE)
    assert st["run"] == run and st["wait"] == "paused" and st["paused"]["reason"] == "crisis"
    assert [o["id"] for o in st["options"]] == ["resume", "end"]
    await ana2.wait_until(lambda: sum(m["kind"] == "cast" for m in ana2.members.values()) == 2)
    err = await refused(ana2, wsc.SCENARIO_ANSWER, {"text": "Hello, could you help me?"})
    assert err.message == TEXTS["waiting"]
    err = await refused(ana2, wsc.SCENARIO_RESUME, {})
    assert err.message == TEXTS["resume_waits"]
    await asyncio.sleep(0.2)
    # the check-in was said before the restart: not said again, and the partner says nothing
    said = [
        (e["data"]["cast"], e["data"]["suggestion"])
        for e in srv2.store.run_events(run)
        if e["kind"] == "said" and "cast" in e["data"]
    ]
    assert said.count(("coach", "pause/check_in")) == 1 and said[-1] == ("coach", "pause/check_in")
    fay = await srv2.bot("Fay", role="facilitator", room="cafe")
    assert (await fay.call(wsc.SCENARIO_RESUME, {}))["wait"] == "choice"
