"""Walking skeleton over real sockets: login, join, see each other move, chat, resume."""

import asyncio

import numpy as np
import pytest

from wire import events
from wire.errors import WireError


async def test_login_join_and_see_each_other(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    await ana.wait_until(lambda: ben.avatar in ana.members)
    assert ana.members[ben.avatar]["name"] == "Ben"
    assert ana.members[ben.avatar]["kind"] == "person"
    assert set(ben.members) == {ana.avatar, ben.avatar}
    listed = await ana.call(events.LIST_ROOMS)
    cafe = next(r for r in listed["rooms"] if r["id"] == "cafe")
    assert cafe["people"] == 2


async def test_movement_is_integrated_by_the_server_and_seen_by_others(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    await ben.wait_until(lambda: ana.avatar in ben.poses)
    x0, y0, yaw0 = ben.poses[ana.avatar]
    await ana.move(1.0)  # walk forward (heading 0 faces +y)
    await asyncio.sleep(0.5)
    await ana.move(0.0)
    await ben.wait_until(lambda: ben.poses[ana.avatar][1] > y0 + 0.5)
    x1, y1, _ = ben.poses[ana.avatar]
    # 1.6 m/s for ~0.5 s; the server, not the client, decided the distance.
    assert 0.5 < y1 - y0 < 1.3
    assert abs(x1 - x0) < 0.05
    # stopped: no further movement
    await asyncio.sleep(0.3)
    y_stop = ben.poses[ana.avatar][1]
    await asyncio.sleep(0.3)
    assert ben.poses[ana.avatar][1] == y_stop


async def test_snapshots_are_quantised_deltas_of_eight_bytes_per_avatar(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    await asyncio.sleep(0.2)  # let the join deltas (both spawns) go out first
    start = len(ben.inbox)
    await ana.move(1.0)
    await asyncio.sleep(0.4)
    await ana.move(0.0)
    snaps = [d for e, d in ben.inbox[start:] if e == events.SNAPSHOT]
    assert snaps, "no snapshots while someone walked"
    # only Ana moved, so each delta carries exactly one 8-byte record
    assert all(len(blob) == 8 for _, blob in snaps)
    ticks = [t for t, _ in snaps]
    assert ticks == sorted(ticks)


async def test_rooms_send_their_snapshots_at_their_own_turn_in_the_tick(server):
    """Rooms take turns within the tick period, so their sends leave in separate small bursts."""
    by_phase = {}
    for room in server.world.rooms.values():
        by_phase.setdefault(room.phase, room.id)
    assert len(by_phase) == server.cfg.tick_phases == 3
    period = 1.0 / server.cfg.tick_hz
    arrivals = {}
    for name, rid in (("Ana", by_phase[0]), ("Ben", by_phase[1])):
        bot = await server.bot(name, room=rid)
        times = arrivals[rid] = []
        bot.on(events.SNAPSHOT, lambda d, times=times: times.append(asyncio.get_running_loop().time()))
        await bot.call(events.MOVE, {"forward": 0.0, "turn": 1.0})  # turning on the spot: a delta every tick
    await asyncio.sleep(1.0)
    phase = {}
    for rid, times in arrivals.items():
        assert len(times) > 0.6 * server.cfg.tick_hz  # still every tick, at the full rate
        angles = np.exp(2j * np.pi * (np.array(times) % period) / period)
        phase[rid] = np.angle(angles.mean()) / (2 * np.pi)  # where in the period its sends leave
    gap = abs(phase[by_phase[1]] - phase[by_phase[0]]) % 1.0
    assert 0.15 < min(gap, 1 - gap) < 0.5  # a third of a period apart


async def test_chat_reaches_the_room_not_other_rooms(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    cai = await server.bot("Cai", room="park")
    await ana.say("  hello   there ")
    line = await ben.wait_for(events.SAID)
    assert line["text"] == "hello there" and line["name"] == "Ana" and line["avatar"] == ana.avatar
    await asyncio.sleep(0.2)
    assert not cai.said


async def test_expression_and_gesture_are_broadcast(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    await ana.call(events.EXPRESSION, {"name": "happy", "intensity": 0.4})
    await ana.call(events.GESTURE, {"name": "wave"})
    await ben.wait_until(lambda: ben.members[ana.avatar]["gesture"] == "wave")
    assert ben.members[ana.avatar]["expression"] == "happy"
    assert ben.members[ana.avatar]["intensity"] == pytest.approx(0.4)


async def test_resume_after_drop_keeps_the_same_avatar(make_server):
    server = await make_server(resume_grace=5.0)
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    avatar = ana.avatar
    # drop the transport without leaving, as a flaky link would
    ana.drop_link()
    await ben.wait_until(lambda: ben.members[avatar].get("away") is True)
    # the client reconnects by itself and says hello: same avatar, full resync
    await ana.wait_until(lambda: ana.connected and any(e == events.ROOM_STATE for e, _ in ana.inbox[-5:]), timeout=10)
    assert ana.avatar == avatar
    await ben.wait_until(lambda: ben.members[avatar].get("away") is False)
    await ana.say("back again")
    assert (await ben.wait_for(events.SAID))["avatar"] == avatar


async def test_avatar_removed_after_grace_window(make_server):
    server = await make_server(resume_grace=0.3)
    ana = await server.bot("Ana", room="cafe", reconnect=False)
    ben = await server.bot("Ben", room="cafe")
    avatar = ana.avatar
    await ana.sio.disconnect()
    left = await ben.wait_for(events.MEMBER_LEFT, timeout=5)
    assert left["avatar"] == avatar
    assert avatar not in ben.members


async def test_room_capacity(server):
    server.world.create_room("Tiny", "park", 1, created_by=None, room_id="tiny")
    await server.bot("Ana", room="tiny")
    ben = await server.bot("Ben")
    with pytest.raises(WireError) as e:
        await ben.join("tiny")
    assert e.value.code == "room_full"


async def test_staff_create_rooms_participants_cannot(server):
    pat = await server.bot("Pat", role="participant")
    with pytest.raises(WireError) as e:
        await pat.call(events.CREATE_ROOM, {"name": "Mine"})
    assert e.value.code == "forbidden"
    sam = await server.bot("Sam", role="peer_specialist")
    made = await sam.call(events.CREATE_ROOM, {"name": "Tuesday group", "scene": "park", "capacity": 8})
    assert made["room"]["id"] == "tuesday-group"
    assert "tuesday-group" in [r["id"] for r in server.store.list_rooms()]


async def test_room_state_tells_motion_model_and_recording_state(server):
    ana = await server.bot("Ana", room="cafe")
    state = next(d for e, d in ana.inbox if e == events.ROOM_STATE)
    assert state["motion"] == {"walk_speed": 1.6, "turn_speed": 120.0, "tick_hz": server.cfg.tick_hz}
    assert state["recording"] is False
    await ana.call(events.CONSENT, {"recording": True})
    await ana.call(events.LEAVE)
    await ana.join("park")
    state = [d for e, d in ana.inbox if e == events.ROOM_STATE][-1]
    assert state["recording"] is True  # consent is durable across rooms
    sam = await server.bot("Sam", role="peer_specialist", room="park")
    assert [d for e, d in sam.inbox if e == events.ROOM_STATE][-1]["recording"] is True
