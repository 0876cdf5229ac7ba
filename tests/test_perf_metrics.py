"""Prometheus /metrics: rooms, connections, tick time, messages, rejects."""

import asyncio
import re

import aiohttp

from wire import events


def _value(text: str, name: str) -> float:
    m = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.M)
    assert m, f"{name} missing from /metrics"
    return float(m.group(1))


async def test_metrics_endpoint_counts_rooms_connections_ticks_messages_and_rejects(server):
    ana = await server.bot("Ana", room="cafe")
    await ana.move(1.0)
    await ana.say("hello")
    await ana.emit("no_such_event", {})
    await ana.wait_for(events.ERROR)
    await asyncio.sleep(0.2)
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "/metrics") as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/plain")
            text = await resp.text()
    assert _value(text, "peerspace_rooms") >= 3
    assert _value(text, "peerspace_rooms_active") == 1
    assert _value(text, "peerspace_connections") == 1
    assert _value(text, "peerspace_avatars") == 1
    assert 0 < _value(text, "peerspace_tick_seconds") < 1
    assert _value(text, "peerspace_connections_total") == 1
    assert _value(text, "peerspace_intents_total") >= 4  # hello, join, move, say
    assert _value(text, 'peerspace_rejects_total{code="unknown_event"}') == 1
    assert _value(text, "peerspace_tick_duration_seconds_count") > 0


def test_metrics_degrade_without_prometheus_client(monkeypatch):
    from server import metrics as m

    monkeypatch.setattr(m, "prom", None)
    metrics = m.Metrics.__new__(m.Metrics)
    metrics.prefix, metrics.world, metrics.plain = "peerspace", None, {}
    metrics.count("rejects_total", "invalid")
    metrics.count("intents_total")
    body, ctype = metrics.render()
    text = body.decode()
    assert 'peerspace_rejects_total{code="invalid"} 1' in text
    assert "peerspace_intents_total 1" in text and ctype.startswith("text/plain")
