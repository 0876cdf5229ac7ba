"""Audio devices: where the microphone's frames come from and where the mix goes.

`AudioSource.read()` gives the next 20 ms frame (960 int16 samples at 48 kHz, mono) or None when none is ready
yet; `AudioSink.write(frame)` takes one mixed frame. `SoundDevice` is a real microphone and speakers through
PortAudio (sounddevice); `FileSource` / `FileSink` are WAV-backed virtual devices for tests and for machines
without sound, so CI runs voice end to end.
"""

from __future__ import annotations

import queue
import threading
import wave
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .codec import FRAME, RATE, as_frame


class AudioSource(Protocol):
    def read(self) -> np.ndarray | None:
        """The next 20 ms frame of int16 mono at 48 kHz, or None if none is ready yet."""
        ...

    def close(self) -> None: ...


class AudioSink(Protocol):
    def write(self, frame: np.ndarray) -> None:
        """Play one 20 ms frame of int16 mono at 48 kHz."""
        ...

    def close(self) -> None: ...


def resample(pcm: np.ndarray, rate: int, to: int = RATE) -> np.ndarray:
    """Linear resampling: enough for speech going into a 24 kbit/s codec."""
    if rate == to or len(pcm) == 0:
        return pcm
    n = int(round(len(pcm) * to / rate))
    x = np.interp(np.arange(n) * (rate / to), np.arange(len(pcm)), pcm.astype(np.float64))
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)


def read_wav(path: str | Path) -> np.ndarray:
    """A WAV file as 48 kHz mono int16 (16-bit PCM of any rate; channels averaged)."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV files are supported")
        channels, rate = w.getnchannels(), w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    if channels > 1:
        pcm = pcm.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return resample(pcm, rate)


def write_wav(path: str | Path, pcm: np.ndarray, rate: int = RATE) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(pcm, dtype="<i2").tobytes())


class FileSource:
    """A microphone that says what a WAV file (or an array) holds, then stays silent.

    `feed(pcm)` queues more sound after what is left, so a test or an agent can speak several times.
    """

    def __init__(self, path: str | Path | None = None, pcm: np.ndarray | None = None):
        self._lock = threading.Lock()
        self._pcm = np.zeros(0, np.int16)
        self._pos = 0
        if path is not None:
            self.feed(read_wav(path))
        if pcm is not None:
            self.feed(pcm)

    def feed(self, pcm: np.ndarray) -> None:
        with self._lock:
            rest = self._pcm[self._pos :]
            self._pcm = np.concatenate([rest, np.asarray(pcm, dtype=np.int16)])
            self._pos = 0

    @property
    def done(self) -> bool:
        """True once everything fed has been read."""
        return self._pos >= len(self._pcm)

    def read(self) -> np.ndarray:
        with self._lock:
            chunk = self._pcm[self._pos : self._pos + FRAME]
            self._pos += len(chunk)
        return as_frame(chunk)

    def close(self) -> None:
        pass


class FileSink:
    """Speakers that keep everything played (`pcm()`), and write it to a WAV file on close if given one."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else None
        self._frames: list[np.ndarray] = []

    def write(self, frame: np.ndarray) -> None:
        self._frames.append(as_frame(frame).copy())

    def pcm(self) -> np.ndarray:
        return np.concatenate(self._frames) if self._frames else np.zeros(0, np.int16)

    def clear(self) -> None:
        self._frames.clear()

    def close(self) -> None:
        if self.path is not None:
            write_wav(self.path, self.pcm())


def _sd() -> Any:
    """sounddevice, imported on first use: it loads PortAudio, which a machine without sound may lack."""
    import sounddevice

    return sounddevice


def sound_library_problem() -> str:
    """'' when PortAudio can be loaded, else why not. Windows and macOS get it inside sounddevice's wheel (and the
    installed client); Linux needs the system's (libportaudio2). Without it voice is off: nothing is heard or sent."""
    try:
        _sd()
    except Exception as e:  # OSError: no PortAudio; ImportError: no sounddevice; anything else: a broken install
        return str(e) or type(e).__name__
    return ""


def list_devices() -> list[dict[str, Any]]:
    """The machine's audio devices: [{index, name, inputs, outputs, default_input, default_output}]."""
    try:
        sd = _sd()
        found = sd.query_devices()
        default_in, default_out = sd.default.device
    except (OSError, ImportError):  # no PortAudio library: no devices, the file devices still work
        return []
    return [
        {
            "index": i,
            "name": d["name"],
            "inputs": d["max_input_channels"],
            "outputs": d["max_output_channels"],
            "default_input": i == default_in,
            "default_output": i == default_out,
        }
        for i, d in enumerate(found)
    ]


def find_device(choice: int | str | None, kind: str) -> int | None:
    """A device index from a setting: an index, a (part of a) name, or None for the system default."""
    if choice is None or isinstance(choice, int):
        return choice
    want = "inputs" if kind == "input" else "outputs"
    for d in list_devices():
        if d[want] > 0 and choice.lower() in d["name"].lower():
            return int(d["index"])
    raise ValueError(f"No {kind} device called {choice!r}. Choose one from the list of devices.")


class SoundDevice:
    """A real microphone and/or speakers through PortAudio. Frames cross from PortAudio's thread in queues;
    a full queue drops the oldest (a slow reader hears the newest sound, not an ever longer delay)."""

    paced = True  # frames come on the device's clock: a reader drains what is ready each tick

    def __init__(
        self,
        input: int | str | None = None,
        output: int | str | None = None,
        *,
        capture: bool = True,
        playback: bool = True,
        max_frames: int = 10,
    ):
        sd = _sd()
        self._in: queue.Queue[np.ndarray] = queue.Queue(max_frames)
        self._out: queue.Queue[np.ndarray] = queue.Queue(max_frames)
        self._streams: list[Any] = []
        if capture:
            stream = sd.InputStream(
                samplerate=RATE,
                channels=1,
                dtype="int16",
                blocksize=FRAME,
                device=find_device(input, "input"),
                callback=self._captured,
            )
            self._streams.append(stream)
        if playback:
            stream = sd.OutputStream(
                samplerate=RATE,
                channels=1,
                dtype="int16",
                blocksize=FRAME,
                device=find_device(output, "output"),
                callback=self._playing,
            )
            self._streams.append(stream)
        for s in self._streams:
            s.start()

    @staticmethod
    def _put(q: queue.Queue[np.ndarray], frame: np.ndarray) -> None:
        while True:
            try:
                q.put_nowait(frame)
                return
            except queue.Full:
                try:
                    q.get_nowait()
                except queue.Empty:
                    pass

    def _captured(self, indata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        self._put(self._in, as_frame(indata[:, 0].copy()))

    def _playing(self, outdata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        try:
            frame = self._out.get_nowait()
        except queue.Empty:
            frame = np.zeros(frames, np.int16)
        outdata[:, 0] = frame[:frames] if len(frame) >= frames else np.pad(frame, (0, frames - len(frame)))

    def read(self) -> np.ndarray | None:
        try:
            return self._in.get_nowait()
        except queue.Empty:
            return None

    def write(self, frame: np.ndarray) -> None:
        self._put(self._out, as_frame(frame))

    def close(self) -> None:
        for s in self._streams:
            s.stop()
            s.close()
        self._streams.clear()
