"""What relaying one voice frame costs the server: the Socket.IO relay (bytes passed on) vs an aiortc relay.

    pip install 'aiortc>=1.9,<2'   # in a separate environment: aiortc is not a peerspace dependency
    python bench/voice_transport.py

aiortc's media tracks deliver decoded audio, so a server relaying a speaker to a room with it decodes each
incoming Opus frame once and encodes it again for every outgoing stream (each RTCRtpSender has its own encoder),
plus SRTP on both sides. This times aiortc's own Opus decoder and encoder on a 20 ms frame of a speech-like
signal, the floor of that work per frame; the Socket.IO relay's whole cost per frame comes from bench/voice.py
(server CPU per active speaker / 50 frames a second). See docs/voice.md, "Transport".
"""

from __future__ import annotations

import sys
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    import numpy as np
    from aiortc.codecs import get_decoder, get_encoder
    from aiortc.rtcrtpparameters import RTCRtpCodecParameters
    from av import AudioFrame

    rate, frame = 48_000, 960
    t = np.arange(rate * 2) / rate
    voiced = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 12))
    pcm = (voiced * np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 0.5 * 5000).astype(np.int16)
    codec = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2)
    encoder, decoder = get_encoder(codec), get_decoder(codec)
    frames = []
    for i in range(0, len(pcm) - frame + 1, frame):
        f = AudioFrame.from_ndarray(pcm[i : i + frame].reshape(1, -1), format="s16", layout="mono")
        f.sample_rate, f.pts, f.time_base = rate, i, Fraction(1, rate)
        frames.append(f)
    packets = [encoder.encode(f)[0][0] for f in frames]  # warm up, and the packets to decode
    n = len(frames)
    t0 = time.process_time()
    for f in frames:
        encoder.encode(f)
    encode_ms = 1000 * (time.process_time() - t0) / n
    from aiortc.jitterbuffer import JitterFrame

    t0 = time.process_time()
    for i, p in enumerate(packets):
        decoder.decode(JitterFrame(data=p, timestamp=i * frame))
    decode_ms = 1000 * (time.process_time() - t0) / n
    print(f"aiortc Opus per 20 ms frame: decode {decode_ms:.3f} ms, encode {encode_ms:.3f} ms")
    for listeners in (1, 7, 11):
        per_frame = decode_ms + listeners * encode_ms
        share = per_frame * 50 / 10  # ms of CPU per 20 ms frame, 50 frames a second, as % of one core
        print(
            f"  relay to {listeners:>2} listener(s): {per_frame:.2f} ms a frame = {share:.1f} % of a core "
            "per speaker (codec work alone, before SRTP and the Python RTP stack)"
        )


if __name__ == "__main__":
    main()
