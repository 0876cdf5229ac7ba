"""Group practice in one room (issue #16 item 3): three participants (real bots) and a peer specialist. Turns rotate
through the participants present (one who leaves is skipped and queued again when back), the others watch and
cannot answer for the learner, each turn ends with peer feedback (stored, shown to the learner and on the
dashboard's session page, in both people's exports), a reversed turn has its participant play the partner while a
peer plays the learner, and the peer specialist hands the coach's job over mid-run through the cast claims."""

from __future__ import annotations

import aiohttp
import pytest

from conftest import dashboard_login
from scenario_play import CONVERSATION, settled, teleoperate
from server.courses.progress import role_plays
from server.scenarios.paths import full_run_inputs
from wire import controllers as wc
from wire import courses as wcourse
from wire import events
from wire import scenario as wsc
from wire.errors import WireError

ROOM = "cafe"
PARTNER = "alex"
STEPS = list(CONVERSATION.step_texts())


async def play_turn(srv, answerer, inputs, halfway=None) -> None:
    """The learner's (or, reversed, the player's) inputs for one whole turn; `halfway()` runs midway."""
    for i, (method, arg) in enumerate(inputs):
        await settled(srv, ROOM)
        if halfway is not None and i == len(inputs) // 2:
            await halfway()
            await settled(srv, ROOM)
        if method == "choose":
            await answerer.call(wsc.SCENARIO_CHOOSE, {"option": arg})
        else:
            await answerer.call(wsc.SCENARIO_ANSWER, {"text": arg})


async def turn_view(bot, number: int, stage: str) -> dict:
    return await bot.wait_for(
        wcourse.GROUP_TURN, lambda d: d["turn"] and d["turn"]["number"] == number and d["stage"] == stage
    )


def said_by(store, run_id: int, cast: str) -> list:
    return [e["user_id"] for e in store.run_events(run_id) if e["kind"] == "said" and e["data"].get("cast") == cast]


