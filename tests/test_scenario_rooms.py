"""Scenarios played in rooms over real sockets: autonomous and teleoperated, the same transcript; restart."""

import asyncio

import pytest

from scenario_play import CONVERSATION, cast_lines, inputs, kinds, play, teleoperate
from server.scenarios.paths import inputs_until
from wire import controllers as wc
from wire import events
from wire import scenario as wsc
from wire.errors import WireError


async def test_a_whole_scenario_with_the_autonomous_coach_reaches_an_ending(server):
    ana = await server.bot("Ana", room="cafe")
    await ana.call(events.CONSENT, {"recording": True})
    listed = await ana.call(wsc.SCENARIO_LIST)
    assert "starting_a_conversation" in {s["id"] for s in listed["scenarios"]}
    ack = await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation", "difficulty": "easy"})
    run_id = ack["run"]
    state = await ana.wait_for(wsc.SCENARIO_STATE)
    assert "cue" not in state and state["phase"]["kind"] == "rationale"
    cast = {m["role"]: a for a, m in ana.members.items() if m["kind"] == "cast"}
    assert set(cast) == {"coach", "alex"} and state["avatars"]["coach"] == cast["coach"]
    assert state["avatars"]["you"] == ana.avatar
    ctl = [d for e, d in ana.inbox if e == wc.CONTROLLER]
    assert {c["role"]: c["driver"] for c in ctl} == {"coach": "autonomous", "alex": "autonomous"}
    await ana.wait_until(lambda: any(l["avatar"] == cast["coach"] for l in ana.said))
    await play(server, ana, inputs())
    ended = await ana.wait_for(wsc.SCENARIO_ENDED)
    assert ended["status"] == "finished" and ended["run"] == run_id and ended["summary"]["endings"]
    await ana.wait_until(lambda: not any(m["kind"] == "cast" for m in ana.members.values()))
    # the cast spoke every cue verbatim; the participant's options were said by their avatar
    run_events = server.store.run_events(run_id)
    said = [e for e in run_events if e["kind"] == "said"]
    assert all(e["data"]["verbatim"] for e in said if "cast" in e["data"])
    assert any(e["data"].get("scenario") == "answer" and e["actor"] == "Ana" for e in said)
    assert "ending" in kinds(server.store, run_id) and kinds(server.store, run_id)[-1] == "finished"
    assert server.store.get_run(run_id)["status"] == "finished"
    # no line twice: each cast line is one event, with the run
    room_said = server.store._exec("SELECT COUNT(*) AS n FROM events WHERE kind='said' AND run_id IS NULL").fetchone()
    assert room_said["n"] == 0
    # feedback cues spoken by the autonomous coach are tagged for fidelity
    assert {e["data"]["kind"] for e in run_events if e["kind"] == "feedback"} >= {"positive"}


