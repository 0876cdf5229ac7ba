"""Records over a real server and SQLite file: fidelity, scores, emotion accuracy, questionnaires, replay,
export/delete."""

import asyncio
import base64
import re
from pathlib import Path

import aiohttp
import pytest

from conftest import PASSWORD, dashboard_login
from server.records import fidelity as fid
from server.records import replay
from server.scenarios import ScenarioRun, load_file
from server.scenarios.paths import full_run_inputs
from wire import codec, events
from wire import safety as ws
from wire.errors import WireError

ROOT = Path(__file__).resolve().parent.parent
CONVERSATION = load_file(ROOT / "scenarios" / "starting_a_conversation.yaml")
EMOTIONS = load_file(ROOT / "scenarios" / "emotion_recognition.yaml")


def play(store, room, scenario, difficulty, user, feedback=True, finish=True, **kw):
    run = ScenarioRun.create(
        store, room, scenario, difficulty, participant_user_id=user["id"], participant_name=user["name"]
    )
    run.start()
    for method, arg in full_run_inputs(scenario, difficulty, **kw):
        if feedback and run.phase and run.phase["kind"] == "feedback":
            run.feedback("positive", "Nice greeting.", actor="coach")
            run.feedback("corrective", "Try asking a question.", actor="coach")
        if not finish and run.phase and run.phase["kind"] == "homework":
            break
        getattr(run, method)(arg)
    return run


async def login(http, url, name):
    async with http.post(url + "/api/login", json={"name": name, "password": PASSWORD}) as r:
        return (await r.json())["token"]


async def test_fidelity_scores_and_emotion_accuracy_from_run_events(server):
    ana = server.add_user("Ana")
    run = play(server.store, "cafe", CONVERSATION, "easy", ana)
    events_ = server.store.run_events(run.run_id)
    f = fid.fidelity(events_)
    done = {s["step"]: s["done"] for s in f["steps"]}
    assert done == {s: True for s in ws.SST_STEPS}, done
    assert f["in_order"] and f["score"] == 1.0
    assert {s["source"] for s in f["steps"]} <= {"phase", "feedback", "event"}
    skills = fid.skill_scores(events_)
    assert skills["steps"] and 0 <= skills["mean"] <= 2
    # without the coach's feedback, those steps are missing -- until a peer specialist tags them by hand
    run2 = play(server.store, "cafe", CONVERSATION, "easy", ana, feedback=False, finish=False)
    f2 = fid.fidelity(server.store.run_events(run2.run_id))
    missing = [s["step"] for s in f2["steps"] if not s["done"]]
    assert missing == ["positive_feedback", "corrective_feedback", "more_feedback"]
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    tagged = await sam.call(ws.TAG_STEP, {"step": "positive_feedback", "run": run2.run_id})
    assert tagged["event"]
    f3 = fid.fidelity(server.store.run_events(run2.run_id))
    pf = next(s for s in f3["steps"] if s["step"] == "positive_feedback")
    assert pf["done"] and pf["source"] == "tag" and f3["done"] == 7
    assert not f3["in_order"]  # tagged after the repeat role-play: out of protocol order
    # emotion recognition
    em = play(server.store, "cafe", EMOTIONS, "hard", ana, emotion_answers="right")
    acc = fid.emotion_accuracy(server.store.run_events(em.run_id))
    assert acc["total"] > 0 and acc["accuracy"] == 1.0
    em2 = play(server.store, "cafe", EMOTIONS, "hard", ana, emotion_answers="wrong")
    assert fid.emotion_accuracy(server.store.run_events(em2.run_id))["accuracy"] == 0.0


async def test_questionnaires_from_data_files(server):
    ana = await server.bot("Ana")
    listed = (await ana.call(ws.QUESTIONNAIRES))["questionnaires"]
    ids = {q["id"] for q in listed}
    assert ids == {"social_anxiety", "confidence", "hope"}
    q = next(q for q in listed if q["id"] == "hope")
    assert q["items"][0]["text"] and q["scale"]["labels"]["1"] == "Not at all"
    got = await ana.call(
        ws.ANSWER_QUESTIONNAIRE, {"questionnaire": "hope", "when": "pre", "answers": {"future": 2, "goals": 3}}
    )
    assert got["score"] == 2.5
    for bad in ({"future": 9}, {"nope": 1}, {}, {"future": True}):
        with pytest.raises(WireError) as e:
            await ana.call(ws.ANSWER_QUESTIONNAIRE, {"questionnaire": "hope", "when": "post", "answers": bad})
        assert e.value.code == "invalid"
    with pytest.raises(WireError) as e:
        await ana.call(ws.ANSWER_QUESTIONNAIRE, {"questionnaire": "nope", "when": "pre", "answers": {"a": 1}})
    assert e.value.code == "not_found"
    assert len(server.world.records.questionnaires.of_user(ana.user["id"])) == 1


