"""Unsure answers go to a person (issue #13, item 3), over a real server with real bots and a real SQLite file.

A typed answer is scored on its own only when the matcher is sure and the words show no risk signal.
Otherwise the peer specialist in the room decides (wait 'review', `scenario_review`), or, with nobody,
the participant is asked "Did you mean ...?" (wait 'confirm'). Rude and sarcastic answers are never
scored: the partner answers the tone. Every typed answer's match, confidence, signals and decider are
stored with the run.
"""

import re

import pytest

from conftest import dashboard_login
from scenario_play import settled
from server.scenarios import answer_risk
from test_scenario_crisis import last_state, refused, to_the_role_play
from wire import events
from wire import scenario as wsc

TEXTS = answer_risk.shipped().texts
UNSURE = "Hello, sorry, can I grab you for two minutes?"  # near 'excuse_me', not near enough to score alone
NEGATED = "I don't want to bother them, I'm not going to say excuse me"
SCORING = {"choice", "score"}


def typed(store, run: int, kind: str) -> list[dict]:
    return [e["data"] for e in store.run_events(run) if e["kind"] == kind]


async def answer(srv, bot, text: str, wait: str) -> dict:
    """Type `text`; the state the participant gets once the run waits in `wait`."""
    mark = len(bot.inbox)
    ack = await bot.call(wsc.SCENARIO_ANSWER, {"text": text})
    assert ack["wait"] == wait, (text, ack)
    state = await bot.wait_for(wsc.SCENARIO_STATE, lambda s: s["wait"] == wait, since=mark)
    await settled(srv)
    return state


async def test_a_specialist_in_the_room_reviews_an_unsure_answer_with_one_decision(server):
    server.look_after("Sam", "Ana")
    ana = await server.bot("Ana", room="cafe")
    await ana.call(events.CONSENT, {"recording": True})
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    sam_id = server.store.find_user("Sam")["id"]
    run = await to_the_role_play(server, ana)
    mark = len(sam.inbox)

    st = await answer(server, ana, UNSURE, "review")
    # the participant waits calmly: nothing to choose, nothing to type, told their coach is reading
    assert st["prompt"] == TEXTS["review_wait"] and st["options"] == [] and not st["free_text"]
    assert "review" not in st and st["node"] == "desk"
    # the specialist's view carries the answer, the nearest options with their confidence, and no signals
    staff = await sam.wait_for(wsc.SCENARIO_STATE, lambda s: s["wait"] == "review", since=mark)
    review = staff["review"]
    assert review["text"] == UNSURE and review["signals"] == []
    assert [c["id"] for c in review["candidates"]][0] == "excuse_me" and len(review["candidates"]) == 3
    assert all(0.0 <= c["confidence"] < 0.55 and c["text"] for c in review["candidates"])
    assert staff["cue"]["expect"] == "review" and staff["cue"]["intents"] == []
    assert not typed(server.store, run, "choice")  # held, not scored
    held = typed(server.store, run, "answer_held")
    assert held[-1]["to"] == "review" and held[-1]["text"] == UNSURE and held[-1]["confidence"] < 0.55

    # while it waits the participant cannot answer again or pick an option
    for event, payload in ((wsc.SCENARIO_ANSWER, {"text": "hello?"}), (wsc.SCENARIO_CHOOSE, {"option": "hover"})):
        err = await refused(ana, event, payload)
        assert err.code == "conflict" and err.message == TEXTS["review_wait"]
    # only staff decide, and only an option of this node
    err = await refused(ana, wsc.SCENARIO_REVIEW, {"option": "excuse_me"})
    assert err.code == "forbidden"
    err = await refused(sam, wsc.SCENARIO_REVIEW, {"option": "specific"})
    assert err.code == "invalid" and "unscorable" in err.message

    mark = len(ana.inbox)
    ack = await sam.call(wsc.SCENARIO_REVIEW, {"option": "excuse_me"})
    assert ack["wait"] == "choice"
    st = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["node"] == "attention", since=mark)
    assert st["scores"]["practice"]["get_attention"] == 2
    choice = typed(server.store, run, "choice")[-1]
    assert choice["option"] == "excuse_me" and choice["via"] == "review" and choice["text"] == UNSURE
    assert choice["decided"] == str(sam_id) and choice["signals"] == [] and 0 < choice["confidence"] < 0.55
    # the words were said once, when typed: deciding does not say them again
    await settled(server)
    assert [line["text"] for line in ana.said].count(UNSURE) == 1

    # the specialist can also mark an answer unscorable: not scored, the node is asked again
    await answer(server, ana, "I'm not stuck on the form, I don't need help with it", "review")
    staff = last_state(sam)
    assert staff["review"]["signals"] == ["negation"]
    mark = len(ana.inbox)
    await sam.call(wsc.SCENARIO_REVIEW, {"option": wsc.UNSCORABLE})
    st = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["wait"] == "choice", since=mark)
    assert (
        st["node"] == "attention"
        and st["note"] == "no_match"
        and "say_need" not in {k for k, v in st["scores"]["practice"].items() if v}
    )
    unscored = typed(server.store, run, "answer_unscored")[-1]
    assert unscored["reason"] == "unscorable" and unscored["decided"] == str(sam_id)
    err = await refused(sam, wsc.SCENARIO_REVIEW, {"option": "specific"})
    assert err.code == "conflict"  # nothing is waiting now

    # the session's transcript on the dashboard says how each typed answer was judged, and by whom
    server.add_user("Fay", "facilitator")
    http, status = await dashboard_login(server.url, "Fay")
    assert status == 303
    async with http:
        async with http.get(server.url + f"/dashboard/sessions/{run}") as r:
            assert r.status == 200
            html = await r.text()
    rows = re.findall(r"<td class='answer'><em>(.*?)</em>", html)
    assert rows[0] == f"held for review (confidence {held[-1]['confidence']:.2f})"
    assert rows[1] == f"scored as excuse_me (confidence {choice['confidence']:.2f}; decided: {sam_id})"
    assert rows[2].startswith("held for review (confidence ") and rows[2].endswith("; noticed: negation)")
    assert rows[3].startswith("not scored: unscorable (") and rows[3].endswith(f"; decided: {sam_id})")


