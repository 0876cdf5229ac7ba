"""A peer specialist's voice, transformed to fit the character they voice: pitch and formant shift.

Streaming, per 20 ms frame (960 samples at 48 kHz), numpy only. Each frame is cut into two hops of a
short-time Fourier transform (window 1920 samples, 75 % overlap). In each hop:
  - the spectral envelope (the formants: what makes a voice sound like a bigger or smaller person) is
    taken out by cepstral smoothing of the log magnitude;
  - what remains (the harmonics, i.e. the pitch) is moved up or down by `2**(pitch/12)` with a phase
    vocoder (each bin's true frequency from its phase advance, its phase then accumulated at the new
    frequency, so the harmonics stay coherent from hop to hop);
  - the envelope is put back, stretched by `formant` (above 1: a shorter vocal tract, a lighter voice).
The output lags the input by one window less one hop (30 ms), once. `VoiceTransform(...)` is the
callable the voice link applies to every captured frame before it is encoded.
"""

from __future__ import annotations

import math

import numpy as np

RATE = 48_000
FRAME = 960  # 20 ms at 48 kHz: what the voice link hands over each time
WINDOW = 1920
HOP = WINDOW // 4
LIFTER = 60  # cepstral coefficients kept for the envelope: formants yes, single harmonics no
PEAK_SPAN = 4  # bins (25 Hz each) either side: the envelope rides on the harmonics of a voice above 100 Hz
PITCH_RANGE = 12.0  # semitones either way
FORMANT_RANGE = (0.7, 1.4)


def clamp_voice(pitch: float, formant: float) -> tuple[float, float]:
    """A scenario's or the console's values, held to what still sounds like a person."""
    return (
        float(min(PITCH_RANGE, max(-PITCH_RANGE, pitch))),
        float(min(FORMANT_RANGE[1], max(FORMANT_RANGE[0], formant))),
    )


class VoiceTransform:
    """Pitch shift by `pitch` semitones and formant shift by `formant` (a ratio), frame by frame.

    Call it with each int16 (or float) frame of any length that is a multiple of HOP (the voice link's
    960); it returns a frame of the same length and dtype. Neutral settings pass frames through
    untouched (no delay, no cost)."""

    def __init__(self, pitch: float = 0.0, formant: float = 1.0):
        self.pitch, self.formant = clamp_voice(pitch, formant)
        self.ratio = 2.0 ** (self.pitch / 12.0)
        n = WINDOW
        self._win = np.hanning(n + 1)[:n].astype(np.float64)
        # hann analysis and synthesis at 75 % overlap add up to 1.5: scale so the sum is 1
        self._norm = 1.0 / 1.5
        self._bins = n // 2 + 1
        self._expected = 2 * np.pi * HOP * np.arange(self._bins) / n  # phase advance per hop of each bin
        self._in = np.zeros(n)
        self._out = np.zeros(n)
        self._last_phase = np.zeros(self._bins)
        self._sum_phase = np.zeros(self._bins)
        lifter = np.zeros(n)
        lifter[:LIFTER] = 1.0
        lifter[n - LIFTER + 1 :] = 1.0
        self._lifter = lifter
        k = np.arange(self._bins, dtype=np.float64)
        # where each output bin's envelope is read from: bin k / formant
        self._env_src = k / self.formant
        self._k = k

    @property
    def neutral(self) -> bool:
        return abs(self.pitch) < 1e-3 and abs(self.formant - 1.0) < 1e-3

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        if self.neutral:
            return frame
        dtype = frame.dtype
        x = frame.astype(np.float64)
        if dtype == np.int16:
            x = x / 32768.0
        out = np.empty_like(x)
        for i in range(0, len(x), HOP):
            out[i : i + HOP] = self._hop(x[i : i + HOP])
        if dtype == np.int16:
            return np.clip(np.round(out * 32768.0), -32768, 32767).astype(np.int16)
        return out.astype(dtype)

    def _hop(self, hop: np.ndarray) -> np.ndarray:
        n = WINDOW
        self._in = np.concatenate([self._in[len(hop) :], hop])
        spec = np.fft.rfft(self._in * self._win)
        mag = np.abs(spec)
        phase = np.angle(spec)
        # each bin's true frequency (in bins) from how far its phase moved since the last hop
        delta = phase - self._last_phase - self._expected
        self._last_phase = phase
        delta = (delta + np.pi) % (2 * np.pi) - np.pi
        freq = self._k + delta * n / (2 * np.pi * HOP)
        # the envelope: a line over the harmonics' peaks (a running maximum as wide as a low voice's
        # harmonic spacing), smoothed by its cepstrum; the excitation is what is left
        log_mag = np.log(mag + 1e-9)
        padded = np.pad(log_mag, PEAK_SPAN, mode="edge")
        peaks = np.lib.stride_tricks.sliding_window_view(padded, 2 * PEAK_SPAN + 1).max(axis=1)
        cep = np.fft.irfft(peaks, n)
        env_log = np.fft.rfft(cep * self._lifter).real
        excitation = mag / np.exp(env_log)
        # move the harmonics: source bin k lands on round(k * ratio), at its frequency times the ratio
        target = np.round(self._k * self.ratio).astype(np.int64)
        keep = target < self._bins
        new_exc = np.zeros(self._bins)
        new_freq = np.zeros(self._bins)
        np.add.at(new_exc, target[keep], excitation[keep])
        new_freq[target[keep]] = freq[keep] * self.ratio
        # the envelope, stretched along frequency by the formant ratio
        env = np.exp(np.interp(self._env_src, self._k, env_log, right=env_log[-1] - 10.0))
        new_mag = new_exc * env
        self._sum_phase = self._sum_phase + 2 * np.pi * HOP * new_freq / n
        self._sum_phase = (self._sum_phase + np.pi) % (2 * np.pi) - np.pi
        y = np.fft.irfft(new_mag * np.exp(1j * self._sum_phase), n) * self._win * self._norm
        self._out += y
        done = self._out[: len(hop)].copy()
        self._out = np.concatenate([self._out[len(hop) :], np.zeros(len(hop))])
        return done


def from_cast(cast: dict | None) -> VoiceTransform | None:
    """The transform a cast role's `voice` asks for ({pitch: semitones, formant: ratio}); None for none."""
    spec = (cast or {}).get("voice")
    if not isinstance(spec, dict):
        return None
    try:
        vt = VoiceTransform(float(spec.get("pitch", 0.0) or 0.0), float(spec.get("formant", 1.0) or 1.0))
    except (TypeError, ValueError):
        return None
    return None if vt.neutral else vt


def estimate_pitch(pcm: np.ndarray, rate: int = RATE, lo: float = 60.0, hi: float = 500.0) -> float:
    """The fundamental frequency (Hz) of a voiced stretch, by autocorrelation (tests, the console's meter)."""
    x = pcm.astype(np.float64)
    x = x - x.mean()
    if not np.any(x):
        return 0.0
    n = 1 << math.ceil(math.log2(2 * len(x)))
    spec = np.fft.rfft(x, n)
    ac = np.fft.irfft(spec * np.conj(spec), n)[: len(x)]
    a, b = int(rate / hi), int(rate / lo)
    lag = a + int(np.argmax(ac[a:b]))
    if 0 < lag < len(ac) - 1:  # parabolic interpolation around the peak
        y0, y1, y2 = ac[lag - 1], ac[lag], ac[lag + 1]
        den = y0 - 2 * y1 + y2
        shift = 0.5 * (y0 - y2) / den if den else 0.0
        return float(rate / (lag + shift))
    return float(rate / lag)
