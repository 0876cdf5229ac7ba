"""The script never runs ahead of whoever drives a role: owed lines, one at a time, at a reading pace, each
with a deadline (docs/scenarios.md "Pacing"); staff pause, resume and repeat; the pace recorded with the run."""

import asyncio
import re
import subprocess
import sys
import time

import pytest

from conftest import PASSWORD, ROOT, dashboard_login
from scenario_play import inputs, play, settled
from server.scenarios import load_file
from server.scenarios.paths import inputs_until
from wire import controllers as wc
from wire import events
from wire import scenario as wsc
from wire.errors import WireError

AGENT = ROOT / "examples" / "minimal_agent.py"


def teleoperate_slowly(bot, delay: float = 0.15) -> None:
    """A peer specialist who takes a moment before each cued line, then says it as the palette has it."""

    async def later(cue):
        await asyncio.sleep(delay)
        await bot.call(events.SAY, {"text": cue["text"], "suggestion": cue["id"], "avatar": cue["avatar"]})

    bot.on(wc.CUE, lambda cue: asyncio.get_running_loop().create_task(later(cue)))


def check_order(participant, partner: str) -> dict:
    """What the participant saw, in order: every option set offered came after the partner's line it answers,
    nothing was offered while a line was owed, and modelling's lines came in the script's order."""
    stream = participant.inbox
    partner_avatar = None
    said_at: dict[str, int] = {}
    offered = 0
    modelling: list[int] = []
    for i, (event, data) in enumerate(stream):
        if event == wsc.SCENARIO_STATE:
            partner_avatar = data["avatars"].get(partner, partner_avatar)
            if data["speaking"] is not None:
                assert data["options"] == [] and not data["free_text"], data
            line = data["line"]
            if data["options"] and data["wait"] == "choice" and line:
                assert line["suggestion"] in said_at, f"options for {line['suggestion']} before its line"
                offered += 1
        elif event == events.SAID and data.get("suggestion"):
            said_at.setdefault(data["suggestion"], i)
            m = re.fullmatch(r"modelling/line/(\d+)", data["suggestion"])
            if m:
                modelling.append(int(m.group(1)))
    assert offered >= 3
    assert modelling == sorted(modelling) and len(modelling) == 5, modelling
    return said_at


async def test_a_peer_specialist_partner_is_waited_for_in_every_phase(server):
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    ana = await server.bot("Ana", room="cafe")
    await sam.call(wc.CLAIM, {"role": "alex"})
    teleoperate_slowly(sam)
    run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
    await play(server, ana, inputs())
    await ana.wait_for(wsc.SCENARIO_ENDED)
    check_order(ana, "alex")
    alex = [e for e in server.store.run_events(run_id) if e["kind"] == "said" and e["data"].get("cast") == "alex"]
    assert alex and {e["user_id"] for e in alex} == {sam.user["id"]}


async def test_choosing_while_a_line_is_owed_is_refused_and_the_staff_view_has_the_deadline(make_server):
    srv = await make_server(cue_seconds=30.0)
    sam = await srv.bot("Sam", role="peer_specialist", room="cafe")
    ana = await srv.bot("Ana", room="cafe")
    await sam.call(wc.CLAIM, {"role": "coach"})
    t0 = time.time()
    await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"})
    cue = await sam.wait_for(wc.CUE)
    assert cue["id"].endswith("/line/0") and t0 + 29 <= cue["deadline"] <= time.time() + 31
    staff = await sam.wait_for(wsc.SCENARIO_STATE, lambda s: s["cue"]["deadline"] is not None)
    assert staff["deadline"] == cue["deadline"] and staff["owed"][0]["suggestion"] == cue["id"]
    seen = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["speaking"] == "coach")
    assert seen["options"] == [] and "cue" not in seen and "owed" not in seen
    with pytest.raises(WireError) as e:
        await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
    assert e.value.code == "conflict" and "Robin" in e.value.message
    # one line at a time: the next coach line is cued only once this one was said
    await asyncio.sleep(0.1)
    assert len([d for ev, d in sam.inbox if ev == wc.CUE]) == 1
    mark = len(ana.inbox)
    await sam.say(cue["text"], suggestion=cue["id"], avatar=cue["avatar"])
    second = await sam.wait_for(wc.CUE, lambda c: c["id"] != cue["id"])
    assert second["id"].endswith("/line/1")
    await sam.say("In my own words: small talk is a skill.", avatar=second["avatar"])  # own words count too
    ready = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["options"], since=mark)
    assert ready["speaking"] is None and [o["id"] for o in ready["options"]] == ["continue"]


