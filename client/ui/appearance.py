"""Your own avatar: choose skin tone, hair, clothing colours and body shape, and preview face and expressions.

Offered at first login (when the account has no appearance yet) and from settings ("Your avatar"). What
can be chosen comes from assets/palette.json through wire/appearance.py, the same list the server checks.
Keyboard: Up/Down choose a row, Left/Right change it, Enter saves, Esc goes back without saving. Mouse:
the < and > buttons on each row, Save and Not now. The preview is the avatar drawn alone into its own
texture (`Portrait`), so it looks the same over the room list as in a room; its "Try a face" row shows
each expression on your face, for you only (nothing is sent until Save).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from direct.gui.DirectButton import DirectButton
from panda3d.core import (
    AmbientLight,
    Camera,
    CardMaker,
    DirectionalLight,
    NodePath,
    PerspectiveLens,
    Point2,
    Point3,
    TextNode,
    Texture,
)

from wire import events
from wire.appearance import APPEARANCE, FIELDS, choices

from .. import theme
from ..avatars.avatar import HEAD_R, HEAD_Z, Avatar
from ..i18n import t
from .layout import fit_width
from .widgets import button, label, panel

if TYPE_CHECKING:
    from ..app import PeerspaceClient

# Names shown for the palette's named choices (hair styles, body shapes, expressions).
NAMES = {
    "short": "short",
    "long": "long",
    "curly": "curly",
    "bun": "bun",
    "cropped": "cropped",
    "slim": "slim",
    "average": "average",
    "broad": "broad",
}
ROWS = (*FIELDS, "expression")
# The palette list whose colour a row's swatch shows.
SWATCH = {"skin": "skin", "hair_colour": "hair", "top": "shirt", "bottom": "trousers"}


def starting_look(current: dict[str, Any] | None) -> dict[str, Any]:
    """What the chooser opens on: the person's look, or the first of everything."""
    c = choices()
    if current is not None and all(current.get(k) in c[k] for k in FIELDS):
        return {k: current[k] for k in FIELDS}
    return {k: (c[k][1] if k == "body" and len(c[k]) > 1 else c[k][0]) for k in FIELDS}


class Portrait:
    """One avatar drawn alone and evenly lit into its own texture, seen from the front (hips up)."""

    SIZE = (256, 320)

    def __init__(self, app: PeerspaceClient):
        self.app = app
        w, h = self.SIZE
        self.tex = Texture("avatar-portrait")
        self.buffer = app.win.makeTextureBuffer("avatar-portrait", w, h, self.tex, True)
        self.root = NodePath("avatar-portrait")
        self.avatar: Avatar | None = None
        self._shown: NodePath | None = None
        amb = AmbientLight("portrait-ambient")
        amb.setColor((0.6, 0.6, 0.62, 1))
        key = DirectionalLight("portrait-key")
        key.setColor((0.5, 0.48, 0.46, 1))
        key_np = self.root.attachNewNode(key)
        key_np.setHpr(160, -30, 0)  # from the front, above
        self.root.setLight(self.root.attachNewNode(amb))
        self.root.setLight(key_np)
        lens = PerspectiveLens()
        lens.setFov(32)
        lens.setAspectRatio(w / h)
        lens.setNearFar(0.1, 20)
        cam = Camera("portrait-camera", lens)
        cam.setScene(self.root)
        self.cam = self.root.attachNewNode(cam)
        self.frame(close=False)
        if self.buffer is not None:
            self.buffer.setClearColor(theme.colour("sky"))
            self.buffer.makeDisplayRegion().setCamera(self.cam)

    def frame(self, close: bool) -> None:
        """The whole avatar, or close up on the face (to try expressions)."""
        if close:
            self.cam.setPos(0, 1.8, HEAD_Z - 0.1)
            self.cam.lookAt(0, 0, HEAD_Z - 0.14)
        else:
            self.cam.setPos(0, 3.1, 1.3)
            self.cam.lookAt(0, 0, 1.22)

    @property
    def ok(self) -> bool:
        return self.buffer is not None

    def show(self, look: dict[str, Any] | None, expression: str = "neutral", avatar_id: int = 0) -> Avatar:
        """Draw this look (None: the look avatar `avatar_id` has without a choice)."""
        if self.avatar is None or self.avatar.id != avatar_id:
            self.clear()
            self.avatar = Avatar(self.root, avatar_id, "", appearance=look, reduced_motion=True)
            self.avatar.show_tag(False)
        else:
            self.avatar.set_appearance(look)
        self.avatar.set_expression(expression, 1.0 if expression != "neutral" else 0.0)
        return self.avatar

    def show_body(self, body: NodePath) -> None:
        """Draw another avatar's body as it is built (an instance: its own look, not a copy of the data)."""
        self.clear()
        self._shown = body.instanceTo(self.root)

    def clear(self) -> None:
        if self.avatar is not None:
            self.avatar.destroy()
            self.avatar = None
        if self._shown is not None:
            self._shown.removeNode()
            self._shown = None

    def image(self) -> np.ndarray:
        """Render now; the picture as an (H, W, 3) float array, row 0 at the top."""
        self.app.graphicsEngine.renderFrame()
        w, h = self.tex.getXSize(), self.tex.getYSize()
        data = np.frombuffer(bytes(self.tex.getRamImageAs("RGB")), dtype=np.uint8).reshape(h, w, 3)
        return data[::-1].astype(np.float32) / 255.0

    def pixel(self, point) -> tuple[int, int]:
        """(column, row) of a point of the avatar (avatar space: it stands at the origin facing +Y)."""
        p2 = Point2()
        self.cam.node().getLens().project(self.cam.getRelativePoint(self.root, Point3(*point)), p2)
        w, h = self.SIZE
        return int((p2.x + 1) / 2 * w), int((1 - p2.y) / 2 * h)

    def colours(self) -> dict[str, np.ndarray]:
        """The drawn skin (the lower cheeks, clear of the face's features) and top (the chest), as RGB."""
        img = self.image()

        def median(point, half: int) -> np.ndarray:
            c, r = self.pixel(point)
            patch = img[max(0, r - half) : r + half, max(0, c - half) : c + half].reshape(-1, 3)
            return np.asarray(np.median(patch, axis=0))

        cheek = HEAD_R * 0.62
        return {
            "skin": (
                median((-cheek, HEAD_R, HEAD_Z - HEAD_R * 0.55), 2) + median((cheek, HEAD_R, HEAD_Z - HEAD_R * 0.55), 2)
            )
            / 2,
            "top": median((0, 0.25, 1.1), 4),
        }

    def destroy(self) -> None:
        self.clear()
        if self.buffer is not None:
            self.app.graphicsEngine.removeWindow(self.buffer)
            self.buffer = None
        self.root.removeNode()


