"""The desktop client against the real server: log in, join, see, move, chat, reconnect.

The server is the real one (tests/conftest.py `server` fixture, loopback);
the client is the real PeerspaceClient rendering offscreen, driven by key
events; the assertions look at rendered pixels and at what the server and a
second (bot) participant saw.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import numpy as np
from direct.showbase.MessengerGlobal import messenger

from client.avatars.avatar import HEAD_R
from client.testing import frame, pump, region, to_pixel
from client_room import app, enter  # noqa: F401  (the fixture)
from conftest import PASSWORD
from wire import events

ROOT = Path(__file__).resolve().parent.parent


async def face_each_other(app, bot):
    """Turn both avatars to face each other (the `look` intent), then let the camera settle."""
    await app.session.call(events.LOOK, {"at": bot.avatar})
    await bot.call(events.LOOK, {"at": app.my_id})
    await pump(app, frames=40)


def head_px(app, aid):
    c = app.avatars[aid].head.getPos(app.render)
    p = to_pixel(app, c)
    top = to_pixel(app, (c.x, c.y, c.z + HEAD_R))
    assert p is not None, "the other avatar should be in view"
    return p, max(3, abs(p[1] - top[1]))


async def test_client_sees_another_participant_their_name_and_expressions(app, server):
    await enter(app, server)
    ben = await server.bot("Ben", room="cafe")
    await pump(app, lambda: ben.avatar in app.avatars and app.avatars[ben.avatar].placed)
    await face_each_other(app, ben)
    av = app.avatars[ben.avatar]
    assert av._tag_text.getText() == "Ben"
    (c, r), radius = head_px(app, ben.avatar)
    img = frame(app)
    assert 0 <= c < img.shape[1] and 0 <= r < img.shape[0]
    # Ben is drawn where the camera projects him: hiding his avatar changes exactly that spot
    av.root.hide()
    without = frame(app)
    av.root.show()
    with_ = frame(app)
    assert np.abs(region(with_, (c, r), radius) - region(without, (c, r), radius)).mean() > 0.08
    # his name tag is drawn above his head
    tag = to_pixel(app, av.tag.getPos(app.render))
    av.tag.hide()
    no_tag = frame(app)
    av.tag.show()
    assert np.abs(region(frame(app), tag, 5) - region(no_tag, tag, 5)).mean() > 0.05
    # Ben shows feelings through the server; the face pixels follow, and intensity matters
    neutral = region(frame(app), (c, r), radius)
    seen = {}
    for name, k in (("happy", 1.0), ("sad", 1.0), ("surprised", 1.0), ("happy", 0.3)):
        await ben.call(events.EXPRESSION, {"name": name, "intensity": k})
        await pump(app, lambda: (av.expression, av.intensity) == (name, k))
        seen[(name, k)] = region(frame(app), (c, r), radius)
        assert np.abs(seen[(name, k)] - neutral).mean() > 0.004, (name, k)
    assert np.abs(seen[("happy", 1.0)] - seen[("sad", 1.0)]).mean() > 0.005
    assert np.abs(seen[("happy", 1.0)] - seen[("happy", 0.3)]).mean() > 0.003
    # a gesture arrives and plays
    await ben.call(events.GESTURE, {"name": "wave"})
    await pump(app, lambda: av.gesture == "wave")
    await pump(app, frames=20)
    assert abs(av.arms[1].getR()) > 30


async def test_arrow_keys_walk_my_avatar_through_the_server(app, server):
    await enter(app, server)
    ben = await server.bot("Ben", room="cafe")
    me = app.avatars[app.my_id]
    start = me.root.getPos(app.render)
    before = frame(app)
    messenger.send("arrow_up")
    await asyncio.sleep(0.6)
    await pump(app, frames=5)
    messenger.send("arrow_up-up")
    # the server integrated the held key and everyone saw it
    await ben.wait_until(lambda: ben.poses.get(app.my_id, (0, -99, 0))[1] > start.y + 0.4)
    await pump(app, lambda: me.root.getY() > start.y + 0.4)
    await pump(app, frames=30)
    moved = me.root.getPos(app.render) - start
    assert moved.y > 0.5 and abs(moved.x) < 0.1  # heading 0 faces +y
    assert np.abs(frame(app) - before).mean() > 0.01  # the view moved with me
    # turning left with 'a' changes heading counter-clockwise
    h0 = ben.poses[app.my_id][2]
    messenger.send("a")
    await asyncio.sleep(0.4)
    messenger.send("a-up")
    await ben.wait_until(lambda: 20 < (ben.poses[app.my_id][2] - h0) % 360 < 180)
    # after release nothing moves any more
    await pump(app, frames=10)
    await asyncio.sleep(0.2)
    p1 = ben.poses[app.my_id]
    await asyncio.sleep(0.3)
    assert ben.poses[app.my_id] == p1


async def test_the_client_follows_the_tick_rate_its_room_announces(app, make_server):
    slow = await make_server(tick_hz=20.0)  # not the default: the client must take it from the room
    await enter(app, slow)
    assert app.interp.tick_hz == 20.0 and app.predictor.tick_hz == 20.0
    ben = await slow.bot("Ben", room="cafe")
    await pump(app, lambda: ben.avatar in app.avatars and app.avatars[ben.avatar].placed)
    y0 = app.avatars[ben.avatar].root.getY()
    await ben.move(1.0)
    await asyncio.sleep(0.5)
    await ben.move(0.0)
    await pump(app, lambda: abs(app.avatars[ben.avatar].root.getY() - ben.poses[ben.avatar][1]) < 0.05, timeout=5)
    assert abs(app.avatars[ben.avatar].root.getY() - y0) > 0.4


async def test_chat_typed_with_the_keyboard_reaches_others_and_shows_a_bubble(app, server):
    await enter(app, server)
    ben = await server.bot("Ben", room="cafe")
    await pump(app, lambda: ben.avatar in app.avatars)
    messenger.send("enter")
    for ch in "Hello Ben":
        messenger.send("keystroke", [ch])
    messenger.send("enter")
    line = await ben.wait_for(events.SAID, lambda d: d["text"] == "Hello Ben")
    assert line["avatar"] == app.my_id
    await pump(app, lambda: app.avatars[app.my_id].bubble_text == "Hello Ben")
    await ben.say("Hi Ana, nice to meet you")
    await pump(app, lambda: app.avatars[ben.avatar].bubble_text == "Hi Ana, nice to meet you")
    assert any("Ben: Hi Ana" in t for t, _ in app.chat.lines)


async def test_dropped_link_reconnects_by_itself_and_says_so(app, server):
    await enter(app, server)
    my_id = app.my_id
    app.session.sio.eio.ws._conn.transport.abort()
    await pump(app, lambda: app.connection_state == "reconnecting", timeout=10)
    assert "Reconnecting" in app.notices.texts[0]
    await pump(app, lambda: app.connection_state == "connected", timeout=15)
    await pump(app, lambda: app.in_room and app.my_id == my_id, timeout=5)
    assert app.notices.connection == ""
    assert "Connected again." in app.notices.texts


async def test_a_server_that_lost_our_place_puts_us_back_in_the_same_room(app, server):
    """After a server restart (or a long absence) `hello` says not resumed: the client joins again."""
    await enter(app, server, room="park")
    uid = server.store.find_user("Ana")["id"]
    room, member = server.world.member_of(uid)
    app.session.sio.eio.ws._conn.transport.abort()
    await pump(app, lambda: app.connection_state == "reconnecting", timeout=10)
    await server.world.remove(room, member)  # the place is gone, as after a restart
    await pump(app, lambda: server.world.member_of(uid)[0] is not None, timeout=15)
    assert server.world.member_of(uid)[0].id == "park"
    await pump(app, lambda: app.in_room and app.my_id == server.world.member_of(uid)[1].avatar, timeout=5)
    # the notice follows the join's answer, which comes just after the room state
    await pump(app, lambda: "Connected again. You are back in the room." in app.notices.texts, timeout=5)


async def test_wrong_password_and_unreachable_server_show_calm_messages(app, server):
    server.add_user("Ana")
    app.opts.server, app.opts.room = server.url, "cafe"
    app.show_login()
    assert not await app.login_and_connect("Ana", "not the password")
    assert app.screen is not None and app.screen.status.getText()
    assert "Traceback" not in app.screen.status.getText()
    app.opts.server = "http://127.0.0.1:9"  # nothing listens there
    assert not await app.login_and_connect("Ana", PASSWORD)
    assert "Cannot reach the server" in app.screen.status.getText()
    app.set_screen(None)


async def test_room_list_by_keyboard(app, server):
    server.add_user("Ana")
    app.opts.server, app.opts.room = server.url, None
    assert await app.login_and_connect("Ana", PASSWORD)
    await pump(app, lambda: app.screen is not None and getattr(app.screen, "rooms", None))
    names = [r["id"] for r in app.screen.rooms]
    target = "office" if "office" in names else names[-1]
    while app.screen.rooms[app.screen.index]["id"] != target:
        messenger.send("arrow_down")
    messenger.send("enter")
    await pump(app, lambda: app.in_room and app.room["id"] == target)
    assert app.scene_name == app.room["scene"]


async def test_command_line_client_takes_a_screenshot_in_the_room(server, tmp_path):
    server.add_user("Cleo")
    ben = await server.bot("Ben", room="park" if "park" in server.world.rooms else "cafe")
    out = tmp_path / "shot.png"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "client",
        "--server",
        server.url,
        "--user",
        "Cleo",
        "--password",
        PASSWORD,
        "--room",
        ben.room["id"],
        "--screenshot",
        str(out),
        "--frames",
        "20",
        "--size",
        "480x300",
        "--settings",
        str(tmp_path / "s.json"),
        "--offscreen",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, stderr.decode()[-2000:]
    assert b"Traceback" not in stderr
    assert out.exists() and out.stat().st_size > 5000
    await ben.wait_until(
        lambda: (
            any(m["name"] == "Cleo" for m in ben.members.values())
            or any(ev == events.MEMBER_LEFT for ev, _ in ben.inbox)
        )
    )


async def test_someone_whose_link_drops_is_shown_away_then_back(app, server):
    await enter(app, server)
    ben = await server.bot("Ben", room="cafe")
    await pump(app, lambda: ben.avatar in app.avatars and app.avatars[ben.avatar].placed)
    av = app.avatars[ben.avatar]
    ben.drop_link()
    await pump(app, lambda: av.away, timeout=10)
    assert "(away)" in av._tag_text.getText()
    await pump(app, lambda: not av.away, timeout=15)  # Ben's client reconnects by itself
    assert av._tag_text.getText() == "Ben"


async def test_leave_the_room_from_settings_by_keyboard(app, server):
    await enter(app, server)
    messenger.send("escape")  # Esc only goes back: with nothing open it opens nothing (#15)
    assert app.settings_panel is None
    messenger.send("f10")
    assert app.settings_panel is not None
    labels = [name for name, _ in app.settings_panel._items()]
    for _ in range(labels.index("Leave this room")):
        messenger.send("arrow_down")
    messenger.send("enter")
    await pump(app, lambda: app.room is None and app.screen is not None and app.screen.rooms)
    assert app.settings_panel is None and app.avatars == {}
    assert any(r["id"] == "cafe" for r in app.screen.rooms)
