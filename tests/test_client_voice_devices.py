"""Without PortAudio (a Linux machine without libportaudio2) the client still runs: voice is off, the room works,
and both the notice and the Voice and sound panel say what is missing and how to get it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import ctypes.util
find = ctypes.util.find_library
ctypes.util.find_library = lambda name: None if "portaudio" in name else find(name)  # as without libportaudio2
from client.testing import FakeSession, sample_room, shared_app, frame
from client.ui import voice
from client.voice import devices
assert not voice.VOICE_MISSING  # Opus is there: only the sound library is missing
assert "PortAudio" in devices.sound_library_problem() and devices.list_devices() == []
app = shared_app()
sample_room(app, {0: (0.0, -2.0, 0.0), 1: (-0.6, 0.2, 180.0)})
app.session = FakeSession()
app.offscreen = False  # as a person's client: it opens the sound devices the settings choose
app.voice.enter()
frame(app)
assert type(app.voice.sink).__name__ == "NullSink"  # nothing to play into (and the microphone says nothing)
assert any("no PortAudio sound library" in n and "libportaudio2" in n for n in app.notices.texts), app.notices.texts
app.voice.open_settings()
rows = {name: value() for name, (value, _change) in app.settings_panel.adjust.items()}
assert rows.get("Microphone and speakers") == "off: PortAudio is missing (on Linux, install libportaudio2)", rows
assert "Microphone" not in rows and "Speakers" not in rows, rows
print("ok")
"""


def test_without_portaudio_voice_is_off_and_the_panel_says_why():
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]
