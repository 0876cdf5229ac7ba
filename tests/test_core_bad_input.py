"""Bad input over real sockets: each class gets a clear error to the sender and harms no one else."""

import asyncio
import logging

import msgpack
import pytest

import wire
from client.bot import Bot
from wire import events
from wire.errors import WireError


async def errors_after(bot, start):
    await asyncio.sleep(0.2)
    return [d for e, d in bot.inbox[start:] if e == events.ERROR]


async def test_malformed_msgpack_gets_bad_packet(server):
    ana = await server.bot("Ana", room="cafe")
    start = len(ana.inbox)
    await ana.sio.eio.send(b"\xc1\xc1 not msgpack")
    err = await ana.wait_for(events.ERROR, since=start)
    assert err["code"] == "bad_packet"
    assert "could not read" in err["message"]
    # a msgpack map that is not a Socket.IO packet
    await ana.sio.eio.send(msgpack.packb({"hello": 1}))
    err = await ana.wait_for(events.ERROR, lambda d: d["code"] == "bad_packet", since=len(ana.inbox) - 1)
    # the connection still works
    assert (await ana.call(events.LIST_ROOMS))["ok"]


async def test_oversized_payload_gets_too_large_and_connection_survives(server):
    ana = await server.bot("Ana", room="cafe")
    start = len(ana.inbox)
    await ana.sio.emit(events.SAY, {"text": "x" * 40_000})
    err = await ana.wait_for(events.ERROR, since=start)
    assert err["code"] == "too_large"
    assert "limit" in err["message"]
    with pytest.raises(WireError) as e:
        await ana.say("y" * 501)
    assert e.value.code == "too_large"
    assert (await ana.say("short and fine"))["ok"]


@pytest.mark.parametrize(
    "event,payload,code,hint",
    [
        (events.MOVE, {"forward": "fast"}, "invalid", "'forward' must be a number"),
        (events.MOVE, {"forward": 3.0}, "invalid", "between -1 and 1"),
        (events.MOVE, {"forward": True}, "invalid", "must be a number"),
        (events.MOVE, {"forward": float("nan")}, "invalid", "finite"),
        (events.MOVE, {}, "invalid", "needs field 'forward'"),
        (events.SAY, {"text": 42}, "invalid", "must be text"),
        (events.SAY, ["not", "a", "map"], "invalid", "takes a map"),
        (events.SAY, {"text": "hi", "admin": True}, "invalid", "does not take: admin"),
        (events.EXPRESSION, {"name": "smug"}, "invalid", "one of: neutral"),
        (events.JOIN, {"room": "nowhere"}, "not_found", "no room"),
        ("teleport", {"x": 1}, "unknown_event", "Unknown event 'teleport'"),
    ],
)
async def test_wrong_types_and_unknown_events(server, event, payload, code, hint):
    ana = await server.bot("Ana", room="cafe")
    start = len(ana.inbox)
    ack = await ana.sio.call(event, payload)
    assert ack["ok"] is False and ack["error"]["code"] == code
    assert hint in ack["error"]["message"]
    err = await ana.wait_for(events.ERROR, since=start)
    assert err["code"] == code


async def test_extra_positional_arguments_are_refused(server):
    ana = await server.bot("Ana", room="cafe")
    ack = await ana.sio.call(events.SAY, ({"text": "a"}, {"text": "b"}))
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"


async def test_intents_before_joining_a_room(server):
    ana = await server.bot("Ana")
    with pytest.raises(WireError) as e:
        await ana.say("anyone?")
    assert e.value.code == "not_in_room" and "Join a room" in e.value.message


async def test_flood_is_rate_limited_with_bounded_errors_and_others_unaffected(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    cai = await server.bot("Cai", room="cafe")
    start = len(ana.inbox)
    for _ in range(400):
        await ana.sio.emit(events.EXPRESSION, {"name": "happy"})
    await asyncio.sleep(0.3)
    errs = [d for e, d in ana.inbox[start:] if e == events.ERROR]
    assert errs and all(d["code"] == "rate_limited" for d in errs)
    assert len(errs) < 60, "a flood must not be answered one error per message"
    # meanwhile others talk normally
    said_at = len(cai.inbox)
    await ben.say("still here")
    line = await cai.wait_for(events.SAID, since=said_at, timeout=2)
    assert line["text"] == "still here"
    # and the flooder recovers once the bucket refills
    await asyncio.sleep(1.0)
    assert (await ana.say("sorry"))["ok"]


async def test_driving_someone_elses_avatar_is_forbidden(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    with pytest.raises(WireError) as e:
        await ana.move(1.0, avatar=ben.avatar)
    assert e.value.code == "forbidden"
    with pytest.raises(WireError) as e:
        await ana.say("I am Ben", avatar=ben.avatar)
    assert e.value.code == "forbidden"
    assert not [s for s in ben.said if s["text"] == "I am Ben"]


async def test_bad_tokens_are_refused_at_connect(server):
    server.add_user("Ana")
    bot = Bot(server.url, reconnect=False)
    bot.token = "forged.token"
    with pytest.raises(WireError) as e:
        await bot.connect()
    assert e.value.code == "unauthorized"
    with pytest.raises(WireError) as e:
        await bot.login("Ana", "wrong password")
    assert e.value.code == "unauthorized" and "do not match" in e.value.message


async def test_protocol_mismatch_is_explained(server):
    ana = await server.bot("Ana")
    # a client from before protocol 2 would misread every `snap` (a map then, an array now): refused, not served
    for other in (1, 999):
        ack = await ana.sio.call(events.HELLO, {"protocol": other})
        assert ack["ok"] is False and "update your client" in ack["error"]["message"]
    assert (await ana.sio.call(events.HELLO, {"protocol": wire.PROTOCOL_VERSION}))["ok"]


async def test_logs_carry_no_message_content(server, caplog):
    caplog.set_level(logging.DEBUG)
    ana = await server.bot("Ana", room="cafe")
    await ana.say("my private words about my week")
    await ana.sio.call(events.SAY, {"text": "secret-in-a-bad-field", "oops": "secret-in-a-bad-field"})
    await ana.sio.call("secret-event-name-" + "z" * 80, {"x": "secret-value"})
    await asyncio.sleep(0.1)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "refused" in logged  # the refusals were logged...
    for secret in ("private words", "secret-in-a-bad-field", "secret-value", "secret-event-name"):
        assert secret not in logged  # ...without their content
