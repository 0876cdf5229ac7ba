"""The client's fonts: one bundled face for every script it can carry, and a system CJK face as a fallback.

Panda's built-in font has ASCII only, so Cyrillic, Greek, Hebrew, Arabic and Chinese showed as boxes.
The bundled DejaVu Sans (assets/fonts/, Bitstream Vera licence) covers Latin, Greek, Cyrillic, Hebrew and
basic Arabic and becomes the default font of every TextNode and DirectGUI widget. CJK is far too big to
bundle: where the system has a CJK font (WenQuanYi, Noto CJK, Droid Sans Fallback) it is used for any text
that contains CJK characters (those fonts also carry Latin, so the whole line stays legible). Where the
system has none, CJK text keeps the bundled font and the client says once, in its log, which package to
install.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from panda3d.core import TextFont, TextNode

from .theme import ASSETS

log = logging.getLogger("peerspace.client")

BUNDLED = ASSETS / "fonts" / "DejaVuSans.ttf"
# Where Debian/Ubuntu/Fedora put the usual CJK fonts; looked at before asking fontconfig.
CJK_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/droid/DroidSansFallback.ttf",
)
# Glyphs per font unit in the glyph textures: crisp at large text sizes, still small in memory.
PIXELS_PER_UNIT = 48
# Unicode blocks drawn with the CJK font: CJK radicals to CJK unified ideographs (with kana and bopomofo),
# Hangul syllables, compatibility ideographs, full-width forms, and the supplementary ideograph planes.
CJK_RANGES = ((0x2E80, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))


def has_cjk(text: str) -> bool:
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in CJK_RANGES)


def find_cjk_font(paths: Iterable[str] = CJK_PATHS, use_fontconfig: bool = True) -> str | None:
    """The file of a CJK font on this system, or None where there is none."""
    for p in paths:
        if Path(p).is_file():
            return p
    fc_list = shutil.which("fc-list") if use_fontconfig else None
    if fc_list is None:
        return None
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=5, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.strip().rstrip(":") for line in out.splitlines() if line.strip())
    return files[0] if files else None


class Fonts:
    """The fonts of this process (one per ShowBase), set up by `install`."""

    def __init__(self) -> None:
        self.default: TextFont | None = None
        self.cjk: TextFont | None = None
        self.cjk_path: str | None = None

    def install(self, loader, cjk_paths: Iterable[str] = CJK_PATHS, use_fontconfig: bool = True) -> None:
        from direct.gui import DirectGuiGlobals as DGG

        self.default = self._load(loader, str(BUNDLED))
        if self.default is not None:
            TextNode.setDefaultFont(self.default)
            DGG.setDefaultFont(self.default)
        self.cjk_path = find_cjk_font(cjk_paths, use_fontconfig)
        self.cjk = self._load(loader, self.cjk_path) if self.cjk_path else None
        if self.cjk is None:
            log.info(
                "no CJK font on this system: Chinese, Japanese and Korean text may show as boxes "
                "(install fonts-wqy-zenhei or fonts-noto-cjk)"
            )

    @staticmethod
    def _load(loader, path: str) -> TextFont | None:
        try:
            font = loader.loadFont(path)
        except OSError:  # Panda raises IOError for a file it cannot read
            font = None
        if font is None or not font.isValid():
            log.warning("could not load the font %s", path)
            return None
        if font.getNumPages() == 0:  # the loader caches fonts; a used one keeps its glyph size
            font.setPixelsPerUnit(PIXELS_PER_UNIT)
        return font

    def for_text(self, text: str) -> TextFont | None:
        """The font to draw this text with: the CJK fallback where the text needs it and one exists."""
        if self.cjk is not None and has_cjk(text):
            return self.cjk
        return self.default


FONTS = Fonts()


def font_for(text: str) -> TextFont | None:
    return FONTS.for_text(text)


def apply(node: TextNode, text: str) -> None:
    """Set a TextNode's font for what it is about to show (before setText)."""
    font = FONTS.for_text(text)
    if font is not None:
        node.setFont(font)