class AppearanceChooser:
    """The chooser panel: rows on the left, the portrait on the right."""

    def __init__(
        self,
        parent: NodePath,
        app: PeerspaceClient,
        current: dict[str, Any] | None,
        on_save: Callable[[dict[str, Any]], None],
        on_back: Callable[[], None],
        first_time: bool = False,
    ):
        self.app = app
        self.look = starting_look(current)
        self.options = choices()
        self.expression = "neutral"
        self.on_save, self.on_back = on_save, on_back
        self.first_time = first_time
        self.index = 0
        self.scale = app.settings.text_scale
        self.root = parent.attachNewNode("appearance")
        self.portrait = Portrait(app)
        self.buttons: dict[str, DirectButton] = {}
        self._draw()

    # --- what is chosen -----------------------------------------------------------------------
    def value_text(self, row: str) -> str:
        if row == "expression":
            return self.expression
        value = self.look[row]
        if isinstance(value, int):
            return t("look.of", n=value + 1, count=len(self.options[row]))
        return NAMES.get(value, value)

    def change(self, row: str, step: int) -> None:
        if row == "expression":
            names = list(events.EXPRESSIONS)
            self.expression = names[(names.index(self.expression) + step) % len(names)]
        else:
            opts = list(self.options[row])
            self.look[row] = opts[(opts.index(self.look[row]) + step) % len(opts)]
        self._draw()

    # --- drawing -------------------------------------------------------------------------------
    def _draw(self) -> None:
        for b in self.buttons.values():
            b.destroy()
        self.buttons = {}
        self.root.getChildren().detach()
        sc = 0.05 * self.scale
        row_h = sc * 1.9
        top = 0.62
        panel(self.root, (-1.25, 1.25, -0.86, 0.86), theme.colour("ui_panel", 1.0))
        label(self.root, t("look.title"), (0, top + 0.1), sc * 1.3, align=TextNode.ACenter)
        if self.first_time:
            first = label(
                self.root, t("look.first"), (0, top - 0.02), sc * 0.75, theme.colour("ui_muted"), TextNode.ACenter, 40
            )
            # the rows start below however many rows the note took (a longer language may need three)
            below = top - 0.02 - (first.textNode.getNumRows() - 1) * sc * 0.75 * 1.2 - sc * 0.75 * 0.35
            top = min(top, below - 0.01 + 0.16 - sc * 1.1)
        for i, row in enumerate(ROWS):
            y = top - 0.16 - i * row_h
            if i == self.index:
                panel(self.root, (-1.18, 0.18, y - sc * 0.6, y + sc * 1.1), theme.colour("ui_accent", 0.35))
            caption = label(self.root, t(f"look.{row}"), (-1.12, y), sc)
            fit_width(caption, 0.5, sc)  # a longer name (Spanish, a large text size) keeps left of the swatch
            if row in SWATCH:
                colour = theme.option(SWATCH[row], self.look[row])
                panel(self.root, (-0.58, -0.5, y - sc * 0.3, y + sc * 0.8), colour)
            label(self.root, self.value_text(row), (-0.16, y), sc, theme.colour("ui_accent"), TextNode.ACenter)
            for name, dx, step in (("<", -0.42, -1), (">", 0.1, 1)):
                self.buttons[f"{row}{name}"] = self._button(name, (dx, y + sc * 0.25), sc * 0.9, row, step)
        y = top - 0.16 - len(ROWS) * row_h - sc * 0.6
        self.buttons["save"] = button(self.root, t("look.save"), (-0.78, y), sc, self.save)
        self.buttons["back"] = button(self.root, t("look.back"), (-0.34, y), sc, self.on_back)
        label(self.root, t("look.keys"), (0, -0.8), sc * 0.62, theme.colour("ui_muted"), TextNode.ACenter)
        if self.portrait.ok:
            self.portrait.frame(close=ROWS[self.index] == "expression")
            self.portrait.show(self.look, self.expression)
            cm = CardMaker("appearance-preview")
            w, h = Portrait.SIZE
            x0, y0, height = 0.28, -0.66, 1.2
            cm.setFrame(x0, x0 + height * w / h, y0, y0 + height)
            card = self.root.attachNewNode(cm.generate())
            card.setTexture(self.portrait.tex)
            if self.expression != "neutral":
                label(
                    self.root,
                    t("look.preview_only"),
                    (0.76, y0 - 0.07),
                    sc * 0.6,
                    theme.colour("ui_muted"),
                    TextNode.ACenter,
                )

    def _button(self, text: str, pos, scale: float, row: str, step: int) -> DirectButton:
        def pressed() -> None:
            self.index = ROWS.index(row)
            self.change(row, step)

        return button(self.root, text, pos, scale, pressed)

    # --- keys --------------------------------------------------------------------------------
    def on_key(self, key: str) -> bool:
        if key in ("arrow_down", "tab"):
            self.index = (self.index + 1) % len(ROWS)
            self._draw()
        elif key == "arrow_up":
            self.index = (self.index - 1) % len(ROWS)
            self._draw()
        elif key in ("arrow_left", "arrow_right"):
            self.change(ROWS[self.index], -1 if key == "arrow_left" else 1)
        elif key == "enter":
            self.save()
        elif key == "escape":
            self.on_back()
        return True  # the chooser keeps every key while open

    def on_char(self, ch: str) -> None:
        pass

    def save(self) -> None:
        self.on_save(dict(self.look))

    def destroy(self) -> None:
        for b in self.buttons.values():
            b.destroy()
        self.buttons = {}
        self.portrait.destroy()
        self.root.removeNode()


