"""Scale-out over a real redis-server: two nodes on loopback share rooms; a node dies, its people move on.
Each test runs with the nodes sharing one SQLite file and sharing one PostgreSQL database (`database_url`).

Each test starts its own redis-server on a free loopback port (nothing global) and stops it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time

import pytest

from client.bot import Bot
from conftest import PASSWORD, close_bots, free_port
from server.appkeys import NODE, SIO
from wire import events

# Skipped only on a developer machine without redis-server; in CI (.ci/run installs it) they must run.
pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None and not os.environ.get("CI"),
    reason="redis-server not installed (.ci/run installs it)",
)


@pytest.fixture
def redis_url(tmp_path):
    import redis

    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.time() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    client.close()
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


async def test_a_room_whose_people_are_all_on_its_node_does_not_go_through_redis(
    make_server, redis_url, database_url, monkeypatch
):
    node_a = await make_server(redis_url=redis_url, database_url=database_url, node_id="A")
    node_b = await make_server(redis_url=redis_url, database_url=database_url, node_id="B")
    manager = node_a.app[SIO].manager
    published = []
    publish = manager._publish

    async def counting(data):
        published.append(data.get("method"))
        return await publish(data)

    monkeypatch.setattr(manager, "_publish", counting)

    ana = await node_a.bot("Ana", room="park")
    cai = await node_a.bot("Cai", room="park")  # both on the room's own node
    await ana.say("all on one node")
    await cai.wait_until(lambda: any(s["text"] == "all on one node" for s in cai.said))
    await cai.wait_until(lambda: ana.avatar in cai.poses)
    assert published == []  # chat, joins and snapshots stayed on node A

    ben = await node_b.bot("Ben")
    await ben.join("park")  # now someone is on node B: emits go through Redis
    await ana.say("now across nodes")
    await ben.wait_until(lambda: any(s["text"] == "now across nodes" for s in ben.said))
    assert "emit" in published
    await ben.call(events.LEAVE)
    await asyncio.sleep(1.2)  # a room stays on Redis a second after it was mixed
    published.clear()
    await ana.say("alone again")
    await cai.wait_until(lambda: any(s["text"] == "alone again" for s in cai.said))
    assert "emit" not in published


async def test_people_on_different_nodes_share_a_room(make_server, redis_url, database_url):
    node_a = await make_server(redis_url=redis_url, database_url=database_url, node_id="A")
    node_b = await make_server(redis_url=redis_url, database_url=database_url, node_id="B")
    ana = await node_a.bot("Ana", room="cafe")  # A claims the cafe
    ben = await node_b.bot("Ben")
    await ben.join("cafe")  # B forwards the join to A
    assert await node_a.app[NODE].redis.get("peerspace:owner:cafe") == b"A"
    assert set(node_a.world.rooms["cafe"].members) == {ana.user["id"], ben.user["id"]}
    assert not node_b.world.rooms["cafe"].members  # the room's state lives on A only
    await ben.wait_until(lambda: ana.avatar in ben.members and ben.avatar in ben.members)
    await ana.wait_until(lambda: ben.avatar in ana.members)
    # Ben's movement (connected to B) is integrated by A and seen by Ana (on A)
    await ana.wait_until(lambda: ben.avatar in ana.poses)
    y0 = ana.poses[ben.avatar][1]
    await ben.move(1.0)
    await ana.wait_until(lambda: ana.poses[ben.avatar][1] > y0 + 0.3, timeout=5)
    await ben.move(0.0)
    # Ana's movement reaches Ben through the Redis manager
    await ben.wait_until(lambda: ana.avatar in ben.poses)
    ay = ben.poses[ana.avatar][1]
    await ana.move(-1.0)
    await ben.wait_until(lambda: ben.poses[ana.avatar][1] < ay - 0.3, timeout=5)
    await ana.move(0.0)
    # chat both ways, recorded once by the owner before the broadcast
    await ben.say("hello from B")
    assert (await ana.wait_for(events.SAID))["text"] == "hello from B"
    await ana.say("hello from A")
    await ben.wait_until(lambda: any(s["text"] == "hello from A" for s in ben.said))
    # refusals from the owner come back to the right person as error events
    await ben.emit(events.LOOK, {"at": 999})
    err = await ben.wait_for(events.ERROR)
    assert err["code"] == "not_found"
    # leaving through B reaches the owner
    await ben.call(events.LEAVE)
    await ana.wait_until(lambda: ben.avatar not in ana.members)
    assert set(node_a.world.rooms["cafe"].members) == {ana.user["id"]}


async def test_drop_on_a_forwarding_node_resumes_the_same_avatar(make_server, redis_url, database_url):
    node_a = await make_server(redis_url=redis_url, database_url=database_url, node_id="A", resume_grace=10.0)
    node_b = await make_server(redis_url=redis_url, database_url=database_url, node_id="B", resume_grace=10.0)
    ana = await node_a.bot("Ana", room="cafe")
    ben = await node_b.bot("Ben")
    await ben.join("cafe")
    avatar = ben.avatar
    await ana.wait_until(lambda: avatar in ana.members)
    ben.drop_link()
    await ana.wait_until(lambda: ana.members[avatar].get("away") is True, timeout=10)
    await ana.wait_until(lambda: ana.members[avatar].get("away") is False, timeout=15)
    await ben.wait_until(lambda: ben.connected and ben.avatar == avatar, timeout=10)
    await ben.say("still here")
    line = await ana.wait_for(events.SAID)
    assert line["avatar"] == avatar


async def test_killing_a_node_moves_its_people_to_another(server_process, redis_url, database_url):
    env = {
        "PEERSPACE_REDIS_URL": redis_url,
        "PEERSPACE_DATABASE_URL": database_url,
        "PEERSPACE_OWNER_LEASE": "1.0",
        "PEERSPACE_LOG_LEVEL": "WARNING",
    }
    node_a = server_process(**env, PEERSPACE_NODE_ID="A")
    for name in ("Ana", "Ben"):
        assert node_a.cli("user", "add", name, "--password", PASSWORD).returncode == 0
    node_a.start()
    node_b = server_process(**env, PEERSPACE_NODE_ID="B").start()
    bots = []
    try:
        ana = Bot(node_a.url)
        await ana.login("Ana", PASSWORD)
        await ana.connect()
        bots.append(ana)
        await ana.join("cafe")  # A owns the cafe
        ben = Bot(node_b.url)
        await ben.login("Ben", PASSWORD)
        await ben.connect()
        bots.append(ben)
        await ben.join("cafe")  # Ben on B, his room on A
        await ben.wait_until(lambda: ana.avatar in ben.members)
        await ben.say("before")
        await ana.wait_for(events.SAID)

        # A dies. Ana's client reconnects; the "load balancer" now points at B.
        ana.sio.connection_url = node_b.url
        node_a.kill()
        # Ben's node notices A's lease is gone, claims the cafe and puts Ben back in it.
        notice = await ben.wait_for(events.NOTICE, lambda d: d.get("kind") == "moved", timeout=15)
        assert notice
        # Ana's hello on B finds her room and puts her back in it, on B.
        await ana.wait_until(
            lambda: ana.connected and ana.room and ana.room["id"] == "cafe" and ana.avatar in ben.members, timeout=20
        )
        await ben.wait_until(lambda: ben.avatar in ana.members, timeout=10)
        mark = len(ana.said)
        await ben.say("after")
        await ana.wait_until(lambda: any(s["text"] == "after" for s in ana.said[mark:]), timeout=5)
        await ana.say("me too")
        await ben.wait_until(lambda: any(s["text"] == "me too" for s in ben.said), timeout=5)
    finally:
        await close_bots(bots)