class AgentProcess:
    """examples/minimal_agent.py as its own process, run outside the repository (no project imports)."""

    def __init__(self, srv, tmp_path, name: str, role: str, *flags: str):
        srv.add_user(name, role="agent")
        self.ready = tmp_path / f"{name}-ready"
        self.proc = subprocess.Popen(
            [sys.executable, str(AGENT), "--server", srv.url, "--name", name, "--password", PASSWORD]
            + ["--room", "cafe", "--role", role, "--ready-file", str(self.ready), *flags],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    async def started(self) -> None:
        for _ in range(300):
            if self.ready.exists() or self.proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
        assert self.ready.exists(), self.proc.stdout.read().decode() if self.proc.poll() is not None else "not ready"

    def stop(self) -> str:
        self.proc.terminate()
        try:
            return self.proc.communicate(timeout=10)[0].decode()
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return ""


async def test_a_third_party_agent_process_holds_the_partner(server, tmp_path):
    agent = AgentProcess(server, tmp_path, "partner-bot", "alex", "--delay", "0.1")
    try:
        await agent.started()
        ana = await server.bot("Ana", room="cafe")
        run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
        await play(server, ana, inputs())
        await ana.wait_for(wsc.SCENARIO_ENDED)
        check_order(ana, "alex")
        drivers = {d["role"]: (d["driver"], d["by"]) for e, d in ana.inbox if e == wc.CONTROLLER}
        assert drivers["alex"] == ("agent", "partner-bot")
        alex = [e for e in server.store.run_events(run_id) if e["kind"] == "said" and e["data"].get("cast") == "alex"]
        assert alex and all(e["data"]["verbatim"] for e in alex)
    finally:
        out = agent.stop()
    assert "agent claimed 'alex'" in out


async def test_a_frozen_agent_hits_the_deadline_and_the_autonomous_driver_says_the_line(make_server, tmp_path):
    srv = await make_server(cue_seconds=1.0)
    agent = AgentProcess(srv, tmp_path, "hung-bot", "alex", "--frozen")  # claims, stays connected, says nothing
    try:
        await agent.started()
        staff = await srv.bot("Sam", role="peer_specialist", room="cafe")  # sees the cues' deadlines
        ana = await srv.bot("Ana", room="cafe")
        run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
        conversation = load_file(ROOT / "scenarios" / "starting_a_conversation.yaml")
        # past the rationale and the skill steps (the coach's built-in lines), up to the 'continue' into modelling
        await play(srv, ana, inputs_until(conversation, "easy", "modelling")[:-1])
        await settled(srv)
        t0 = time.monotonic()
        await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})  # modelling's first beat: coach, alex
        owed = await staff.wait_for(wsc.SCENARIO_STATE, lambda s: s["speaking"] == "alex" and s["deadline"])
        assert owed["owed"][0]["suggestion"] == "modelling/line/1" and owed["deadline"] <= time.time() + 1.1
        await ana.wait_until(lambda: any(l.get("suggestion") == "modelling/line/1" for l in ana.said), timeout=4)
        took = time.monotonic() - t0
        print(f"frozen agent: the built-in driver said the line {took:.2f} s after it was cued (deadline 1 s)")
        assert 0.9 <= took <= 5.0, took  # the deadline (1 s) plus generous slack, never the 23 s of the issue
        said = [e for e in srv.store.run_events(run_id) if e["kind"] == "said" and e["data"].get("cast") == "alex"]
        assert said[0]["user_id"] is None and said[0]["data"]["verbatim"]  # the built-in driver said it
        # the agent keeps its claim: its next line (the next beat: coach, alex) is cued to it again and, unsaid,
        # said for it in time
        await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["options"] and s["phase"]["kind"] == "modelling", timeout=6)
        mark = len(ana.inbox)
        await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
        await ana.wait_for(
            wsc.SCENARIO_STATE, lambda s: s["options"] and s["beat"] == {"index": 1, "count": 3}, since=mark, timeout=6
        )
        assert [l["suggestion"] for l in ana.said if (l.get("suggestion") or "").startswith("modelling/")] == [
            f"modelling/line/{i}" for i in range(4)
        ]
        drivers = [d for e, d in ana.inbox if e == wc.CONTROLLER and d["role"] == "alex"]
        assert drivers[-1]["driver"] == "agent"
    finally:
        agent.stop()