async def test_a_group_takes_turns_gives_peer_feedback_reverses_roles_and_hands_over(make_server):
    server = await make_server(rate_per_s=200.0, rate_burst=400.0)
    store = server.store
    sam_user = server.add_user("Sam", "peer_specialist")
    for n in ("Ana", "Bea", "Cyd"):
        server.look_after("Sam", n)  # he sees their sessions on the dashboard
    names = ("Ana", "Bea", "Cyd")
    group = store.add_group("Tuesday group")
    store.assign_group_staff(group["id"], sam_user["id"])
    for n in names:
        store.add_group_member(group["id"], server.add_user(n)["id"])
    bots = {}
    for n in names[:2]:  # Cyd comes in late
        bots[n] = await server.bot(n, room=ROOM)
        await bots[n].call(events.CONSENT, {"recording": True})
    ana, bea = bots["Ana"], bots["Bea"]
    sam = await server.bot("Sam", role="peer_specialist", room=ROOM)
    teleoperate(sam)
    teleoperate(bea)  # in a reversed turn the participant plays the partner: she says the partner's cues
    with pytest.raises(WireError) as refused:
        await ana.call(wcourse.GROUP_PRACTICE_START, {"scenario": CONVERSATION.id})
    assert refused.value.code == "forbidden"  # staff lead a group practice
    # Sam facilitates: he drives the coach
    assert (await sam.call(wc.CLAIM, {"role": "coach"}))["driver"] == "teleop"
    started = await sam.call(
        wcourse.GROUP_PRACTICE_START, {"scenario": CONVERSATION.id, "difficulty": "easy", "group": group["id"]}
    )
    assert started["turn"]["learner"]["name"] == "Ana" and started["stage"] == "turn"
    assert [(o["name"], o["status"]) for o in started["order"]] == [("Ana", "now"), ("Bea", "next")]
    # Cyd, one of the group, comes in during Ana's turn and joins the queue; Dee, not of the group, is kept out
    bots["Cyd"] = cyd = await server.bot("Cyd", room=ROOM)
    await cyd.call(events.CONSENT, {"recording": True})
    teleoperate(cyd)
    ids = {n: b.user["id"] for n, b in bots.items()}
    queued = await sam.wait_for(wcourse.GROUP_TURN, lambda d: len(d["order"]) == 3)
    assert [(o["name"], o["status"]) for o in queued["order"]] == [("Ana", "now"), ("Bea", "next"), ("Cyd", "next")]
    with pytest.raises(WireError) as refused:
        await server.bot("Dee", room=ROOM)
    assert refused.value.code == "forbidden"
    shown = await turn_view(bea, 1, "turn")  # the others see whose turn it is
    assert shown["turn"]["learner"]["id"] == ids["Ana"] and shown["ask"] is None
    run1 = started["turn"]["run"]
    inputs = full_run_inputs(CONVERSATION, "easy")

    # --- turn 1: Ana; Bea cannot answer for her; Sam hands the coach over mid-run and plays the partner --------
    await settled(server, ROOM)
    with pytest.raises(WireError) as refused:
        await bea.call(wsc.SCENARIO_CHOOSE, {"option": inputs[0][1]})
    assert refused.value.code == "forbidden" and "Ana's turn" in refused.value.message

    async def hand_over():
        await sam.call(wc.RELEASE, {"role": "coach"})  # the autonomous coach carries on facilitating
        assert (await sam.call(wc.CLAIM, {"role": PARTNER}))["driver"] == "teleop"

    await play_turn(server, ana, inputs, halfway=hand_over)
    coach_lines = said_by(store, run1, "coach")
    assert coach_lines[0] == sam_user["id"] and coach_lines[-1] is None  # Sam first, the autonomous coach after
    assert said_by(store, run1, PARTNER)[-1] == sam_user["id"]  # Sam took the partner's job over

    # --- peer feedback: Bea and Cyd are asked; Ana gets what went well --------------------------------------------
    asked = await turn_view(bea, 1, "feedback")
    assert asked["ask"]["learner"]["name"] == "Ana" and [s["id"] for s in asked["ask"]["steps"]] == STEPS
    assert (await turn_view(ana, 1, "feedback"))["ask"] is None  # the learner is not asked about herself
    with pytest.raises(WireError) as refused:
        await ana.call(wcourse.GROUP_FEEDBACK, {"text": "I was great"})
    assert refused.value.code == "forbidden"
    with pytest.raises(WireError) as refused:
        await bea.call(wcourse.GROUP_FEEDBACK, {"step": "not_a_step"})
    assert refused.value.code == "invalid"
    await bea.call(wcourse.GROUP_FEEDBACK, {"step": STEPS[0], "text": "You smiled when you said hello."})
    got = await ana.wait_for(wcourse.PEER_FEEDBACK)
    assert got["from"] == "Bea" and got["text"] == "You smiled when you said hello." and got["step"] == STEPS[0]
    assert got["step_text"] == CONVERSATION.step_texts()[STEPS[0]] and got["run"] == run1
    await sam.wait_for(wcourse.PEER_FEEDBACK)  # the peer specialist sees it too
    assert (await cyd.call(wcourse.GROUP_FEEDBACK, {"skip": True}))["skipped"]

    # --- turn 2: Bea's; Sam reverses the next one; Bea leaves mid-turn and is skipped, not waited for ----------
    second = await turn_view(sam, 2, "turn")
    assert second["turn"]["learner"]["name"] == "Bea" and second["order"][0] == {
        "id": ids["Ana"],
        "name": "Ana",
        "status": "done",
    }
    await sam.call(wcourse.GROUP_REVERSE, {"player": ids["Ana"]})
    await settled(server, ROOM)
    method, arg = inputs[0]
    await bea.call(
        wsc.SCENARIO_CHOOSE if method == "choose" else wsc.SCENARIO_ANSWER,
        {"option": arg} if method == "choose" else {"text": arg},
    )
    await bea.call(events.LEAVE)

    # --- turn 3, reversed: Cyd plays the partner (her claim for the turn), Ana plays the learner ---------------
    third = await turn_view(sam, 3, "turn")
    assert third["turn"]["learner"]["name"] == "Cyd" and third["turn"]["reversed"]
    assert third["turn"]["player"]["name"] == "Ana"
    assert {(o["name"], o["status"]) for o in third["order"]} >= {("Bea", "skipped"), ("Ana", "done")}
    assert store.get_run(second["turn"]["run"])["status"] == "stopped"
    run3 = third["turn"]["run"]
    await sam.call(wcourse.GROUP_REVERSE, {"player": sam_user["id"]})  # the turn after: Sam plays the learner
    await settled(server, ROOM)
    with pytest.raises(WireError) as refused:
        await cyd.call(wsc.SCENARIO_CHOOSE, {"option": inputs[0][1]})
    assert "Roles are swapped this turn: Ana answers as the learner" in refused.value.message
    await play_turn(server, ana, inputs)
    assert set(said_by(store, run3, PARTNER)) == {ids["Cyd"]}  # Cyd said the partner's lines
    assert store.get_run(run3)["participant_user_id"] == ids["Cyd"]
    await turn_view(ana, 3, "feedback")
    with pytest.raises(WireError) as refused:  # between turns nobody starts a practice of their own here
        await ana.call(wsc.SCENARIO_START, {"scenario": CONVERSATION.id})
    assert refused.value.code == "conflict" and "group practice" in refused.value.message
    # Bea comes back: she is queued at the end, and takes her turn after this feedback
    await bea.join(ROOM)
    await ana.call(wcourse.GROUP_FEEDBACK, {"text": "You kept the conversation going."})
    assert (await cyd.wait_for(wcourse.PEER_FEEDBACK))["from"] == "Ana"
    fourth = await turn_view(sam, 4, "turn")
    assert fourth["turn"]["learner"]["name"] == "Bea" and fourth["turn"]["player"]["name"] == "Sam"
    run4 = fourth["turn"]["run"]
    await settled(server, ROOM)
    with pytest.raises(WireError) as refused:
        await ana.call(wsc.SCENARIO_CHOOSE, {"option": inputs[0][1]})
    assert "Sam's turn to answer" in refused.value.message
    for method, arg in inputs:  # Sam (staff) answers as the learner until Bea has played the partner's lines
        await settled(server, ROOM)
        if said_by(store, run4, PARTNER):
            break
        if method == "choose":
            assert (await sam.call(wsc.SCENARIO_CHOOSE, {"option": arg}))["run"] == run4
        else:
            assert (await sam.call(wsc.SCENARIO_ANSWER, {"text": arg}))["run"] == run4
    assert set(said_by(store, run4, PARTNER)) == {ids["Bea"]}
    await sam.call(wcourse.GROUP_PRACTICE_STOP)
    assert wc.TELEOP == (await sam.call(wc.CLAIM, {"role": PARTNER}))["driver"]  # Bea's claim was given back
    ended = await ana.wait_for(wcourse.GROUP_TURN, lambda d: d["stage"] == "ended")
    assert [o["status"] for o in ended["order"]] == ["done", "done", "done"]

    # --- the store: peer feedback per turn; the reversed role-play is not Ana's nor Cyd's skill progress ---------
    feedback = [e for e in store.run_events(run1) if e["kind"] == "peer_feedback"]
    assert [(e["user_id"], e["data"]["learner"], e["data"].get("text")) for e in feedback] == [
        (ids["Bea"], ids["Ana"], "You smiled when you said hello.")
    ]
    plays = role_plays(store.course_events([ids["Cyd"], ids["Ana"]], ("ending", "self_rating")))
    assert {p["run"] for p in plays} == {run1}
    assert any(e["data"].get("played_by") == ids["Ana"] for e in store.run_events(run3) if e["kind"] == "ending")
    # both people's exports hold it; deleting the giver removes it
    assert any(e["kind"] == "peer_feedback" for e in store.export_user(ids["Ana"])["events"])
    assert any(e["kind"] == "peer_feedback" for e in store.export_user(ids["Bea"])["events"])

    # --- the dashboard's session page lists what went well --------------------------------------------------------
    http, status = await dashboard_login(server.url, "Sam")
    assert status == 303
    async with http:
        async with http.get(f"{server.url}/dashboard/sessions/{run1}") as r:
            page = await r.text()
    assert r.status == 200 and "Peer feedback: what went well" in page
    assert "You smiled when you said hello." in page and CONVERSATION.step_texts()[STEPS[0]] in page
    assert store.delete_user(ids["Bea"])
    assert not [e for e in store.run_events(run1) if e["kind"] == "peer_feedback"]


