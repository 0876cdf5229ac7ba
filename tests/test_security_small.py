"""Issue 11, the small holes, over a real server: feedback only from who holds the role, disguised crisis
phrases still raise an alert, invisible chat lines are refused, and a staff member's feedback is in their export."""

import aiohttp
import pytest

from conftest import eventually
from server.appkeys import SAFETY
from server.controllers.host import dispatch
from wire import controllers as wc
from wire import events
from wire import safety as ws
from wire import scenario as wsc
from wire.errors import WireError

SCENARIO = {"scenario": "starting_a_conversation"}


def feedback_events(store, run_id):
    return [e for e in store.run_events(run_id) if e["kind"] == "feedback"]


# --- feedback: only the holder of the role ------------------------------------------------------------------
async def test_an_agent_without_a_claim_cannot_give_feedback(server):
    ana = await server.bot("Ana", room="cafe")
    bot = await server.bot("coach-bot", role="agent", room="cafe")
    run_id = (await ana.call(wsc.SCENARIO_START, SCENARIO))["run"]
    before = server.world.scenarios.active["cafe"].run.state["feedback"]["positive"]

    with pytest.raises(WireError) as e:
        await bot.call(wsc.SCENARIO_FEEDBACK, {"kind": "positive", "text": "forged praise"})
    assert e.value.code == "forbidden" and "Claim the coach" in e.value.message
    assert not [f for f in feedback_events(server.store, run_id) if f["data"]["text"] == "forged praise"]
    assert server.world.scenarios.active["cafe"].run.state["feedback"]["positive"] == before

    await bot.call(wc.CLAIM, {"role": "coach"})  # now it holds the coach
    await bot.call(wsc.SCENARIO_FEEDBACK, {"kind": "positive", "text": "Nice opening."})
    given = [f for f in feedback_events(server.store, run_id) if f["data"]["text"] == "Nice opening."]
    assert len(given) == 1 and given[0]["user_id"] == bot.user["id"]
    assert server.world.scenarios.active["cafe"].run.state["feedback"]["positive"] == before + 1

    await bot.call(wc.RELEASE, {"role": "coach"})  # released: no longer the coach
    with pytest.raises(WireError) as e:
        await bot.call(wsc.SCENARIO_FEEDBACK, {"kind": "corrective", "text": "after release"})
    assert e.value.code == "forbidden"
    assert not [f for f in feedback_events(server.store, run_id) if f["data"]["text"] == "after release"]


