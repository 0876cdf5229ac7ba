"""Prometheus metrics: rooms, connections, tick time, messages, rejects.

`Metrics.count(name, label)` is the hook the gateway already calls
(`connections_total`, `intents_total`, `rejects_total` with the error code).
Gauges are read from the world when /metrics is scraped, and the tick loop's
own measurement (`World.tick_seconds_last`) feeds a gauge and a histogram.

prometheus-client is the optional extra `metrics`. Without it the same
names are served by a tiny built-in text renderer (counters and gauges only),
so /metrics never breaks a deployment that did not install the extra.
Labels never carry content or user ids: only event names and error codes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .world.feature import RoomFeature

if TYPE_CHECKING:
    from aiohttp import web
    from prometheus_client.metrics_core import Metric

    from .world import World

log = logging.getLogger("peerspace.metrics")

try:  # optional dependency
    import prometheus_client as prom
except ImportError:  # pragma: no cover - exercised only without the extra
    prom = None  # type: ignore[assignment]  # the optional extra is absent: every use checks `prom is not None`

COUNTERS = {
    "connections_total": ("Socket.IO connections accepted", None),
    "intents_total": ("Client messages handled successfully", None),
    "rejects_total": ("Client messages refused, by error code", "code"),
    "forwarded_total": ("Intents forwarded to the room's owner node", None),
    "slow_clients_cut_total": ("Connections cut because the client stopped reading (over 1 MiB unsent)", None),
    "flooders_cut_total": ("Connections cut for sending past their limits (cfg.flood_limit refusals)", None),
    "escalations_sent_total": ("Escalations of unacknowledged alerts delivered, by channel", "channel"),
    "escalations_failed_total": (
        "Escalation delivery attempts that failed (each may be retried), by channel",
        "channel",
    ),
}
TICK_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25)


def _gauges(world: World) -> dict[str, tuple[str, float]]:
    rooms = world.rooms.values()
    return {
        "rooms": ("Rooms open on this node", len(world.rooms)),
        "rooms_active": ("Rooms with at least one avatar on this node", sum(1 for r in rooms if r.members)),
        "connections": ("Socket.IO connections on this node", len(world.conns)),
        "avatars": ("Avatars alive on this node", sum(len(r.avatars) for r in rooms)),
        "tick_seconds": ("Duration of the last world tick", float(world.tick_seconds_last)),
        "store_pending_writes": (
            "Writes the store could not take yet, being retried in the background",
            world.store.aio.pending,
        ),
    }


def _store_counters(world: World) -> dict[str, tuple[str, float]]:
    """Counters kept by the store itself (it is shared with CLI tools that have no Metrics)."""
    return {
        "store_write_failures_total": (
            "Store write attempts that failed (locked, read-only, disk error)",
            world.store.write_failures,
        )
    }


class Metrics(RoomFeature):
    """One node's metrics; `world` is bound after the world exists."""

    def __init__(self, prefix: str = "peerspace"):
        self.prefix = prefix
        self.world: World | None = None
        self.plain: dict[tuple[str, str | None], float] = {}
        if prom is not None:
            self.registry = prom.CollectorRegistry(auto_describe=True)
            self.counters: dict[str, prom.Counter] = {}
            for name, (doc, label) in COUNTERS.items():
                base = name.removesuffix("_total")
                labels = (label,) if label else ()
                self.counters[name] = prom.Counter(f"{prefix}_{base}", doc, labels, registry=self.registry)
            self.tick_hist = prom.Histogram(
                f"{prefix}_tick_duration_seconds", "World tick durations", buckets=TICK_BUCKETS, registry=self.registry
            )
            self.registry.register(_WorldCollector(self))

    def bind(self, world: World) -> None:
        self.world = world

    async def tick(self, dt: float) -> None:
        """A room-lifecycle feature on the tick: observe how long the world's ticks take."""
        # The loop stores the duration of the tick before this one; good enough for a histogram.
        if prom is not None and self.world is not None and self.world.tick_seconds_last:
            self.tick_hist.observe(self.world.tick_seconds_last)

    def count(self, name: str, label: str | None = None) -> None:
        if prom is None:
            key = (name, label)
            self.plain[key] = self.plain.get(key, 0) + 1
            return
        c = self.counters.get(name)
        if c is None:
            return
        spec = COUNTERS[name][1]
        (c.labels(str(label or "none")[:40]) if spec else c).inc()

    def render(self) -> tuple[bytes, str]:
        if prom is not None:
            return prom.generate_latest(self.registry), prom.CONTENT_TYPE_LATEST
        lines = []
        for name, (doc, label) in COUNTERS.items():
            full = f"{self.prefix}_{name}"
            lines += [f"# HELP {full} {doc}", f"# TYPE {full} counter"]
            for (n, lab), v in sorted(self.plain.items(), key=lambda kv: str(kv[0])):
                if n == name:
                    lines.append(f'{full}{{{label}="{lab}"}} {v}' if label else f"{full} {v}")
        if self.world is not None:
            for name, (doc, value) in _store_counters(self.world).items():
                full = f"{self.prefix}_{name}"
                lines += [f"# HELP {full} {doc}", f"# TYPE {full} counter", f"{full} {value}"]
            for name, (doc, value) in _gauges(self.world).items():
                full = f"{self.prefix}_{name}"
                lines += [f"# HELP {full} {doc}", f"# TYPE {full} gauge", f"{full} {value}"]
        return ("\n".join(lines) + "\n").encode(), "text/plain; version=0.0.4; charset=utf-8"


if prom is not None:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    class _WorldCollector:
        def __init__(self, metrics: Metrics):
            self.metrics = metrics

        def describe(self) -> list[Metric]:
            return []

        def collect(self) -> Iterator[Metric]:
            world = self.metrics.world
            if world is None:
                return
            for name, (doc, value) in _gauges(world).items():
                yield GaugeMetricFamily(f"{self.metrics.prefix}_{name}", doc, value=value)
            for name, (doc, value) in _store_counters(world).items():
                yield CounterMetricFamily(f"{self.metrics.prefix}_{name.removesuffix('_total')}", doc, value=value)


def add_route(app: web.Application, metrics: Metrics) -> None:
    """GET /metrics on the app. Bind it to loopback or a private network in production."""
    from aiohttp import web

    async def handler(request: web.Request) -> web.Response:
        body, ctype = metrics.render()
        return web.Response(body=body, headers={"Content-Type": ctype})

    app.router.add_get("/metrics", handler)