async def test_teleoperated_and_autonomous_runs_give_the_same_kind_of_transcript(make_server):
    srv = await make_server()
    # autonomous
    ana = await srv.bot("Ana", room="cafe")
    await ana.call(events.CONSENT, {"recording": True})
    auto = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
    await play(srv, ana, inputs())
    await ana.wait_for(wsc.SCENARIO_ENDED)
    # teleoperated: a peer specialist claims both cast roles before the start and speaks palette lines
    sam = await srv.bot("Sam", role="peer_specialist", room="park")
    ben = await srv.bot("Ben", room="park")
    await ben.call(events.CONSENT, {"recording": True})
    for role in ("coach", "alex"):
        got = await sam.call(wc.CLAIM, {"role": role})
        assert got["driver"] == "teleop" and got["by"] == "Sam"
    teleoperate(sam)
    tele = (await sam.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
    state = await sam.wait_for(wsc.SCENARIO_STATE, lambda s: "cue" in s)
    assert state["cue"]["roles"]["coach"], "staff see the palette"
    await play(srv, ben, inputs(), room="park")
    await ben.wait_for(wsc.SCENARIO_ENDED)
    assert kinds(srv.store, tele) == kinds(srv.store, auto)
    assert cast_lines(srv.store, tele) == cast_lines(srv.store, auto)
    teled = [e for e in srv.store.run_events(tele) if e["kind"] == "said" and "cast" in e["data"]]
    assert {e["user_id"] for e in teled} == {sam.user["id"]}  # the peer specialist said them
    drivers = {d["driver"] for e, d in ben.inbox if e == wc.CONTROLLER}
    assert drivers == {"teleop"}


async def test_permission_denials(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    fay = await server.bot("Fay", role="facilitator", room="cafe")
    with pytest.raises(WireError) as e:  # staff: only with exactly one participant
        await sam.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"})
    assert e.value.code == "conflict"
    await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"})
    with pytest.raises(WireError) as e:
        await ben.call(wsc.SCENARIO_START, {"scenario": "job_interview"})
    assert e.value.code == "conflict"
    coach = next(a for a, m in ana.members.items() if m.get("role") == "coach")
    for who, event, payload, code in [
        (ana, wc.CLAIM, {"avatar": coach}, "forbidden"),  # a participant can never claim
        (ana, wc.CLAIM, {"role": "coach"}, "forbidden"),
        (ana, wsc.SCENARIO_ADVANCE, {}, "forbidden"),  # non-staff advance
        (ana, wsc.SCENARIO_FEEDBACK, {"kind": "positive"}, "forbidden"),
        (ana, wc.SUPERVISE, {"avatar": coach, "seconds": 5}, "forbidden"),
        (ben, wsc.SCENARIO_CHOOSE, {"option": "continue"}, "forbidden"),  # not the run's participant
        (ben, wsc.SCENARIO_STOP, {}, "forbidden"),
        (sam, events.SAY, {"text": "hi", "avatar": coach}, "forbidden"),  # driving an unclaimed cast avatar
        (sam, wsc.SCENARIO_CHOOSE, {"option": "continue"}, "forbidden"),
        (sam, wc.CLAIM, {"avatar": ana.avatar}, "invalid"),  # a person's own avatar
        (sam, wc.CLAIM, {"role": "nobody"}, "not_found"),
    ]:
        with pytest.raises(WireError) as e:
            await who.call(event, payload)
        assert e.value.code == code, (event, payload, e.value.code)
    await sam.call(wc.CLAIM, {"avatar": coach})
    with pytest.raises(WireError) as e:  # someone else holds it
        await fay.call(wc.CLAIM, {"avatar": coach})
    assert e.value.code == "conflict" and "Sam" in e.value.message
    with pytest.raises(WireError) as e:
        await fay.call(events.SAY, {"text": "hi", "avatar": coach})
    assert e.value.code == "forbidden"
    await sam.call(events.SAY, {"text": "Hello, I'm your coach.", "avatar": coach})
    server.look_after("Pia", "Ana")  # only staff who look after Ana walk in on her practice
    pia = await server.bot("Pia", role="peer_specialist", room="cafe")
    with pytest.raises(WireError) as e:  # a peer specialist releases only their own
        await pia.call(wc.RELEASE, {"avatar": coach})
    assert e.value.code == "forbidden"
    await fay.call(wc.RELEASE, {"avatar": coach})  # a facilitator may
    await ana.wait_until(
        lambda: any(
            e == wc.CONTROLLER and d["role"] == "coach" and d["driver"] == "autonomous" for e, d in ana.inbox[-20:]
        )
    )
    await fay.call(wsc.SCENARIO_ADVANCE)
    await ben.call(wsc.SCENARIO_LIST)
    await ana.call(wsc.SCENARIO_STOP)
    assert (await ana.wait_for(wsc.SCENARIO_ENDED))["status"] == "stopped"


async def test_a_run_survives_a_server_restart(server_process, tmp_path):
    from client.bot import Bot
    from conftest import PASSWORD

    proc = server_process().start()
    assert proc.cli("user", "add", "Ana", "--password", PASSWORD).returncode == 0
    ana = Bot(proc.url)
    await ana.login("Ana", PASSWORD)
    await ana.connect()
    try:
        await ana.join("cafe")
        await ana.call(events.CONSENT, {"recording": True})
        run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
        steps = inputs()
        half = len(inputs_until(CONVERSATION, "easy", "practice")) + 2  # one 'continue' per beat, two choices
        for method, arg in steps[:half]:
            await ana.call(
                wsc.SCENARIO_CHOOSE if method == "choose" else wsc.SCENARIO_ANSWER,
                {"option": arg} if method == "choose" else {"text": arg},
            )
        await asyncio.sleep(0.2)
        before = [d for e, d in ana.inbox if e == wsc.SCENARIO_STATE][-1]
        assert before["wait"] == "choice"
        seen_before = [line["text"] for line in ana.said]
        proc.kill()  # SIGKILL: no shutdown path runs
        await ana.wait_until(lambda: ana.state == "reconnecting", 5)
        await ana.close()
        proc.start()  # same port, same data dir
        ana = Bot(proc.url)  # Ana comes back (a fresh client: quicker than backoff)
        await ana.login("Ana", PASSWORD)
        await ana.connect()
        mark = len(ana.inbox)
        await ana.join("cafe")
        after = await ana.wait_for(wsc.SCENARIO_STATE, since=mark)
        assert after["run"] == run_id and after["node"] == before["node"] and after["phase"] == before["phase"]
        await ana.wait_until(lambda: sum(m["kind"] == "cast" for m in ana.members.values()) == 2)
        await play(None, ana, steps, start=half)
        ended = await ana.wait_for(wsc.SCENARIO_ENDED, timeout=10)
        assert ended["status"] == "finished"
    finally:
        await ana.close()
    proc.kill()
    from server.storage import open_storage

    store = open_storage(str(tmp_path / "peerspace.db"))
    said = [e for e in store.run_events(run_id) if e["kind"] == "said"]
    stored = [e["data"]["text"] for e in said]
    assert seen_before and all(t in stored for t in seen_before)  # every line seen before the kill is recorded
    assert [e["kind"] for e in store.run_events(run_id)][-1] == "finished"
    assert len({e["data"].get("suggestion") for e in said if "cast" in e["data"]}) == len(
        [e for e in said if "cast" in e["data"]]
    )  # and none twice
    store.close()