class AppearanceFlow:
    """The app's part for your own avatar: the look the account chose, and the chooser over whatever is shown."""

    def __init__(self, app: PeerspaceClient):
        self.app = app
        self.mine: dict[str, Any] | None = None  # the server's welcome says it; None: not chosen yet
        self.chooser: AppearanceChooser | None = None
        self._under: Any = None  # the focus under the chooser

    def settings_items(self) -> list[tuple[str, Callable[[], None]]]:
        return [] if self.app.session is None else [(t("look.settings"), self.open)]

    def asked(self) -> bool:
        """Offered by itself (first login) only to a person at the keys, not to a scripted run."""
        o = self.app.opts
        return bool(o.ask_appearance and not (o.screenshot or o.autoplay or o.preview))

    def offer_first(self) -> None:
        if self.mine is None and self.asked():
            self.open(first_time=True)

    def open(self, first_time: bool = False) -> None:
        app = self.app
        app.close_settings()
        if self.chooser is None:
            self._under = app.focus
            self.chooser = AppearanceChooser(app.popups, app, self.mine, self.save, self.close, first_time)
            app.push_focus(self.chooser)

    def close(self) -> None:
        if self.chooser is not None:
            self.chooser.destroy()
            self.chooser = None
            self.app.focus = self._under

    def save(self, look: dict[str, Any]) -> None:
        self.app.spawn(self._send(look), t("do.save_look"))

    async def _send(self, look: dict[str, Any]) -> None:
        app = self.app
        if app.session is None:
            app.notice(t("look.not_connected"))
            return
        ack = await app.session.call(APPEARANCE, look)
        self.mine = ack.get("appearance", look)
        self.close()
        app.notice(t("look.saved"))