async def test_replay_tracks_consented_runs_only_and_role_boundaries(make_server):
    srv = await make_server(tick_hz=20.0)
    ana = await srv.bot("Ana", room="cafe")
    ben = await srv.bot("Ben", room="cafe")  # another participant in a group room
    await ana.call(events.CONSENT, {"recording": True})
    await ben.call(events.CONSENT, {"recording": True})
    run = ScenarioRun.create(srv.store, "cafe", CONVERSATION, "easy", participant_user_id=ana.user["id"])
    coach = srv.world.rooms["cafe"].spawn("Coach", "cast", "coach")
    await asyncio.sleep(1.2)  # the recorder picks up newly active runs within a second
    await ana.say("hello coach")
    await ana.move(1.0)
    await asyncio.sleep(1.0)
    await ana.move(0.0)
    await asyncio.sleep(0.4)
    rows = srv.store._exec("SELECT COUNT(*) AS n FROM pose_tracks WHERE run_id=?", (run.run_id,)).fetchone()["n"]
    assert 2 <= rows <= 10  # ~5 Hz while moving, nothing while still
    data = replay.read(srv.store, srv.store.get_run(run.run_id))
    ids = {int(i) for f in data["frames"] for i in codec.decode_poses(f["poses"])["id"]}
    assert ana.avatar in ids and coach.id in ids and ben.avatar not in ids  # other participants left out
    names = {m["name"] for m in data["members"][0]["members"].values()}
    assert names == {"Ana", "Coach"}
    assert [l["text"] for l in data["lines"]] == ["hello coach"]
    # Socket.IO: staff only; a peer specialist only for their sessions
    sam = await srv.bot("Sam", role="peer_specialist")
    with pytest.raises(WireError) as e:
        await sam.call(ws.REPLAY, {"run": run.run_id})
    assert e.value.code == "not_found"
    fay = await srv.bot("Fay", role="facilitator")
    got = await fay.call(ws.REPLAY, {"run": run.run_id, "limit": 2})
    assert len(got["frames"]) == 2 and got["more"] is True and isinstance(got["frames"][0]["poses"], bytes)
    with pytest.raises(WireError) as e:
        await ana.call(ws.REPLAY, {"run": run.run_id})
    assert e.value.code == "forbidden"
    # HTTP: the same rules
    async with aiohttp.ClientSession() as http:
        url = f"{srv.url}/api/runs/{run.run_id}/replay"
        async with http.get(url) as r:
            assert r.status == 401
        for name, status in (("Ana", 403), ("Sam", 404), ("Fay", 200)):
            token = await login(http, srv.url, name)
            async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as r:
                assert r.status == status, name
                if status == 200:
                    body = await r.json()
                    assert codec.decode_poses(base64.b64decode(body["frames"][0]["poses"])).size >= 1
    # without consent, nothing more is stored
    await ana.call(events.CONSENT, {"recording": False})
    await asyncio.sleep(1.2)  # the recorder re-reads consent every tick it samples
    before = srv.store._exec("SELECT COUNT(*) AS n FROM pose_tracks").fetchone()["n"]
    await ana.move(1.0)
    await asyncio.sleep(0.8)
    await ana.move(0.0)
    after = srv.store._exec("SELECT COUNT(*) AS n FROM pose_tracks").fetchone()["n"]
    assert after == before