async def test_a_frozen_agent_with_on_operator_drop_pause_holds_the_scene(make_server, tmp_path):
    scen = tmp_path / "scen"
    scen.mkdir()
    text = (ROOT / "tests" / "scenario_fixtures" / "minimal.yaml").read_text()
    text = text.replace(
        "coach: {kind: coach, name: Robin}",
        "coach: {kind: coach, name: Robin, on_operator_drop: pause, cue_seconds: 1}",
    )
    (scen / "minimal.yaml").write_text(text)
    for sub in ("safety", "questionnaires"):
        (scen / sub).symlink_to(ROOT / "scenarios" / sub)
    srv = await make_server(scenarios_dir=str(scen))
    frozen = await srv.bot("hung-bot", role="agent", room="cafe")
    await frozen.call(wc.CLAIM, {"role": "coach"})
    ana = await srv.bot("Ana", room="cafe")
    await ana.call(wsc.SCENARIO_START, {"scenario": "minimal"})
    cue = await frozen.wait_for(wc.CUE)
    assert cue["deadline"] - time.time() <= 1.1  # the scenario's cue_seconds
    note = await ana.wait_for(events.NOTICE, lambda n: n.get("kind") == "scene_paused", timeout=4)
    assert "Robin" in note["text"]
    assert not any(l.get("suggestion") == cue["id"] for l in ana.said)  # the scene waits for them
    last = [d for e, d in ana.inbox if e == wsc.SCENARIO_STATE][-1]
    assert last["speaking"] == "coach" and last["options"] == []
    await frozen.say(cue["text"], suggestion=cue["id"], avatar=cue["avatar"])  # back at last
    await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["options"])


async def test_the_autonomous_cast_keeps_a_reading_pace(make_server, tmp_path):
    scen = tmp_path / "scen"
    scen.mkdir()
    text = (ROOT / "tests" / "scenario_fixtures" / "minimal.yaml").read_text()
    text = text.replace(
        "      - {cast: coach, text: Greeting people helps.}",
        "      - {cast: coach, text: Greeting people helps.}\n"
        "      - {cast: pat, text: It does.}\n"
        "      - {cast: coach, text: Let us try.}",
    )
    text = text.replace("phases:\n", "pace: {wpm: 600, min_seconds: 0.3, max_seconds: 0.4}\nphases:\n", 1)
    (scen / "minimal.yaml").write_text(text)
    for sub in ("safety", "questionnaires"):
        (scen / sub).symlink_to(ROOT / "scenarios" / sub)
    srv = await make_server(scenarios_dir=str(scen), pace_scale=1.0)
    ana = await srv.bot("Ana", room="cafe")
    run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "minimal", "pace": "slower"}))["run"]
    await ana.wait_until(lambda: len(ana.said) == 3, timeout=5)
    gaps = [b["ts"] - a["ts"] for a, b in zip(ana.said, ana.said[1:])]
    print("reading pace: seconds between lines", [round(g, 2) for g in gaps], "(expected 0.45 each)")
    # 3 words at 600 wpm is 0.3 s, within min..max; 'slower' is 1.5 times that: 0.45 s before each next line
    assert all(0.4 <= g <= 2.0 for g in gaps), gaps
    state = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["options"])
    assert state["pace"] == {"wpm": 600, "min": 0.3, "max": 0.4, "choice": "slower"}
    await ana.call(wsc.SCENARIO_PACE, {"pace": "faster"})
    await ana.call(wsc.SCENARIO_STOP)
    ended = await ana.wait_for(wsc.SCENARIO_ENDED)
    assert ended["summary"]["pace"]["choice"] == "faster"
    events_ = srv.store.run_events(run_id)
    assert events_[0]["data"]["pace"]["choice"] == "slower"
    assert [e["data"]["choice"] for e in events_ if e["kind"] == "pace"] == ["faster"]
    export = srv.store.export_user(ana.user["id"])  # the person's own export has the pace used
    from server.records import fidelity

    used = fidelity.summary(srv.store.get_run(run_id), events_)["pace"]  # the dashboard's session page
    assert used == {"wpm": 600, "min": 0.3, "max": 0.4, "choice": "faster", "changes": 1}
    srv.add_user("Fay", "facilitator")
    http, _ = await dashboard_login(srv.url, "Fay")
    async with http, http.get(f"{srv.url}/dashboard/sessions/{run_id}") as r:
        assert "reading pace faster (600 words a minute, changed once)" in await r.text()
    assert [e["data"]["choice"] for e in export["events"] if e["kind"] == "pace"] == ["faster"]


