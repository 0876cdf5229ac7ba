"""Voice on this machine, without a window: text-to-speech of cast lines (espeak-ng), the voice transform a
peer specialist speaks through (pitch and formant, measured on the signal), and local speech recognition."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from client.voice import transform as vt
from client.voice import tts

RATE = 48_000


def harmonic(f0: float, seconds: float = 1.0, formant: float | None = None) -> np.ndarray:
    """A voiced sound: harmonics of f0, shaped by one resonance at `formant` Hz (else falling 1/k)."""
    t = np.arange(int(RATE * seconds)) / RATE
    x = np.zeros_like(t)
    for k in range(1, int(6000 / f0)):
        f = f0 * k
        gain = 1.0 / k if formant is None else 1.0 / (1.0 + ((f - formant) / 300.0) ** 2)
        x += gain * np.sin(2 * np.pi * f * t + 0.3 * k)
    return (x / np.abs(x).max() * 12000).astype(np.int16)


def stream(transform, pcm: np.ndarray) -> np.ndarray:
    """Through the transform 20 ms at a time, as the voice link hands it frames."""
    n = len(pcm) // vt.FRAME * vt.FRAME
    return np.concatenate([transform(pcm[i : i + vt.FRAME]) for i in range(0, n, vt.FRAME)])


def formant_hz(pcm: np.ndarray) -> float:
    """Where the energy of the voice band (300-3000 Hz) lies: the power-weighted mean frequency."""
    n = 16384
    power = np.abs(np.fft.rfft(pcm[:n].astype(np.float64) * np.hanning(n))) ** 2
    hz = np.arange(len(power)) * RATE / n
    band = (hz > 300) & (hz < 3000)
    return float((power[band] * hz[band]).sum() / power[band].sum())


@pytest.mark.parametrize("semitones", [4.0, -3.0, 7.0])
def test_the_transform_moves_the_pitch_by_the_semitones_asked(semitones):
    src = harmonic(150.0)
    out = stream(vt.VoiceTransform(pitch=semitones), src)
    steady = out[RATE // 4 : RATE // 4 + 9600]
    want = 150.0 * 2 ** (semitones / 12)
    assert vt.estimate_pitch(src[:9600]) == pytest.approx(150.0, rel=0.01)
    assert vt.estimate_pitch(steady) == pytest.approx(want, rel=0.02)
    # the level is kept: a character's voice is as loud as the specialist's own
    rms_in = np.sqrt(np.mean(src.astype(float) ** 2))
    rms_out = np.sqrt(np.mean(steady.astype(float) ** 2))
    assert 0.6 < rms_out / rms_in < 1.6


def test_the_formant_moves_with_the_ratio_and_the_pitch_stays():
    src = harmonic(125.0, formant=1000.0)
    lighter = stream(vt.VoiceTransform(formant=1.25), src)[RATE // 4 :]
    higher = stream(vt.VoiceTransform(pitch=4.0), src)[RATE // 4 :]
    assert formant_hz(src) == pytest.approx(1000.0, rel=0.05)
    # the formant moves up (most of the way: the envelope is an estimate) while the pitch stays
    assert formant_hz(lighter) / formant_hz(src) > 1.15
    assert vt.estimate_pitch(lighter[:9600]) == pytest.approx(125.0, rel=0.02)
    # and a pitch shift alone leaves the formant nearly where it was (no chipmunk)
    assert formant_hz(higher) / formant_hz(src) < 1.08


def test_the_transform_of_espeak_speech_raises_its_pitch_and_is_cheap_per_frame():
    speech = tts.synthesise("Hello there, how has your week been so far?", tts.TtsVoice("en+m3", 40, 150))
    transform = vt.VoiceTransform(pitch=5.0, formant=1.15)
    started = time.perf_counter()
    out = stream(transform, speech)
    per_frame_ms = (time.perf_counter() - started) * 1000 / (len(out) / vt.FRAME)

    def median_pitch(pcm: np.ndarray) -> float:
        frames = [pcm[i : i + 2400] for i in range(0, len(pcm) - 2400, 2400)]
        loud = [f for f in frames if np.sqrt(np.mean(f.astype(float) ** 2)) > 1500]
        return float(np.median([vt.estimate_pitch(f, lo=70, hi=400) for f in loud]))

    ratio = median_pitch(out) / median_pitch(speech)
    assert ratio == pytest.approx(2 ** (5 / 12), rel=0.08)
    # measured, not a performance bound: a 20 ms frame must cost far less than 20 ms to be usable live
    print(f"voice transform: {per_frame_ms:.3f} ms per 20 ms frame")
    assert per_frame_ms < 20


def test_neutral_settings_pass_frames_through_and_cast_voices_make_transforms():
    frame = harmonic(200.0)[: vt.FRAME]
    assert vt.VoiceTransform()(frame) is frame
    assert vt.from_cast({"voice": {"pitch": 0, "formant": 1.0}}) is None
    assert vt.from_cast({"kind": "partner"}) is None
    made = vt.from_cast({"voice": {"pitch": 30, "formant": 3.0}})
    assert made is not None and (made.pitch, made.formant) == (vt.PITCH_RANGE, vt.FORMANT_RANGE[1])


def test_tts_speaks_a_line_as_48k_audio_with_a_voice_per_role():
    partner = tts.voice_for("alex", {"kind": "partner"})
    coach = tts.voice_for("coach", {"kind": "coach"})
    assert partner != coach
    assert tts.voice_for("alex", {"kind": "partner"}) == partner  # the same role sounds the same every time
    lighter = tts.voice_for("alex", {"kind": "partner", "voice": {"pitch": 4, "formant": 1.2}})
    assert lighter.pitch > partner.pitch and lighter.name.endswith("f3")
    pcm = tts.synthesise("-v Hello, I am glad you came.", partner)  # a dash first is read, never an option
    assert pcm.dtype == np.int16
    assert 0.8 < len(pcm) / RATE < 6
    assert np.sqrt(np.mean(pcm.astype(float) ** 2)) > 500


def test_the_line_reader_plays_lines_in_order_and_stops_when_turned_off():
    played: list[tuple[int, int]] = []

    async def main() -> None:
        reader = tts.LineReader(lambda aid, pcm: played.append((aid, len(pcm))))
        assert reader.speak(7, "Hi.", tts.voice_for("a", {"kind": "partner"}))
        assert reader.speak(8, "Hello.", tts.voice_for("b", {"kind": "coach"}))
        for _ in range(200):
            if len(played) == 2:
                break
            await asyncio.sleep(0.02)
        reader.set_enabled(False)
        assert not reader.speak(7, "Not read.", tts.TtsVoice())
        reader.close()

    asyncio.run(main())
    assert [aid for aid, _ in played] == [7, 8]
    assert all(n > RATE // 4 for _, n in played)


def test_voice_settings_are_kept_and_bad_values_ignored(tmp_path):
    from client.ui.settings import Settings

    path = tmp_path / "client.json"
    s = Settings(voice_mode="activity", read_aloud=False, microphone="USB Headset", speakers="")
    s.save(path)
    back = Settings.load(path)
    assert (back.voice_mode, back.read_aloud, back.microphone, back.speakers) == ("activity", False, "USB Headset", "")
    path.write_text('{"voice_mode": "shout", "read_aloud": "yes", "microphone": 3}')
    back = Settings.load(path)
    assert (back.voice_mode, back.read_aloud, back.microphone) == ("push", True, "")


def test_without_libopus_the_client_runs_without_voice_and_says_so():
    """No libopus anywhere (no PyAV wheel, none on the system): the client must still open, join and show a room."""
    import subprocess
    import sys
    from pathlib import Path

    script = """
import sys
import ctypes
real_cdll = ctypes.CDLL
class NoOpus(real_cdll):  # as on a machine without libopus: loading it fails wherever it is looked for
    def __init__(self, name, *args, **kwargs):
        if name and "opus" in str(name):
            raise OSError(f"{name}: cannot open shared object file")
        super().__init__(name, *args, **kwargs)
ctypes.CDLL = NoOpus
from client.testing import FakeSession, sample_room, shared_app, frame
from client.ui import voice
assert voice.VOICE_MISSING
app = shared_app()
sample_room(app, {0: (0.0, -2.0, 0.0), 1: (-0.6, 0.2, 180.0)})
app.session = FakeSession()
app.voice.enter()
frame(app)
assert app.voice.link is None and app.voice.settings_items() == []
assert any("No microphone" in n for n in app.notices.texts), app.notices.texts
print("ok")
"""
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]
