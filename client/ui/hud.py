"""In-room interface: chat, what-is-recorded indicator, notices, help, settings, own-expression status."""

from __future__ import annotations

from collections.abc import Callable

from direct.gui.OnscreenText import OnscreenText
from direct.showbase.MessengerGlobal import messenger
from panda3d.core import NodePath, TextNode

from .. import theme
from ..i18n import has, language_name, t, tn
from .layout import (
    CHAT_ROWS,
    CHAT_WIDTH,
    GAP,
    HUD_BUTTON_TEXT,
    HUD_ROW,
    MARGIN,
    MODE_TEXT,
    RECORDED_WIDTH,
    SELF_STATUS_WIDTH,
    chat_height,
    fit_width,
    self_status_height,
)
from .settings import CHOICES, Settings, step_setting
from .widgets import TextField, button, click_area, label, panel

HELP_ROWS = 18  # the help's lines: hud.help.1 .. hud.help.18 in the catalog


def help_text() -> str:
    rows = [t(f"hud.help.{i}") for i in range(1, HELP_ROWS + 1)]
    rows.insert(4, t("voice.help"))  # after typing: speaking
    return "\n".join(rows)


class ChatPanel:
    """The chat at the bottom left: long lines wrap onto more rows, and earlier rows stay readable by
    scrolling back (Page Up / Page Down, or the mouse wheel over the panel); the message being typed."""

    LINES = CHAT_ROWS  # rows shown at once
    KEEP = 200  # lines kept for scrolling back

    def __init__(self, base_np: NodePath, scale: float, lines: list | None = None):
        self.root = base_np.attachNewNode("chat")
        self.s = 0.05 * scale
        s = self.s
        self.width = CHAT_WIDTH
        h = chat_height(scale)
        self.bg = panel(self.root, (0.03, 0.03 + self.width, 0.03, h))
        self.lines: list[tuple[str, str]] = list(lines or [])  # (text, kind)
        self.rows = [label(self.root, "", (0.07, 0.1 + s * 1.3 + i * s * 1.2), s, wrap=None) for i in range(self.LINES)]
        self.input = TextField(self.root, "", (0.07, 0.07), self.width - 0.12, s * 0.9, max_len=500)
        self.input.caption.hide()
        self.hint = label(self.root, t("hud.chat_hint"), (0.09, 0.065), s * 0.75, theme.colour("tag_text"))
        self.typing = False
        self.scroll = 0  # rows scrolled back from the newest
        self._measure = TextNode("chat-measure")
        self._measure.setWordwrap((self.width - 0.1) / s)
        self._rows: list[list[tuple[str, str]]] = []  # per kept line: its wrapped rows
        self._draw()

    def add(self, text: str, kind: str = "chat"):
        self._sync()
        new = [(row, kind) for row in self._wrap(text)]
        if self.scroll:
            self.scroll += len(new)  # reading back: what you read stays where it is
        self.lines.append((text, kind))
        self._rows.append(new)
        if len(self.lines) > self.KEEP:
            self.lines, self._rows = self.lines[-self.KEEP :], self._rows[-self.KEEP :]
        self._draw()

    def _wrap(self, text: str) -> list[str]:
        self._measure.setText(text)
        return self._measure.getWordwrappedText().split("\n") or [""]

    def _sync(self) -> None:
        """Wrap each kept line once; again only if the lines were replaced from outside."""
        if len(self._rows) != len(self.lines):
            self._rows = [[(row, kind) for row in self._wrap(text)] for text, kind in self.lines]

    def wrapped(self) -> list[tuple[str, str]]:
        """Every kept line as the rows it takes on the panel, oldest first."""
        self._sync()
        return [row for rows in self._rows for row in rows]

    def scroll_by(self, rows: int) -> None:
        """Page Up (+) / Page Down (-): read earlier rows, or come back to the newest."""
        top = max(0, len(self.wrapped()) - self.LINES)
        self.scroll = max(0, min(top, self.scroll + rows))
        self._draw()

    def _draw(self):
        rows = self.wrapped()
        self.scroll = max(0, min(self.scroll, len(rows) - self.LINES)) if len(rows) > self.LINES else 0
        end = len(rows) - self.scroll
        shown = rows[max(0, end - self.LINES) : end]
        for i, row in enumerate(self.rows):
            k = len(shown) - 1 - i
            if k >= 0:
                text, kind = shown[k]
                row.setText(text)
                row.setFg(theme.colour("ui_muted") if kind != "chat" else theme.colour("ui_text"))
            else:
                row.setText("")
        if self.scroll:
            self.hint.setText(tn("hud.chat_scrolled", self.scroll))
        else:
            self.hint.setText(t("hud.chat_hint") + (t("hud.chat_earlier") if end > self.LINES else ""))
        fit_width(self.hint, self.width - 0.16, self.s * 0.75)  # inside the message line

    def open(self):
        self.typing = True
        self.input.focus(True)
        self.hint.hide()

    def close(self) -> str:
        text = self.input.value
        self.typing = False
        self.input.set("")
        self.input.focus(False)
        self.hint.show()
        return text

    def destroy(self):
        self.root.removeNode()


