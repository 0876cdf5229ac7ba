"""The batched tick: many rooms in one vectorised pass, same rules as one room alone."""

import numpy as np

from server.config import Config
from server.world.room import Room
from server.world.world import World
from wire import codec


class FakeWorld:
    """Just what rooms need: settings and the shared slabs."""

    slab_for = World.slab_for

    def __init__(self, **cfg):
        self.cfg = Config(**cfg)
        self.slabs = {}


def step_all(world, dt=0.05):
    out = {}
    for slab in world.slabs.values():
        out.update(slab.step(dt))
    return out


def test_rooms_in_one_slab_move_independently_and_get_their_own_deltas():
    world = FakeWorld()
    a, b = Room(world, "a", "A", "cafe", 12), Room(world, "b", "B", "park", 12)
    assert a.slab is b.slab  # similar rooms share one slab
    walker = a.spawn("w", "person", "participant", at=(0.0, 0.0))
    idle = b.spawn("i", "person", "participant", at=(0.0, 0.0))
    step_all(world)  # first deltas: both spawns
    a.set_input(walker.id, 1.0, 0.0, 0.0)
    for _ in range(20):  # one second
        out = step_all(world)
    assert a.pos[walker.id][1] > 1.5 and abs(a.pos[walker.id][0]) < 1e-4
    assert tuple(b.pos[idle.id]) == (0.0, 0.0)
    assert set(out) == {a}  # only the room that changed gets a delta
    rec = codec.decode_poses(out[a])
    assert rec["id"].tolist() == [walker.id] and rec["flags"][0] & codec.FLAG_MOVING


def test_personal_space_stops_a_step_closer_but_not_a_step_away():
    world = FakeWorld(personal_space=0.6)
    room = Room(world, "r", "R", "cafe", 12)
    me = room.spawn("me", "person", "participant", at=(0.0, 0.0))
    you = room.spawn("you", "person", "participant", at=(0.0, 0.7))
    room.set_input(me.id, 1.0, 0.0, 0.0)  # walk towards you (+y)
    for _ in range(20):
        step_all(world)
    gap = np.hypot(*(room.pos[you.id] - room.pos[me.id]))
    assert 0.6 - 0.1 < gap < 0.7 and gap >= 0.6 - 1e-3
    room.set_input(me.id, -1.0, 0.0, 0.0)  # backing away is always allowed
    for _ in range(30):
        step_all(world)
    assert np.hypot(*(room.pos[you.id] - room.pos[me.id])) > 2.5
    # a wider bubble around you keeps me further off
    room.space[you.id] = 2.0
    room.set_input(me.id, 1.0, 0.0, 0.0)
    for _ in range(40):
        step_all(world)
    assert 2.0 - 1e-3 <= np.hypot(*(room.pos[you.id] - room.pos[me.id])) < 2.2


def test_a_room_outgrowing_its_block_moves_to_a_bigger_slab_keeping_poses():
    world = FakeWorld()
    room = Room(world, "r", "R", "cafe", 12)
    first = room.slab.block
    avatars = [room.spawn(f"c{i}", "cast", "partner", at=(i * 0.7 - 10, 0.0)) for i in range(first + 3)]
    assert room.slab.block > first
    assert [room.pos[a.id][0] for a in avatars] == [np.float32(i * 0.7 - 10) for i in range(first + 3)]
    out = step_all(world)
    assert len(codec.decode_poses(out[room])) == first + 3


def test_rooms_stay_inside_their_bounds():
    world = FakeWorld(room_half_extent=3.0)
    room = Room(world, "r", "R", "cafe", 12)
    av = room.spawn("me", "person", "participant", at=(0.0, 2.5))
    room.set_input(av.id, 1.0, 0.0, 0.0)
    for _ in range(40):
        step_all(world)
    assert room.pos[av.id][1] == np.float32(3.0)


def test_rooms_take_turns_within_the_tick_and_each_steps_once_per_period():
    world = FakeWorld()
    rooms = [Room(world, f"r{i}", "R", "cafe", 12) for i in range(3)]
    walkers = []
    for phase, room in enumerate(rooms):
        room.phase = phase
        w = room.spawn("w", "person", "participant", at=(0.0, 0.0))
        walkers.append(w)
        room.set_input(w.id, 1.0, 0.0, 0.0)
    for slab in world.slabs.values():
        slab.step(0.05)  # first deltas: the spawns
    moved = []
    for phase in range(3):  # one period in three turns
        out = {}
        for slab in world.slabs.values():
            out.update(slab.step(0.05, phase, 3))
        assert set(out) == {rooms[phase]}  # only the room whose turn it is sends
        moved.append([float(r.pos[w.id][1]) for r, w in zip(rooms, walkers)])
    step = 1.6 * 0.05
    assert np.allclose(moved[0], [2 * step, step, step], atol=1e-5)
    assert np.allclose(moved[2], [2 * step] * 3, atol=1e-5)  # each room advanced once in the period


def test_a_still_room_sends_nothing_until_a_pose_changes_outside_the_step():
    """Rooms where nobody walks skip the step's work, but a heading, an away flag or a stop still go out."""
    world = FakeWorld()
    room = Room(world, "r", "R", "cafe", 12)
    a = room.spawn("a", "person", "participant", at=(0.0, 0.0))
    b = room.spawn("b", "person", "participant", at=(3.0, 0.0))
    assert set(step_all(world)) == {room}  # the spawns' first deltas
    ticks = room.tick_no
    assert step_all(world) == {} and step_all(world) == {}
    assert room.tick_no == ticks + 2  # the room's clock runs on while it is still

    room.set_yaw(b.id, 90.0)  # a look
    rec = codec.decode_poses(step_all(world)[room])
    assert rec["id"].tolist() == [b.id] and rec["yaw"][0] == 64
    assert step_all(world) == {}

    room.set_away(a.id, True)  # a dropped connection
    rec = codec.decode_poses(step_all(world)[room])
    assert rec["id"].tolist() == [a.id] and rec["flags"][0] & codec.FLAG_AWAY
    room.set_away(a.id, False)
    assert not codec.decode_poses(step_all(world)[room])["flags"][0] & codec.FLAG_AWAY

    room.set_input(a.id, 1.0, 0.0, 0.0)
    assert codec.decode_poses(step_all(world)[room])["flags"][0] & codec.FLAG_MOVING
    room.set_input(a.id, 0.0, 0.0, 0.0)  # stops: the delta that clears its moving flag still goes out
    rec = codec.decode_poses(step_all(world)[room])
    assert rec["id"].tolist() == [a.id] and not rec["flags"][0] & codec.FLAG_MOVING
    assert step_all(world) == {}

    c = room.spawn("c", "person", "participant", at=(-3.0, 0.0))  # someone new in a still room
    assert codec.decode_poses(step_all(world)[room])["id"].tolist() == [c.id]
    room.despawn(c.id)
    assert step_all(world) == {}
