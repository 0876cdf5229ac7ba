"""The first start of an installed client: which service to connect to (its address), remembered in the settings file.

Shown before the login screen when neither `--server` nor PEERSPACE_SERVER gives an address and the settings file
has none yet; also from the login screen's "Change server" button. Typing works as on the login screen; Enter (or
Continue) checks the address and goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from panda3d.core import NodePath, TextNode

from .. import theme
from ..i18n import t
from .widgets import TextField, button, click_area, label, panel


def normalise_server(text: str) -> tuple[str, str]:
    """(address, '') for what a person typed, or ('', the i18n key of what is wrong). An address without a scheme
    is https (a service's public address); a trailing slash or path is dropped (the client adds its own)."""
    text = text.strip()
    if not text:
        return "", "server.need_address"
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port  # a port that is not a number raises here
    except ValueError:
        return "", "server.bad_address"
    if parts.scheme not in ("http", "https"):
        return "", "server.bad_scheme"
    if not parts.hostname or " " in text:
        return "", "server.bad_address"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port else ""), ""


class ServerScreen:
    """One field, the service's address; Continue (Enter) saves it and goes on to signing in."""

    def __init__(
        self,
        parent: NodePath,
        scale: float,
        on_submit: Callable[[str], None],
        server: str = "",
        on_quit: Callable[[], None] | None = None,
        on_back: Callable[[], None] | None = None,
    ):
        self.parent = parent
        self.on_submit = on_submit
        self.on_quit = on_quit
        self.on_back = on_back  # from the login screen: Esc goes back there, the address unchanged
        self.value = server
        self.status_text = ""
        self.root: NodePath | None = None
        self._widgets: list = []
        self._build(scale)

    def _build(self, scale: float) -> None:
        self.scale = scale
        if self.root is not None:
            self.value = self.field.value
            self.destroy()
        self.root = self.parent.attachNewNode("server")
        s = 0.055 * scale
        muted = theme.colour("ui_muted")
        top = 0.8
        bg = panel(self.root, (-1.1, 1.1, -0.7, top))
        y = top - s * 1.6
        label(self.root, t("server.title"), (0, y), s * 1.3, align=TextNode.ACenter)
        y -= s * 1.5
        label(self.root, t("server.explain"), (0, y), s * 0.75, muted, align=TextNode.ACenter, wrap=1.9 / (s * 0.75))
        y -= s * 5.0
        self.field = TextField(self.root, t("server.address"), (-0.8, y), 1.6, s, max_len=300, value=self.value)
        self.field.focus(True)
        self._widgets.append(click_area(self.root, (-0.82, 0.8, y - s * 0.6, y + s * 1.2), self.field.focus, True))
        y -= s * 1.9
        self.status = label(
            self.root, self.status_text, (0, y), s * 0.8, theme.colour("ui_accent"), align=TextNode.ACenter,
            wrap=1.9 / (s * 0.8),
        )  # fmt: skip
        # what is wrong with the address may take two or three rows (a longer language, a larger text size)
        y -= s * 2.2 + (max(1, self.status.textNode.getNumRows()) - 1) * s * 0.8 * 1.2
        self._widgets.append(
            button(self.root, t("server.continue"), (-0.35, y), s, self.submit, name="server:continue")
        )
        self._widgets.append(button(self.root, t("login.quit"), (0.35, y), s, self.quit, name="server:quit"))
        y -= s * 1.6
        label(self.root, t("server.keys"), (0, y), s * 0.75, muted, align=TextNode.ACenter, wrap=2.1 / (s * 0.75))
        bg["frameSize"] = (-1.1, 1.1, y - s * 0.8, top)

    def restyle(self, scale: float) -> None:
        self._build(scale)

    def set_status(self, text: str) -> None:
        """Says what is wrong; laid out again, so a status of several rows pushes the buttons down."""
        self.status_text = text
        self._build(self.scale)

    def submit(self) -> None:
        address, problem = normalise_server(self.field.value)
        if problem:
            self.set_status(t(problem))
            return
        self.on_submit(address)

    def quit(self) -> None:
        if self.on_quit is not None:
            self.on_quit()

    def on_key(self, key: str) -> bool:
        if key == "backspace":
            self.field.backspace()
            return True
        if key == "enter":
            self.submit()
            return True
        if key == "escape":
            if self.on_back is not None:
                self.on_back()
            return True  # never quits
        return False

    def on_char(self, ch: str) -> None:
        self.field.type_char(ch)

    def destroy(self) -> None:
        for w in self._widgets:
            w.destroy()
        self._widgets = []
        if self.root is not None:
            self.root.removeNode()
            self.root = None
