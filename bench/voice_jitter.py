"""The jitter buffer with frames arriving one or two at a time: does a 3-frame buffer still play smoothly?

    python bench/voice_jitter.py            # a second or two; prints one JSON line per case

A simulation on one clock, no sockets: a speaker captures a 20 ms frame every 20 ms and sends packets of 1 or 2
frames (`wire.voice.PACKET_FRAMES`) on one connection, so they arrive in order; each packet takes 1-4 ms, and a
share of them is held up by up to `held_ms` more (a stall, which holds up the packets behind it as TCP does). A
listener's `client.voice.JitterBuffer` (3 frames, as the link uses) plays one frame every 20 ms, with the tick
at four phases against the speaker's clock. Per case: frames concealed in the middle of speech (a gap the
listener hears), frames lost (arrived after their turn), and the delay from a frame's capture to its playout,
p50 / p99, without the sound card's buffers (bench/voice.py measures the whole path over real sockets).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from client.voice import FRAME, Encoder, JitterBuffer, codec  # noqa: E402

FRAMES = 300  # six seconds of speech per run
SEEDS = 5
PHASES = (1.0, 7.0, 13.0, 19.0)  # ms: where the listener's tick falls in the speaker's 20 ms


def encoded_frames(n: int) -> list[bytes]:
    t = np.arange(n * FRAME) / codec.RATE
    pcm = (np.sin(2 * np.pi * 300 * t) * 8000).astype(np.int16)
    enc = Encoder()
    return [enc.encode(pcm[i * FRAME : (i + 1) * FRAME]) for i in range(n)]


def run(frames: list[bytes], per_packet: int, held_share: float, held_ms: float, phase: float, seed: int) -> dict:
    rnd = random.Random(seed)
    buf = JitterBuffer(target=3)
    arrivals: list[tuple[float, int]] = []
    last = 0.0
    for first in range(0, len(frames), per_packet):
        sent = 20.0 * (first + per_packet)  # the packet's last frame is captured (and its packet sent) then
        held = rnd.uniform(0, held_ms) if rnd.random() < held_share else 0.0
        last = max(last, sent + rnd.uniform(1, 4) + held)  # one connection: in order
        arrivals.append((last, first))
    delays = []
    for tick in range(len(frames) + 40):
        now = 20.0 * tick + phase
        while arrivals and arrivals[0][0] <= now:
            first = arrivals.pop(0)[1]
            for i in range(first, min(first + per_packet, len(frames))):
                buf.put(i, frames[i])
        if buf.pop() is not None and buf.last_played_seq is not None:
            delays.append(now - 20.0 * buf.last_played_seq)  # from the start of the frame's 20 ms
    return {
        "concealed": buf.concealed - buf.max_conceal,  # less the fade-out after the last frame
        "lost": buf.late + buf.skipped,
        "delays": delays,
    }


def main() -> None:
    frames = encoded_frames(FRAMES)
    for held_ms in (0, 20, 40, 60, 100):
        for per_packet in (1, 2):
            runs = [run(frames, per_packet, 0.05, held_ms, ph, s) for ph in PHASES for s in range(SEEDS)]
            delays = [d for r in runs for d in r["delays"]]
            print(
                json.dumps(
                    {
                        "frames_per_packet": per_packet,
                        "held_up": f"5% of packets by up to {held_ms} ms",
                        "frames": len(runs) * FRAMES,
                        "concealed_mid_speech": sum(r["concealed"] for r in runs),
                        "lost": sum(r["lost"] for r in runs),
                        "capture_to_playout_ms_p50": round(float(np.percentile(delays, 50)), 1),
                        "capture_to_playout_ms_p99": round(float(np.percentile(delays, 99)), 1),
                    }
                )
            )


if __name__ == "__main__":
    main()