async def test_with_nobody_to_review_the_participant_is_asked_did_you_mean(server):
    ana = await server.bot("Ana", room="cafe")
    await ana.call(events.CONSENT, {"recording": True})
    run = await to_the_role_play(server, ana)

    st = await answer(server, ana, UNSURE, "confirm")
    assert st["prompt"] == TEXTS["did_you_mean"] and st["free_text"]
    ids = [o["id"] for o in st["options"]]
    assert len(ids) == 3 and ids[0] == "excuse_me" and ids[-1] == wsc.AGAIN
    assert st["options"][-1]["text"] == TEXTS["say_again"]
    assert not typed(server.store, run, "choice")

    # "No, let me say it again": nothing scored, back to the question
    mark = len(ana.inbox)
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": wsc.AGAIN})
    st = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["wait"] == "choice", since=mark)
    assert st["node"] == "desk" and not typed(server.store, run, "choice")
    unscored = typed(server.store, run, "answer_unscored")[-1]
    assert {k: unscored[k] for k in ("phase", "node", "reason", "decided")} == {
        "phase": "practice",
        "node": "desk",
        "reason": "say_again",
        "decided": "participant",
    }
    assert unscored["confidence"] < 0.55 and unscored["signals"] == []

    # asked again, then one of the two nearest is taken as that option, decided by the participant
    st = await answer(server, ana, UNSURE, "confirm")
    err = await refused(ana, wsc.SCENARIO_CHOOSE, {"option": "specific"})
    assert err.code == "invalid"
    mark = len(ana.inbox)
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": "excuse_me"})
    st = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["node"] == "attention", since=mark)
    choice = typed(server.store, run, "choice")[-1]
    assert choice["via"] == "confirmed" and choice["decided"] == "participant" and choice["text"] == UNSURE

    # a sure answer is scored on its own, and says so
    mark = len(ana.inbox)
    await ana.call(wsc.SCENARIO_ANSWER, {"text": "I'm stuck on the proof of address part, could you help me with it?"})
    await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["node"] == "helps", since=mark)
    choice = typed(server.store, run, "choice")[-1]
    assert choice["option"] == "specific" and choice["via"] == "text" and choice["decided"] == "auto"
    assert choice["confidence"] >= 0.55 and choice["signals"] == [] and choice["match"] > 0


