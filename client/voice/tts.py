"""Coach and role-play lines read aloud: text-to-speech of computer-run cast members, on this machine.

espeak-ng (a system package; nothing is downloaded at run time) turns a line into speech, which is
resampled to the voice path's 48 kHz mono int16 and handed to `play(avatar_id, pcm)`: the voice link's
`play_local`, so the line is heard through the same mixer, and moves the same mouth, as a person's voice.
Each cast role gets its own voice: from the scenario cast's `voice` where it has one, else a default per
kind of role (a partner, a coach) varied by the role's name, so two partners do not sound alike.
No Panda3D here (headless: tests and the bot can use it).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .devices import resample

log = logging.getLogger("peerspace.client.voice")

RATE = 48_000  # the voice path's sample rate (client/voice/codec.py)
ESPEAK = "espeak-ng"
MAX_CHARS = 500  # a line is at most this long on the wire; longer text is cut, never read for minutes
TIMEOUT = 20.0  # seconds espeak-ng may take for one line before it is given up


@dataclass(frozen=True)
class TtsVoice:
    """An espeak-ng voice: `name` (language+variant, e.g. "en+f3"), pitch 0..99, speed in words a minute."""

    name: str = "en"
    pitch: int = 50
    speed: int = 155


# Per kind of cast role; the variant is varied by the role's name (VARIANTS) so roles differ.
KIND_DEFAULTS = {
    "partner": TtsVoice("en", 48, 150),
    "coach": TtsVoice("en", 55, 145),
}
VARIANTS = ("m3", "f3", "m1", "f2", "m4", "f4")


def voice_for(role: str, cast: dict | None = None) -> TtsVoice:
    """The voice of a cast role: its `voice` in the scenario cast (pitch in semitones, formant as a
    ratio; see client/voice/transform.py), mapped onto espeak-ng's pitch and a male/female variant,
    else the default for its kind with a variant chosen by the role's name (stable across runs)."""
    cast = cast or {}
    base = KIND_DEFAULTS.get(str(cast.get("kind", "")), TtsVoice())
    variant = VARIANTS[zlib.crc32(role.encode()) % len(VARIANTS)]
    pitch = base.pitch
    spec = cast.get("voice")
    if isinstance(spec, dict):
        semitones = float(spec.get("pitch", 0.0) or 0.0)
        formant = float(spec.get("formant", 1.0) or 1.0)
        pitch = int(round(base.pitch + 6 * semitones))
        if formant > 1.04 or semitones > 2:
            variant = "f3"
        elif formant < 0.96 or semitones < -2:
            variant = "m3"
    return TtsVoice(f"en+{variant}", int(min(99, max(0, pitch))), base.speed)


def available() -> bool:
    """Is espeak-ng installed? (Without it lines are only shown, never an error in front of a person.)"""
    return shutil.which(ESPEAK) is not None


def command(voice: TtsVoice) -> list[str]:
    """The espeak-ng command line; the text goes on stdin, so a line starting with '-' is never an option."""
    return [ESPEAK, "--stdout", "-v", voice.name, "-p", str(voice.pitch), "-s", str(voice.speed)]


def parse_wav(data: bytes) -> tuple[int, np.ndarray]:
    """(sample rate, int16 mono samples) of espeak-ng's WAV output. It streams, so the chunk sizes in the
    header may be placeholders: the data chunk is taken as everything after its header."""
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV stream")
    pos, rate, channels = 12, 0, 1
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = pos + 8
        if cid == b"fmt ":
            channels, rate = struct.unpack("<HI", data[body + 2 : body + 8])
        elif cid == b"data":
            raw = data[body:]
            raw = raw[: len(raw) // 2 * 2]
            pcm = np.frombuffer(raw, dtype="<i2").astype(np.int16)
            if channels > 1:
                pcm = pcm[: len(pcm) // channels * channels].reshape(-1, channels)[:, 0].copy()
            return rate, pcm
        pos = body + size + (size & 1)
    raise ValueError("WAV stream without data")


def _clean(text: str) -> bytes:
    return " ".join(str(text)[:MAX_CHARS].split()).encode("utf-8")


def synthesise(text: str, voice: TtsVoice = TtsVoice()) -> np.ndarray:
    """Speech for `text` as 48 kHz mono int16 (blocking: tests, the bench and the bot's thread)."""
    out = subprocess.run(command(voice), input=_clean(text), capture_output=True, timeout=TIMEOUT, check=True)
    rate, pcm = parse_wav(out.stdout)
    return resample(pcm, rate)


async def synthesise_async(text: str, voice: TtsVoice = TtsVoice()) -> np.ndarray:
    """As `synthesise`, without holding up the client's loop (espeak-ng runs as a child process)."""
    proc = await asyncio.create_subprocess_exec(
        *command(voice), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(_clean(text)), TIMEOUT)
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"espeak-ng exited with {proc.returncode}")
    rate, pcm = parse_wav(out)
    return resample(pcm, rate)


class LineReader:
    """Reads computer-run cast lines aloud, one at a time in the order they came, through `play`
    (avatar id, pcm). `enabled` follows the participant's setting; turning it off drops what waits."""

    def __init__(self, play: Callable[[int, np.ndarray], None], enabled: bool = True):
        self.play = play
        self.enabled = enabled
        self.spoken = 0  # lines handed to `play` (tests and the state file)
        self._queue: asyncio.Queue[tuple[int, str, TtsVoice]] | None = None
        self._task: asyncio.Task | None = None
        self._missing_said = False

    def speak(self, avatar_id: int, text: str, voice: TtsVoice) -> bool:
        """Queue a line; False where it will not be read (turned off, no loop, no espeak-ng)."""
        if not self.enabled or not text.strip():
            return False
        if not available():
            if not self._missing_said:
                self._missing_said = True
                log.warning("espeak-ng is not installed: role-play lines are shown but not read aloud")
            return False
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        if self._queue is None or self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = loop.create_task(self._run(self._queue))
        self._queue.put_nowait((avatar_id, text, voice))
        return True

    async def _run(self, queue: asyncio.Queue[tuple[int, str, TtsVoice]]) -> None:
        while True:
            avatar_id, text, voice = await queue.get()
            if not self.enabled:
                continue
            try:
                pcm = await synthesise_async(text, voice)
            except (TimeoutError, OSError, RuntimeError, ValueError):
                log.debug("text-to-speech failed for avatar %s", avatar_id, exc_info=True)
                continue
            if self.enabled:
                self.play(avatar_id, pcm)
                self.spoken += 1
                # the next line waits until this one has been heard (lines never talk over each other)
                await asyncio.sleep(len(pcm) / RATE)

    def set_enabled(self, on: bool) -> None:
        self.enabled = bool(on)
        if not on and self._queue is not None:
            while not self._queue.empty():
                self._queue.get_nowait()

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._queue = None
