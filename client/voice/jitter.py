"""A per-speaker jitter buffer: frames in by sequence number, one 20 ms frame out per playout tick.

Playback of a talk spurt starts once `target` frames are waiting (the delay that absorbs network jitter).
A missing frame is rebuilt from the next frame's in-band FEC when that is already here, else concealed by
Opus PLC; after `max_conceal` concealed frames in a row the speaker is treated as silent (the spurt ended)
and the next frame starts a new spurt. Frames that come too late (already played or concealed) are
dropped; a buffer grown past `max_depth` (a burst after a stall) skips ahead to stay near the target delay.
"""

from __future__ import annotations

import numpy as np

from .codec import FRAME, Decoder

SILENCE = np.zeros(FRAME, np.int16)


class JitterBuffer:
    def __init__(self, target: int = 3, max_depth: int = 12, max_conceal: int = 5):
        self.target = target
        self.max_depth = max_depth
        self.max_conceal = max_conceal
        self.decoder = Decoder()
        self.frames: dict[int, bytes] = {}
        self.next_seq: int | None = None  # the next frame to play; None while idle (no spurt playing)
        self.concealed_run = 0
        # counters, for tests and the benchmark
        self.played = self.concealed = self.recovered = self.late = self.skipped = 0
        self.last_played_seq: int | None = None

    @property
    def active(self) -> bool:
        """True while a spurt is playing (or waiting to start)."""
        return self.next_seq is not None or bool(self.frames)

    def depth(self) -> int:
        return len(self.frames)

    def put(self, seq: int, data: bytes) -> None:
        if self.next_seq is not None and seq < self.next_seq:
            self.late += 1
            return
        self.frames[seq] = data

    def pop(self) -> np.ndarray | None:
        """The frame to play now, or None when this speaker is silent."""
        self.last_played_seq = None
        if self.next_seq is None:
            if len(self.frames) < self.target:
                return None
            self.next_seq = min(self.frames)
            self.concealed_run = 0
        if len(self.frames) > self.max_depth:  # far behind: jump to `target` frames before the newest
            keep = sorted(self.frames)[-self.target :]
            self.skipped += len(self.frames) - len(keep)
            self.frames = {s: self.frames[s] for s in keep}
            self.next_seq = keep[0]
        seq = self.next_seq
        self.next_seq = seq + 1
        data = self.frames.pop(seq, None)
        if data is not None:
            self.concealed_run = 0
            self.played += 1
            self.last_played_seq = seq
            return self.decoder.decode(data)
        if not self.frames:
            # nothing newer: the spurt may have ended; conceal a few frames (a smooth fade), then go idle
            self.concealed_run += 1
            if self.concealed_run > self.max_conceal:
                self.next_seq = None
                self.decoder.reset()
                return None
            self.concealed += 1
            return self.decoder.conceal()
        self.concealed_run = 0
        following = self.frames.get(seq + 1)
        if following is not None:
            self.recovered += 1
            return self.decoder.decode_fec(following)
        self.concealed += 1
        return self.decoder.conceal()
