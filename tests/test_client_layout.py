"""Every screen (tools/screen_pictures.py SCREENS) at 960x600, 1280x720 and 1920x1080, at every text size and in
every language the client knows: no two texts overlap and none is cut off by the window or by a panel's edge.

Bounds come from the scene graph, not from pixels: each shown TextNode's tight bounds (a button's caption
through its PGItem's current state) mapped to window pixels; name tags and bubbles in the 3D room are projected
through the camera's lens. Draw order is the 2D scene graph's order (Panda draws render2d in traversal order),
so a panel drawn after a text covers it. The rules, per text:

- inside the window;
- not overlapping any other text (a 1-pixel touch is allowed: glyph boxes of neighbouring rows may meet);
- the last panel drawn beneath it contains it whole (it does not hang over a panel's edge);
- a panel drawn after it either covers it whole (a dialog over the room: the text is hidden, fine) or does not
  touch it, except dialogs and full screens (app.popups, aspect2d's own children), which may cover part of what
  is under them. The 3D room is behind every panel: a name tag under a panel is hidden by it;
- tall enough to read: a line of it (the font's line height times the text's scale in the scene graph, in window
  pixels) is at least MIN_LINE_PX at "medium" and larger text sizes, and MIN_LINE_PX times the text size at
  "small" (the person asked for smaller text). 10 px a line is about a 8.5 px font: at 960x600 and "medium" the
  screens' rows of text measure 11.9-14.4 px a line and their key hints 10.8-13.1 px (the coach console's were
  5.9 px and 6.7 px before it was laid out from its region). Name tags in the 3D room are not measured: they
  grow as a person walks up.
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass

import pytest
from panda3d.core import PGItem, Point3, TextNode, Vec3

from client import i18n, theme
from client.testing import shared_app
from tools.screen_pictures import SCREENS, resize_to, show

SIZES = [(960, 600), (1280, 720), (1920, 1080)]
TOUCH = 1.0  # pixels two boxes may share (rounding of glyph bounds)
MIN_LINE_PX = 10.0  # the least height of a line of text, in window pixels (at "medium"; see above)
VISIBLE_PANEL = 0.3  # a frame this opaque (alpha) hides what is under it and holds what is on it


@dataclass
class Box:
    what: str
    left: float
    right: float
    top: float  # pixels, y down
    bottom: float
    order: int  # draw order; -1: the 3D room, under everything
    modal: bool = False  # a panel of a dialog or full screen
    group: int = 0  # the top-level panel (dialog, HUD part) it belongs to
    line: float = 0.0  # a text's line height in pixels (0: not measured)

    def overlap(self, other: Box) -> bool:
        return (
            min(self.right, other.right) - max(self.left, other.left) > TOUCH
            and min(self.bottom, other.bottom) - max(self.top, other.top) > TOUCH
        )

    def contains(self, other: Box, slack: float = TOUCH) -> bool:
        return (
            self.left - slack <= other.left
            and other.right <= self.right + slack
            and self.top - slack <= other.top
            and other.bottom <= self.bottom + slack
        )


def where(np) -> str:
    """A panel's place, by the names of the nodes above it ("a2dBottomRight/team")."""
    names = []
    while not np.getParent().isEmpty() and len(names) < 3:
        np = np.getParent()
        if not np.getName().startswith(("Direct", "render2d", "aspect2d")):
            names.insert(0, np.getName())
    return "/".join(names) or "aspect2d"


def min_line_px(text_size: str) -> float:
    """The least line height a text may have at this text size."""
    return MIN_LINE_PX * min(1.0, theme.TEXT_SIZES[text_size])


def languages() -> list[str]:
    """Every language the client ships (client/i18n.py)."""
    return list(i18n.LANGUAGES)


# A pseudo-language: English with every word of four letters or more about 30 % longer ("Settings" ->
# "SettingsSe"), as Spanish or German often are; placeholders stay as they are. Laid out at the narrowest
# window, it shows the screens leave slack (wrap, measure, shrink a key line) instead of fitting English widths.
LONGER = "en-longer"


