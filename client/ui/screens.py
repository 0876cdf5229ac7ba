"""Full-screen steps before the room: login and the room list."""

from __future__ import annotations

from collections.abc import Callable

from panda3d.core import NodePath, TextNode

from .. import theme
from .widgets import TextField, label, panel


class LoginScreen:
    """Name and password; Tab moves between fields, Enter signs in."""

    def __init__(
        self, parent: NodePath, scale: float, on_submit: Callable[[str, str], None], name: str = "", server: str = ""
    ):
        self.root = parent.attachNewNode("login")
        self.on_submit = on_submit
        s = 0.06 * scale
        panel(self.root, (-0.9, 0.9, -0.62, 0.62))
        label(self.root, "Welcome to peerspace", (0, 0.45), s * 1.3, align=TextNode.ACenter)
        label(
            self.root,
            "A calm place to practise, with people who have been there too.",
            (0, 0.36),
            s * 0.65,
            theme.colour("ui_muted"),
            align=TextNode.ACenter,
        )
        self.fields = [
            TextField(self.root, "Your name (a nickname is fine)", (-0.7, 0.14), 1.4, s, value=name, max_len=40),
            TextField(self.root, "Password", (-0.7, -0.12), 1.4, s, secret=True, max_len=200),
        ]
        self.status = label(
            self.root, "", (0, -0.32), s * 0.7, theme.colour("ui_accent"), align=TextNode.ACenter, wrap=28
        )
        label(
            self.root,
            "Tab: next field    Enter: sign in    Esc: quit",
            (0, -0.52),
            s * 0.6,
            theme.colour("ui_muted"),
            align=TextNode.ACenter,
        )
        if server:
            label(self.root, f"Server: {server}", (0, -0.44), s * 0.5, theme.colour("ui_muted"), align=TextNode.ACenter)
        self.index = 0 if not name else 1
        self.fields[self.index].focus(True)
        self.busy = False

    def set_status(self, text: str):
        self.status.setText(text)

    def on_key(self, key: str) -> bool:
        if key == "tab" or key in ("arrow_down", "arrow_up"):
            self.fields[self.index].focus(False)
            self.index = (self.index + (-1 if key == "arrow_up" else 1)) % len(self.fields)
            self.fields[self.index].focus(True)
            return True
        if key == "backspace":
            self.fields[self.index].backspace()
            return True
        if key == "enter":
            name, pw = self.fields[0].value.strip(), self.fields[1].value
            if not name:
                self.set_status("Please type a name first.")
                self.fields[self.index].focus(False)
                self.index = 0
                self.fields[0].focus(True)
            elif not self.busy:
                self.on_submit(name, pw)
            return True
        return False

    def on_char(self, ch: str):
        self.fields[self.index].type_char(ch)

    def destroy(self):
        self.root.removeNode()


class RoomListScreen:
    """Rooms to join; Up/Down choose, Enter joins, R refreshes."""

    def __init__(self, parent: NodePath, scale: float, on_join: Callable[[dict], None], on_refresh: Callable[[], None]):
        self.root = parent.attachNewNode("rooms")
        self.on_join = on_join
        self.on_refresh = on_refresh
        self.scale = 0.06 * scale
        s = self.scale
        panel(self.root, (-1.0, 1.0, -0.75, 0.75))
        label(self.root, "Choose a room", (0, 0.6), s * 1.2, align=TextNode.ACenter)
        self.rows_root = self.root.attachNewNode("rows")
        self.status = label(
            self.root, "Looking for rooms...", (0, -0.55), s * 0.7, theme.colour("ui_muted"), align=TextNode.ACenter
        )
        label(
            self.root,
            "Up/Down: choose    Enter: join    R: refresh    Esc: settings",
            (0, -0.67),
            s * 0.6,
            theme.colour("ui_muted"),
            align=TextNode.ACenter,
        )
        self.rooms: list[dict] = []
        self.index = 0

    def set_rooms(self, rooms: list[dict]):
        self.rooms = list(rooms)
        self.index = min(self.index, max(0, len(self.rooms) - 1))
        self.status.setText("" if self.rooms else "No rooms are open right now. Press R to look again.")
        self._draw()

    def _draw(self):
        self.rows_root.getChildren().detach()
        s = self.scale
        for i, r in enumerate(self.rooms[:9]):
            y = 0.42 - i * 0.11
            sel = i == self.index
            if sel:
                panel(self.rows_root, (-0.92, 0.92, y - 0.035, y + 0.07), theme.colour("ui_accent", 0.35))
            people = r.get("people", r.get("members"))
            cap = r.get("capacity")
            extra = f"{people}/{cap} here" if people is not None and cap else ""
            scene = str(r.get("scene", "")).replace("office", "office / interview").replace("park", "park bench")
            label(self.rows_root, ("> " if sel else "  ") + str(r.get("name", r.get("id", "?"))), (-0.86, y), s * 0.9)
            label(
                self.rows_root,
                f"{scene}   {extra}",
                (0.86, y),
                s * 0.7,
                theme.colour("ui_muted"),
                align=TextNode.ARight,
            )

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
            self.on_join(self.rooms[self.index])
            return True
        return False

    def on_char(self, ch: str):
        if ch in ("r", "R"):
            self.status.setText("Looking for rooms...")
            self.on_refresh()

    def destroy(self):
        self.root.removeNode()
