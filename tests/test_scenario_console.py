"""What the coach console reads from the server: the participant's draft (relayed, never kept) and the transcript."""

import logging

import pytest

from scenario_play import settled
from wire import scenario as wsc
from wire.errors import WireError

DRAFT = "I was wondering if you would like some company"


def _state(bot):
    return [d for e, d in bot.inbox if e == wsc.SCENARIO_STATE][-1]


async def _to_free_text(srv, ana) -> None:
    for _ in range(12):
        await settled(srv)
        await ana.wait_until(lambda: any(e == wsc.SCENARIO_STATE for e, _ in ana.inbox))
        if _state(ana)["free_text"]:
            return
        mark = len(ana.inbox)
        await ana.call(wsc.SCENARIO_CHOOSE, {"option": "continue"})
        await ana.wait_for(wsc.SCENARIO_STATE, since=mark)
    raise AssertionError("the scenario never offered free text")


async def test_the_participants_draft_goes_to_staff_following_the_run_and_is_never_kept(server, caplog):
    caplog.set_level(logging.DEBUG)
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    ana = await server.bot("Ana", room="cafe")
    run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
    early = await ana.call(wsc.SCENARIO_DRAFT, {"text": "hello"})  # a scripted phase takes no words of one's own
    assert early["relayed"] is False
    with pytest.raises(WireError) as staff:
        await sam.call(wsc.SCENARIO_DRAFT, {"text": "hello"})
    assert staff.value.code == "forbidden"
    await _to_free_text(server, ana)
    ack = await ana.call(wsc.SCENARIO_DRAFT, {"text": DRAFT})
    assert ack["relayed"] is True
    seen = await sam.wait_for(wsc.SCENARIO_TYPING)
    assert seen == {"run": run_id, "text": DRAFT}
    again = await ana.call(wsc.SCENARIO_DRAFT, {"text": DRAFT + "?"})  # too soon after the last: not relayed
    assert again["relayed"] is False
    assert not [d for e, d in ana.inbox if e == wsc.SCENARIO_TYPING]  # not echoed to the participant
    kept = server.store.room_events("cafe") + server.store.run_events(run_id)
    assert not any(DRAFT in str(e["data"]) for e in kept)
    assert DRAFT not in caplog.text


async def test_the_transcript_of_the_run_is_read_back_for_staff_only(server):
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    ana = await server.bot("Ana", room="cafe")
    run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
    await settled(server)
    await ana.wait_until(lambda: len(ana.said) >= 1)
    ack = await sam.call(wsc.SCENARIO_TRANSCRIPT, {})
    said = [e for e in server.store.run_events(run_id) if e["kind"] == "said"]
    assert ack["run"] == run_id and len(ack["lines"]) == len(said) >= 1
    assert ack["lines"][0]["text"] == said[0]["data"]["text"] and ack["lines"][0]["name"] == "Robin"
    with pytest.raises(WireError) as refused:
        await ana.call(wsc.SCENARIO_TRANSCRIPT, {})
    assert refused.value.code == "forbidden"
