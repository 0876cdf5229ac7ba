"""Claims, supervision and driver labels survive a re-login and a server restart; an agent's claim is a program's."""

import pytest

from client.bot import Bot
from conftest import PASSWORD, ROOT, RunningServer, eventually
from scenario_play import settled, teleoperate
from server.controllers import host_for
from wire import controllers as wc
from wire import scenario as wsc
from wire.errors import WireError


def _driver(bot, role, since=0):
    found = [d for e, d in bot.inbox[since:] if e == wc.CONTROLLER and d["role"] == role]
    return found[-1] if found else None


async def test_a_claimed_role_comes_back_claimed_after_a_server_restart(tmp_path):
    srv = await RunningServer(tmp_path).start()
    try:
        sam = await srv.bot("Sam", role="peer_specialist", room="cafe")
        fay = await srv.bot("Fay", role="facilitator", room="cafe")
        ana = await srv.bot("Ana", room="cafe")
        ack = await sam.call(wc.CLAIM, {"role": "coach"})
        assert ack["driver"] == wc.TELEOP and ack["by"] == "Sam"
        teleoperate(sam)
        run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
        await settled(srv)
        partner = next(a for a, m in ana.members.items() if m.get("role") == "alex")
        await fay.call(wc.SUPERVISE, {"avatar": partner, "seconds": 7})
        kept = await eventually(
            lambda: {r["role"]: r for r in srv.store.cast_controls("cafe")}, lambda k: len(k) == 2
        )  # written just after the acks (people before records)
        assert kept["coach"]["claimed_by"] == sam.user["id"]
        partner_role = srv.world.rooms["cafe"].avatars[partner].role
        assert kept[partner_role]["supervisor"] == fay.user["id"] and kept[partner_role]["supervise_seconds"] == 7
    finally:
        await srv.stop()

    srv = await RunningServer(tmp_path).start()  # the same data directory: a restart
    try:
        host = host_for(srv.world, srv.world.rooms["cafe"])
        assert host.claims["coach"].user_id == sam.user["id"]  # back claimed, waiting for Sam
        assert host.supervision[partner_role] == (fay.user["id"], 7)
        assert srv.world.scenarios.active["cafe"].run.run_id == run_id
        ana = await srv.bot("Ana", room="cafe")
        # until Sam is back the scenario's on_operator_drop rule holds (here: the autonomous driver)
        await ana.wait_for(wc.CONTROLLER, lambda d: d["role"] == "coach")
        assert _driver(ana, "coach")["driver"] == wc.AUTONOMOUS
        mark = len(ana.inbox)
        sam = await srv.bot("Sam", role="peer_specialist")
        teleoperate(sam)
        await sam.join("cafe")
        told = await sam.wait_for(wc.CLAIMS)
        assert [c["role"] for c in told["claims"]] == ["coach"]
        await ana.wait_until(lambda: (_driver(ana, "coach", mark) or {}).get("driver") == wc.TELEOP, timeout=5)
        assert _driver(ana, "coach", mark)["by"] == "Sam"
        # and the coach's next line is Sam's to say
        await settled(srv)
        cue_mark = len(sam.inbox)
        await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
        await sam.wait_for(wc.CUE, lambda c: c["role"] == "coach", since=cue_mark)
    finally:
        await srv.stop()


async def test_a_new_login_gets_the_name_tags_and_its_claims_again(server):
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    ana = await server.bot("Ana", room="cafe")
    await sam.call(wc.CLAIM, {"role": "coach"})
    teleoperate(sam)
    await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"})
    await settled(server)
    again = Bot(server.url)  # Sam logs in again: a new connection, the same person
    server.bots.append(again)
    await again.login("Sam", PASSWORD)
    await again.connect()
    told = await again.wait_for(wc.CLAIMS)
    assert [c["role"] for c in told["claims"]] == ["coach"] and told["claims"][0]["driver"] == wc.TELEOP
    tag = await again.wait_for(wc.CONTROLLER, lambda d: d["role"] == "coach")
    assert tag["driver"] == wc.TELEOP and tag["by"] == "Sam"


async def test_an_agents_claim_before_a_run_is_labelled_as_a_program(server):
    bot = await server.bot("coach-bot", role="agent", room="cafe")
    ack = await bot.call(wc.CLAIM, {"role": "coach"})
    assert ack["driver"] == wc.AGENT_DRIVEN and ack["by"] == "coach-bot"
    # its link drops and it resumes: it is told which claims it still holds
    mark = len(bot.inbox)
    bot.drop_link()
    told = await bot.wait_for(wc.CLAIMS, since=mark, timeout=10)
    assert told["claims"] == [{k: v for k, v in ack.items() if k != "ok"}]
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    ack = await sam.call(wc.CLAIM, {"role": "alex"})
    assert ack["driver"] == wc.TELEOP


async def test_after_a_restart_the_scene_waits_for_the_holder_when_the_scenario_says_pause(tmp_path):
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
    srv = await RunningServer(tmp_path, scenarios_dir=str(scen)).start()
    try:
        sam = await srv.bot("Sam", role="peer_specialist", room="cafe")
        ana = await srv.bot("Ana", room="cafe")
        await sam.call(wc.CLAIM, {"role": "coach"})
        await ana.call(wsc.SCENARIO_START, {"scenario": "minimal"})
        cue = await sam.wait_for(wc.CUE)  # the rationale line waits for Sam; the server stops before he says it
        await eventually(lambda: srv.store.cast_controls("cafe"))
    finally:
        await srv.stop()

    srv = await RunningServer(tmp_path, scenarios_dir=str(scen)).start()
    try:
        ana = await srv.bot("Ana", room="cafe")
        tag = await ana.wait_for(wc.CONTROLLER, lambda d: d["role"] == "coach")
        assert tag["driver"] == wc.PAUSED  # the scene waits for Sam, nothing is said for him
        with pytest.raises(WireError) as waits:
            await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
        assert waits.value.code == "conflict"
        assert not any(line["text"] == cue["text"] for line in ana.said)
        sam = await srv.bot("Sam", role="peer_specialist")
        mark = len(ana.inbox)
        await sam.join("cafe")
        await ana.wait_until(lambda: (_driver(ana, "coach", mark) or {}).get("driver") == wc.TELEOP)
        assert _driver(ana, "coach", mark)["by"] == "Sam"
        await sam.wait_for(wc.CLAIMS)
        # the line still owed from before the restart is his to say, and the scene goes on once he has
        again = await sam.wait_for(wc.CUE, lambda c: c["id"] == cue["id"])
        await sam.say(again["text"], avatar=again["avatar"], suggestion=again["id"])
        await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["options"] and not s.get("speaking"))
        await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
    finally:
        await srv.stop()
