"""Garbage collection for a server whose heap is mostly long-lived objects.

CPython's full collection walks every tracked object. A server at 1,000
avatars holds hundreds of thousands of them (modules, scenarios, connections,
sessions), and its full collections paused the event loop for 87-109 ms every
11-14 s (#20), a pause every room's tick and every recipient felt. Here:

* start-up objects are frozen (`gc.freeze`): no collection walks them again;
* the youngest generation is larger, so young collections run less often, and
  the middle one smaller, so its collections stay short;
* what is alive is frozen too, twice a second (`settle`, `gc_settle_s`), so the old
  generation stays small and a full collection short. Frozen cycles that later
  become garbage are not collected while frozen, so `settle` unfreezes and lets
  one full collection run when the frozen generation has grown past a bound
  (rare once the population has settled).

Pauses are timed with `gc.callbacks`: one over PAUSE_WARN_S is logged (no
content, only the generation and the time), and `report()` sums them up.
"""

from __future__ import annotations

import gc
import json
import logging
import time
from typing import Any

log = logging.getLogger("peerspace.gc")

PAUSE_WARN_S = 0.010
YOUNG_THRESHOLD = 2_000  # allocations minus deallocations before a young collection (CPython's default: 700)
# young collections before a middle-generation one (CPython's default: 10), which walks the survivors of this
# many young generations: 1 bounds it to about two (a middle-generation collection took 44 ms of CPU once at
# 10 x 5,000 while 1,000 avatars connected; with 1 x 2,000 the longest of any kind took 6-7 ms of CPU)
MIDDLE_THRESHOLD = 1
# how much the frozen generation may grow past its size at the last full collection before cycles in it are
# collected once (unfreeze + full collection: one longer pause, rare once the population has settled)
REFREEZE_GROWTH = 4.0
REFREEZE_CHECK_EVERY = 60


class PauseWatch:
    """Times every collection through gc.callbacks."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.total_s = [0.0, 0.0, 0.0]
        self.max_s = [0.0, 0.0, 0.0]
        # the longest collection in this thread's CPU time: on a busy machine the wall-clock pause includes
        # time the OS gave to other processes mid-collection
        self.max_cpu_s = [0.0, 0.0, 0.0]
        self.collected_at_max = [0, 0, 0]  # objects the longest collection (in CPU time) freed
        self.over = 0  # pauses over PAUSE_WARN_S
        self._started = self._started_cpu = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started, self._started_cpu = time.perf_counter(), time.thread_time()
            return
        spent, cpu = time.perf_counter() - self._started, time.thread_time() - self._started_cpu
        gen = int(info.get("generation", 2))
        self.count[gen] += 1
        self.total_s[gen] += spent
        self.max_s[gen] = max(self.max_s[gen], spent)
        if cpu > self.max_cpu_s[gen]:
            self.max_cpu_s[gen], self.collected_at_max[gen] = cpu, int(info.get("collected", 0))
        if spent > PAUSE_WARN_S:
            self.over += 1
            log.warning("gc pause %.1f ms (%.1f ms CPU; generation %d)", spent * 1000, cpu * 1000, gen)

    def report(self) -> dict[str, Any]:
        return {
            "collections": self.count,
            "max_ms": [round(s * 1000, 2) for s in self.max_s],
            "max_cpu_ms": [round(s * 1000, 2) for s in self.max_cpu_s],
            "collected_at_max": self.collected_at_max,
            "total_ms": [round(s * 1000, 1) for s in self.total_s],
            "over_10ms": self.over,
            "frozen": gc.get_freeze_count(),
        }


class GcTuning:
    def __init__(self) -> None:
        self.watch = PauseWatch()
        self._frozen_at_full = 0
        self._settles = 0

    def start(self) -> None:
        """After start-up: collect once, freeze what is left, raise the young threshold, time pauses."""
        gc.collect()
        gc.freeze()
        self._frozen_at_full = gc.get_freeze_count()
        _, _, t2 = gc.get_threshold()
        gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, t2)
        gc.callbacks.append(self.watch)

    def settle(self) -> None:
        """Freeze what is alive now, so no collection walks it again; now and then, collect the frozen cycles.

        A freeze is a list splice (cheap); the young collections keep running as usual and free the short-lived
        garbage. What is frozen while alive and later becomes cyclic garbage (a closed connection's objects)
        waits for the next full collection, which runs once the frozen generation has grown REFREEZE_GROWTH
        times since the last one. Its size is counted only every REFREEZE_CHECK_EVERY calls: counting walks it."""
        self._settles += 1
        if self._settles % REFREEZE_CHECK_EVERY == 0:
            frozen = gc.get_freeze_count()
            if frozen > REFREEZE_GROWTH * max(self._frozen_at_full, 1):
                started = time.perf_counter()
                gc.unfreeze()
                gc.collect()
                gc.freeze()
                self._frozen_at_full = gc.get_freeze_count()
                log.info(
                    "frozen objects collected: %d -> %d in %.0f ms",
                    frozen,
                    self._frozen_at_full,
                    1000 * (time.perf_counter() - started),
                )
                return
        gc.freeze()

    def stop(self, report_path: str = "") -> None:
        if self.watch in gc.callbacks:
            gc.callbacks.remove(self.watch)
        if report_path:
            try:
                with open(report_path, "w") as f:
                    json.dump(self.watch.report(), f)
            except OSError as e:  # a figure for benchmarks: never in the way of a clean stop
                log.warning("could not write the GC report to %s: %s", report_path, e.strerror)