async def test_staff_pause_resume_and_repeat(server):
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    ana = await server.bot("Ana", room="cafe")
    run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
    await settled(server)
    await sam.call(wsc.SCENARIO_PAUSE)
    held = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["held"])
    assert held["options"] == []
    with pytest.raises(WireError) as e:
        await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
    assert e.value.code == "conflict"
    with pytest.raises(WireError) as e:
        await ana.call(wsc.SCENARIO_PAUSE)
    assert e.value.code == "forbidden"
    await sam.call(wsc.SCENARIO_RESUME)
    await ana.wait_for(wsc.SCENARIO_STATE, lambda s: not s["held"] and s["options"])
    mark = len(ana.said)
    await sam.call(wsc.SCENARIO_REPEAT)
    await settled(server)
    await ana.wait_until(lambda: len(ana.said) - mark >= 2)
    again = [l["suggestion"] for l in ana.said[mark:]]
    assert again == ["rationale/line/0", "rationale/line/1"], again
    kinds = [e["kind"] for e in server.store.run_events(run_id)]
    assert {"held", "unheld", "repeat"} <= set(kinds)
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})


async def test_owed_lines_survive_a_restart(tmp_path):
    from conftest import RunningServer

    srv = await RunningServer(tmp_path, cue_seconds=60.0).start()
    try:
        sam = await srv.bot("Sam", role="peer_specialist", room="cafe")
        ana = await srv.bot("Ana", room="cafe")
        await sam.call(wc.CLAIM, {"role": "coach"})
        run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
        await sam.wait_for(wc.CUE)  # Sam never says it: the server stops with both rationale lines owed
        owed = [o["suggestion"] for o in srv.store.get_run(run_id)["state"]["owed"]]
        assert owed == ["rationale/line/0", "rationale/line/1"]
    finally:
        await srv.stop()
    srv = await RunningServer(tmp_path).start()
    try:
        ana = await srv.bot("Ana", room="cafe")
        await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["options"] and s["phase"]["id"] == "rationale")
        lines = [
            e["data"]["suggestion"]
            for e in srv.store.run_events(run_id)
            if e["kind"] == "said" and e["data"].get("cast")
        ]
        assert lines == ["rationale/line/0", "rationale/line/1"]  # each once, in order, after the restart
        assert srv.store.get_run(run_id)["state"]["owed"] == []
    finally:
        await srv.stop()


def test_beats_wait_for_continue_between_them(tmp_path):
    from server.scenarios import MemoryRunStore, ScenarioRun, load_file
    from server.scenarios.effects import Say
    from server.scenarios.paths import full_run_inputs

    text = (ROOT / "tests" / "scenario_fixtures" / "minimal.yaml").read_text()
    text = text.replace(
        "      - {cast: coach, text: Greeting people helps.}",
        "      - {cast: coach, text: Greeting people helps., beat_end: true}\n"
        "      - {cast: pat, text: It does.}\n"
        "      - {cast: coach, text: Let us try.}",
    )
    path = tmp_path / "minimal.yaml"
    path.write_text(text)
    scenario = load_file(path)
    run = ScenarioRun.create(MemoryRunStore(), "cafe", scenario, "easy")
    said = [e.text for e in run.start() if isinstance(e, Say)]
    assert said == ["Greeting people helps."] and run.view()["beat"] == {"index": 0, "count": 2}
    said = [e.text for e in run.choose("continue") if isinstance(e, Say)]
    assert said == ["It does.", "Let us try."] and run.phase["kind"] == "rationale"
    assert run.view()["beat"] == {"index": 1, "count": 2}
    run.choose("continue")
    assert run.phase["kind"] == "role_play"
    # a whole run plays through with one 'continue' per beat; a paced run repeats the last beat on request
    assert full_run_inputs(scenario, "easy")[:2] == [("choose", "continue")] * 2
    paced = ScenarioRun.create(MemoryRunStore(), "cafe", scenario, "easy")
    paced.paced = True
    paced.start()
    assert [o["text"] for o in paced.owed] == ["Greeting people helps."]
    paced.cast_said("coach", "Greeting people helps.", "rationale/line/0")
    assert paced.owed == [] and paced.view()["options"]
    paced.repeat("Sam")
    assert [o["text"] for o in paced.owed] == ["Greeting people helps."] and paced.view()["speaking"] == "coach"


