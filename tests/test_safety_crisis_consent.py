"""Crisis-language alerts, what participants are told, and durable consent as the one recording gate."""

import asyncio
import logging

import aiohttp

from conftest import eventually
from server.appkeys import SAFETY
from server.safety import care
from server.safety.crisis import CrisisList, load, normalise
from wire import events
from wire import safety as ws

PHRASES = "scenarios/safety/crisis_phrases.yaml"
CARE = "scenarios/safety/care.yaml"


def test_matching_is_normalised_and_whole_word():
    c = load(PHRASES)
    assert normalise("I CAN\u2019T   go on!!") == "i cant go on"
    assert c.match("honestly I want to  DIE.") == "end_life"
    assert c.match("I can't go on like this") == "no_way_out"
    assert c.match("Ｉ want to die") == "end_life"  # full-width letters fold (NFKC)
    assert c.match("the skill myself part") is None  # no match inside a word
    assert c.match("I want to dine out") is None
    assert c.match("") is None
    custom = CrisisList("m", "t", "r", [("x", ["hurt   Myself"])])
    assert custom.match("i might hurt myself.") == "x" and custom.match("unhurt myselfish") is None


async def test_crisis_line_alerts_staff_at_once_and_supports_the_participant(server, caplog):
    caplog.set_level(logging.DEBUG)
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    elsewhere = await server.bot("Fay", role="facilitator", room="park")
    secret = "I just want to die tonight"
    await ana.say(secret)
    alert = await sam.wait_for(ws.SAFETY_ALERT)
    assert alert["kind"] == "crisis" and alert["name"] == "Ana" and alert["avatar"] == ana.avatar
    assert alert["category"] == "end_life" and alert["text"] == secret
    support = await ana.wait_for(events.NOTICE, lambda d: d.get("kind") == "support")
    c = load(PHRASES)
    assert support["text"] == f"{c.texts['told.staff']} {c.resources_text}" and support["title"] == c.resources_title
    await asyncio.sleep(0.2)
    assert not [e for e, _ in ben.inbox if e == ws.SAFETY_ALERT]  # other participants are not told
    assert not [e for e, _ in elsewhere.inbox if e == ws.SAFETY_ALERT]  # staff in the room handled it
    row = (await eventually(server.app[SAFETY].db.alerts))[0]
    assert row["kind"] == "crisis" and row["category"] == "end_life" and row["notified"] == 1
    assert row["event_id"] is None  # Ana did not agree to recording: no line stored
    # no content in any log line
    assert not any("want to die" in r.getMessage() for r in caplog.records)


async def test_crisis_without_staff_in_the_room_escalates_without_the_words(server):
    ana = await server.bot("Ana", room="cafe")
    fay = await server.bot("Fay", role="facilitator")
    await ana.call(events.CONSENT, {"recording": True})
    await ana.say("there is no reason to live")
    alert = await fay.wait_for(ws.SAFETY_ALERT)
    assert alert["escalated"] is True and "text" not in alert and alert["room"] == "cafe"
    row = (await eventually(server.app[SAFETY].db.alerts))[0]  # people first: the row is written just after
    line = [e for e in server.store.room_events("cafe") if e["kind"] == "said"][-1]
    assert row["event_id"] == line["id"]  # linked to the recorded line, not copied


async def test_with_no_staff_online_the_card_says_so_and_promises_no_one(server):
    ana = await server.bot("Ana", room="cafe")
    await ana.say("there is no reason to live")
    support = await ana.wait_for(events.NOTICE, lambda d: d.get("kind") == "support")
    c = load(PHRASES)
    # with no one on duty, the card carries the service's out-of-hours resources (care.yaml), not the usual ones
    assert support["text"] == f"{c.texts['told.nobody']} {care.load(CARE).resources_text()}"
    assert "has been told" not in support["text"] and "No one from the team is online" in support["text"]
    assert "116 123" in support["text"] and "call 999" in support["text"]
    row = (await eventually(server.app[SAFETY].db.alerts))[0]  # the alert waits for the team
    assert row["kind"] == "crisis" and row["notified"] == 0


async def test_participants_are_told_what_is_monitored(server):
    ana = await server.bot("Ana", room="cafe")
    told = await ana.wait_for(ws.MONITORING)
    c = load(PHRASES)
    assert told["text"] == c.monitoring_notice and told["recording"] is False
    info = await ana.call(ws.SAFETY_INFO)
    assert info["monitoring"] == c.monitoring_notice and info["resources"]["text"] == c.resources_text
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "/api/safety/info") as r:
            body = await r.json()
    assert body["monitoring"] == c.monitoring_notice


async def test_consent_is_durable_and_record_is_the_gate(make_server):
    srv = await make_server()
    ana = await srv.bot("Ana", room="cafe")
    sam = await srv.bot("Sam", role="peer_specialist", room="cafe")
    await ana.say("not recorded")
    await sam.say("staff lines are recorded by role")
    ack = await ana.call(events.CONSENT, {"recording": True})
    assert ack["recording"] is True
    await ana.say("recorded now")
    await asyncio.sleep(0.1)
    texts = [e["data"]["text"] for e in srv.store.room_events("cafe") if e["kind"] == "said"]
    assert texts == ["staff lines are recorded by role", "recorded now"]
    await srv.stop()
    srv2 = await make_server()
    ana2 = await srv2.bot("Ana", room="cafe")
    told = await ana2.wait_for(ws.MONITORING)
    assert told["recording"] is True  # remembered across restarts and connections
    await ana2.say("still recorded")
    await ana2.call(events.CONSENT, {"recording": False})
    await ana2.say("stopped")
    await asyncio.sleep(0.1)
    texts = [e["data"]["text"] for e in srv2.store.room_events("cafe") if e["kind"] == "said"]
    assert texts[-1] == "still recorded"
