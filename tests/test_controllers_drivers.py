"""The controller interface: the scripted driver (pure), supervised autonomy, the remote agent process."""

import asyncio
import subprocess
import sys

from conftest import PASSWORD, ROOT
from scenario_play import inputs, play, settled
from server.controllers import ScriptedDriver
from server.controllers.base import obs
from wire import controllers as wc
from wire import events
from wire import scenario as wsc


def test_scripted_driver_is_pure_and_follows_cues():
    cue = {
        "avatar": 3,
        "role": "coach",
        "id": "r/line/0",
        "text": "Hello.",
        "expression": "happy",
        "gesture": "wave",
        "intensity": 0.5,
        "primary": True,
    }
    runs = []
    for _ in range(2):
        d = ScriptedDriver("coach")
        runs.append(d.observe(obs(wc.CUE, cue)) + d.observe(obs(wc.CUE, {**cue, "role": "alex"})))
    assert (
        runs[0]
        == runs[1]
        == [
            ("expression", {"name": "happy", "intensity": 0.5, "avatar": 3}),
            ("gesture", {"name": "wave", "avatar": 3}),
            ("say", {"text": "Hello.", "suggestion": "r/line/0", "avatar": 3}),
        ]
    )
    # the participant's own words in the chat, while a role-play waits for an answer: matched with TF-IDF
    state = {
        "run": 1,
        "wait": "choice",
        "phase": {"id": "practice"},
        "node": "hello",
        "cast": {"you": {"kind": "participant"}, "coach": {"kind": "coach"}, "pat": {"kind": "partner"}},
        "avatars": {"you": 1, "coach": 3, "pat": 4},
        "cue": {
            "roles": {
                "pat": [{"id": "practice/hello", "text": "Hi!", "primary": True}],
                "coach": [{"id": "practice/hello/hint", "text": "Say hello.", "primary": False}],
            },
            "intents": [
                {"id": "greet", "text": "Hello, I'm Sam.", "examples": ["hello my name is"]},
                {"id": "mumble", "text": "Um.", "examples": ["um", "er"]},
            ],
        },
    }
    pat, coach = ScriptedDriver("pat"), ScriptedDriver("coach")
    for d in (pat, coach):
        d.observe(obs(wsc.SCENARIO_STATE, state))
    hello = {"avatar": 1, "text": "hello, my name is Jo"}
    assert pat.observe(obs(events.SAID, hello)) == [("gesture", {"name": "nod", "avatar": 4})]
    assert coach.observe(obs(events.SAID, hello)) == []
    odd = {"avatar": 1, "text": "what is the weather like on mars"}
    assert coach.observe(obs(events.SAID, odd)) == [
        ("say", {"text": "Say hello.", "suggestion": "practice/hello/hint", "avatar": 3})
    ]
    assert coach.observe(obs(events.SAID, odd)) == []  # a hint once per node
    assert pat.observe(obs(events.SAID, {**hello, "scenario": "answer"})) == []  # answers the runner took
    assert pat.observe(obs(events.SAID, {**hello, "avatar": 3})) == []  # not the participant


async def test_supervised_autonomy_approve_edit_reject_and_time_out(server):
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    ana = await server.bot("Ana", room="cafe")
    await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"})
    coach = next(a for a, m in ana.members.items() if m.get("role") == "coach")
    run_id = server.world.scenarios.active["cafe"].run.run_id
    await sam.call(wc.SUPERVISE, {"avatar": coach, "seconds": 1})

    def proposals(status="open"):
        return [d for e, d in sam.inbox if e == wc.PROPOSAL and d["status"] == status]

    mark = len(ana.said)
    # skill steps: three coach lines, one beat each; each line is proposed to Sam when its beat comes
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
    await sam.wait_until(lambda: len(proposals()) == 1)
    first = proposals()[0]
    assert first["role"] == "coach" and first["suggestion"].startswith("skill_steps/") and first["seconds"] == 1
    assert not any(l["avatar"] == coach for l in ana.said[mark:])  # nothing said before a decision
    got = await sam.call(wc.APPROVE, {"proposal": first["proposal"], "text": "First: choose a good moment."})
    assert got["status"] == "edited"
    await settled(server)
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
    await sam.wait_until(lambda: len(proposals()) == 2)
    await sam.call(wc.REJECT, {"proposal": proposals()[1]["proposal"]})
    await settled(server)
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
    await sam.wait_until(lambda: len(proposals()) == 3)  # the third: left to time out
    await sam.wait_until(lambda: proposals("timed_out"), timeout=3)
    await ana.wait_until(lambda: len([l for l in ana.said[mark:] if l["avatar"] == coach]) == 2)
    said = [l["text"] for l in ana.said[mark:] if l["avatar"] == coach]
    assert said[0] == "First: choose a good moment." and len(said) == 2
    lines = [e["data"] for e in server.store.run_events(run_id) if e["kind"] == "said" and e["data"].get("cast")]
    assert [d["verbatim"] for d in lines[-2:]] == [False, True]
    # a proposal no longer open cannot be approved; supervision off: lines are said at once again
    import pytest

    from wire.errors import WireError

    with pytest.raises(WireError) as e:
        await sam.call(wc.APPROVE, {"proposal": first["proposal"]})
    assert e.value.code == "not_found"
    await sam.call(wc.SUPERVISE, {"avatar": coach, "seconds": 0})
    mark = len(ana.said)
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
    assert (
        any(l["avatar"] == coach for l in ana.said[mark:])
        or await ana.wait_until(lambda: any(l["avatar"] == coach for l in ana.said[mark:])) is None
    )


async def test_the_remote_agent_process_drives_the_coach(server, tmp_path):
    agent_user = server.add_user("coach-bot", role="agent")
    ready = tmp_path / "agent-ready"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server.controllers.agent",
            "--server",
            server.url,
            "--name",
            "coach-bot",
            "--password",
            PASSWORD,
            "--room",
            "cafe",
            "--role",
            "coach",
            "--ready-file",
            str(ready),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(200):
            if ready.exists() or proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
        assert ready.exists(), proc.stdout.read().decode() if proc.poll() is not None else "agent not ready"
        ana = await server.bot("Ana", room="cafe")
        run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
        await play(server, ana, inputs())
        await ana.wait_for(wsc.SCENARIO_ENDED)
        drivers = {d["role"]: (d["driver"], d["by"]) for e, d in ana.inbox if e == wc.CONTROLLER}
        assert drivers["coach"] == ("agent", "coach-bot") and drivers["alex"][0] == "autonomous"
        coach_lines = [
            e for e in server.store.run_events(run_id) if e["kind"] == "said" and e["data"].get("cast") == "coach"
        ]
        assert coach_lines and {e["user_id"] for e in coach_lines} == {agent_user["id"]}
        assert all(e["data"]["verbatim"] for e in coach_lines)
        fb = [e for e in server.store.run_events(run_id) if e["kind"] == "feedback"]
        assert fb and all(e["actor"] == "Robin" or e["actor"] for e in fb)
    finally:
        proc.terminate()
        try:
            out = proc.communicate(timeout=10)[0].decode()
        except subprocess.TimeoutExpired:
            proc.kill()
            out = ""
    assert "agent driving 'coach'" in out