async def test_emotion_items_and_no_match_replies_wait_for_a_peer_specialist(server):
    """Every phase: a face's line and the coach's explanation (emotion items), a no-match reply."""
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    ana = await server.bot("Ana", room="cafe")
    await sam.call(wc.CLAIM, {"role": "coach"})
    teleoperate_slowly(sam, 0.1)
    await ana.call(wsc.SCENARIO_START, {"scenario": "emotion_recognition"})
    steps = inputs(load_file(ROOT / "scenarios" / "emotion_recognition.yaml"))
    await play(server, ana, steps)
    await ana.wait_for(wsc.SCENARIO_ENDED)
    said: set[str] = set()
    explained = 0
    for event, data in ana.inbox:
        if event == events.SAID and data.get("suggestion"):
            said.add(data["suggestion"])
            explained += data["suggestion"].endswith("/explain")
        elif event == wsc.SCENARIO_STATE and data["options"] and data["wait"] == "emotion":
            # the coach's explanation of the last face, said before the next face is offered to answer
            assert explained == data["emotion"]["total"], (explained, data["emotion"])
    assert explained >= 2
    # a no-match reply in a role-play: the partner's "sorry?" comes before the options again
    ana2 = await server.bot("Bob", room="park")
    await sam.join("park")
    await sam.call(wc.CLAIM, {"role": "coach"})  # the first node's partner in this scenario is the coach
    await ana2.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"})
    conversation = load_file(ROOT / "scenarios" / "starting_a_conversation.yaml")
    for method, arg in inputs_until(conversation, "easy", "practice"):
        await play(server, ana2, [(method, arg)], room="park")
    await ana2.wait_for(wsc.SCENARIO_STATE, lambda s: s["options"] and s["node"] == "moment")
    # an answer nothing is near (a near but unsure one would go to Sam for review: test_scenario_review)
    mark = len(ana2.inbox)
    await ana2.call(wsc.SCENARIO_ANSWER, {"text": "banana"})
    ready = await ana2.wait_for(wsc.SCENARIO_STATE, lambda s: s["options"], since=mark)
    replies = [
        i
        for i, (e, d) in enumerate(ana2.inbox[mark:])
        if e == events.SAID and "no_match" in (d.get("suggestion") or "")
    ]
    offered = next(i for i, (e, d) in enumerate(ana2.inbox[mark:]) if e == wsc.SCENARIO_STATE and d["options"])
    assert replies and replies[0] < offered and ready["note"] == "no_match"


async def test_a_claim_while_a_line_is_proposed_to_a_supervisor_hands_the_line_over(server):
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    ana = await server.bot("Ana", room="cafe")
    await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"})
    await settled(server)
    coach = next(a for a, m in ana.members.items() if m.get("role") == "coach")
    await sam.call(wc.SUPERVISE, {"avatar": coach, "seconds": 60})
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
    proposal = await sam.wait_for(wc.PROPOSAL, lambda p: p["status"] == "open")
    await sam.call(wc.CLAIM, {"role": "coach"})  # the proposal is cancelled: the line comes to Sam as a cue
    cue = await sam.wait_for(wc.CUE)
    assert cue["id"] == proposal["suggestion"]
    await sam.say(cue["text"], suggestion=cue["id"], avatar=cue["avatar"])
    await settled(server)
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})  # the skill steps' next beat
    nxt = await sam.wait_for(wc.CUE, lambda c: c["id"] != cue["id"])
    assert nxt["id"].startswith("skill_steps/")


