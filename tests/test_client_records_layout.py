"""The records screens at every text size and window shape: every text and button inside the panel, none
over another (bounds from the scene graph), without a server."""

from __future__ import annotations

import pytest

from client import theme
from client.testing import resize, shared_app
from client.ui import records as R
from tools.screen_pictures import PRACTICE, SESSIONS
from tools.screen_pictures import records_screens as screens


def boxes(app, screen):
    """(name, (x0, x1, z0, z1)) of every shown text and button on the screen, in aspect2d units."""
    out = []
    for np in screen.root.findAllMatches("**/+TextNode"):
        bounds = np.getTightBounds(app.aspect2d) if np.node().getText() and not np.isHidden() else None
        if bounds:
            lo, hi = bounds
            out.append((np.node().getText()[:30], (lo.x, hi.x, lo.z, hi.z)))
    for name, b in screen.buttons.items():
        # the button's frame, and its caption (which must fit on it)
        x0, x1, z0, z1 = b["frameSize"]
        at = b.getPos(app.aspect2d)
        frame = (at.x + x0, at.x + x1, at.z + z0, at.z + z1)
        out.append((f"button {name}", frame))
        text = b.component("text0")
        lo, hi = text.getTightBounds(text.getParent())
        assert x0 <= lo.x and hi.x <= x1, (name, b["text"], "caption wider than its button")
    return out


@pytest.mark.parametrize("size", [(960, 600), (1280, 720)])
def test_records_screens_keep_their_text_inside_and_apart(size):
    app = shared_app()
    resize(app, *size)
    try:
        for text_size, scale in theme.TEXT_SIZES.items():
            made = screens(app, scale)
            many = {**PRACTICE, "sessions": SESSIONS * 4}  # more than fit: the list stops above the key hints
            made["practice_many"] = R.PracticeScreen(app.aspect2d, scale, many, lambda *_: None, lambda: None)
            try:
                for name, screen in made.items():
                    for other in made.values():
                        other.root.hide()
                    screen.root.show()
                    found = boxes(app, screen)
                    for what, (x0, x1, z0, z1) in found:
                        assert -1.3 <= x0 and x1 <= 1.3 and -0.92 <= z0 and z1 <= 0.92, (text_size, name, what)
                    for i, (a, (ax0, ax1, az0, az1)) in enumerate(found):
                        for b, (bx0, bx1, bz0, bz1) in found[i + 1 :]:
                            apart = ax1 <= bx0 or bx1 <= ax0 or az1 <= bz0 or bz1 <= az0
                            assert apart, (size, text_size, name, a, b)
            finally:
                for screen in made.values():
                    screen.destroy()
    finally:
        resize(app, *app.opts.size)
