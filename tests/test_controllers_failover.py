"""Failover: a teleoperator whose link drops is replaced within 2 s (or the scene pauses), and gets the avatar back."""

import time
from pathlib import Path

import pytest

from scenario_play import settled, teleoperate
from wire import controllers as wc
from wire import events
from wire import scenario as wsc
from wire.errors import WireError

ROOT = Path(__file__).resolve().parent.parent


def _driver(bot, role):
    found = [d for e, d in bot.inbox if e == wc.CONTROLLER and d["role"] == role]
    return found[-1]["driver"] if found else None


async def test_dropped_teleoperator_is_replaced_by_the_autonomous_driver_and_reclaims(make_server):
    srv = await make_server(failover_delay=1.0)
    sam = await srv.bot("Sam", role="peer_specialist", room="cafe")
    ana = await srv.bot("Ana", room="cafe")
    await sam.call(wc.CLAIM, {"role": "coach"})
    teleoperate(sam)
    run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
    await settled(srv)
    coach = next(a for a, m in ana.members.items() if m.get("role") == "coach")
    assert _driver(ana, "coach") == "teleop"
    sam.sio.reconnection = False  # stay away until we say (a quick resume is no failover)
    sam.drop_link()
    t0 = time.monotonic()
    await ana.wait_until(lambda: _driver(ana, "coach") == "autonomous", timeout=2.5)
    took = time.monotonic() - t0
    assert took <= 2.0, took
    assert coach not in srv.world.rooms["cafe"].drivers
    # the scene goes on: the next coach lines are said by the autonomous driver
    mark = len(ana.said)
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
    await ana.wait_until(lambda: any(l["avatar"] == coach for l in ana.said[mark:]))
    lines = [e for e in srv.store.run_events(run_id) if e["kind"] == "said" and e["data"].get("cast") == "coach"]
    assert lines[0]["user_id"] == sam.user["id"] and lines[-1]["user_id"] is None
    # Sam's client reconnects and resumes: the coach is theirs again
    await sam.wait_until(lambda: sam.state == "reconnecting" or not sam.sio.connected)
    sam.sio.reconnection = True
    await sam.connect()
    await ana.wait_until(lambda: _driver(ana, "coach") == "teleop", timeout=8)
    assert srv.world.rooms["cafe"].drivers[coach] == sam.user["id"]
    mark = len(sam.inbox)
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
    await sam.wait_for(wc.CUE, lambda c: c["role"] == "coach", since=mark)
    await settled(srv)
    lines = [e for e in srv.store.run_events(run_id) if e["kind"] == "said" and e["data"].get("cast") == "coach"]
    assert lines[-1]["user_id"] == sam.user["id"]


async def test_scene_pauses_when_the_scenario_says_so_and_resumes_on_return(make_server, tmp_path):
    scen = tmp_path / "scen"
    scen.mkdir()
    text = (ROOT / "tests" / "scenario_fixtures" / "minimal.yaml").read_text()
    text = text.replace(
        "coach: {kind: coach, name: Robin}", "coach: {kind: coach, name: Robin, on_operator_drop: pause}"
    )
    assert "pause" in text
    (scen / "minimal.yaml").write_text(text)
    for sub in ("safety", "questionnaires"):
        (scen / sub).symlink_to(ROOT / "scenarios" / sub)
    srv = await make_server(failover_delay=0.5, scenarios_dir=str(scen))
    sam = await srv.bot("Sam", role="peer_specialist", room="cafe")
    ana = await srv.bot("Ana", room="cafe")
    await sam.call(wc.CLAIM, {"role": "coach"})
    await ana.call(wsc.SCENARIO_START, {"scenario": "minimal"})
    cue = await sam.wait_for(wc.CUE)  # the rationale line waits for Sam
    sam.sio.reconnection = False
    sam.drop_link()
    await ana.wait_until(lambda: _driver(ana, "coach") == "paused", timeout=2)
    note = await ana.wait_for(events.NOTICE, lambda n: n.get("kind") == "scene_paused")
    assert "Robin" in note["text"]
    assert not any(l.get("text") == cue["text"] for l in ana.said)  # nothing said for Sam meanwhile
    with pytest.raises(WireError) as e:
        await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
    assert e.value.code == "conflict"
    mark = len(sam.inbox)
    sam.sio.reconnection = True
    await sam.connect()
    await ana.wait_until(lambda: _driver(ana, "coach") == "teleop", timeout=8)
    again = await sam.wait_for(wc.CUE, since=mark)  # the held line is handed back
    assert again["id"] == cue["id"]
    await sam.say(again["text"], suggestion=again["id"], avatar=again["avatar"])
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