async def test_staff_may_still_give_feedback_and_a_participant_never(server):
    ana = await server.bot("Ana", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    run_id = (await ana.call(wsc.SCENARIO_START, SCENARIO))["run"]
    with pytest.raises(WireError) as e:
        await ana.call(wsc.SCENARIO_FEEDBACK, {"kind": "positive", "text": "I was great"})
    assert e.value.code == "forbidden"
    await sam.call(wsc.SCENARIO_FEEDBACK, {"kind": "corrective", "text": "Try a question."})
    assert [f["data"]["text"] for f in feedback_events(server.store, run_id) if f["actor"] in ("Ana", "Sam")] == [
        "Try a question."
    ]


# --- crisis phrases in disguise ---------------------------------------------------------------------------
DISGUISED = [
    ("I want to k\u200dill myself", "end_life"),  # zero-width joiner
    ("I want to k\u200bill my\u200cself", "end_life"),  # zero-width space and non-joiner
    ("I want to end my li\u00adfe", "end_life"),  # soft hyphen
    ("\ufeffsu\u200ei\u200fcide", "end_life"),  # byte-order mark and bidi marks
    ("I want to díe", "end_life"),  # precomposed accent
    ("I want to cu\u0301t mys\u0327elf", "self_harm"),  # combining accents
    ("I want to kіll mуsеlf", "end_life"),  # Cyrillic і у е
    ("there is no rеаsоn to livе", "no_way_out"),  # Cyrillic е а о е
    ("I might ΗURT ΜΥЅΕLF", "self_harm"),  # Greek Η Μ Υ Ε, Cyrillic Ѕ
    ("I want to k1ll myself", "end_life"),  # digit for a letter
    ("se1f h4rm again", "self_harm"),  # 1 as l, 4 as a
    ("I c4n't g0 0n", "no_way_out"),
    ("$u1c1d@l thoughts", "end_life"),  # $ @ and 1 as i
    ("n0 r3ason to l1v3", "no_way_out"),
]


async def test_disguised_crisis_phrases_still_alert_staff(server):
    ana = await server.bot("Ana", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    for line, category in DISGUISED:
        mark = len(sam.inbox)
        await ana.say(line)
        alert = await sam.wait_for(ws.SAFETY_ALERT, since=mark, timeout=3)
        assert alert["kind"] == "crisis" and alert["category"] == category and alert["text"] == line, line
    rows = await eventually(server.app[SAFETY].db.alerts, lambda r: len(r) >= len(DISGUISED))
    assert len(rows) == len(DISGUISED)


async def test_ordinary_lines_with_numbers_raise_nothing(server):
    ana = await server.bot("Ana", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    mark = len(sam.inbox)
    for line in [
        "I'll be there at 5",
        "room 101",
        "see you at 7:30 in room 4",
        "call 116 123 or text 988",
        "it starts at 5pm on the 1st",
        "that skill myself thing",
        "my sk1ll set",
        "I killed it at 5",
        "I want to dine at 7",
        "4 of us, 3 tables",
        "the $5 menu",
    ]:
        await ana.say(line)
    await ana.say("I can't go on")  # the one real alert, said last
    alert = await sam.wait_for(ws.SAFETY_ALERT, since=mark, timeout=3)
    assert alert["text"] == "I can't go on"
    assert [d["text"] for e, d in sam.inbox[mark:] if e == ws.SAFETY_ALERT] == ["I can't go on"]
    assert len(await eventually(server.app[SAFETY].db.alerts)) == 1


# --- invisible chat lines ---------------------------------------------------------------------------------
INVISIBLE = [
    "\u200b",
    "\u200d\u200c\u2060",
    "\u00ad",
    "   ",
    "\t\n",
    "\ufeff\u200e\u200f\u202e",
    "\u3164",
    "\u2800 \u115f",
    "\u0301\u0301",
    "\U000e0041\U000e007f",
]


async def test_invisible_chat_lines_are_refused_and_never_sent_or_stored(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    await ana.call(events.CONSENT, {"recording": True})
    for text in INVISIBLE:
        with pytest.raises(WireError) as e:
            await ana.say(text)
        assert e.value.code == "invalid" and "shows nothing" in e.value.message, repr(text)
    await ana.say("\U0001f469\u200d\U0001f4bb hello")  # a ZWJ emoji sequence is visible
    await ben.wait_until(lambda: ben.said)
    assert [line["text"] for line in ben.said] == ["\U0001f469\u200d\U0001f4bb hello"]
    said = [e["data"]["text"] for e in server.store.room_events("cafe") if e["kind"] == "said"]
    assert said == ["\U0001f469\u200d\U0001f4bb hello"]


async def test_invisible_cast_lines_and_answers_are_refused_too(server):
    ana = await server.bot("Ana", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    await ana.call(wsc.SCENARIO_START, SCENARIO)
    coach = next(a for a, m in ana.members.items() if m.get("role") == "coach")
    await sam.call(wc.CLAIM, {"avatar": coach})
    mark = len(ana.said)
    with pytest.raises(WireError) as e:  # a teleoperator's cast line
        await sam.call(events.SAY, {"text": "\u200b\u200b", "avatar": coach})
    assert e.value.code == "invalid"
    with pytest.raises(WireError) as e:  # the participant's own answer
        await ana.call(wsc.SCENARIO_ANSWER, {"text": "\u2060"})
    assert e.value.code == "invalid"
    await sam.call(wc.RELEASE, {"avatar": coach})
    room = server.world.rooms["cafe"]
    with pytest.raises(WireError) as e:  # an in-process driver's line
        await dispatch(server.world, room, coach, events.SAY, {"text": "\u00ad", "avatar": coach})
    assert e.value.code == "invalid"
    await sam.say("visible")
    await ana.wait_until(lambda: any(line["text"] == "visible" for line in ana.said[mark:]))
    assert not any(line["text"] in ("\u200b\u200b", "\u00ad") for line in ana.said[mark:])
    assert not [
        e
        for e in server.store.room_events("cafe")
        if e["kind"] == "said" and e["data"].get("text") in ("\u200b\u200b", "\u00ad", "\u2060")
    ]


# --- a staff member's feedback in their own export ----------------------------------------------------------
async def export(server, bot) -> dict:
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "/api/me/export", headers={"Authorization": f"Bearer {bot.token}"}) as r:
            assert r.status == 200
            return await r.json()


async def test_feedback_a_peer_specialist_gave_is_in_their_own_export(server):
    ana = await server.bot("Ana", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    run_id = (await ana.call(wsc.SCENARIO_START, SCENARIO))["run"]
    await sam.call(wsc.SCENARIO_FEEDBACK, {"kind": "positive", "text": "Lovely open question, Ana."})
    mine = await export(server, sam)
    given = [e for e in mine["events"] if e["kind"] == "feedback"]
    assert [(e["data"]["text"], e["run_id"], e["user_id"]) for e in given] == [
        ("Lovely open question, Ana.", run_id, sam.user["id"])
    ]
    theirs = await export(server, ana)  # still in the participant's run record
    assert "Lovely open question, Ana." in [e["data"].get("text") for e in theirs["events"] if e["kind"] == "feedback"]