class ModeIndicator:
    """A small line above the chat, at its left: what the keys do now (typing an answer, chat, walking)."""

    def __init__(self, base_np: NodePath, scale: float):
        s = MODE_TEXT * scale
        self.root = base_np.attachNewNode("mode")
        self.mode = ""
        y = chat_height(scale) + 0.02
        h = HUD_BUTTON_TEXT * scale * HUD_ROW  # as tall as the buttons beside it
        self.bg = panel(self.root, (MARGIN, MARGIN, y, y + h), theme.colour("ui_panel", 0.85))
        self.text = label(self.root, "", (MARGIN + 0.03, y + (h - s) / 2 + s * 0.2), s, theme.colour("ui_accent"))
        self.y, self.h = y, h
        self.root.hide()

    def set(self, mode: str) -> None:
        if mode == self.mode:
            return
        self.mode = mode
        if not mode:
            self.root.hide()
            return
        self.text.setText(t(f"mode.{mode}"))
        lo, hi = self.text.getTightBounds(self.root) or (None, None)
        right = (hi.x if hi is not None else 0.5) + 0.03
        self.bg["frameSize"] = (MARGIN, right, self.y, self.y + self.h)
        self.root.show()

    def destroy(self):
        self.root.removeNode()


class HudButtons:
    """Help and Settings as buttons, above the chat at its right (F1 and F10 do the same)."""

    def __init__(self, base_np: NodePath, scale: float, on_help: Callable[[], None], on_settings: Callable[[], None]):
        self.root = base_np.attachNewNode("hud-buttons")
        s = HUD_BUTTON_TEXT * scale
        y = chat_height(scale) + 0.02 + s * 0.96  # the text's baseline: the frame reaches 0.96 s below it
        right = MARGIN + CHAT_WIDTH
        self.settings = button(self.root, t("hud.settings"), (0, y), s, on_settings, name="hud:settings")
        self.settings.setX(right - self.settings.getBounds()[1] * s)
        left = self.settings.getX() + self.settings.getBounds()[0] * s - GAP
        self.help = button(self.root, t("hud.help"), (0, y), s, on_help, name="hud:help")
        self.help.setX(left - self.help.getBounds()[1] * s)

    def destroy(self):
        self.help.destroy()
        self.settings.destroy()
        self.root.removeNode()


class RecordedIndicator:
    """Always visible, top right: what this room records. Calm colours, never flashes."""

    def __init__(self, base_np: NodePath, scale: float, text: str = ""):
        self.root = base_np.attachNewNode("recorded")
        self.s = 0.038 * scale
        self.text = text or t("hud.recorded.default")
        self._build()

    def _build(self):
        self.root.getChildren().detach()
        s = self.s
        left = -(MARGIN + RECORDED_WIDTH)  # its place in the right column (client/ui/layout.py)
        bg = panel(self.root, (left, -MARGIN, -0.1, -MARGIN), theme.colour("ui_notice"))
        title = label(self.root, t("hud.recorded.title"), (-0.74, -0.03 - s * 1.3), s * 1.05, theme.colour("ui_accent"))
        fit_width(title, 0.68, s * 1.05)  # a longer language at a large text size: smaller, not past the edge
        self.body = label(self.root, self.text, (-0.74, -0.03 - s * 2.5), s * 0.9, wrap=0.68 / (s * 0.9))
        rows = max(1, self.body.textNode.getNumRows())
        bg["frameSize"] = (left, -MARGIN, -MARGIN - s * 2.3 - rows * s * 1.05, -MARGIN)

    def set(self, text: str):
        self.text = text
        self._build()

    def destroy(self):
        self.root.removeNode()