async def test_export_and_delete_everything_a_person_has(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    await ana.call(events.CONSENT, {"recording": True})
    await ana.say("my line")
    await ana.call(ws.REPORT, {"avatar": ben.avatar, "reason": "spam", "note": "my note"})
    await ana.call(ws.BLOCK, {"avatar": ben.avatar})
    await ana.call(ws.ANSWER_QUESTIONNAIRE, {"questionnaire": "confidence", "when": "pre", "answers": {"say_no": 4}})
    await ana.say("i want to die")
    run = play(server.store, "park", CONVERSATION, "easy", ana.user)
    async with aiohttp.ClientSession() as http:
        token = await login(http, server.url, "Ana")
        auth = {"Authorization": f"Bearer {token}"}
        async with http.get(server.url + "/api/me/export", headers=auth) as r:
            assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
            data = await r.json()
        assert data["user"]["name"] == "Ana" and data["consent"]["recording"] is True
        assert {"my line", "i want to die"} <= {e["data"].get("text") for e in data["events"]}
        assert data["reports_made"][0]["note"] == "my note" and data["blocks"][0]["blocked_id"] == ben.user["id"]
        assert data["questionnaires"][0]["answers"] == {"say_no": 4}
        assert {a["kind"] for a in data["safety_alerts"]} == {"report", "crisis"}
        assert any(r["id"] == run.run_id for r in data["runs"])
        assert "pw_hash" not in data["user"]
        async with http.post(server.url + "/api/me/delete", json={"confirm": "wrong"}, headers=auth) as r:
            assert r.status == 400
        async with http.post(server.url + "/api/me/delete", json={"confirm": "Ana"}, headers=auth) as r:
            assert r.status == 200
        async with http.get(server.url + "/api/me/export", headers=auth) as r:
            assert r.status == 401
    uid = ana.user["id"]
    q = server.store._exec
    for sql in (
        "SELECT COUNT(*) AS n FROM events WHERE user_id=?",
        "SELECT COUNT(*) AS n FROM runs WHERE participant_user_id=?",
        "SELECT COUNT(*) AS n FROM reports WHERE reporter_id=?",
        "SELECT COUNT(*) AS n FROM blocks WHERE blocker_id=?",
        "SELECT COUNT(*) AS n FROM questionnaire_answers WHERE user_id=?",
        "SELECT COUNT(*) AS n FROM safety_alerts WHERE user_id=?",
        "SELECT COUNT(*) AS n FROM users WHERE id=?",
    ):
        assert q(sql, (uid,)).fetchone()["n"] == 0, sql
    assert q("SELECT COUNT(*) AS n FROM events WHERE run_id=?", (run.run_id,)).fetchone()["n"] == 0


async def test_export_has_how_staff_handled_the_alerts_about_a_person_and_delete_removes_them(server):
    """A person's export: each alert about them with who acknowledged and handled it, what was done, the note,
    follow-up, and its audit trail (alert_history); deleting the person removes the alerts and their trail."""
    server.look_after("Sam", "Ana")
    ana = await server.bot("Ana", room="cafe")
    await ana.say("i want to die")
    await ana.wait_until(lambda: server.world.safety.db.alerts(None), timeout=5)
    alert = server.world.safety.db.alerts(None)[0]
    action = next(iter(server.world.safety.care.actions))
    sam, status = await dashboard_login(server.url, "Sam")
    assert status == 303
    async with sam:
        async with sam.get(server.url + "/dashboard/safety") as r:
            csrf = re.search(r"""name=["']csrf["'] value=["']([0-9a-f]+)""", await r.text()).group(1)
        base = f"{server.url}/dashboard/alerts/{alert['id']}"
        async with sam.post(base + "/ack", data={"csrf": csrf}, allow_redirects=False) as r:
            assert r.status == 303
        form = {"csrf": csrf, "action": action, "note": "Called her, she is safe tonight.", "follow_up": "1"}
        async with sam.post(base + "/handled", data=form, allow_redirects=False) as r:
            assert r.status == 303
    sam_id = server.store.find_user("Sam")["id"]
    async with aiohttp.ClientSession() as http:
        auth = {"Authorization": f"Bearer {await login(http, server.url, 'Ana')}"}
        async with http.get(server.url + "/api/me/export", headers=auth) as r:
            data = await r.json()
        (got,) = [a for a in data["safety_alerts"] if a["id"] == alert["id"]]
        assert got["kind"] == "crisis" and got["status"] == "handled"
        assert (got["acknowledged_by"], got["acknowledged_name"]) == (sam_id, "Sam") and got["acknowledged_at"]
        assert (got["handled_by"], got["handled_name"]) == (sam_id, "Sam") and got["handled_at"]
        assert got["actions"] == [action] and got["note"] == "Called her, she is safe tonight."
        assert got["follow_up"] is True
        trail = [(h["action"], h["user_id"], h["user_name"]) for h in got["history"]]
        assert trail == [("acknowledged", sam_id, "Sam"), ("handled", sam_id, "Sam")]
        assert got["history"][1]["details"] == {
            "actions": [action],
            "note": "Called her, she is safe tonight.",
            "follow_up": True,
        }
        async with http.post(server.url + "/api/me/delete", json={"confirm": "Ana"}, headers=auth) as r:
            assert r.status == 200
    q = server.store._exec
    assert q("SELECT COUNT(*) AS n FROM safety_alerts WHERE id=?", (alert["id"],)).fetchone()["n"] == 0
    assert q("SELECT COUNT(*) AS n FROM alert_history WHERE alert_id=?", (alert["id"],)).fetchone()["n"] == 0
    assert server.store.find_user("Sam") is not None  # the staff member who handled it stays
