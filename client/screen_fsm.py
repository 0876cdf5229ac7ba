"""The client's screens as a direct.fsm.FSM (as in Panda3D's samples).

States: Login (name and password), Rooms (the room list), Room (no screen: the 3D view, and the
room HUD once you are in a room), Screen (any other full screen, given as the argument: the first start's
server address, client/ui/server_screen.py, is one).
Leaving a state takes its screen down; the screen that is shown has the keyboard focus.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from direct.fsm.FSM import FSM

from .i18n import t
from .ui.screens import LoginScreen, QuitDialog, RoomListScreen
from .ui.server_screen import ServerScreen

if TYPE_CHECKING:
    from .app import PeerspaceClient


class Screens(FSM):
    def __init__(self, app: PeerspaceClient):
        FSM.__init__(self, "peerspace-screens")
        self.app = app
        self.screen = None
        self.quit_dialog: QuitDialog | None = None
        self._under_quit = None

    def _show(self, screen) -> None:
        if self.screen is not None:
            self.screen.destroy()
        self.screen = screen
        self.app.focus = screen
        self.app.hud.show_room(screen is None and self.app.model.room is not None)

    def enterLogin(self, status: str = "") -> None:
        app = self.app
        self._show(
            LoginScreen(
                app.aspect2d,
                app.settings.text_scale,
                app.sign_in,
                name=app.opts.user or "",
                server=app.opts.server or "",
                settings=app.settings,
                on_settings=app.apply_settings,
                on_quit=self.ask_quit,
                on_change_server=self.show_server,
            )
        )
        if status:
            self.screen.set_status(status)

    def show_server(self) -> None:
        """The service's address: at the first start, or from the login screen's Change server."""
        app = self.app
        screen = ServerScreen(
            app.aspect2d,
            app.settings.text_scale,
            self.set_server,
            server=app.opts.server or "",
            on_quit=self.ask_quit,
            on_back=app.show_login if app.opts.server else None,
        )
        self.request("Screen", screen)

    def set_server(self, address: str) -> None:
        """Connect to this service from now on (remembered in the settings file), then sign in."""
        app = self.app
        app.opts.server = app.settings.server = address
        app.settings.save(app.opts.settings_path)
        app.show_login()

    def enterRooms(self) -> None:
        app = self.app
        refresh = lambda: app.spawn(app.net.refresh_rooms(), t("do.list_rooms"))  # noqa: E731
        self._show(RoomListScreen(app.aspect2d, app.settings.text_scale, app.choose_room, refresh))
        app.records.add_entry(self.screen)  # the way to the person's own records (client/ui/records.py)
        refresh()

    def enterScreen(self, screen) -> None:
        self._show(screen)

    def enterRoom(self) -> None:
        if self.screen is not None:
            self._show(None)

    def ask_quit(self) -> None:
        """Ctrl+Q or a Quit button, on any screen: ask first (Enter or Yes quits; Esc or No stays)."""
        app = self.app
        if self.quit_dialog is None:
            app.release_movement()
            self._under_quit = app.focus  # what had the keys gets them back if the person stays
            self.quit_dialog = QuitDialog(app.popups, app.settings.text_scale, app.quit, self.close_quit)
            app.focus = self.quit_dialog

    def close_quit(self) -> None:
        if self.quit_dialog is not None:
            self.quit_dialog.destroy()
            self.quit_dialog = None
            self.app.focus = self._under_quit
            self._under_quit = None
