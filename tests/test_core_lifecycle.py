"""The room lifecycle: features are called in assembly order, at every step, with one signature each."""

from __future__ import annotations

import pytest

from server.config import Config
from server.controllers import Controllers
from server.gateway import Gateway
from server.metrics import Metrics
from server.records import Records
from server.safety import Helpline, Safety
from server.scale.interest import InterestFeature
from server.scenarios.intents import ScenarioRooms
from server.storage import open_storage
from server.world import Connection, RoomFeature, World
from wire import errors, events
from wire.errors import WireError


class Sio:
    """The few Socket.IO server calls the world makes, recorded (no network: this tests the world alone)."""

    def __init__(self):
        self.sent: list[tuple[str, str | None]] = []
        self.manager = self

    def get_rooms(self, sid, namespace):
        return [sid]

    async def emit(self, event, payload, to=None, room=None, skip_sid=None):
        self.sent.append((event, to or room))

    async def enter_room(self, sid, room):
        pass

    async def leave_room(self, sid, room):
        pass


class Probe(RoomFeature):
    def __init__(self, name: str, calls: list, refuse: str | None = None):
        self.name, self.calls, self.refuse = name, calls, refuse

    def created(self, room):
        self.calls.append((self.name, "created", room.id))

    async def entering(self, room, user):
        self.calls.append((self.name, "entering", room.id))
        if user["name"] == self.refuse:
            raise WireError(errors.FORBIDDEN, "Not now.")

    async def joined(self, room, member):
        self.calls.append((self.name, "joined", member.user["name"]))

    async def dropped(self, room, member):
        self.calls.append((self.name, "dropped", member.user["name"]))

    async def resumed(self, room, member):
        self.calls.append((self.name, "resumed", member.user["name"]))

    async def left(self, room, member):
        self.calls.append((self.name, "left", member.user["name"]))

    def disposed(self, room):
        self.calls.append((self.name, "disposed", room.id))


async def test_features_are_called_in_assembly_order_through_a_room_s_whole_life(tmp_path):
    cfg = Config(data_dir=str(tmp_path), database=str(tmp_path / "p.db"), resume_grace=30)
    store = open_storage(cfg.database)
    try:
        world = World(cfg, store, Sio())
        calls: list = []
        world.assemble([Probe("a", calls, refuse="Ben"), Probe("b", calls)])
        # rooms opened before assembly (the stored and default ones) are announced at assembly
        assert [c for c in calls if c[1] == "created"][:2] == [("a", "created", "cafe"), ("b", "created", "cafe")]
        calls.clear()
        world.create_room("Garden", "park", 6, created_by=None, room_id="garden")
        assert calls == [("a", "created", "garden"), ("b", "created", "garden")]

        ana = store.create_user("Ana", events.PARTICIPANT, b"h", b"s")
        ben = store.create_user("Ben", events.PARTICIPANT, b"h", b"s")
        conn = world.conns["s1"] = Connection("s1", ana)
        calls.clear()
        await world.join(conn, "garden")
        await world.dropped(conn)
        again = world.conns["s2"] = Connection("s2", ana)
        await world.resume(again)
        await world.leave(again)
        assert calls == [(f, "entering", "garden") for f in "ab"] + [(f, "joined", "Ana") for f in "ab"] + [
            (f, "dropped", "Ana") for f in "ab"
        ] + [(f, "resumed", "Ana") for f in "ab"] + [(f, "left", "Ana") for f in "ab"]

        calls.clear()  # a feature's refusal keeps the person out; later features are not asked
        with pytest.raises(WireError) as refused:
            await world.join(world.conns.setdefault("s3", Connection("s3", ben)), "garden")
        assert refused.value.code == errors.FORBIDDEN and calls == [("a", "entering", "garden")]
        assert "Ben" not in [m.user["name"] for m in world.rooms["garden"].members.values()]

        calls.clear()
        await world.stop()
        assert ("a", "disposed", "garden") in calls and ("b", "disposed", "garden") in calls
        with pytest.raises(RuntimeError):
            world.assemble([Probe("c", calls)])
    finally:
        store.close()


async def test_the_server_assembles_its_features_in_the_documented_order(server):
    order = [type(f) for f in server.world.features]
    assert order == [InterestFeature, Metrics, Gateway, Safety, Helpline, Records, Controllers, ScenarioRooms]
    # each step calls only the features that implement it, in that order
    assert [m.__self__ for m in server.world.calls["joined"]] == [
        server.world.safety,
        server.world.features[6],
        server.world.scenarios,
    ]
    assert [type(m.__self__) for m in server.world.calls["left"]] == [InterestFeature, Safety, ScenarioRooms]
    assert [type(m.__self__) for m in server.world.calls["dropped"]] == [ScenarioRooms]
