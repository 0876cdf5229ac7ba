"""Full-screen steps before the room: login and the room list; and the quit question.

Everything works by keyboard and by mouse: the fields, the settings rows and the rooms are click areas,
the actions are buttons. Esc only ever goes back (it never quits): Quit is a button, or Ctrl+Q, and asks first.
"""

from __future__ import annotations

from collections.abc import Callable

from panda3d.core import NodePath, TextNode

from .. import theme
from ..i18n import has, language_name, t
from .settings import Settings, step_setting
from .widgets import TextField, button, click_area, label, panel

LOGIN_SETTINGS = ("text_size", "contrast", "reduced_motion", "language")


class LoginScreen:
    """Name and password, and the settings a person may need before reading anything else (text size,
    contrast, reduced motion, language; remembered in the settings file). Tab or Up/Down move between the rows,
    Left/Right (or a click) change a setting, Enter signs in."""

    def __init__(
        self,
        parent: NodePath,
        scale: float,
        on_submit: Callable[[str, str], None],
        name: str = "",
        server: str = "",
        settings: Settings | None = None,
        on_settings: Callable[[Settings], None] | None = None,
        on_quit: Callable[[], None] | None = None,
        on_change_server: Callable[[], None] | None = None,
    ):
        self.parent = parent
        self.on_submit = on_submit
        self.server = server
        self.on_change_server = on_change_server
        self.settings = settings if settings is not None else Settings()
        self.on_settings = on_settings
        self.on_quit = on_quit
        self.values = [name, ""]
        self.index = 0 if not name else 1  # 0 name, 1 password, 2.. the settings rows
        self.status_text = ""
        self.busy = False
        self.root: NodePath | None = None
        self._widgets: list = []
        self._build(scale)

    # --- drawing ---------------------------------------------------------------------------
    def _build(self, scale: float) -> None:
        # as large as the text size asks, unless the rows (the language and service rows included) would run
        # off the bottom of the window: then a little smaller, as the settings panel does
        fit = scale
        while self._lay_out(fit) < -0.97 and fit > 0.5:
            fit *= 0.92
        self.scale = scale

    def _lay_out(self, scale: float) -> float:
        """Builds the screen at `scale`; returns the bottom of its panel."""
        if self.root is not None:
            self.values = [f.value for f in self.fields]
            self._drop()
            self.root.removeNode()
        self.root = self.parent.attachNewNode("login")
        s = 0.055 * scale
        muted = theme.colour("ui_muted")
        top = 0.9
        bg = panel(self.root, (-1.1, 1.1, -0.9, top))
        y = top - s * 1.6
        label(self.root, t("login.welcome"), (0, y), s * 1.3, align=TextNode.ACenter)
        y -= s * 1.3
        tagline = label(
            self.root, t("login.tagline"), (0, y), s * 0.75, muted, align=TextNode.ACenter, wrap=1.9 / (s * 0.75)
        )
        y -= (tagline.textNode.getNumRows() - 1) * s * 0.75 * 1.2  # a longer language may take two rows
        self.fields = []
        for i, (caption, secret, max_len) in enumerate(
            ((t("login.name"), False, 40), (t("login.password"), True, 200))
        ):
            y -= s * 3.2
            field = TextField(
                self.root, caption, (-0.8, y), 1.6, s, secret=secret, max_len=max_len, value=self.values[i]
            )
            self.fields.append(field)
            self._widgets.append(
                click_area(self.root, (-0.82, 0.8, y - s * 0.6, y + s * 1.2), self.focus_row, i, name=f"login:field{i}")
            )
        y -= s * 1.3
        self.rows = []
        for i, key in enumerate(LOGIN_SETTINGS):
            y -= s * 1.5
            row = 2 + i
            self.rows.append(
                (
                    label(self.root, t(f"login.{key}"), (-0.8, y), s * 0.9),
                    label(self.root, "", (0.8, y), s * 0.9, theme.colour("ui_accent"), align=TextNode.ARight),
                    panel(self.root, (-0.84, 0.84, y - s * 0.45, y + s * 1.0), (0, 0, 0, 0)),
                )
            )
            self._widgets.append(
                click_area(
                    self.root, (-0.84, 0.84, y - s * 0.45, y + s * 1.0), self.click_row, row, name=f"login:{key}"
                )
            )
        y -= s * 1.7
        self.status = label(
            self.root,
            self.status_text,
            (0, y),
            s * 0.8,
            theme.colour("ui_accent"),
            align=TextNode.ACenter,
            wrap=1.9 / (s * 0.8),
        )
        y -= s * 2.0
        self._widgets.append(button(self.root, t("login.sign_in"), (-0.35, y), s, self.submit, name="login:sign_in"))
        self._widgets.append(button(self.root, t("login.quit"), (0.35, y), s, self.quit, name="login:quit"))
        y -= s * 1.6
        keys = label(self.root, t("login.keys"), (0, y), s * 0.75, muted, align=TextNode.ACenter, wrap=2.1 / (s * 0.75))
        y -= (keys.textNode.getNumRows() - 1) * s * 0.75 * 1.2  # a longer language may take two rows
        if self.server:
            y -= s * 1.1
            label(self.root, t("login.server", server=self.server), (0, y), s * 0.6, muted, align=TextNode.ACenter)
        if self.on_change_server is not None:  # the installed client: the service chosen at the first start
            y -= s * 1.6
            self._widgets.append(
                button(self.root, t("login.change_server"), (0, y), s * 0.7, self.on_change_server, name="login:server")
            )
        bg["frameSize"] = (-1.1, 1.1, min(-0.9, y - s * 0.8), top)
        self._show_rows()
        return min(-0.9, y - s * 0.8)

    def _show_rows(self) -> None:
        st = self.settings
        values = (
            t(f"size.{st.text_size}"),
            t(f"contrast.{st.contrast}"),
            t("login.on") if st.reduced_motion else t("login.off"),
            language_name(st.language),
        )
        for i, (_name, value, bg) in enumerate(self.rows):
            value.setText(f"<  {values[i]}  >")
            bg["frameColor"] = theme.colour("ui_accent", 0.3) if self.index == 2 + i else (0, 0, 0, 0)
        for i, f in enumerate(self.fields):
            f.focus(i == self.index)

    def restyle(self, scale: float) -> None:
        """Drawn again at another text size or contrast (chosen on this screen)."""
        self._build(scale)

    def _drop(self) -> None:
        for w in self._widgets:
            w.destroy()
        self._widgets = []

    # --- actions ---------------------------------------------------------------------------
    def set_status(self, text: str):
        self.status_text = text
        self.status.setText(text)

    def focus_row(self, index: int) -> None:
        self.index = index
        self._show_rows()

    def click_row(self, index: int) -> None:
        self.focus_row(index)
        self.change(1)

    def change(self, step: int) -> None:
        """Change the chosen setting row by one step; it applies (and is saved) at once."""
        step_setting(self.settings, LOGIN_SETTINGS[self.index - 2], step)
        if self.on_settings is not None:
            self.on_settings(self.settings)  # the app saves them and draws this screen again (restyle)
        else:
            self._show_rows()

    def submit(self) -> None:
        name, pw = self.fields[0].value.strip(), self.fields[1].value
        if not name:
            self.set_status(t("login.need_name"))
            self.focus_row(0)
        elif not self.busy:
            self.on_submit(name, pw)

    def quit(self) -> None:
        if self.on_quit is not None:
            self.on_quit()

    def on_key(self, key: str) -> bool:
        n = 2 + len(LOGIN_SETTINGS)
        if key == "tab" or key in ("arrow_down", "arrow_up"):
            self.focus_row((self.index + (-1 if key == "arrow_up" else 1)) % n)
            return True
        if key in ("arrow_left", "arrow_right") and self.index >= 2:
            self.change(-1 if key == "arrow_left" else 1)
            return True
        if key == "backspace":
            if self.index < 2:
                self.fields[self.index].backspace()
            return True
        if key == "enter":
            self.submit()
            return True
        if key == "escape":
            return True  # back from nothing: the login screen never quits on Esc
        return False

    def on_char(self, ch: str):
        if self.index < 2:
            self.fields[self.index].type_char(ch)

    def destroy(self):
        self._drop()
        if self.root is not None:
            self.root.removeNode()