async def test_a_staff_members_peer_fidelity_ratings_are_in_their_export(server):
    store = server.store
    sam = await server.bot("Sam", role="peer_specialist")
    fay = server.add_user("Fay", "facilitator")
    items = {"shared_experience": 2, "conveyed_hope": 4, "followed_lead": 3, "within_role": 4}
    store.add_peer_fidelity(sam.user["id"], None, fay["id"], items, "warm, kept to the role")
    store.add_peer_fidelity(sam.user["id"], None, sam.user["id"], {**items, "conveyed_hope": 3}, None)  # his own
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "/api/me/export", headers={"Authorization": f"Bearer {sam.token}"}) as r:
            assert r.status == 200
            export = await r.json()
    about = export["peer_fidelity"]["about_me"]
    assert [(a["rated_by_name"], a["items"], a["note"]) for a in about] == [
        ("Fay", items, "warm, kept to the role"),
        ("Sam", {**items, "conveyed_hope": 3}, None),
    ]
    assert export["peer_fidelity"]["given"] == []  # his own rating of himself is listed once, above
    given = store.export_user(fay["id"])["peer_fidelity"]["given"]
    assert [(g["staff_name"], g["items"]) for g in given] == [("Sam", items)]
    assert store.delete_user(sam.user["id"]) and store.peer_fidelity() == []
