"""Opus encode and decode time per 20 ms frame: client/voice/codec.py, and for comparison opuslib (the system's
libopus; the codec before) and PyAV's own codec API (FFmpeg's libopus wrappers), where installed.

    python bench/voice_codec.py [--seconds 10]

Speech from espeak-ng (a tone without it), 48 kHz mono, 24 kbit/s. Figures: docs/voice.md, Codec.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from client.voice import FRAME, codec  # noqa: E402
from client.voice.devices import read_wav  # noqa: E402

TEXT = "Hello, it is nice to meet you. Shall we practise a conversation about asking for help at work?"


def speech(seconds: float) -> np.ndarray:
    if shutil.which("espeak-ng"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "s.wav"
            subprocess.run(["espeak-ng", "-w", str(path), TEXT], check=True, timeout=30)
            pcm = read_wav(path)
    else:
        t = np.arange(int(seconds * codec.RATE)) / codec.RATE
        pcm = (np.sin(2 * np.pi * 220 * t) * 8000).astype(np.int16)
    reps = int(np.ceil(seconds * codec.RATE / len(pcm)))
    return np.tile(pcm, reps)[: int(seconds * codec.RATE)]


def per_frame_us(fn: Callable[[np.ndarray], object], frames: list[np.ndarray]) -> float:
    started = time.perf_counter()
    for f in frames:
        fn(f)
    return (time.perf_counter() - started) / len(frames) * 1e6


def ours(frames: list[np.ndarray]) -> tuple[float, float]:
    enc, dec = codec.Encoder(), codec.Decoder()
    t_enc = per_frame_us(enc.encode, frames)
    packets = [codec.Encoder().encode(f) for f in frames]
    it = iter(packets)
    t_dec = per_frame_us(lambda _f: dec.decode(next(it)), frames)
    return t_enc, t_dec


def opuslib_times(frames: list[np.ndarray]) -> tuple[float, float]:
    import opuslib  # type: ignore[import-untyped]
    import opuslib.api.ctl  # type: ignore[import-untyped]
    import opuslib.api.encoder  # type: ignore[import-untyped]

    enc = opuslib.Encoder(codec.RATE, 1, opuslib.APPLICATION_VOIP)
    enc.bitrate = codec.BITRATE
    opuslib.api.encoder.encoder_ctl(enc.encoder_state, opuslib.api.ctl.set_inband_fec, 1)
    enc.packet_loss_perc = codec.EXPECTED_LOSS
    t_enc = per_frame_us(lambda f: enc.encode(f.tobytes(), FRAME), frames)
    dec = opuslib.Decoder(codec.RATE, 1)
    it = iter([enc.encode(f.tobytes(), FRAME) for f in frames])
    t_dec = per_frame_us(lambda _f: dec.decode(next(it), FRAME), frames)
    return t_enc, t_dec


def pyav_times(frames: list[np.ndarray]) -> tuple[float, float]:
    import av

    enc = av.CodecContext.create("libopus", "w")
    enc.sample_rate, enc.layout, enc.format = codec.RATE, "mono", "s16"
    enc.bit_rate = codec.BITRATE
    enc.options = {"application": "voip", "fec": "1", "packet_loss": str(codec.EXPECTED_LOSS), "frame_duration": "20"}
    packets: list[bytes] = []

    def encode(f: np.ndarray) -> None:
        frame = av.AudioFrame.from_ndarray(f.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = codec.RATE
        packets.extend(bytes(p) for p in enc.encode(frame))

    t_enc = per_frame_us(encode, frames)
    dec = av.CodecContext.create("libopus", "r")
    dec.sample_rate, dec.layout = codec.RATE, "mono"
    it = iter(packets)

    def decode(_f: np.ndarray) -> None:
        data = next(it, None)
        if data is not None:
            for out in dec.decode(av.Packet(data)):
                out.to_ndarray()

    t_dec = per_frame_us(decode, frames)
    return t_enc, t_dec


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=10.0)
    a = p.parse_args()
    pcm = speech(a.seconds)
    frames = [pcm[i * FRAME : (i + 1) * FRAME] for i in range(len(pcm) // FRAME)]
    print(f"{len(frames)} frames of 20 ms; {codec.VERSION} from {codec.LIBRARY}")
    for name, fn in (("codec.py (ctypes)", ours), ("opuslib", opuslib_times), ("PyAV CodecContext", pyav_times)):
        try:
            enc_us, dec_us = fn(frames)
        except ImportError as e:
            print(f"{name:20} not installed ({e})")
            continue
        print(f"{name:20} encode {enc_us:6.0f} us/frame   decode {dec_us:6.0f} us/frame")
    return 0


if __name__ == "__main__":
    sys.exit(main())
