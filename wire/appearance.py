"""A person's own avatar: what they may choose, from the palette in assets/palette.json.

The client's chooser and the server's check read the same file, so a choice the chooser offers is one
the server accepts. Colours are chosen by index into the palette's lists (skin, hair, shirt, trousers),
hair style and body shape by name. Stored choices are indices, so the palette's lists only ever grow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .assets import ASSETS
from .messages import Field, define

PALETTE_PATH = ASSETS / "palette.json"

# --- client -> server ------------------------------------------------------------
APPEARANCE = "appearance"  # set your own avatar's look (kept on your account)

# Each field of an appearance and the palette entry it chooses from.
SOURCES = {
    "skin": "skin",
    "hair": "hair_styles",
    "hair_colour": "hair",
    "top": "shirt",
    "bottom": "trousers",
    "body": "body_shapes",
}
FIELDS = tuple(SOURCES)


# Where the palette file is not there (wire/ installed on its own, e.g. for a remote agent), one choice of
# each, so importing the contract never fails; a server runs from the project, palette included.
_MINIMAL: dict[str, Any] = {
    "skin": [[0.96, 0.84, 0.72]],
    "hair": [[0.30, 0.22, 0.16]],
    "shirt": [[0.55, 0.70, 0.80]],
    "trousers": [[0.30, 0.34, 0.42]],
    "hair_styles": ["short"],
    "body_shapes": {"average": 1.0},
}


def load_palette(path: Path = PALETTE_PATH) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return dict(_MINIMAL)
    return data


PALETTE = load_palette()


def choices(palette: dict[str, Any] = PALETTE) -> dict[str, tuple[Any, ...]]:
    """For each field, what may be chosen: indices for colours, names for styles and shapes."""
    out: dict[str, tuple[Any, ...]] = {}
    for name, source in SOURCES.items():
        options = palette[source]
        out[name] = tuple(options) if isinstance(options, dict) or name == "hair" else tuple(range(len(options)))
    return out


def decode(stored: str | None) -> dict[str, Any] | None:
    """An appearance as kept in the store (JSON text), or None; one that no longer fits the palette is None."""
    if not stored:
        return None
    try:
        value = json.loads(stored)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    c = choices()
    if set(value) != set(FIELDS) or any(value[k] not in c[k] for k in FIELDS):
        return None
    return value


def _field(options: tuple[Any, ...]) -> Field:
    if options and isinstance(options[0], int):
        return Field(int, lo=0, hi=len(options) - 1)
    return Field(str, choices=options)


define(APPEARANCE, **{name: _field(options) for name, options in choices().items()})