@pytest.mark.parametrize(
    "text, reason",
    [
        ("I don't want an appointment, I'm calling to cancel one.", "negation"),
        ("Oh great, thanks for nothing. What should I do differently then, genius?", "sarcasm"),
        ("Just get me a doctor, you useless idiot.", "abuse"),
    ],
)
async def test_negated_sarcastic_and_rude_answers_are_never_scored(server, text, reason):
    """Three of the issue's failing cases, at the node where Jordan asks what the participant needs."""
    ana = await server.bot("Ana", room="cafe")
    run = await to_the_role_play(server, ana)
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": "excuse_me"})
    await settled(server)
    points_before = sum(1 for e in server.store.run_events(run) if e["kind"] == "score")
    mark = len(ana.inbox)

    ack = await ana.call(wsc.SCENARIO_ANSWER, {"text": text})
    if reason == "negation":  # unsure: the participant is asked what they meant, nothing is scored
        assert ack["wait"] == "confirm"
        assert typed(server.store, run, "answer_held")[-1]["signals"] == ["negation"]
    else:  # rude or sarcastic: the partner answers the tone and asks again, nothing is scored
        assert ack["wait"] == "choice"
        st = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["note"] == "rude", since=mark)
        assert st["node"] == "attention"
        await ana.wait_until(lambda: any(line["text"] == TEXTS["rude_reply"] for line in ana.said))
        unscored = typed(server.store, run, "answer_unscored")[-1]
        assert unscored["reason"] == "rude" and reason in unscored["signals"] and unscored["decided"] == "auto"
    await settled(server)
    assert sum(1 for e in server.store.run_events(run) if e["kind"] == "score") == points_before
    assert [e for e in server.store.run_events(run) if e["kind"] == "choice"][-1]["data"]["option"] == "excuse_me"


async def test_when_the_last_specialist_leaves_a_held_answer_goes_to_the_participant(server):
    server.look_after("Sam", "Ana")
    ana = await server.bot("Ana", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    run = await to_the_role_play(server, ana)
    await answer(server, ana, NEGATED, "review")
    mark = len(ana.inbox)
    await sam.close()
    st = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["wait"] == "confirm", since=mark)
    assert st["prompt"] == TEXTS["did_you_mean"] and st["options"][-1]["id"] == wsc.AGAIN
    assert [h["to"] for h in typed(server.store, run, "answer_held")] == ["review", "confirm"]
    assert server.store.get_run(run)["state"]["wait"] == "confirm"


async def test_a_review_left_open_by_a_crash_goes_to_the_participant_who_comes_back_alone(server_process):
    from client.bot import Bot
    from conftest import PASSWORD

    proc = server_process().start()
    for name, role in (("Ana", "participant"), ("Fay", "facilitator")):
        assert proc.cli("user", "add", name, "--password", PASSWORD, "--role", role).returncode == 0
    bots = []
    try:
        for name in ("Ana", "Fay"):
            bot = Bot(proc.url)
            await bot.login(name, PASSWORD)
            await bot.connect()
            await bot.join("cafe")
            bots.append(bot)
        ana = bots[0]
        run = await to_the_role_play(None, ana)
        await answer(None, ana, UNSURE, "review")
        proc.kill()  # SIGKILL while the answer waits for Fay: no leaving hook runs
        for bot in bots:
            await bot.close()
        proc.start()  # same port, same data dir: the run resumes, still waiting in review
        ana = Bot(proc.url)
        bots = [ana]
        await ana.login("Ana", PASSWORD)
        await ana.connect()
        await ana.join("cafe")  # back alone: nobody to review, so she is asked
        st = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["wait"] == "confirm")
        assert st["options"][0]["id"] == "excuse_me" and st["options"][-1]["id"] == wsc.AGAIN
        await ana.call(wsc.SCENARIO_CHOOSE, {"option": "excuse_me"})
    finally:
        for bot in bots:
            await bot.close()
    proc.kill()
    from server.storage import open_storage

    store = open_storage(str(proc.data_dir / "peerspace.db"))
    try:
        assert [h["to"] for h in typed(store, run, "answer_held")] == ["review", "confirm"]
        choice = typed(store, run, "choice")[-1]
        assert choice["via"] == "confirmed" and choice["decided"] == "participant" and choice["option"] == "excuse_me"
        assert choice["text_withheld"] and "text" not in choice  # Ana did not agree to recording: no words kept
    finally:
        store.close()
