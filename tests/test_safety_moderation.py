"""Moderation enforced on the server, over real sockets: block, mute, kick + durable ban, report, pause, bubble."""

import asyncio

import pytest

from server.appkeys import SAFETY
from wire import events
from wire import safety as ws
from wire.errors import WireError


async def test_block_hides_both_people_from_each_other_and_lasts(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    cai = await server.bot("Cai", room="cafe")
    await ana.wait_until(lambda: ben.avatar in ana.members and cai.avatar in ana.members)
    await ana.call(ws.BLOCK, {"avatar": ben.avatar})
    # both get a fresh state without the other
    await ana.wait_until(lambda: ben.avatar not in ana.members)
    await ben.wait_until(lambda: ana.avatar not in ben.members)
    assert cai.avatar in ana.members and cai.avatar in ben.members
    # lines do not cross, either way; the third person hears both
    mark_a, mark_b = len(ana.inbox), len(ben.inbox)
    await ben.say("ben speaking")
    await ana.say("ana speaking")
    await cai.wait_until(lambda: [l["text"] for l in cai.said[-2:]] == ["ben speaking", "ana speaking"])
    # poses of the blocked person are not delivered either
    await ben.move(1.0)
    await asyncio.sleep(0.4)
    await ben.move(0.0)
    await asyncio.sleep(0.2)
    for bot, other, mark in ((ana, ben, mark_a), (ben, ana, mark_b)):
        got = bot.inbox[mark:]
        assert not [d for e, d in got if e == events.SAID and d["avatar"] == other.avatar]
        assert other.avatar not in bot.poses
    assert ben.avatar in cai.poses
    # durable: both leave and come back, still hidden from each other
    await ana.call(events.LEAVE)
    await ana.join("cafe")
    await ana.wait_until(lambda: cai.avatar in ana.members)
    assert ben.avatar not in ana.members
    listed = await ana.call(ws.BLOCKS)
    assert [b["name"] for b in listed["blocks"]] == ["Ben"]
    # a new join is not announced to the person who blocked
    await ben.call(events.LEAVE)
    mark = len(ana.inbox)
    await ben.join("cafe")
    await cai.wait_until(lambda: ben.avatar in cai.members)
    await asyncio.sleep(0.2)
    assert not [d for e, d in ana.inbox[mark:] if e == events.MEMBER_JOINED and d["member"]["name"] == "Ben"]
    # unblock: both see each other again at once
    await ana.call(ws.UNBLOCK, {"user": ben.user["id"]})
    await ana.wait_until(lambda: ben.avatar in ana.members and ben.avatar in ana.poses)
    await ben.wait_until(lambda: ana.avatar in ben.members)


async def test_block_persists_across_a_restart(make_server):
    srv = await make_server()
    ana = await srv.bot("Ana", room="cafe")
    ben = await srv.bot("Ben", room="cafe")
    await ana.wait_until(lambda: ben.avatar in ana.members)
    await ana.call(ws.BLOCK, {"avatar": ben.avatar})
    await srv.stop()
    srv2 = await make_server()
    ana2 = await srv2.bot("Ana", room="cafe")
    ben2 = await srv2.bot("Ben", room="cafe")
    await asyncio.sleep(0.3)
    assert ben2.avatar not in ana2.members and ana2.avatar not in ben2.members


async def test_staff_cannot_be_blocked_and_cast_is_not_a_person(server):
    ana = await server.bot("Ana", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    with pytest.raises(WireError) as e:
        await ana.call(ws.BLOCK, {"avatar": sam.avatar})
    assert e.value.code == "forbidden" and "report" in e.value.message
    cast = server.world.rooms["cafe"].spawn("Alex", "cast", "partner")
    with pytest.raises(WireError) as e:
        await ana.call(ws.BLOCK, {"avatar": cast.id})
    assert e.value.code == "invalid"


async def test_mute_is_staff_only_and_stops_chat(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    with pytest.raises(WireError) as e:
        await ben.call(ws.MUTE, {"avatar": ana.avatar})
    assert e.value.code == "forbidden"
    await sam.call(ws.MUTE, {"avatar": ana.avatar, "minutes": 5})
    note = await ana.wait_for(events.NOTICE, lambda d: d.get("kind") == "muted")
    assert note["muted"] is True
    with pytest.raises(WireError) as e:
        await ana.say("can anyone hear me")
    assert e.value.code == "forbidden"
    await asyncio.sleep(0.2)
    assert not any(l["text"] == "can anyone hear me" for l in ben.said)
    await sam.call(ws.MUTE, {"avatar": ana.avatar, "on": False})
    await ana.say("back")
    await ben.wait_until(lambda: any(l["text"] == "back" for l in ben.said))
    # a peer specialist cannot mute another staff member; an admin can
    fay = await server.bot("Fay", role="facilitator", room="cafe")
    with pytest.raises(WireError) as e:
        await sam.call(ws.MUTE, {"avatar": fay.avatar})
    assert e.value.code == "forbidden"
    adm = await server.bot("Adi", role="admin", room="cafe")
    await adm.call(ws.MUTE, {"avatar": sam.avatar})


async def test_kick_with_ban_is_durable_and_refused_at_connect_and_login(make_server):
    srv = await make_server()
    ana = await srv.bot("Ana", room="cafe", reconnect=False)
    ben = await srv.bot("Ben", room="cafe")
    sam = await srv.bot("Sam", role="peer_specialist", room="cafe")
    with pytest.raises(WireError) as e:
        await ben.call(ws.KICK, {"avatar": ana.avatar, "ban_minutes": 60})
    assert e.value.code == "forbidden"
    res = await sam.call(ws.KICK, {"avatar": ana.avatar, "ban_minutes": 60})
    assert res["banned_until"] > 0
    await ben.wait_until(lambda: ana.avatar not in ben.members)
    await ana.wait_until(lambda: not ana.sio.connected)
    await srv.stop()
    srv2 = await make_server()
    with pytest.raises(WireError) as e:
        await srv2.bot("Ana")
    assert e.value.code == "forbidden"
    actions = srv2.app[SAFETY].db.actions()
    assert actions[0]["action"] == "ban" and actions[0]["target"] == "Ana" and actions[0]["staff"] == "Sam"


async def test_kick_without_ban_removes_from_room_only(server):
    ana = await server.bot("Ana", room="cafe")
    sam = await server.bot("Sam", role="facilitator", room="cafe")
    await sam.call(ws.KICK, {"avatar": ana.avatar})
    await ana.wait_for(events.NOTICE, lambda d: d.get("kind") == "removed")
    await sam.wait_until(lambda: ana.avatar not in sam.members)
    assert ana.sio.connected
    await ana.join("park")


async def test_report_is_stored_and_staff_are_told(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    res = await ana.call(ws.REPORT, {"avatar": ben.avatar, "reason": "harassment", "note": "kept following me"})
    alert = await sam.wait_for(ws.SAFETY_ALERT)
    assert alert["kind"] == "report" and alert["reason"] == "harassment" and alert["name"] == "Ben"
    assert "note" not in alert
    await asyncio.sleep(0.1)
    assert not [e for e, _ in ben.inbox if e == ws.SAFETY_ALERT]  # the reported person is not told
    rows = server.app[SAFETY].db.reports()
    assert rows[0]["id"] == res["report"] and rows[0]["note"] == "kept following me"
    assert rows[0]["reporter"] == "Ana" and rows[0]["reported"] == "Ben"


async def test_pause_steps_out_to_a_quiet_room_and_back(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    await ben.wait_until(lambda: ana.avatar in ben.members)
    await ana.call(ws.PAUSE, {"on": True})
    quiet = await ana.wait_for(ws.PAUSED)
    assert quiet["paused"] is True and quiet["text"]
    await ben.wait_until(lambda: ben.members[ana.avatar].get("paused") is True)
    # others' lines do not reach the paused person; they cannot chat or move while paused
    mark = len(ana.inbox)
    await ben.say("are you ok")
    await asyncio.sleep(0.3)
    assert not [d for e, d in ana.inbox[mark:] if e == events.SAID]
    with pytest.raises(WireError):
        await ana.say("hi")
    x, y, _ = ben.poses[ana.avatar]
    await ana.move(1.0)
    await asyncio.sleep(0.3)
    assert ben.poses[ana.avatar][:2] == (x, y)
    # a newcomer sees the avatar as paused
    cai = await server.bot("Cai", room="cafe")
    assert cai.members[ana.avatar].get("paused") is True
    await ana.call(ws.PAUSE, {"on": False})
    await ben.wait_until(lambda: ben.members[ana.avatar].get("paused") is False)
    await ana.wait_for(events.ROOM_STATE, since=mark)
    await ben.say("welcome back")
    await ana.wait_until(lambda: any(l["text"] == "welcome back" for l in ana.said))


async def test_a_dropped_link_during_a_pause_comes_back_to_the_quiet_room(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    await ana.call(ws.PAUSE, {"on": True})
    await ana.wait_for(ws.PAUSED)
    mark = len(ana.inbox)
    ana.drop_link()
    again = await ana.wait_for(ws.PAUSED, since=mark, timeout=10)  # resumed: still in the quiet room
    assert again["paused"] is True
    await ana.wait_until(lambda: ana.connected)
    await ben.say("are you there")
    await asyncio.sleep(0.3)
    assert not [d for e, d in ana.inbox[mark:] if e == events.SAID]  # the room stays quiet for her
    await ana.call(ws.PAUSE, {"on": False})
    await ben.say("welcome back")
    await ana.wait_until(lambda: any(l["text"] == "welcome back" for l in ana.said))


async def test_bubble_keeps_others_at_a_distance(server):
    ana = await server.bot("Ana", room="cafe")
    ben = await server.bot("Ben", room="cafe")
    room = server.world.rooms["cafe"]
    room.pos[ana.avatar] = (0.0, 3.0)
    room.pos[ben.avatar] = (0.0, 0.0)
    room.yaw[ben.avatar] = 0.0  # facing +y, towards Ana
    await ana.call(ws.BUBBLE, {"on": True, "radius": 2.0})
    await ben.move(1.0)
    await asyncio.sleep(1.5)
    await ben.move(0.0)
    d = float(((room.pos[ana.avatar] - room.pos[ben.avatar]) ** 2).sum() ** 0.5)
    assert 1.85 < d < 2.2, d
    # without the bubble the ordinary personal space (0.6 m) applies
    await ana.call(ws.BUBBLE, {"on": False})
    await ben.move(1.0)
    await asyncio.sleep(1.2)
    await ben.move(0.0)
    d = float(((room.pos[ana.avatar] - room.pos[ben.avatar]) ** 2).sum() ** 0.5)
    assert d < 1.0


async def test_moderation_intents_need_a_room_and_roles(server):
    pat = await server.bot("Pat")
    for event, payload in ((ws.BLOCK, {"avatar": 1}), (ws.REPORT, {"reason": "spam"}), (ws.PAUSE, {"on": True})):
        with pytest.raises(WireError) as e:
            await pat.call(event, payload)
        assert e.value.code == "not_in_room"
    agent = await server.bot("Robo", role="agent", room="cafe")
    await pat.join("cafe")
    for event in (ws.MUTE, ws.KICK):
        with pytest.raises(WireError) as e:
            await agent.call(event, {"avatar": pat.avatar})
        assert e.value.code == "forbidden"
    with pytest.raises(WireError) as e:
        await pat.call(ws.TAG_STEP, {"step": "rationale"})
    assert e.value.code == "forbidden"
    with pytest.raises(WireError) as e:
        await pat.call(ws.REPLAY, {"run": 1})
    assert e.value.code == "forbidden"


def test_cli_unban_and_full_export(server_process, tmp_path):
    srv = server_process()
    assert srv.cli("user", "add", "Ana", "--password", "correct horse").returncode == 0
    from server.storage import open_storage

    store = open_storage(str(tmp_path / "peerspace.db"))
    uid = store.find_user("Ana")["id"]
    store.set_banned_until(uid, 9e12)
    store.close()
    out = srv.cli("unban", "Ana")
    assert out.returncode == 0 and "can log in again" in out.stdout
    store = open_storage(str(tmp_path / "peerspace.db"))
    assert store.find_user("Ana")["banned_until"] is None
    store.close()
    out = srv.cli("export", "Ana")
    assert out.returncode == 0 and '"peerspace-export/2"' in out.stdout and '"questionnaires"' in out.stdout
