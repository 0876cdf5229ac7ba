"""Opus through opuslib and the system's libopus: 48 kHz mono int16, 20 ms frames (960 samples).

Speech at 24 kbit/s with in-band forward error correction: a lost frame is rebuilt from the next one's
FEC data when that has arrived, else concealed by Opus's packet-loss concealment (PLC).
"""

from __future__ import annotations

import numpy as np
import opuslib
import opuslib.api.ctl
import opuslib.api.encoder

RATE = 48_000
CHANNELS = 1
FRAME = 960  # samples in one 20 ms frame
FRAME_S = FRAME / RATE
BITRATE = 24_000
MAX_PACKET = 1275  # the largest Opus packet for one frame (RFC 6716)


def as_frame(pcm: np.ndarray) -> np.ndarray:
    """One frame of int16 mono: shorter input is padded with silence, longer cut."""
    pcm = np.asarray(pcm)
    if pcm.dtype != np.int16:
        pcm = np.clip(np.rint(pcm), -32768, 32767).astype(np.int16)
    if len(pcm) == FRAME:
        return pcm
    out = np.zeros(FRAME, np.int16)
    n = min(FRAME, len(pcm))
    out[:n] = pcm[:n]
    return out


class Encoder:
    def __init__(self, bitrate: int = BITRATE, expected_loss: int = 5):
        self._enc = opuslib.Encoder(RATE, CHANNELS, opuslib.APPLICATION_VOIP)
        self._enc.bitrate = bitrate
        # opuslib's `inband_fec` property setter is broken (it drops the value): call the ctl directly
        opuslib.api.encoder.encoder_ctl(self._enc.encoder_state, opuslib.api.ctl.set_inband_fec, 1)
        self._enc.packet_loss_perc = expected_loss  # FEC is only sent when the encoder expects some loss

    def encode(self, pcm: np.ndarray) -> bytes:
        data: bytes = self._enc.encode(as_frame(pcm).tobytes(), FRAME)
        return data


class Decoder:
    def __init__(self) -> None:
        self._dec = opuslib.Decoder(RATE, CHANNELS)

    def decode(self, data: bytes) -> np.ndarray:
        return self._pcm(self._dec.decode(data, FRAME))

    def decode_fec(self, next_data: bytes) -> np.ndarray:
        """The frame before `next_data`, rebuilt from the FEC data `next_data` carries (PLC if it has none)."""
        return self._pcm(self._dec.decode(next_data, FRAME, decode_fec=True))

    def conceal(self) -> np.ndarray:
        """A frame of packet-loss concealment: Opus continues the last sound and fades it out."""
        return self._pcm(self._dec.decode(b"", FRAME))

    def reset(self) -> None:
        self._dec.reset_state()

    @staticmethod
    def _pcm(raw: bytes) -> np.ndarray:
        return as_frame(np.frombuffer(raw, dtype=np.int16))
