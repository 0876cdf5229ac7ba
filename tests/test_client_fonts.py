"""Every script renders (#15 item 3), checked by pixels of the real client rendered offscreen.

A font without a glyph for a character draws its "missing glyph" box instead; every missing character
draws the same box. So each character of each sample is drawn alone, through the same label widget the
UI uses, and its picture must differ from the picture of a private-use character (U+E000, which no
font defines) and from an empty label.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from client import fonts
from client.testing import frame, shared_app
from client.ui.widgets import label

SAMPLES = {
    "latin": "Hello, café",
    "greek": "Καλημέρα",
    "cyrillic": "Привет, мир",
    "hebrew": "שלום",
    "arabic": "مرحبا",
}
CJK = "你好世界こんにちは안녕"
MISSING = "\ue000"


@pytest.fixture
def app():
    return shared_app()


def drawn(app, text: str) -> np.ndarray:
    """The middle of the window with `text` drawn large in its centre."""
    t = label(app.aspect2d, text, (0, -0.05), 0.3, color=(0.1, 0.1, 0.1, 1))
    try:
        img = frame(app)
    finally:
        t.destroy()
    h, w = img.shape[:2]
    return img[h // 2 - 70 : h // 2 + 70, w // 2 - 70 : w // 2 + 70]


def assert_every_glyph_drawn(app, text: str) -> None:
    box, blank = drawn(app, MISSING), drawn(app, "")
    assert np.abs(box - blank).mean() > 0.002, "the missing-glyph box itself should be visible"
    for ch in text:
        if ch.isspace() or ch in ",.":
            continue
        img = drawn(app, ch)
        assert np.abs(img - blank).mean() > 0.002, f"U+{ord(ch):04X} drew nothing"
        assert np.abs(img - box).mean() > 0.002, f"U+{ord(ch):04X} drew the missing-glyph box"


@pytest.mark.parametrize("script", list(SAMPLES))
def test_each_script_renders_without_boxes(app, script):
    assert_every_glyph_drawn(app, SAMPLES[script])


def test_the_bundled_font_is_every_texts_default(app):
    from direct.gui import DirectGuiGlobals as DGG
    from panda3d.core import TextNode

    assert fonts.FONTS.default is not None, "assets/fonts/DejaVuSans.ttf should load"
    assert TextNode.getDefaultFont() == fonts.FONTS.default
    assert DGG.getDefaultFont() == fonts.FONTS.default
    t = label(app.aspect2d, "Привет", (0, 0), 0.1)
    assert t.textNode.getFont() == fonts.FONTS.default
    t.destroy()


def test_cjk_renders_with_the_system_font_or_falls_back_as_documented(app):
    if fonts.find_cjk_font() is not None:  # CI installs fonts-wqy-zenhei (.ci/run)
        assert fonts.FONTS.cjk is not None, "a CJK font on this system should be the CJK fallback"
        t = label(app.aspect2d, "Hi 你好", (0, 0), 0.1)
        assert t.textNode.getFont() == fonts.FONTS.cjk
        t.setText("Hi again")  # the font follows the text
        assert t.textNode.getFont() == fonts.FONTS.default
        t.destroy()
        assert_every_glyph_drawn(app, CJK)
    else:
        # No CJK font on this system: the documented behaviour is the bundled font for all text.
        assert fonts.FONTS.cjk is None
        assert fonts.font_for(CJK) == fonts.FONTS.default


def test_without_a_cjk_font_the_fallback_picks_none_and_says_so(app, caplog, tmp_path):
    assert fonts.find_cjk_font([str(tmp_path / "no-such-font.ttc")], use_fontconfig=False) is None
    alone = fonts.Fonts()
    with caplog.at_level(logging.INFO, logger="peerspace.client"):
        alone.install(app.loader, cjk_paths=[], use_fontconfig=False)
    assert alone.cjk is None and alone.cjk_path is None
    assert alone.for_text(CJK) == alone.default
    assert any("no CJK font" in r.getMessage() for r in caplog.records)
    assert fonts.has_cjk(CJK) and not any(fonts.has_cjk(s) for s in SAMPLES.values())


def test_hebrew_runs_right_to_left_and_arabic_letters_join(app):
    from panda3d.core import TextNode

    # "אב" drawn right to left is "בא" drawn left to right
    rtl = drawn(app, "אב")
    t = label(app.aspect2d, "בא", (0, -0.05), 0.3, color=(0.1, 0.1, 0.1, 1))
    t.textNode.setDirection(TextNode.D_ltr)
    img = frame(app)
    t.destroy()
    h, w = img.shape[:2]
    ltr = img[h // 2 - 70 : h // 2 + 70, w // 2 - 70 : w // 2 + 70]
    assert np.abs(rtl - ltr).mean() < 0.002
    assert np.abs(rtl - drawn(app, "בא")).mean() > 0.002, "the two orders differ on screen"
    # joined Arabic letters take their narrower connected forms
    word = "مرحبا"
    node = TextNode("measure")
    fonts.apply(node, word)
    node.setText(word)
    joined = node.getWidth()
    alone = 0.0
    for ch in word:
        node.setText(ch)
        alone += node.getWidth()
    assert joined < alone * 0.9, (joined, alone)
