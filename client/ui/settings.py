"""Participant settings (text size, reduced motion, camera distance, reading pace, language), kept in a small
JSON file."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from wire.scenario import PACES

from ..i18n import LANGUAGES, default_language
from ..theme import CONTRASTS, TEXT_SIZES

MACOS_SUPPORT = ("Library", "Application Support")  # i18n: not shown (macOS's folder names)


def default_path() -> Path:
    """The settings file: ~/.config/peerspace/client.json (XDG_CONFIG_HOME), %APPDATA%\\peerspace\\client.json on
    Windows, ~/Library/Application Support/peerspace/client.json on macOS (docs/deploy.md, "Installing the client")."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "peerspace" / "client.json"
    if sys.platform == "darwin":
        return Path.home().joinpath(*MACOS_SUPPORT, "peerspace", "client.json")
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "peerspace" / "client.json"


@dataclass
class Settings:
    text_size: str = "medium"  # one of theme.TEXT_SIZES
    reduced_motion: bool = False
    camera_distance: str = "normal"  # near | normal | far
    pace: str = "usual"  # how fast a practice scenario's lines come: one of wire.scenario.PACES
    contrast: str = "usual"  # one of theme.CONTRASTS
    language: str = "en"  # one of i18n.LANGUAGES; a first start takes the OS locale's when it is shipped
    server: str = ""  # the service's address, asked at the first start (client/ui/server_screen.py)
    voice_mode: str = "push"  # push: heard while V (or the Talk button) is held; activity: heard when you speak
    read_aloud: bool = True  # role-play lines of computer-run cast members are read aloud (text to speech)
    microphone: str = ""  # a device name (client/voice/devices.py list_devices); "" is the system's default
    speakers: str = ""

    @property
    def text_scale(self) -> float:
        return TEXT_SIZES.get(self.text_size, 1.0)

    @classmethod
    def load(cls, path: Path | None) -> Settings:
        s = cls()
        if path is None:
            return s
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError):
            s.text_size = FIRST_TEXT_SIZE  # a first start: larger text until the person chooses
            s.language = default_language()
            return s
        if data.get("text_size") in TEXT_SIZES:
            s.text_size = data["text_size"]
        if isinstance(data.get("reduced_motion"), bool):
            s.reduced_motion = data["reduced_motion"]
        if data.get("camera_distance") in CAMERA_DISTANCES:
            s.camera_distance = data["camera_distance"]
        if data.get("pace") in PACES:
            s.pace = data["pace"]
        if data.get("contrast") in CONTRASTS:
            s.contrast = data["contrast"]
        s.language = data["language"] if data.get("language") in LANGUAGES else default_language()
        if isinstance(data.get("server"), str):
            s.server = data["server"]
        if data.get("voice_mode") in VOICE_MODES:
            s.voice_mode = data["voice_mode"]
        if isinstance(data.get("read_aloud"), bool):
            s.read_aloud = data["read_aloud"]
        for device in ("microphone", "speakers"):
            if isinstance(data.get(device), str):
                setattr(s, device, data[device][:200])
        return s

    def save(self, path: Path | None) -> None:
        if path is None:
            return
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(json.dumps(asdict(self), indent=2))
        except OSError:
            pass  # settings still apply for this session


FIRST_TEXT_SIZE = "large"  # before a settings file exists (the login screen lets a person change it)
CAMERA_DISTANCES = {"near": 3.0, "normal": 4.4, "far": 6.5}
VOICE_MODES = ("push", "activity")
# the settings a panel steps through with Left/Right (the login screen and Settings both), and their choices in order
CHOICES = {
    "text_size": tuple(TEXT_SIZES),
    "contrast": CONTRASTS,
    "camera_distance": tuple(CAMERA_DISTANCES),
    "pace": PACES,
    "language": LANGUAGES,
    "reduced_motion": (False, True),
}


def step_setting(settings: Settings, key: str, step: int) -> None:
    """Move `settings.<key>` one choice on (or back, `step` -1), round the end."""
    choices = CHOICES[key]
    current = getattr(settings, key)
    index = choices.index(current) if current in choices else 0
    setattr(settings, key, choices[(index + step) % len(choices)])
