"""The client's voice link: your microphone to the room, the room's voices to your speakers.

Every 20 ms (`step`, driven by `run`): read one frame from the source; while you are heard (push-to-talk held,
or voice activity in "activity" mode) apply the optional transform, encode it with Opus and hold it until
`wire.voice.PACKET_FRAMES` frames fill a packet, then `emit` them as one `voice` intent (40 ms a packet: half
the messages for the server and every hearer, for 20 ms more delay). When you stop being heard (the key let
go, the voice activity over) what is held goes at once, as a shorter packet, so the end of speech is neither
cut nor delayed. Then take one frame from each speaker's jitter buffer and from any local buffer (text to
speech), apply each speaker's gain, mix and write the mix to the sink. `levels()` is the smoothed level of
what is played per speaker, for mouths and name tags.

The net layer calls `on_voice(payload)` for each `voiced` event (each of its frames goes into the speaker's
jitter buffer under its own number) and `on_refused(error)` for an `error` about `voice` (muted, paused, a cast
role not held): the link then stops sending until you press again, so a refusal costs one message, not 25 a
second. A `rate_limited` refusal (frames that arrived in a burst after the network held them up) only loses
those frames.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np

from wire import voice as wire_voice

from .codec import FRAME, FRAME_S, Encoder, as_frame
from .devices import AudioSink, AudioSource
from .jitter import JitterBuffer

log = logging.getLogger("peerspace.voice")

Emit = Callable[[str, dict[str, Any]], Awaitable[Any] | None]
Transform = Callable[[np.ndarray], np.ndarray]
Trace = Callable[[str, int | None, int, float], None]

MODES = ("push", "activity")
LEVEL_FLOOR_DB = -60.0  # at or below: level 0
LEVEL_SPAN_DB = 45.0  # -15 dBFS and up: level 1
LEVEL_RELEASE = 0.8  # per frame: a level falls to a tenth in ~200 ms, so mouths close smoothly
VAD_MARGIN_DB = 12.0  # speech is this much above the noise floor ...
VAD_MIN_DB = -50.0  # ... and never quieter than this
VAD_HANGOVER = 15  # frames (300 ms) the voice stays on after the last loud frame: words are not chopped


def rms_db(frame: np.ndarray) -> float:
    x = frame.astype(np.float64) / 32768.0
    power = float(np.mean(x * x)) if len(x) else 0.0
    return 10.0 * math.log10(power) if power > 1e-12 else -120.0


def level_of(frame: np.ndarray) -> float:
    return min(1.0, max(0.0, (rms_db(frame) - LEVEL_FLOOR_DB) / LEVEL_SPAN_DB))


class VoiceLink:
    def __init__(
        self,
        emit: Emit,
        source: AudioSource | None,
        sink: AudioSink | None,
        *,
        transform: Transform | None = None,
        mode: str = "push",
        jitter_target: int = 3,
        trace: Trace | None = None,
    ):
        self.emit = emit
        self.source = source
        self.sink = sink
        self.transform = transform
        self.as_role: str | None = None  # speak as this held cast role (a peer specialist voicing a character)
        self.jitter_target = jitter_target
        # ("captured", None, seq, t): a frame of yours encoded (held for its packet), and ("played", speaker, seq,
        # t): a frame out of a jitter buffer into the mix; per frame, for the latency benchmark
        self.trace = trace
        self.refusal: dict[str, Any] | None = None  # the server's last refusal of `voice` (shown to the person)
        self._mode = "push"
        self.mode = mode
        self._pressed = False
        self._stopped_by_refusal = False
        self._vad_floor = -70.0
        self._vad_hold = 0
        self._encoder = Encoder()
        self._seq = 0  # the next captured frame's number
        self._held: list[bytes] = []  # encoded frames waiting to fill a packet; the first is _seq - len(_held)
        self._sending: set[asyncio.Future[Any]] = set()  # packets sent at a key release, until emitted
        self.buffers: dict[int, JitterBuffer] = {}
        self.gains: dict[int, float] = {}
        self.drivers: dict[int, str | None] = {}  # speaker -> who drives them ("teleop"/"agent"), None: themselves
        self._local: dict[int, np.ndarray] = {}
        self._levels: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None
        self.sent = 0  # frames sent (not packets)

    # --- you are heard ------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"voice mode must be one of {MODES}")
        self._mode = mode
        self._vad_hold = 0
        self._stopped_by_refusal = False

    def press(self) -> None:
        """Push-to-talk held down (in push mode)."""
        self._pressed = True
        self._stopped_by_refusal = False
        self.refusal = None

    def release(self) -> None:
        self._pressed = False
        self._send_held_now()

    @property
    def talking(self) -> bool:
        """True while your voice is being sent to the room (the "you are heard" indicator)."""
        if self._stopped_by_refusal:
            return False
        if self._mode == "push":
            return self._pressed
        return self._vad_hold > 0

    def on_refused(self, error: dict[str, Any]) -> None:
        """The server refused a voice frame: stop sending until the person presses (or switches mode) again.
        Frames refused for arriving in a burst (after the network held them up) only lose those frames."""
        if error.get("code") == "rate_limited":
            return
        self.refusal = error
        self._stopped_by_refusal = True
        self._pressed = False
        self._vad_hold = 0
        self._held.clear()  # they would be refused too

    def _voice_activity(self, frame: np.ndarray) -> None:
        db = rms_db(frame)
        # the noise floor follows quiet frames quickly and loud ones slowly
        self._vad_floor += (db - self._vad_floor) * (0.2 if db < self._vad_floor else 0.005)
        if db > max(self._vad_floor + VAD_MARGIN_DB, VAD_MIN_DB):
            self._vad_hold = VAD_HANGOVER
        elif self._vad_hold > 0:
            self._vad_hold -= 1

    # --- what you hear ---------------------------------------------------------------------------
    def set_gain(self, speaker: int, gain: float) -> None:
        """Per-speaker volume: 0 (silent) to 2 (twice as loud)."""
        self.gains[speaker] = min(2.0, max(0.0, float(gain)))

    def levels(self) -> dict[int, float]:
        """speaker avatar id -> smoothed level 0..1 of what is being played for them now."""
        return {k: v for k, v in self._levels.items() if v > 0.01}

    def speaking(self) -> set[int]:
        """The speakers being played now (for name tags)."""
        return {k for k, v in self._levels.items() if v > 0.05}

    def on_voice(self, payload: dict[str, Any]) -> None:
        """One `voiced` packet from the server: {avatar, seq, frames, driver}; frames[i] is frame seq + i."""
        speaker = payload.get("avatar")
        seq, frames = payload.get("seq"), payload.get("frames")
        if not isinstance(speaker, int) or not isinstance(seq, int) or not isinstance(frames, list):
            return
        buf = self.buffers.get(speaker)
        if buf is None:
            buf = self.buffers[speaker] = JitterBuffer(self.jitter_target)
        self.drivers[speaker] = payload.get("driver")
        for i, data in enumerate(frames):
            if isinstance(data, bytes):
                buf.put((seq + i) % wire_voice.SEQ_LIMIT, data)

    def play_local(self, speaker: int, pcm: np.ndarray) -> None:
        """Play a local buffer (48 kHz mono int16) as if `speaker` said it: text to speech for a cast line."""
        pcm = np.asarray(pcm, dtype=np.int16)
        old = self._local.get(speaker)
        self._local[speaker] = pcm if old is None else np.concatenate([old, pcm])

    def forget(self, speaker: int) -> None:
        """A speaker left the room (or was hidden): drop what was buffered for them."""
        self.buffers.pop(speaker, None)
        self._local.pop(speaker, None)
        self._levels.pop(speaker, None)
        self.drivers.pop(speaker, None)

    # --- the 20 ms tick ------------------------------------------------------------------------------
    async def step(self) -> None:
        await self._capture()
        self._playout()

    async def _capture(self) -> None:
        for _ in range(3):  # a device may have more than one frame ready after a late tick
            frame = self.source.read() if self.source is not None else None
            if frame is None:
                return
            if self._mode == "activity":
                self._voice_activity(frame)
            if self.talking:
                await self._capture_frame(frame)
            elif self._held:  # no longer heard (the voice activity just ended): the end of speech goes now
                await self._send_held()
            if not getattr(self.source, "paced", False):
                return

    async def _capture_frame(self, frame: np.ndarray) -> None:
        if self.transform is not None:
            frame = as_frame(self.transform(frame))
        self._held.append(self._encoder.encode(frame))
        if self.trace is not None:
            self.trace("captured", None, self._seq, time.perf_counter())
        self._seq = (self._seq + 1) % wire_voice.SEQ_LIMIT
        if len(self._held) >= wire_voice.PACKET_FRAMES:
            await self._send_held()

    def _emit_held(self) -> Awaitable[Any] | None:
        frames, self._held = self._held, []
        payload: dict[str, Any] = {"seq": (self._seq - len(frames)) % wire_voice.SEQ_LIMIT, "frames": frames}
        if self.as_role is not None:
            payload["as_role"] = self.as_role
        self.sent += len(frames)
        return self.emit(wire_voice.VOICE, payload)

    async def _send_held(self) -> None:
        result = self._emit_held()
        if inspect.isawaitable(result):
            await result

    def _send_held_now(self) -> None:
        """The key was let go: send the frames held for a packet without waiting for the next tick. Outside a
        running loop (nothing to send on yet) the next tick sends them."""
        if not self._held:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        result = self._emit_held()
        if inspect.isawaitable(result):
            future = asyncio.ensure_future(result, loop=loop)
            self._sending.add(future)  # held here: the loop keeps only a weak reference to a running task
            future.add_done_callback(self._sent)

    def _sent(self, future: asyncio.Future[Any]) -> None:
        self._sending.discard(future)
        if not future.cancelled() and future.exception() is not None:  # e.g. the connection just closed
            log.warning("the end of a voice packet was not sent: %s", type(future.exception()).__name__)

    def _playout(self) -> None:
        mix = np.zeros(FRAME, np.float64)
        now = time.perf_counter()
        heard: set[int] = set()
        for speaker, buf in list(self.buffers.items()):
            frame = buf.pop()
            if frame is None:
                continue
            if self.trace is not None and buf.last_played_seq is not None:
                self.trace("played", speaker, buf.last_played_seq, now)
            heard.add(speaker)
            mix += self._take(speaker, frame)
        for speaker, pcm in list(self._local.items()):
            chunk, rest = pcm[:FRAME], pcm[FRAME:]
            if len(rest):
                self._local[speaker] = rest
            else:
                del self._local[speaker]
            heard.add(speaker)
            mix += self._take(speaker, as_frame(chunk))
        for speaker in list(self._levels):
            if speaker not in heard:
                self._levels[speaker] *= LEVEL_RELEASE
                if self._levels[speaker] < 0.005:
                    del self._levels[speaker]
        if self.sink is not None:
            self.sink.write(np.clip(np.rint(mix), -32768, 32767).astype(np.int16))

    def _take(self, speaker: int, frame: np.ndarray) -> np.ndarray:
        gain = self.gains.get(speaker, 1.0)
        scaled = frame.astype(np.float64) * gain
        level = level_of(frame) * min(gain, 1.0)
        self._levels[speaker] = max(level, self._levels.get(speaker, 0.0) * LEVEL_RELEASE)
        return scaled

    # --- running -------------------------------------------------------------------------------------
    async def run(self) -> None:
        """Tick every 20 ms on the loop's clock until stopped; a late tick catches up, a long stall skips."""
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            await self.step()
            due += FRAME_S
            late = loop.time() - due
            if late > 5 * FRAME_S:  # the machine stalled: start again from now rather than burst
                due = loop.time()
            await asyncio.sleep(max(0.0, due - loop.time()))

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run())
        return self._task

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def close(self) -> None:
        await self.stop()
        for dev in (self.source, self.sink):
            if dev is not None:
                dev.close()