async def test_a_crisis_line_is_never_held_back_behind_an_owed_line(server):
    from test_scenario_crisis import CRISIS

    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    ana = await server.bot("Ana", room="cafe")
    await sam.call(wc.CLAIM, {"role": "coach"})  # Sam holds the coach and is slow to say the first line
    await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"})
    cue = await sam.wait_for(wc.CUE)
    await ana.say(CRISIS)  # in the chat, while the coach's line is owed
    paused = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["wait"] == "paused")
    assert [o["id"] for o in paused["options"]] == [wsc.RESUME, wsc.END] and paused["speaking"] is None
    check_in = await sam.wait_for(wc.CUE, lambda c: c["id"] == "pause/check_in")  # at once, not queued
    await sam.say(check_in["text"], suggestion=check_in["id"], avatar=check_in["avatar"])
    await ana.wait_until(lambda: any(l.get("suggestion") == "pause/check_in" for l in ana.said))
    assert not any(l.get("suggestion") == cue["id"] for l in ana.said)
    # staff resume: the owed line is cued again, and the options come after it
    mark = len(sam.inbox)
    await sam.call(wsc.SCENARIO_RESUME)
    again = await sam.wait_for(wc.CUE, lambda c: c["id"] == cue["id"], since=mark)
    back = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["wait"] == "continue")
    assert back["speaking"] == "coach" and back["options"] == []
    await sam.say(again["text"], suggestion=again["id"], avatar=again["avatar"])
    nxt = await sam.wait_for(wc.CUE, lambda c: c["id"] not in (cue["id"], "pause/check_in"))
    await sam.say(nxt["text"], suggestion=nxt["id"], avatar=nxt["avatar"])
    await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["options"] and s["wait"] == "continue")


async def test_advance_drops_what_is_owed_and_the_next_phase_is_cued(server):
    from server.controllers import hosts

    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    ana = await server.bot("Ana", room="cafe")
    await sam.call(wc.CLAIM, {"role": "coach"})
    run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
    first = await sam.wait_for(wc.CUE)  # Sam does not say it: staff move on instead
    await sam.call(wsc.SCENARIO_ADVANCE)
    nxt = await sam.wait_for(wc.CUE, lambda c: c["id"] != first["id"])
    assert nxt["id"] == "skill_steps/line/0"
    assert [c["id"] for c in hosts(server.world)["cafe"].outstanding["coach"]] == [nxt["id"]]  # not waited for
    assert server.store.get_run(run_id)["state"]["owed"][0]["suggestion"] == nxt["id"]
    await sam.say(nxt["text"], suggestion=nxt["id"], avatar=nxt["avatar"])
    await settled(server)
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})  # the skill steps' next beat
    third = await sam.wait_for(wc.CUE, lambda c: c["id"] not in (first["id"], nxt["id"]))
    assert third["id"] == "skill_steps/line/1"


async def test_generated_skill_steps_come_one_at_a_time_each_after_continue(server):
    """A skill_steps phase without lines: the coach says one step per beat, and the participant chooses
    'continue' for the next (the state's `beat` says where they are)."""
    steps = load_file(ROOT / "scenarios" / "asking_for_help.yaml").steps
    assert len(steps) >= 2
    ana = await server.bot("Ana", room="cafe")
    run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "asking_for_help"}))["run"]
    await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["options"] and s["phase"]["kind"] == "rationale")
    for n, step in enumerate(steps, 1):
        said, mark = len(ana.said), len(ana.inbox)
        await ana.call(wsc.SCENARIO_CHOOSE, {"option": wsc.CONTINUE})
        st = await ana.wait_for(
            wsc.SCENARIO_STATE, lambda s: s["options"] and s["phase"]["kind"] == "skill_steps", since=mark
        )
        assert st["beat"] == {"index": n - 1, "count": len(steps)} and st["wait"] == "continue"
        lines = [(l["suggestion"], l["text"]) for l in ana.said[said:] if l.get("suggestion")]
        assert lines == [(f"skill_steps/step/{step['id']}", f"{n}. {step['text']}")]  # this step, on its own
    mark = len(ana.inbox)
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": wsc.CONTINUE})  # after the last step: the next phase
    st = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["phase"]["kind"] == "modelling", since=mark)
    assert st["beat"]["index"] == 0
    beats = [e["data"] for e in server.store.run_events(run_id) if e["kind"] == "beat"]
    assert [b["beat"] for b in beats if b["phase"] == "skill_steps"] == list(range(1, len(steps)))