class RoomListScreen:
    """Rooms to join; Up/Down (or a click) choose, Enter (a click on the chosen room, or Join) joins,
    R (or Refresh) looks again."""

    def __init__(self, parent: NodePath, scale: float, on_join: Callable[[dict], None], on_refresh: Callable[[], None]):
        self.parent = parent
        self.on_join = on_join
        self.on_refresh = on_refresh
        self.rooms: list[dict] = []
        self.index = 0
        self.status_text = t("rooms.looking")
        self.root: NodePath | None = None
        self._buttons: list = []
        self._rows: list = []
        self._build(scale)

    def _build(self, scale: float) -> None:
        if self.root is not None:
            self._drop(self._buttons)
            self._drop(self._rows)
            self.root.removeNode()
        self.root = self.parent.attachNewNode("rooms")
        self.scale = 0.055 * scale
        s = self.scale
        panel(self.root, (-1.1, 1.1, -0.9, 0.85))
        label(self.root, t("rooms.title"), (0, 0.85 - s * 1.7), s * 1.2, align=TextNode.ACenter)
        self.rows_root = self.root.attachNewNode("rows")
        self.status = label(
            self.root, self.status_text, (0, -0.5), s * 0.75, theme.colour("ui_muted"), align=TextNode.ACenter
        )
        self._buttons = [
            button(self.root, t("rooms.join"), (-0.35, -0.5 - s * 2.0), s, self.join, name="rooms:join"),
            button(self.root, t("rooms.refresh"), (0.35, -0.5 - s * 2.0), s, self.refresh, name="rooms:refresh"),
        ]
        label(
            self.root,
            t("rooms.keys"),
            (0, -0.5 - s * 3.6),
            s * 0.75,
            theme.colour("ui_muted"),
            align=TextNode.ACenter,
            wrap=2.1 / (s * 0.75),
        )
        self._draw()

    def restyle(self, scale: float) -> None:
        self._build(scale)

    @staticmethod
    def _drop(widgets: list) -> None:
        for w in widgets:
            w.destroy()
        widgets.clear()

    def set_rooms(self, rooms: list[dict]):
        self.rooms = list(rooms)
        self.index = min(self.index, max(0, len(self.rooms) - 1))
        self.status_text = "" if self.rooms else t("rooms.none")
        self.status.setText(self.status_text)
        self._draw()

    def _draw(self):
        self._drop(self._rows)
        self.rows_root.getChildren().detach()
        s = self.scale
        step = max(0.11, s * 2.0)
        for i, r in enumerate(self.rooms[: max(1, int(1.1 / step))]):
            y = 0.85 - s * 4.0 - i * step
            sel = i == self.index
            if sel:
                panel(self.rows_root, (-0.98, 0.98, y - s * 0.6, y + s * 1.2), theme.colour("ui_accent", 0.35))
            people = r.get("people", r.get("members"))
            cap = r.get("capacity")
            extra = t("rooms.people", people=people, capacity=cap) if people is not None and cap else ""
            scene = str(r.get("scene", ""))
            scene = t(f"scene.{scene}") if has(f"scene.{scene}") else scene
            label(self.rows_root, ("> " if sel else "  ") + str(r.get("name", r.get("id", "?"))), (-0.92, y), s * 0.9)
            label(
                self.rows_root,
                f"{scene}   {extra}",
                (0.92, y),
                s * 0.7,
                theme.colour("ui_muted"),
                align=TextNode.ARight,
            )
            self._rows.append(
                click_area(
                    self.rows_root, (-0.98, 0.98, y - s * 0.6, y + s * 1.2), self.click, i, name=f"room:{r.get('id')}"
                )
            )

    def click(self, index: int) -> None:
        """A click chooses a room; a click on the chosen one joins it."""
        if index == self.index:
            self.join()
        else:
            self.index = index
            self._draw()

    def join(self) -> None:
        if self.rooms:
            self.on_join(self.rooms[self.index])

    def refresh(self) -> None:
        self.status_text = t("rooms.looking")
        self.status.setText(self.status_text)
        self.on_refresh()

    def on_key(self, key: str) -> bool:
        if key in ("arrow_down", "tab") and self.rooms:
            self.index = (self.index + 1) % len(self.rooms)
            self._draw()
            return True
        if key == "arrow_up" and self.rooms:
            self.index = (self.index - 1) % len(self.rooms)
            self._draw()
            return True
        if key == "enter" and self.rooms:
            self.join()
            return True
        if key == "escape":
            return True  # nothing to go back to here (Sign out is in a later screen); never settings
        return False

    def on_char(self, ch: str):
        if ch in ("r", "R"):
            self.refresh()

    def destroy(self):
        self._drop(self._buttons)
        self._drop(self._rows)
        if self.root is not None:
            self.root.removeNode()


