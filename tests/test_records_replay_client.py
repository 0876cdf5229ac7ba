"""Replay for supervision: a consented session recorded by the real server, read back over HTTP by the
client's replay reader, and drawn offscreen with the client's own scene and avatars."""

import asyncio
from pathlib import Path

import aiohttp
import numpy as np
import pytest

from client.replay import ReplayTrack, ReplayView, fetch  # noqa: E402
from conftest import PASSWORD
from server.scenarios import ScenarioRun, load_file
from wire import events

CONVERSATION = load_file(Path(__file__).resolve().parent.parent / "scenarios" / "starting_a_conversation.yaml")


async def record_session(server):
    ana = await server.bot("Ana", room="cafe")
    await ana.call(events.CONSENT, {"recording": True})
    run = ScenarioRun.create(server.store, "cafe", CONVERSATION, "easy", participant_user_id=ana.user["id"])
    room = server.world.rooms["cafe"]
    coach = room.spawn("Coach", "cast", "coach", at=(0.0, 2.0), yaw=180.0)
    room.pos[ana.avatar] = (0.0, -1.0)
    room.yaw[ana.avatar] = 0.0
    await asyncio.sleep(1.2)
    await ana.say("hello coach")
    await ana.move(1.0)
    await asyncio.sleep(0.8)
    await ana.move(0.0)
    await asyncio.sleep(0.4)
    server.add_user("Fay", "facilitator")
    async with aiohttp.ClientSession() as http:
        async with http.post(server.url + "/api/login", json={"name": "Fay", "password": PASSWORD}) as r:
            token = (await r.json())["token"]
    return ana, coach, run.run_id, token


async def test_replay_reader_pages_and_interpolates(server):
    ana, coach, run_id, token = await record_session(server)
    track = await fetch(server.url, token, run_id, page=2)  # small pages: paging works
    assert len(track.frames) >= 3 and track.duration > 0.3
    members = track.members_at(track.end)
    assert {m["name"] for m in members.values()} == {"Ana", "Coach"}
    y0 = track.poses_at(track.start)[ana.avatar][1]
    y1 = track.poses_at(track.end)[ana.avatar][1]
    assert y1 > y0 + 0.5  # she walked towards the coach
    mid = track.poses_at((track.times[0] + track.times[1]) / 2)[ana.avatar][1]
    assert (
        min(track.frames[0][ana.avatar][1], track.frames[1][ana.avatar][1])
        <= mid
        <= max(track.frames[0][ana.avatar][1], track.frames[1][ana.avatar][1])
    )
    assert [l["text"] for l in track.lines] == ["hello coach"]
    assert track.poses_at(track.end)[coach.id][:2] == pytest.approx((0.0, 2.0), abs=0.02)


async def test_replay_is_drawn_offscreen_in_the_3d_scene(server):
    from client.testing import frame, region, shared_app, to_pixel

    ana, coach, run_id, token = await record_session(server)
    track = await fetch(server.url, token, run_id)
    app = shared_app()
    view = ReplayView(app.render, track, scene="cafe")
    try:
        view.seek(track.end)
        assert set(view.avatars) == {ana.avatar, coach.id}
        x, y, _ = track.poses_at(track.end)[ana.avatar]
        app.camera.setPos(x + 0.5, y - 5.0, 1.8)
        app.camera.lookAt(x, y, 1.2)
        av = view.avatars[ana.avatar]
        assert av.root.getPos(app.render).y == pytest.approx(y, abs=0.01)
        p = to_pixel(app, (x, y, 1.2))
        assert p is not None
        with_ = frame(app)
        av.root.hide()
        without = frame(app)
        av.root.show()
        assert np.abs(region(with_, p, 15) - region(without, p, 15)).mean() > 0.05
        # the line said during the session shows as a speech bubble on her avatar
        view.seek(track.start - 1)
        view.seek(track.end)
        assert av.bubble_text == "hello coach"
    finally:
        view.destroy()


def test_track_from_intent_answers_uses_raw_bytes():
    from wire import codec

    recs = codec.quantise(np.array([3]), np.array([[1.0, 2.0]]), np.array([90.0]), np.array([0]))
    page = {
        "frames": [{"t": 10.0, "poses": codec.encode_poses(recs)}],
        "members": [{"t": 10.0, "members": {"3": {"name": "A", "kind": "person", "role": "participant"}}}],
        "lines": [],
    }
    t = ReplayTrack([page])
    assert t.poses_at(10.0)[3] == pytest.approx((1.0, 2.0, 90.0), abs=0.01)


def test_a_replay_is_lit_as_the_live_room_is():
    """A replay's scene sits under render, which keeps the live room's lights: lit by both, it was washed out
    (its floor drawn near white). From the same camera, the replay's cafe looks as the live cafe does."""
    from client.testing import frame, region, sample_room, shared_app

    app = shared_app()
    sample_room(app, {0: (0.0, -2.0, 0.0)}, scene="cafe")
    frame(app)
    app.avatars[0].root.hide()
    w, h = app.win.getXSize(), app.win.getYSize()
    spots = [(w // 2, h * 3 // 4), (w // 5, h * 2 // 3), (w * 4 // 5, h // 2)]  # floor and furniture
    live = frame(app)
    app.scene_np.hide()
    view = ReplayView(app.render, ReplayTrack([{"frames": [], "members": [], "lines": []}]), scene="cafe")
    try:
        replay = frame(app)
    finally:
        view.destroy()
        app.scene_np.show()
        app.avatars[0].root.show()
    for spot in spots:
        diff = np.abs(region(replay, spot, 6) - region(live, spot, 6)).mean()
        assert diff < 0.02, f"the replay's room at {spot} is not lit as the live one (diff {diff:.3f})"
