"""Small keyboard-driven widgets drawn on aspect2d.

Panda's DirectEntry reads keys through the mouse watcher, which does not exist
offscreen; these widgets take key events from the app instead, so the same
code runs in a window, offscreen and in tests (`messenger.send('keystroke', ['a'])`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from direct.gui import DirectGuiGlobals as DGG
from direct.gui.DirectGui import DirectButton, DirectFrame
from direct.gui.OnscreenText import OnscreenText
from panda3d.core import NodePath, TextNode

from .. import fonts, theme


class Label(OnscreenText):
    """OnscreenText that picks its font for the text it shows (the CJK fallback where needed)."""

    def setText(self, text):  # noqa: N802 (Panda's name)
        fonts.apply(self.textNode, text)
        super().setText(text)

    text = property(OnscreenText.getText, setText)


def panel(parent: NodePath, frame, color=None) -> DirectFrame:
    return DirectFrame(parent=parent, frameColor=color or theme.colour("ui_panel"), frameSize=frame)


def click_area(parent: NodePath, frame, command: Callable[..., Any], *args: Any, name: str = "") -> DirectButton:
    """An invisible button over something already drawn (an option row, a list entry): a click there
    runs `command(*args)`, as its key does. It shows a soft highlight under the pointer; the click does
    not reach the 3D view (no walking). `name` tags it for automation (client/statefile.py)."""
    button = DirectButton(
        parent=parent,
        frameSize=frame,
        frameColor=(
            (0, 0, 0, 0),  # ready
            theme.colour("ui_accent", 0.3),  # pressed
            theme.colour("ui_accent", 0.16),  # under the pointer
            (0, 0, 0, 0),  # disabled
        ),
        relief=DGG.FLAT,
        command=command,
        extraArgs=list(args),
        pressEffect=0,
        rolloverSound=None,
        clickSound=None,
    )
    if name:
        button.setTag("click", name)
    return button


def button(
    parent: NodePath, text: str, pos, scale: float, command: Callable[..., Any], *args: Any, name: str = ""
) -> DirectButton:
    """A visible button with a word on it (Quit, Sign in, Join, Settings)."""
    made = DirectButton(
        parent=parent,
        text=text,
        pos=(pos[0], 0, pos[1]),
        scale=scale,
        pad=(0.5, 0.3),
        frameColor=(
            theme.colour("ui_accent", 0.55),
            theme.colour("ui_accent", 0.9),
            theme.colour("ui_accent", 0.8),
            theme.colour("ui_muted", 0.3),
        ),
        text_fg=theme.colour("ui_text"),
        relief=DGG.FLAT,
        command=command,
        extraArgs=list(args),
        rolloverSound=None,
        clickSound=None,
    )
    if name:
        made.setTag("click", name)
    return made


def label(
    parent: NodePath, text: str, pos, scale: float, color=None, align=TextNode.ALeft, wrap: float | None = None
) -> OnscreenText:
    return Label(
        parent=parent,
        text=text,
        pos=pos,
        scale=scale,
        fg=color or theme.colour("ui_text"),
        align=align,
        wordwrap=wrap,
        mayChange=True,
    )


class TextField:
    """A one-line text input. `secret` shows dots (passwords)."""

    def __init__(
        self,
        parent: NodePath,
        caption: str,
        pos,
        width: float,
        scale: float,
        secret: bool = False,
        max_len: int = 200,
        value: str = "",
    ):
        self.value = value
        self.secret = secret
        self.max_len = max_len
        self.focused = False
        x, y = pos
        self.caption = label(parent, caption, (x, y + 0.09 * scale / 0.06), scale * 0.8, theme.colour("ui_muted"))
        self.box = panel(
            parent, (x - 0.02, x + width, y - 0.03 * scale / 0.06, y + 0.06 * scale / 0.06), (0.97, 0.96, 0.93, 0.95)
        )
        self.text = label(parent, "", (x + 0.01, y), scale, theme.colour("tag_text"))
        self._refresh()

    def _refresh(self):
        shown = "*" * len(self.value) if self.secret else self.value
        if len(shown) > 38:
            shown = "..." + shown[-35:]
        self.text.setText(shown + ("|" if self.focused else ""))
        self.box["frameColor"] = (1.0, 0.99, 0.95, 1.0) if self.focused else (0.86, 0.86, 0.84, 0.9)

    def focus(self, on: bool):
        self.focused = on
        self._refresh()

    def type_char(self, ch: str):
        if len(ch) == 1 and ch.isprintable() and len(self.value) < self.max_len:
            self.value += ch
            self._refresh()

    def backspace(self):
        self.value = self.value[:-1]
        self._refresh()

    def set(self, value: str):
        self.value = value
        self._refresh()
