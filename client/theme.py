"""Colours and sizes, loaded from assets/palette.json (made by the project)."""

from __future__ import annotations

import json

from wire.assets import ASSETS  # beside the sources, or beside the installed client's program

__all__ = ["ASSETS"]

_DEFAULT = {
    "sky": [0.78, 0.86, 0.90],
    "ui_panel": [0.16, 0.2, 0.25, 0.78],
    "ui_text": [0.95, 0.95, 0.92, 1],
    "ui_accent": [0.55, 0.78, 0.72, 1],
    "ui_muted": [0.72, 0.76, 0.78, 1],
    "ui_notice": [0.3, 0.36, 0.46, 0.9],
    "ui_warn": [0.55, 0.42, 0.3, 0.92],
    "tag_person": [0.97, 0.96, 0.92, 0.85],
    "tag_cast": [0.86, 0.92, 0.98, 0.9],
    "tag_speaking": [0.78, 0.95, 0.80, 0.95],  # the name tag of whoever is heard now
    "tag_text": [0.18, 0.2, 0.24, 1],
    "bubble": [1, 0.99, 0.95, 0.95],
    "feature": [0.23, 0.19, 0.18],
    "sclera": [0.98, 0.97, 0.95],
    "iris": [0.28, 0.36, 0.4],
    "mouth_inside": [0.45, 0.2, 0.22],
    "blush": [0.93, 0.62, 0.6],
    "skin": [[0.96, 0.84, 0.72]],
    "shirt": [[0.55, 0.7, 0.8]],
    "trousers": [[0.3, 0.34, 0.42]],
    "hair": [[0.3, 0.22, 0.16]],
    "hair_styles": ["short"],
    "body_shapes": {"average": 1.0},
}


def _load() -> dict:
    pal = dict(_DEFAULT)
    try:
        data = json.loads((ASSETS / "palette.json").read_text())
        pal.update({k: v for k, v in data.items() if not k.startswith("_")})
    except (OSError, ValueError):
        pass
    return pal


PALETTE = _load()


def colour(name: str, alpha: float | None = None) -> tuple:
    c = tuple(PALETTE[name])
    if len(c) == 3:
        c = c + (1.0 if alpha is None else alpha,)
    elif alpha is not None:
        c = c[:3] + (alpha,)
    return c


def pick(name: str, index: int, among: int | None = None) -> tuple:
    """A stable choice from a list colour (e.g. shirt colour by avatar id), from its first `among` entries."""
    options = PALETTE[name][:among]
    c = options[index % len(options)]
    return tuple(c) + (1.0,)


def option(name: str, index: int) -> tuple:
    """The chosen entry of a list colour (a person's own appearance); the first one if out of range."""
    options = PALETTE[name]
    c = options[index] if 0 <= index < len(options) else options[0]
    return tuple(c) + (1.0,)


# UI text scale per setting name; 'medium' is the default.
TEXT_SIZES = {"small": 0.85, "medium": 1.0, "large": 1.25, "extra large": 1.5}  # i18n: not shown (size.<key>)


# Contrast, a setting (client/ui/settings.py): "high" makes panels opaque and dark and text brighter.
CONTRASTS = ("usual", "high")
_HIGH_CONTRAST = {
    "ui_panel": [0.03, 0.03, 0.05, 0.98],
    "ui_text": [1.0, 1.0, 1.0, 1.0],
    "ui_muted": [0.9, 0.92, 0.92, 1.0],
    "ui_accent": [0.55, 1.0, 0.88, 1.0],
    "ui_notice": [0.05, 0.08, 0.2, 0.98],
    "ui_warn": [0.45, 0.22, 0.05, 0.98],
}
_USUAL = {k: PALETTE[k] for k in _HIGH_CONTRAST}


def set_contrast(name: str) -> None:
    """Switch the UI colours; panels drawn afterwards use them (the app rebuilds its HUD)."""
    PALETTE.update(_HIGH_CONTRAST if name == "high" else _USUAL)
