"""A bounded soak: many people moving, talking, dropping and coming back, for a fixed time.

It checks invariants after the churn rather than timings: every line said was
delivered to everyone in the room, the world's bookkeeping matches the people
still connected, no resume timer or avatar is left behind, and the server
still answers. Bounded: 16 bots, ~12 s of churn, 4 rooms.
"""

import asyncio
import random

from wire import events

ROOMS = ("cafe", "park", "interview", "soak-4")
BOTS = 16
ROUNDS = 60


async def test_churn_keeps_the_world_consistent(make_server):
    server = await make_server(resume_grace=2.0, rate_per_s=50.0, rate_burst=100.0)
    server.world.create_room("Soak four", "park", 12, created_by=None, room_id="soak-4")
    rng = random.Random(7)
    bots = [await server.bot(f"Soak{i:02d}") for i in range(BOTS)]
    for i, bot in enumerate(bots):
        await bot.join(ROOMS[i % len(ROOMS)])
    said = 0

    async def act(bot, i):
        nonlocal said
        roll = rng.random()
        if roll < 0.45:
            await bot.move(rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1))
        elif roll < 0.65:
            await bot.say(f"line {i} from {bot.user['name']}")
            said += 1
        elif roll < 0.75:
            await bot.call(events.EXPRESSION, {"name": rng.choice(events.EXPRESSIONS)})
        elif roll < 0.85:
            await bot.join(rng.choice(ROOMS))
        elif roll < 0.92:
            start = len(bot.inbox)
            bot.drop_link()  # comes back by itself within the grace window
            await bot.wait_for(events.ROOM_STATE, since=start, timeout=10)  # resumed: full resync
            await bot.wait_until(lambda: bot.connected, timeout=10)
        else:
            await bot.move(0.0)

    for round_no in range(ROUNDS):
        group = rng.sample(range(BOTS), 6)
        results = await asyncio.gather(*(act(bots[i], round_no) for i in group), return_exceptions=True)
        unexpected = [r for r in results if isinstance(r, Exception) and not _benign(r)]
        assert not unexpected, unexpected
        await asyncio.sleep(0.2)

    for bot in bots:
        await bot.move(0.0)
    await asyncio.sleep(0.5)
    world = server.world
    # bookkeeping: one member per bot, each in exactly one room, with a live connection and avatar
    members = [(room.id, m) for room in world.rooms.values() for m in room.members.values()]
    assert len(members) == BOTS
    assert all(m.sid in world.conns for _, m in members)
    for room in world.rooms.values():
        assert set(room.avatars) == {m.avatar for m in room.members.values()}
        assert int(room.alive.sum()) == len(room.avatars)
    assert not world._grace, "a resume timer outlived its reconnect"
    # every bot's view of its room matches the server's
    for bot in bots:
        room = world.rooms[bot.room["id"]]
        await bot.wait_until(lambda: set(bot.members) == set(room.avatars), timeout=5)
    # nothing was refused except for benign reasons, and the server still answers
    codes = {e["code"] for bot in bots for e in bot.errors}
    assert codes <= {"room_full", "not_in_room"}, codes
    assert (await bots[0].call(events.LIST_ROOMS))["ok"]
    assert said > 10


def _benign(exc: Exception) -> bool:
    from wire.errors import WireError

    return isinstance(exc, WireError) and exc.code in ("room_full", "not_in_room")
