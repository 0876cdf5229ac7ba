"""Interest management in a big room: near avatars every tick, far ones every Nth tick, nobody stale."""

import asyncio

import numpy as np

from server.scale.interest import Interest
from wire import codec, events


def _spread(room, n):
    """n cast avatars on a grid over the whole room, all walking in small circles."""
    side = int(np.ceil(np.sqrt(n)))
    span = room.half - 1.0
    ids = []
    for k in range(n):
        x = -span + 2 * span * (k % side) / max(1, side - 1)
        y = -span + 2 * span * (k // side) / max(1, side - 1)
        av = room.spawn(f"c{k}", "cast", "partner", at=(x, y))
        room.set_input(av.id, 0.5, 0.0, 1.0)
        ids.append(av.id)
    return ids


async def test_far_avatars_come_at_a_reduced_rate_and_nothing_is_stale(make_server):
    srv = await make_server(interest_min=8, interest_cell=4.0, interest_far_every=4)
    room = srv.world.create_room("Hall", "park", 200, created_by=None, room_id="hall")
    ana = await srv.bot("Ana", room="hall")
    room.pos[ana.avatar] = (-11.0, -11.0)  # a corner: most of the room is far from her
    cast = _spread(room, 48)
    await asyncio.sleep(0.2)
    start = len(ana.inbox)
    await asyncio.sleep(1.0)
    snaps = [d for e, d in ana.inbox[start:] if e == events.SNAPSHOT]
    assert len(snaps) >= 10
    interest = room.state[Interest]
    ana_cell = interest.cells(room.pos[[ana.avatar]])[0]
    cells = interest.cells(room.pos[cast])
    far = {int(a) for a, c in zip(cast, cells) if np.max(np.abs(c - ana_cell)) > 2}
    near = {int(a) for a, c in zip(cast, cells) if np.max(np.abs(c - ana_cell)) <= 0}
    assert far and near
    seen_far_ticks, near_counts = set(), {a: 0 for a in near}
    for tick, blob in snaps:
        ids = set(codec.decode_poses(blob)["id"].tolist())
        if ids & far:
            seen_far_ticks.add(tick)
        for a in ids & near:
            near_counts[a] += 1
    assert seen_far_ticks and all(t % 4 == 0 for t in seen_far_ticks)
    # near avatars came (nearly) every tick; far ones only on far ticks
    assert min(near_counts.values()) >= len(snaps) - 2
    # stop everyone: within far_every ticks every client holds every avatar's exact final pose
    room.inp[:] = 0
    await asyncio.sleep(0.5)
    ids = np.flatnonzero(room.alive)
    q = codec.quantise(ids, room.pos[ids], room.yaw[ids], room.flags[ids])
    _, xy, yaw = codec.poses_to_float(q)
    for i, (x, y), h in zip(ids.tolist(), xy.tolist(), yaw.tolist()):
        assert ana.poses[i] == (x, y, h), f"avatar {i} is stale for Ana"


async def test_small_rooms_keep_one_blob_per_room_and_leaving_stops_cell_snapshots(make_server):
    srv = await make_server(interest_min=8)
    room = srv.world.create_room("Hall", "park", 200, created_by=None, room_id="hall")
    ana = await srv.bot("Ana", room="hall")
    _spread(room, 10)
    await ana.wait_until(lambda: len(ana.poses) == 11)
    assert room.state[Interest].cell_of_sid  # she sits in a cell sub-room
    room.tick_no += 1000  # tell the hall's snapshots from the cafe's by their tick
    await ana.join("cafe")
    assert not room.state[Interest].cell_of_sid  # left the hall's cells at once
    start = len(ana.inbox)
    await asyncio.sleep(0.3)
    cafe = srv.world.rooms["cafe"]
    ticks = [d[0] for e, d in ana.inbox[start:] if e == events.SNAPSHOT]
    assert all(t <= cafe.tick_no for t in ticks)  # so nothing here came from the hall
    assert getattr(cafe, "interest", None) is None  # a small room never uses interest groups