def longer(text: str) -> str:
    def grow(m: re.Match) -> str:
        word = m.group(0)
        return word + word[: max(1, len(word) * 3 // 10)]

    return "".join(p if p.startswith("{") else re.sub(r"[^\W\d_]{4,}", grow, p) for p in re.split(r"(\{[^}]*\})", text))


class Longer(gettext.NullTranslations):
    """The English catalog with every word made longer (`longer`)."""

    def gettext(self, message: str) -> str:
        return longer(i18n.catalog(i18n.SOURCE).gettext(message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return longer(i18n.catalog(i18n.SOURCE).ngettext(singular, plural, n))


def use_language(language: str) -> None:
    """Everything drawn from now on is in `language`: the screens (tools/screen_pictures.py show) keep the
    language set now, through the settings they apply."""
    if language == LONGER:
        # not a shipped language, so set_language would refuse it: listed as one while the test runs
        i18n._cache.setdefault(LONGER, Longer())
        if LONGER not in i18n.LANGUAGES:
            i18n.LANGUAGES = (*i18n.LANGUAGES, LONGER)
    i18n.set_language(language)


def back_to_english() -> None:
    i18n.LANGUAGES = tuple(code for code in i18n.LANGUAGES if code != LONGER)
    i18n.set_language("en")


CASES = [(size, language) for language in languages() for size in SIZES] + [(SIZES[0], LONGER)]


class Scene:
    """The texts and panels shown now, in window pixels and draw order."""

    def __init__(self, app, min_line: float = 0.0):
        self.app = app
        self.min_line = min_line  # pixels; 0: text height not checked
        self.w, self.h = app.win.getXSize(), app.win.getYSize()
        self.texts: list[Box] = []
        self.panels: list[Box] = []
        self._order = 0
        self._group = 0
        self._groups = {app.popups.node(), app.aspect2d.node()} | {
            n.node() for n in app.aspect2d.getChildren() if n.getName().startswith("a2d")
        }
        # dialogs (app.popups) and full screens (aspect2d's own children, but the HUD's corners and the portrait)
        self._modal_roots = {app.popups.node()} | {
            c.node() for c in app.aspect2d.getChildren() if not c.getName().startswith(("a2d", "portrait-frame"))
        }
        self._world_texts()
        self._walk(app.render2d, modal=False)

    def pixel_box(self, np, lo, hi, what: str, modal: bool) -> Box:
        """A box given in `np`'s coordinates (x right, z up) -> window pixels."""
        mat = np.getMat(self.app.render2d)
        a, b = mat.xformPoint(Point3(lo.x, 0, lo.z)), mat.xformPoint(Point3(hi.x, 0, hi.z))
        xs = sorted(((a.x + 1) / 2 * self.w, (b.x + 1) / 2 * self.w))
        ys = sorted(((1 - a.z) / 2 * self.h, (1 - b.z) / 2 * self.h))
        return Box(what, xs[0], xs[1], ys[0], ys[1], self._next(), modal, self._group)

    def _next(self) -> int:
        self._order += 1
        return self._order

    def _walk(self, np, modal: bool) -> None:
        for child in np.getChildren():
            if child.node().isOverallHidden() or child.isHidden():
                continue
            node = child.node()
            if np.node() in self._groups:
                self._group += 1  # a child of a corner, of popups or of aspect2d: one panel and what is on it
            here = modal or node in self._modal_roots
            if isinstance(node, TextNode) and node.getText().strip():
                self._text(child, node.getText(), here)
            if isinstance(node, PGItem) and node.hasFrame():
                self._panel(child, node, here)
                state = node.getStateDef(node.getState())
                self._walk_state(child, state, here)
            self._walk(child, here)

    def _walk_state(self, item, state, modal: bool) -> None:
        """What a PGItem draws for its current state (a button's caption), placed by the item's transform."""
        for np in state.findAllMatches("**/+TextNode"):
            if np.node().getText().strip() and not np.isHidden():
                bounds = np.getTightBounds(state)
                if bounds:
                    box = self.pixel_box(item, *bounds, f"caption {np.node().getText()[:40]!r}", modal)
                    box.line = self.line_px(np.node(), np.getMat(state) * item.getMat(self.app.render2d))
                    self.texts.append(box)

    def _text(self, np, text: str, modal: bool) -> None:
        bounds = np.getTightBounds(self.app.render2d)
        if not bounds:
            return
        lo, hi = bounds
        box = self.pixel_box(self.app.render2d, lo, hi, repr(text[:40]), modal)
        box.line = self.line_px(np.node(), np.getMat(self.app.render2d))
        self.texts.append(box)

    def line_px(self, node: TextNode, mat) -> float:
        """A line of this text in window pixels: the font's line height through the node's own transform
        (OnscreenText keeps its scale there) and the scene graph's, up to render2d."""
        whole = node.getTransform() * mat
        return node.getLineHeight() * whole.xformVec(Vec3(0, 0, 1)).length() * self.h / 2

    def _panel(self, np, node: PGItem, modal: bool) -> None:
        style = node.getFrameStyle(node.getState())
        if style.getType() == style.TNone or style.getColor()[3] < VISIBLE_PANEL:
            return
        f = node.getFrame()
        lo, hi = Point3(f[0], 0, f[2]), Point3(f[1], 0, f[3])
        self.panels.append(self.pixel_box(np, lo, hi, f"the panel of {where(np)}", modal))

    def _world_texts(self) -> None:
        """Name tags and bubbles in the room: billboards facing the camera, projected through its lens."""
        app = self.app
        cam, lens = app.cam, app.camLens
        for np in app.render.findAllMatches("**/+TextNode"):
            if np.isHidden() or not np.node().getText().strip():
                continue
            bounds = np.getTightBounds(np)
            if not bounds:
                continue
            lo, hi = bounds
            origin = cam.getRelativePoint(np.getParent(), np.getPos())
            scale = np.getSx(app.render)
            xs, ys = [], []
            for x in (lo.x, hi.x):
                for z in (lo.z, hi.z):
                    p = Point3(origin.x + x * scale, origin.y, origin.z + z * scale)
                    film = Point3()
                    if p.y <= lens.getNear() or not lens.project(p, film):
                        break
                    xs.append((film.x + 1) / 2 * self.w)
                    ys.append((1 - film.y) / 2 * self.h)
            if len(xs) == 4:
                self.texts.append(Box(f"tag {np.node().getText()[:30]!r}", min(xs), max(xs), min(ys), max(ys), -1))

    def problems(self) -> list[str]:
        out = []
        shown: list[Box] = []
        window = Box("window", 0, self.w, 0, self.h, 0)
        for t in self.texts:
            later = [p for p in self.panels if p.order > t.order and p.overlap(t)]
            if any(p.contains(t, 0) for p in later) or (t.order < 0 and later):
                continue  # under a panel: hidden (the room is behind every panel)
            covering = [p for p in later if not p.modal or p.group == t.group]
            if covering:
                out.append(f"{t.what} is partly under {covering[0].what}")
            if any(p.modal and p.group != t.group for p in later):
                continue  # partly under a dialog: what shows of it is not in the way of the dialog's texts
            below = [p for p in self.panels if p.order < t.order and p.overlap(t)]
            if t.order >= 0 and not window.contains(t, 0.5):
                out.append(
                    f"{t.what} is cut off by the window {t.left:.0f}..{t.right:.0f} x {t.top:.0f}..{t.bottom:.0f}"
                )
            if below and not below[-1].contains(t):
                p = below[-1]
                out.append(
                    f"{t.what} hangs over the edge of {p.what} "
                    f"({t.left:.0f}..{t.right:.0f} x {t.top:.0f}..{t.bottom:.0f} on {p.left:.0f}..{p.right:.0f} x "
                    f"{p.top:.0f}..{p.bottom:.0f})"
                )
            if self.min_line and 0 < t.line < self.min_line - 0.05:
                out.append(f"{t.what} is {t.line:.1f} px a line, under {self.min_line:.1f} px")
            shown.append(t)
        for i, a in enumerate(shown):
            for b in shown[i + 1 :]:
                if a.overlap(b):
                    out.append(f"{a.what} overlaps {b.what}")
        return out


# --- the checker itself: it finds a real overlap ------------------------------------------------------------------


def test_the_checker_finds_overlapping_cut_off_overhanging_and_too_small_text():
    from client.ui.widgets import label, panel

    app = shared_app()
    before = app.opts.size
    resize_to(app, 960, 600)
    root = app.aspect2d.attachNewNode("checker-test")
    try:
        label(root, "Two texts", (0.0, 0.0), 0.06)
        label(root, "in one place", (0.1, 0.0), 0.06)
        assert any("overlaps" in p for p in Scene(app).problems())
        root.getChildren().detach()
        label(root, "Off the right edge of the window", (1.5, 0.5), 0.06)
        assert any("cut off by the window" in p for p in Scene(app).problems())
        root.getChildren().detach()
        panel(root, (-0.5, 0.5, -0.2, 0.2))
        label(root, "Wider than the panel it is written on", (-0.45, 0.0), 0.06)
        assert any("hangs over the edge" in p for p in Scene(app).problems())
        root.getChildren().detach()
        panel(root, (-0.5, 0.5, -0.2, 0.2))
        label(root, "Fits on its panel", (-0.45, 0.0), 0.06)
        label(root, "and apart", (-0.45, -0.1), 0.06)
        assert Scene(app, MIN_LINE_PX).problems() == []
        root.getChildren().detach()
        label(root, "Too small to read", (0.0, 0.0), 0.025)  # 0.025 * 1.16 * 300 px = 8.7 px a line
        assert any("px a line, under 10.0 px" in p for p in Scene(app, MIN_LINE_PX).problems())
    finally:
        root.removeNode()
        resize_to(app, *before)


# --- every screen -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "language"), CASES, ids=[f"{w}x{h}-{lang}" for (w, h), lang in CASES])
def test_every_screen_keeps_its_texts_apart_and_inside(size, language):
    app = shared_app()
    before = app.opts.size
    resize_to(app, *size)
    use_language(language)
    app.win.setActive(False)  # layout only: the bounds come from the scene graph, no frame need be drawn
    found = []
    try:
        for text_size in theme.TEXT_SIZES:
            for screen in SCREENS:
                show(app, screen, text_size, frames=2)
                assert i18n.language() == language, f"{screen.name} was drawn in {i18n.language()}"
                scene = Scene(app, min_line_px(text_size))
                found += [f"{screen.name} at {text_size}: {p}" for p in scene.problems()]
    finally:
        app.win.setActive(True)
        back_to_english()
        resize_to(app, *before)
    assert not found, f"{len(found)} problems at {size} in {language}:\n" + "\n".join(found)


def test_the_group_turn_banner_follows_a_change_of_text_size_and_language():
    """Settings changed during a group practice (F10): the turn banner is laid out again at the new size and in the
    new language, and the notices, built anew, still go below it."""
    from client.ui.group import turn_text
    from client.ui.settings import Settings
    from tools.screen_pictures import GROUP_FEEDBACK

    app = shared_app()
    before = app.opts.size
    resize_to(app, 960, 600)
    try:
        show(app, next(s for s in SCREENS if s.name == "group-feedback"))
        english = app.group.banner_text()
        app.apply_settings(Settings(text_size="extra large", language="es"))
        assert app.group.banner_text() == turn_text(GROUP_FEEDBACK, 1) != english
        assert "Turno de Robin" in app.group.banner_text()
        assert Scene(app).problems() == []
        lo, hi = app.hud.notices.root.getTightBounds(app.a2dTopCenter)
        assert hi.z <= app.group.banner.bottom  # the notice's panel starts below the banner's
    finally:
        i18n.set_language("en")
        resize_to(app, *before)


def test_the_coach_consoles_rows_read_as_body_text_and_its_key_hints_as_hints():
    """The console at 960x600 and "medium": its rows at least 12 px a line, its key hints at least 10 px (it
    was 8 px and 5.9 px when it shrank its box to fit)."""
    app = shared_app()
    before = app.opts.size
    resize_to(app, 960, 600)
    try:
        show(app, next(s for s in SCREENS if s.name == "coach"), "medium", frames=2)
        console = app.coach
        scene = Scene(app)

        def px(lab) -> float:
            return scene.line_px(lab.textNode, lab.getMat(app.render2d))

        assert min(px(console.sees), px(console.draft_text), px(console.review.text), px(console.status)) >= 12
        assert px(console.review.keys) >= 10
        console.on_event("scenario_state", {k: v for k, v in console.state.items() if k != "review"})
        rows = [r for r in console.rows if not r.isHidden()]
        assert rows and min(px(r) for r in rows) >= 12 and px(console.keys) >= 10
    finally:
        resize_to(app, *before)


def test_the_longer_pseudo_language_keeps_placeholders_and_grows_words():
    assert longer("Line due in {seconds} s") == "LineL due in {seconds} s"
    assert longer("Settings") == "SettingsSe" and longer("Página") == "PáginaP"


# --- the pictures in docs/client.md -------------------------------------------------------------------------------


def test_the_docs_show_a_picture_of_every_screen_and_the_script_draws_them(tmp_path):
    from tools import screen_pictures

    names = [s.name for s in SCREENS]
    assert len(set(names)) == len(names)
    committed = sorted(p.stem for p in screen_pictures.PICTURES.glob("*.png"))
    assert committed == sorted(names), "run: python tools/screen_pictures.py (and commit docs/pictures/)"
    doc = (screen_pictures.ROOT / "docs" / "client.md").read_text()
    for name in names:
        assert f"(pictures/{name}.png)" in doc, f"docs/client.md does not show pictures/{name}.png"
    app = shared_app()
    before = app.opts.size
    try:
        assert screen_pictures.main(["--out", str(tmp_path), "--only", "room,records-menu", "--size", "320x200"]) == 0
    finally:
        resize_to(app, *before)
    for name in ("room", "records-menu"):
        png = (tmp_path / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
