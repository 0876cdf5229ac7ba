"""Serving start-up tuned for many avatars (#20): uvloop when installed, frozen start-up objects and timed
garbage-collection pauses, and tick turns that grow with the number of rooms."""

from __future__ import annotations

import asyncio
import gc
import json
import weakref

import pytest
import uvloop

from client.bot import Bot
from conftest import PASSWORD, close_bots
from server.app import event_loop_factory
from server.config import Config
from server.gctune import GcTuning
from wire import events


def test_the_event_loop_is_uvloops_when_installed_unless_turned_off():
    assert event_loop_factory(Config(event_loop="auto")) is uvloop.new_event_loop
    assert event_loop_factory(Config(event_loop="uvloop")) is uvloop.new_event_loop
    assert event_loop_factory(Config(event_loop="asyncio")) is None
    with pytest.raises(SystemExit, match="auto, asyncio or uvloop"):
        event_loop_factory(Config(event_loop="fast"))


def test_gc_tuning_freezes_start_up_objects_times_pauses_and_reports_them(tmp_path):
    tuning = GcTuning()
    before = gc.get_threshold()
    try:
        tuning.start()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] > before[0]
        young = [[i] for i in range(1000)]  # alive: frozen by the next settle
        frozen = gc.get_freeze_count()
        tuning.settle()
        assert gc.get_freeze_count() >= frozen + len(young)
        gc.collect()
        tuning.stop(str(tmp_path / "gc.json"))
        report = json.loads((tmp_path / "gc.json").read_text())
        assert report["collections"][2] >= 1 and report["max_ms"][2] > 0
        assert set(report) >= {"collections", "max_ms", "total_ms", "over_10ms", "frozen"}
    finally:
        tuning.stop()
        gc.unfreeze()
        gc.set_threshold(*before)


async def test_a_served_process_on_uvloop_carries_a_room_and_writes_its_gc_report(server_process, tmp_path):
    report = tmp_path / "gc-report.json"
    proc = server_process(PEERSPACE_LOG_LEVEL="WARNING", PEERSPACE_GC_REPORT=str(report), PEERSPACE_GC_SETTLE_S="0.1")
    for name in ("Ana", "Ben"):
        assert proc.cli("user", "add", name, "--password", PASSWORD, "--role", "participant").returncode == 0
    proc.start()
    bots = []
    try:
        for name in ("Ana", "Ben"):
            bot = Bot(proc.url)
            await bot.login(name, PASSWORD)
            await bot.connect()
            await bot.join("cafe")
            bots.append(bot)
        ana, ben = bots
        await ana.say("hello")
        await ben.wait_for(events.SAID, lambda d: d.get("text") == "hello", timeout=10)
        await asyncio.sleep(0.3)  # a few settles while people are in the room
        await ana.say("still here")
        await ben.wait_for(events.SAID, lambda d: d.get("text") == "still here", timeout=10)
    finally:
        await close_bots(bots)
    proc.stop()
    figures = json.loads(report.read_text())
    assert figures["frozen"] > 0 and len(figures["max_ms"]) == 3


async def test_tick_turns_grow_with_the_rooms_and_deal_them_evenly(server):
    world = server.world
    assert world.rephase() == server.cfg.tick_phases == 3  # the default rooms
    per_turn, most = server.cfg.tick_rooms_per_turn, server.cfg.tick_phases_max
    for i in range(per_turn * 5):
        world.create_room(f"Extra {i}", "park", 12, created_by=None)
    phases = world.rephase()
    assert phases == 6  # 53 rooms, about 10 a turn
    counts = [sum(room.phase == p for room in world.rooms.values()) for p in range(phases)]
    assert max(counts) - min(counts) <= 1
    for i in range(per_turn * 10):
        world.create_room(f"More {i}", "park", 12, created_by=None)
    assert world.rephase() == most  # never more turns than the cap


def test_settling_collects_frozen_cycles_once_the_frozen_generation_has_grown(monkeypatch):
    import server.gctune as gctune

    monkeypatch.setattr(gctune, "REFREEZE_CHECK_EVERY", 1_000_000)  # the first settle only freezes
    monkeypatch.setattr(gctune, "REFREEZE_GROWTH", 1.0)
    tuning = GcTuning()
    before = gc.get_threshold()
    try:
        tuning.start()

        class Node:
            pass

        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle: only a collection frees it
        tuning.settle()  # the cycle is frozen while alive
        ref = weakref.ref(a)
        del a, b
        gc.collect()
        assert ref() is not None  # frozen garbage: no collection reaches it
        monkeypatch.setattr(gctune, "REFREEZE_CHECK_EVERY", 1)
        tuning.settle()  # the frozen generation grew since start: unfreeze, collect, freeze again
        assert ref() is None
    finally:
        tuning.stop()
        gc.unfreeze()
        gc.set_threshold(*before)
