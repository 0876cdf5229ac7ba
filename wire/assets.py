"""Where the project's assets/ folder is (palette, fonts): beside the sources, or, in the installed client, beside
its program.

In the client built by `build_apps` (tools/bundle.py) modules are frozen into the program and their `__file__` names
the build machine's folders, so the assets are looked up from the program's own path instead: `assets/` beside it
(Linux, Windows) or in the .app's Resources folder (macOS).
"""

from __future__ import annotations

import sys
from pathlib import Path

SOURCE_ASSETS = Path(__file__).resolve().parent.parent / "assets"
MARKER = "palette.json"  # every assets folder has it


def program_folders() -> list[Path]:
    """Where the installed client keeps its files: beside its program, or in a macOS .app's Resources folder
    (none when running from the sources)."""
    if not getattr(sys, "frozen", False):
        return []
    program = Path(sys.executable).resolve().parent
    return [program, program.parent / "Resources"]


def installed_or(relative: str, source: Path) -> Path:
    """The folder `relative` (e.g. "client/locale") of the installed client where it has one, else `source`."""
    for folder in program_folders():
        if (folder / relative).is_dir():
            return folder / relative
    return source


def candidates() -> list[Path]:
    """The folders that may be the assets folder, the likeliest first."""
    return [folder / "assets" for folder in program_folders()] + [SOURCE_ASSETS]


def assets_dir() -> Path:
    """The assets folder: the first candidate that holds the palette (the sources' folder when none does)."""
    for folder in candidates():
        if (folder / MARKER).is_file():
            return folder
    return SOURCE_ASSETS


ASSETS = assets_dir()
