"""Garbage collection for a server whose heap is mostly long-lived objects.

CPython's full collection walks every tracked object. A server at 1,000
avatars holds hundreds of thousands of them (modules, scenarios, connections,
sessions), and its full collections paused the event loop for 87-109 ms every
11-14 s (#20), a pause every room's tick and every recipient felt. Here:

* start-up objects are frozen (`gc.freeze`): no collection walks them again;
* the youngest generation is larger, so young collections run less often;
* objects that have survived a while are frozen too, from time to time
  (`settle`), so the old generation stays small and a full collection short.
  Frozen cycles that later become garbage are not collected while frozen, so
  `settle` unfreezes and lets a full collection run when the permanent
  generation has grown past a bound (rare: once its population has settled).

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
YOUNG_THRESHOLD = 20_000  # allocations minus deallocations before a young collection (CPython's default: 700)
# how much the frozen generation may grow past its size at the last full collection before cycles in it are
# collected once (unfreeze + full collection: one longer pause, rare once the population has settled)
REFREEZE_GROWTH = 4.0


class PauseWatch:
    """Times every collection through gc.callbacks."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.total_s = [0.0, 0.0, 0.0]
        self.max_s = [0.0, 0.0, 0.0]
        self.over = 0  # pauses over PAUSE_WARN_S
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        spent = time.perf_counter() - self._started
        gen = int(info.get("generation", 2))
        self.count[gen] += 1
        self.total_s[gen] += spent
        if spent > self.max_s[gen]:
            self.max_s[gen] = spent
        if spent > PAUSE_WARN_S:
            self.over += 1
            log.warning("gc pause %.1f ms (generation %d)", spent * 1000, gen)

    def report(self) -> dict[str, Any]:
        return {
            "collections": self.count,
            "max_ms": [round(s * 1000, 2) for s in self.max_s],
            "total_ms": [round(s * 1000, 1) for s in self.total_s],
            "over_10ms": self.over,
            "frozen": gc.get_freeze_count(),
        }


class GcTuning:
    def __init__(self) -> None:
        self.watch = PauseWatch()
        self._frozen_at_full = 0

    def start(self) -> None:
        """After start-up: collect once, freeze what is left, raise the young threshold, time pauses."""
        gc.collect()
        gc.freeze()
        self._frozen_at_full = gc.get_freeze_count()
        _, t1, t2 = gc.get_threshold()
        gc.set_threshold(YOUNG_THRESHOLD, t1, t2)
        gc.callbacks.append(self.watch)

    def settle(self) -> None:
        """Freeze what has survived since the last call; now and then, collect the frozen cycles once.

        Called from the world's housekeeping (about twice a second): each call's freeze is a list splice,
        cheap; a young collection first frees the garbage that would otherwise be frozen."""
        if gc.get_freeze_count() > REFREEZE_GROWTH * max(self._frozen_at_full, 1):
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self._frozen_at_full = gc.get_freeze_count()
            return
        gc.collect(1)
        gc.freeze()

    def stop(self, report_path: str = "") -> None:
        if self.watch in gc.callbacks:
            gc.callbacks.remove(self.watch)
        if report_path:
            with open(report_path, "w") as f:
                json.dump(self.watch.report(), f)