async def microphone_test(
    source: AudioSource,
    sink: AudioSink | None = None,
    *,
    seconds: float = 3.0,
    on_level: Callable[[float], None] | None = None,
    paced: bool = True,
) -> dict[str, Any]:
    """The settings screen's microphone test: listen for `seconds` (calling `on_level` with each frame's 0..1
    level, for a meter), then play the recording back to `sink` so the person hears themselves. Nothing is sent.
    Returns {"peak", "mean", "heard"}: heard is whether anything reached speech level (VAD_MIN_DB)."""
    frames: list[np.ndarray] = []
    levels: list[float] = []
    loud = False
    loop = asyncio.get_running_loop()
    due = loop.time()
    while len(frames) < round(seconds / FRAME_S):
        frame = source.read()
        if frame is not None:
            frames.append(frame)
            levels.append(level_of(frame))
            loud = loud or rms_db(frame) > VAD_MIN_DB
            if on_level is not None:
                on_level(levels[-1])
        if paced:
            due += FRAME_S
            await asyncio.sleep(max(0.0, due - loop.time()))
    if sink is not None:
        for frame in frames:
            sink.write(frame)
            if paced:
                due += FRAME_S
                await asyncio.sleep(max(0.0, due - loop.time()))
    return {"peak": max(levels, default=0.0), "mean": float(np.mean(levels)) if levels else 0.0, "heard": loud}
