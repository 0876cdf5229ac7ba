"""One line with its expression and gesture is one intent against the rate budget."""

import pytest

from wire import events
from wire.errors import WireError

N = 8


async def test_lines_with_face_and_gesture_fit_where_three_intents_each_would_not(make_server):
    # a budget of 10 intents, refilled slowly: N lines fit, 3N separate intents do not
    srv = await make_server(rate_burst=10.0, rate_per_s=0.2)
    sam = await srv.bot("Sam", role="peer_specialist", room="cafe", on_duty=False)
    ana = await srv.bot("Ana", room="cafe")
    me = sam.avatar
    for i in range(N):
        await sam.say(f"line {i}", expression="happy", intensity=0.5, gesture="wave", avatar=me)
    await ana.wait_until(lambda: len([s for s in ana.said if s["avatar"] == me]) == N)
    shown = [d for e, d in ana.inbox if e == events.MEMBER_UPDATED and d["avatar"] == me]
    assert sum(1 for d in shown if d.get("expression") == "happy" and d["intensity"] == 0.5) == N
    assert sum(1 for d in shown if d.get("gesture") == "wave") == N
    assert srv.world.rooms["cafe"].avatars[me].expression == "happy"

    fay = await srv.bot("Fay", role="peer_specialist", room="cafe")
    with pytest.raises(WireError) as refused:
        for i in range(N):
            await fay.call(events.EXPRESSION, {"name": "happy"})
            await fay.call(events.GESTURE, {"name": "wave"})
            await fay.say(f"line {i}")
    assert refused.value.code == "rate_limited"


async def test_a_line_with_a_face_is_checked_like_the_face_alone(server):
    ana = await server.bot("Ana", room="cafe")
    with pytest.raises(WireError) as bad:
        await ana.say("hello", expression="smug")
    assert bad.value.code == "invalid" and "expression" in bad.value.message
    assert not ana.said


def test_the_remote_agent_sends_a_line_with_its_face_and_gesture_as_one_say():
    from server.controllers.agent import one_intent_per_line

    line = [
        ("expression", {"name": "happy", "intensity": 0.5, "avatar": 3}),
        ("gesture", {"name": "wave", "avatar": 3}),
        ("say", {"text": "Hello.", "suggestion": "r/line/0", "avatar": 3}),
    ]
    one = {"text": "Hello.", "suggestion": "r/line/0", "avatar": 3, "expression": "happy", "intensity": 0.5}
    assert one_intent_per_line(line) == [("say", {**one, "gesture": "wave"})]
    # only the plain case: a face for another avatar, two faces, or a face with no line go out as they came
    other = [("expression", {"name": "sad", "avatar": 4}), line[2]]
    assert one_intent_per_line(other) == other
    twice = [line[0], ("expression", {"name": "sad", "avatar": 3}), line[2]]
    assert one_intent_per_line(twice) == twice
    assert one_intent_per_line(line[:2]) == line[:2]
    assert one_intent_per_line([line[1], ("look", {"yaw": 0, "avatar": 3})]) == [
        line[1],
        ("look", {"yaw": 0, "avatar": 3}),
    ]