class Notices:
    """Calm messages at the top centre, one at a time: the connection line while it matters, else the
    oldest waiting notice for its seconds, then the next. While a safety card is up none is shown and
    their time stands still (`update(dt, held=True)`): nothing is ever drawn over the crisis card."""

    KEEP = 6  # notices waiting at most; an older one gives way (they are in the chat's history too)

    def __init__(self, base_np: NodePath, scale: float):
        self.root = base_np.attachNewNode("notices")
        self.s = 0.05 * scale
        self.items: list[list] = []  # [text, seconds_left]: the first is shown, the others wait
        self.connection = ""
        self.held = False
        self._draw()

    def show(self, text: str, seconds: float = 7.0):
        if any(it[0] == text for it in self.items):
            return  # the same words again (a reconnect repeats itself): once is enough
        self.items.append([text, seconds])
        self.items = self.items[-self.KEEP :]
        self._draw()

    def set_connection(self, text: str):
        self.connection = text
        self._draw()

    @property
    def texts(self) -> list[str]:
        """The connection line and every notice, shown or waiting."""
        return ([self.connection] if self.connection else []) + [t for t, _ in self.items]

    @property
    def shown(self) -> str:
        """The one line on screen now ('' when none, or while a safety card is up)."""
        if self.held:
            return ""
        return self.connection or (self.items[0][0] if self.items else "")

    def _draw(self):
        self.root.getChildren().detach()
        text = self.shown
        if not text:
            return
        s = self.s
        y = -0.06
        warn = bool(self.connection)
        bg = panel(self.root, (-0.62, 0.62, y, y), theme.colour("ui_warn" if warn else "ui_notice"))
        t = label(self.root, text, (0, y - s * 1.05), s, align=TextNode.ACenter, wrap=1.16 / s)
        rows = max(1, t.textNode.getNumRows())
        h = s * 1.2 * rows + s * 0.55
        bg["frameSize"] = (-0.62, 0.62, y - h, y)

    def update(self, dt: float, held: bool = False):
        if held != self.held:
            self.held = held
            self._draw()
        if held or self.connection or not self.items:
            return  # waiting notices keep their time until they can be read
        self.items[0][1] -= dt
        if self.items[0][1] <= 0:
            self.items.pop(0)
            self._draw()

    def destroy(self):
        self.root.removeNode()


def close_button(parent: NodePath, corner, s: float, what: str):
    """A Close button in a panel's top-right `corner`: the same as Esc (back), so it goes through the keys."""
    b = button(parent, t("hud.close"), (0, corner[1] - s * 1.6), s, messenger.send, "escape", name=f"{what}:close")
    b.setX(corner[0] - s * 0.6 - b.getBounds()[1] * s)
    return b


class HelpOverlay:
    def __init__(self, parent: NodePath, scale: float):
        self.root = parent.attachNewNode("help")
        bg = panel(self.root, (-1.3, 1.3, -0.5, 0.5), theme.colour("ui_panel", 1.0))
        self.text = label(self.root, help_text(), (-1.2, 0), 1.0)
        # the help must fit on screen at every text size and in every language: measured, not counted
        node = self.text.textNode
        s = min(0.048 * min(scale, 1.25), 2.4 / node.getWidth(), 1.75 / node.getHeight())
        self.text.setTextScale(s)
        h = node.getHeight() * s + s * 3.4  # the text, and a row above it for the Close button
        bg["frameSize"] = (-1.3, 1.3, -h / 2, h / 2)
        self.text.setTextPos(-1.2, h / 2 - s * 2.6 - node.getTop() * s)
        self.close = close_button(self.root, (1.3, h / 2), s, "help")

    def destroy(self):
        self.close.destroy()
        self.root.removeNode()