class QuitDialog:
    """Quit peerspace? Enter or Yes quits; Esc or No stays. It keeps every key while it is open."""

    def __init__(self, parent: NodePath, scale: float, on_yes: Callable[[], None], on_no: Callable[[], None]):
        self.root = parent.attachNewNode("quit", 20)
        self.on_yes, self.on_no = on_yes, on_no
        s = 0.055 * scale
        h = s * 7.5
        panel(self.root, (-0.8, 0.8, -h / 2, h / 2), theme.colour("ui_panel", 1.0))
        label(self.root, t("quit.title"), (0, h / 2 - s * 1.7), s * 1.2, align=TextNode.ACenter)
        label(
            self.root, t("quit.body"), (0, h / 2 - s * 3.0), s * 0.8, theme.colour("ui_muted"), align=TextNode.ACenter
        )
        self.buttons = [
            button(self.root, t("quit.yes"), (-0.32, -h / 2 + s * 2.6), s, on_yes, name="quit:yes"),
            button(self.root, t("quit.no"), (0.32, -h / 2 + s * 2.6), s, on_no, name="quit:no"),
        ]
        label(
            self.root, t("quit.keys"), (0, -h / 2 + s * 0.8), s * 0.65, theme.colour("ui_muted"), align=TextNode.ACenter
        )

    def on_key(self, key: str) -> bool:
        if key == "enter":
            self.on_yes()
        elif key == "escape":
            self.on_no()
        return not (key.startswith("f") and key[1:].isdigit())

    def on_char(self, ch: str):
        pass

    def destroy(self):
        for b in self.buttons:
            b.destroy()
        self.root.removeNode()
