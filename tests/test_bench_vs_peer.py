"""bench/vs_peer.py's own figures from a load generator's JSON line (no servers, no node)."""

from __future__ import annotations

import sys
from argparse import Namespace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import vs_peer  # noqa: E402

ARGS = Namespace(seconds=2.0, tick_hz=30.0)


def line(lat, marks, records=100, update_bytes=1200, frames=400, clients=10, cpu_s=0.1) -> dict:
    return {
        "clients": clients,
        "lat": lat,
        "marks": marks,
        "records": records,
        "updateBytes": update_bytes,
        "frames": frames,
        "bytes": 20000,
        "said": 3,
        "errors": 0,
        "cpu_s": cpu_s,
        "sent": 120,
    }


def test_a_phase_s_figures_count_markers_not_seen_as_slower_than_any():
    # 2 markers in a room of 10: 20 sightings expected, 18 timed
    res = line([0.010 + 0.001 * k for k in range(18)], marks=2)
    gc = {"max_ms": [1.0, 3.5, 0.0], "max_cpu_ms": [0.9, 3.0, 0.0], "over_10ms": 0}
    row = vs_peer.summarise("peerspace", 1, 10, ARGS, res, server_cpu_s=0.5, rss=50.0, gc=gc)
    assert row["samples"] == 18 and row["missing"] == 2
    assert row["p50_ms"] == 20.0  # the 10th of 20, counting the two missing as the slowest
    assert row["p99_ms"] is None  # the 99th percentile is a missing one: past the drain
    assert row["server_cpu_pct"] == 25.0 and row["cpu_pct_per_100_avatars"] == 250.0
    assert row["cpu_us_per_update"] == 5000.0  # 0.5 s of server CPU over 100 records
    assert row["bytes_per_avatar_update"] == 12.0 and row["deliveries_per_s"] == 200
    assert row["gc_max_ms"] == 3.5 and row["gc_max_cpu_ms"] == 3.0
    assert row["intents_per_s"] == 60  # what the bots sent over the 2 s window


def test_a_load_generator_that_reports_no_markers_sent_is_refused():
    # bots.mjs once let its zeroed counters overwrite the markers it had counted: nothing could count as missing
    with pytest.raises(ValueError, match="reports none sent"):
        vs_peer.summarise("colyseus", 1, 10, ARGS, line([0.02] * 5, marks=0), 1.0, 60.0, None)


def test_ratios_medians_and_the_table():
    ps = [
        vs_peer.summarise("peerspace", 1, 10, ARGS, line([0.02] * 20, 2, cpu_s=0), cpu, 50.0, None)
        for cpu in (0.4, 0.6, 0.5)
    ]
    co = vs_peer.summarise("colyseus", 1, 10, ARGS, line([0.02] * 20, 2, update_bytes=800), 1.0, 60.0, None)
    med = vs_peer.median_of(ps)
    assert med["server_cpu_pct"] == 25.0 and med["runs"] == 3
    rat = vs_peer.ratios(med, co)
    assert rat["cpu_pct_per_100_avatars"] == 0.5 and rat["bytes_per_avatar_update"] == 1.5
    text = vs_peer.table([med, co])
    assert text.splitlines()[0].startswith("| server | tick Hz | avatars |")
    assert "| peerspace | 30.0 | 10 |" in text and "| colyseus | 30.0 | 10 |" in text