class SettingsPanel:
    """Up/Down choose, Left/Right or Enter change, Esc closes."""

    def __init__(
        self,
        parent: NodePath,
        settings: Settings,
        on_change: Callable[[Settings], None],
        on_leave: Callable[[], None] | None,
        on_quit: Callable[[], None],
        extra: list[tuple[str, Callable[[], None]]] | None = None,
        adjust: list[tuple[str, Callable[[], str], Callable[[int], None]]] | None = None,
    ):
        self.settings = settings
        self.extra = dict(extra or [])  # more rows that open something on Enter (e.g. safety panels)
        # more rows with a value that Left/Right (or Enter) change: (name, value, change(step)); e.g. voice
        self.adjust = {name: (value, change) for name, value, change in adjust or []}
        self._values: dict[str, OnscreenText] = {}  # a row's value label, for values that change by themselves
        self.on_change = on_change
        self.on_leave = on_leave
        self.on_quit = on_quit
        self.index = 0
        self.title_key = "hud.settings"  # looked up at each draw: the language may change in the panel
        self.root = parent.attachNewNode("settings")
        self._clicks: list = []  # a click area per row (a click changes it, as Enter does) and Close
        self._draw()

    def _rows(self) -> list[tuple[str, str, str]]:
        """(what the row does, its name, its value) for each row; the name and value in the chosen language."""
        s = self.settings
        rows = [
            ("text_size", t("login.text_size"), t(f"size.{s.text_size}")),
            ("reduced_motion", t("login.reduced_motion"), t("login.on") if s.reduced_motion else t("login.off")),
            ("contrast", t("login.contrast"), t(f"contrast.{s.contrast}")),
            ("camera_distance", t("hud.camera_distance"), t(f"camera.{s.camera_distance}")),
            ("pace", t("hud.reading_pace"), t(f"pace.{s.pace}")),
            ("language", t("login.language"), language_name(s.language)),
        ]
        rows += [("adjust", name, value()) for name, (value, _change) in self.adjust.items()]
        rows += [("extra", name, "") for name in self.extra]
        if self.on_leave:
            rows.append(("leave", t("hud.leave_room"), ""))
        rows.append(("quit", t("hud.quit"), ""))
        return rows

    def _items(self):
        return [(name, value) for _, name, value in self._rows()]

    def _draw(self):
        for c in self._clicks:
            c.destroy()
        self._clicks = []
        self._values = {}
        self.root.getChildren().detach()
        items = self._items()
        # the rows' size follows the text size, but all of them stay inside the window's height
        sc = min(0.055 * self.settings.text_scale, 1.9 / (5.2 + len(items) * 1.9))
        h = sc * 5.2 + len(items) * sc * 1.9
        panel(self.root, (-0.95, 0.95, -h / 2, h / 2), theme.colour("ui_panel", 1.0))
        label(self.root, t(self.title_key), (0, h / 2 - sc * 1.8), sc * 1.2, align=TextNode.ACenter)
        self._clicks.append(close_button(self.root, (0.95, h / 2), sc * 0.9, "settings"))
        for i, (name, value) in enumerate(items):
            y = h / 2 - sc * 3.8 - i * sc * 1.9
            if i == self.index:
                panel(self.root, (-0.85, 0.85, y - sc * 0.6, y + sc * 1.1), theme.colour("ui_accent", 0.35))
            label(self.root, name, (-0.8, y), sc)
            if value:
                shown = label(
                    self.root, f"<  {value}  >", (0.8, y), sc, theme.colour("ui_accent"), align=TextNode.ARight
                )
                self._values[name] = shown
            area = (-0.85, 0.85, y - sc * 0.6, y + sc * 1.1)
            self._clicks.append(click_area(self.root, area, self.click, i, name=f"settings:{name}"))
        label(
            self.root,
            t("hud.settings.keys"),
            (0, -h / 2 + sc * 0.9),
            sc * 0.62,
            theme.colour("ui_muted"),
            align=TextNode.ACenter,
        )

    def click(self, index: int) -> None:
        """A click on a row: choose it and change it (or open it), as Enter does."""
        self.index = index
        self.on_key("enter")

    def on_key(self, key: str) -> bool:
        rows = self._rows()
        items = [(name, value) for _, name, value in rows]
        if key in ("arrow_down", "tab"):
            self.index = (self.index + 1) % len(items)
        elif key == "arrow_up":
            self.index = (self.index - 1) % len(items)
        elif key in ("arrow_left", "arrow_right", "enter"):
            step = -1 if key == "arrow_left" else 1
            what, name = rows[self.index][:2]
            s = self.settings
            if what in CHOICES:
                step_setting(s, what, step)
            elif what == "leave" and key == "enter":
                self.on_leave()
                return True
            elif what == "quit" and key == "enter":
                self.on_quit()
                return True
            elif what == "extra" and key == "enter":
                self.extra[name]()
                return True
            elif what == "adjust":
                self.adjust[name][1](step)
                self._draw()
                return True
            else:
                return True
            self.on_change(s)
        else:
            return False
        self._draw()
        return True

    def on_char(self, ch: str):
        pass

    def set_value(self, name: str, value: str) -> None:
        """Show a row's new value without redrawing the panel (the microphone test's meter, each frame)."""
        shown = self._values.get(name)
        if shown is not None and shown.getText() != f"<  {value}  >":
            shown.setText(f"<  {value}  >")

    def destroy(self):
        for c in self._clicks:
            c.destroy()
        self.root.removeNode()


class SelfStatus:
    """Bottom right: your own expression and intensity, so you know what others see."""

    def __init__(self, base_np: NodePath, scale: float):
        self.root = base_np.attachNewNode("self-status")
        s = 0.045 * scale
        panel(self.root, (-(MARGIN + SELF_STATUS_WIDTH), -MARGIN, MARGIN, MARGIN + self_status_height(scale)))
        self.text = label(self.root, "", (-0.06, 0.03 + s * 0.75), s, align=TextNode.ARight)

    def set(self, expression: str, intensity: float):
        feeling = t(f"face.{expression}") if has(f"face.{expression}") else expression
        if expression == "neutral":
            shown = feeling
        else:
            strength = "slightly" if 0 < intensity < 0.4 else "very" if intensity > 0.85 else "plain"
            shown = t(f"face.strength.{strength}", feeling=feeling, percent=int(round(intensity * 100)))
        self.text.setText(t("face.yours", shown=shown))

    def destroy(self):
        self.root.removeNode()
