"""Voice in the installed client (tools/bundle.py), without building it: the bundle puts libopus where the codec
looks, the Linux pattern finds the one libopus in PyAV's wheel, and the check's measure of "heard" tells the sentence
said from another one, also when a stalled frame loop stretched it. (`make bundle-check` builds and runs it.)"""

from __future__ import annotations

import fnmatch
import importlib.metadata

import numpy as np
import pytest

from client.voice import codec
from client.voice.devices import read_wav
from tools import bundle

SYS_PLATFORM = {bundle.LINUX: "linux", bundle.WINDOWS: "win32", bundle.MACOS: "darwin"}


def test_every_platform_bundles_libopus_under_the_name_the_codec_looks_for():
    for platform in bundle.PLATFORMS:
        targets = [target for wheel, _pattern, target in bundle.WHEEL_LIBRARIES[platform] if wheel == "av"]
        assert targets == [codec.BUNDLED_NAMES[SYS_PLATFORM[platform]]], platform
    # PortAudio comes from sounddevice's wheel where it carries it; Linux uses the system's libportaudio2
    assert [w for w, _p, _t in bundle.WHEEL_LIBRARIES[bundle.LINUX]] == ["av"]
    for platform in (bundle.WINDOWS, bundle.MACOS):
        assert ("sounddevice", "_sounddevice_data/") in [(w, t) for w, _p, t in bundle.WHEEL_LIBRARIES[platform]]
    assert {"av", "sounddevice", "cffi"} <= set(bundle.CLIENT_PACKAGES)
    # only libopus of PyAV travels: the rest of FFmpeg is ~100 MB
    assert "av" in bundle.BUILD_APPS["exclude_modules"]["*"]


def test_the_linux_pattern_finds_the_one_libopus_in_pyavs_wheel():
    files = [str(f) for f in importlib.metadata.files("av") or []]
    (_wheel, pattern, _target), *_ = bundle.WHEEL_LIBRARIES[bundle.LINUX]
    assert len([f for f in files if fnmatch.fnmatch(f, pattern)]) == 1, pattern


@pytest.fixture(scope="module")
def sentences(tmp_path_factory) -> tuple[np.ndarray, np.ndarray]:
    folder = tmp_path_factory.mktemp("bundle_voice")
    said = bundle.speech(bundle.CLIENT_SAYS, folder / "said.wav")
    other = bundle.speech(bundle.BOT_SAYS, folder / "other.wav")
    return said, other


def through_opus(pcm: np.ndarray) -> np.ndarray:
    enc, dec = codec.Encoder(), codec.Decoder()
    f = codec.FRAME
    return np.concatenate([dec.decode(enc.encode(pcm[i : i + f])) for i in range(0, len(pcm) - f + 1, f)])


def test_the_checks_heard_score_tells_the_sentence_from_another_even_when_stretched(sentences):
    said, other = sentences
    heard = through_opus(said)
    # a stalled loop: 300 ms of nothing in the middle, and the rest later, as a file-backed microphone gives it
    middle = len(said) // 2
    stalled = through_opus(np.concatenate([said[:middle], np.zeros(14_400, np.int16), said[middle:]]))
    assert bundle.heard_score(said, heard) > 0.9
    assert bundle.heard_score(said, stalled) > 0.85
    assert bundle.heard_score(other, heard) < 0.5 and bundle.heard_score(other, stalled) < 0.5
    assert bundle.heard_score(said, np.zeros(len(said), np.int16)) == 0.0  # silence is not speech


def test_speech_is_espeak_ng_at_the_codecs_rate(tmp_path):
    pcm = bundle.speech("hello", tmp_path / "hello.wav")
    assert pcm.dtype == np.int16 and 0.3 * codec.RATE < len(pcm) < 3 * codec.RATE
    assert np.array_equal(read_wav(tmp_path / "hello.wav"), pcm)
