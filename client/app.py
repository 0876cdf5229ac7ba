"""The peerspace desktop client: a Panda3D ShowBase driven by asyncio ("option A").

asyncio owns the main thread and calls `taskMgr.step()` at a steady frame
rate; Socket.IO handlers run between frames on the same thread and touch the
scene graph directly. Every network failure becomes a calm on-screen notice.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from direct.showbase.ShowBase import ShowBase
from panda3d.core import ClockObject, Filename, GraphicsPipeSelection, PNMImage, loadPrcFileData

from wire import codec, events
from wire import controllers as wc
from wire import scenario as wsc
from wire.errors import WireError

from . import theme
from .avatars import Avatar
from .interp import SnapshotBuffer
from .predict import LocalPredictor
from .scene import build_scene
from .ui.coach import CoachConsole
from .ui.hud import ChatPanel, HelpOverlay, Notices, RecordedIndicator, SelfStatus, SettingsPanel
from .ui.safety import SafetyUI
from .ui.scenario import DIGITS, AnswerFocus, ScenarioPanel, ScenarioPicker
from .ui.screens import LoginScreen, RoomListScreen
from .ui.settings import CAMERA_DISTANCES, Settings, default_path

log = logging.getLogger("peerspace.client")

EXPRESSION_KEYS = {"f2": "neutral", "f3": "happy", "f4": "sad", "f5": "angry", "f6": "surprised",
                   "f7": "afraid", "f8": "disgusted"}
GESTURE_KEYS = {"1": "wave", "2": "nod", "3": "shake_head", "4": "point", "5": "shrug", "6": "thumbs_up"}
# While a scenario offers options, 1-9 choose them; Shift+1..6 still gesture.
SHIFT_GESTURE_KEYS = {f"shift-{k}": v for k, v in GESTURE_KEYS.items()}
SCENARIO_KEYS = ("p", "f11", "space") + DIGITS
# key -> (axis index: 0 forward, 1 strafe, 2 turn; value). Turn + is to the left (counter-clockwise).
MOVE_KEYS = {"w": (0, 1), "arrow_up": (0, 1), "s": (0, -1), "arrow_down": (0, -1),
             "a": (2, 1), "arrow_left": (2, 1), "d": (2, -1), "arrow_right": (2, -1),
             "q": (1, -1), "e": (1, 1)}
UI_KEYS = ("tab", "enter", "escape", "backspace", "arrow_up", "arrow_down", "arrow_left", "arrow_right",
           "f1", "f9", "f10", "f12")
COACH_KEY = "k"        # peer specialists and facilitators: open the coach console
COACH_ROLES = (events.PEER_SPECIALIST, events.FACILITATOR, events.ADMIN)


@dataclass
class Options:
    server: str | None = None
    user: str | None = None
    password: str | None = None
    room: str | None = None
    screenshot: str | None = None
    frames: int = 30
    offscreen: bool = False
    size: tuple[int, int] = (960, 600)
    fps: float = 60.0
    settings_path: Path | None = field(default_factory=default_path)
    text_size: str | None = None
    reduced_motion: bool | None = None
    preview: str | None = None       # scene name: an offline preview with sample avatars, no server
    timeout: float = 30.0            # screenshot mode: give up waiting for the room after this long
    software: bool = False           # draw with the software renderer (p3tinydisplay), no OpenGL
    autoplay: str | None = None      # play this scenario by itself (first option each time), then exit
    difficulty: str = "easy"
    shots: str | None = None         # autoplay: save a picture of each phase into this folder
    autoplay_phases: int | None = None   # autoplay: stop the scenario after this many phases
    autoplay_delay: float = 1.2      # autoplay: seconds to let each step be seen before answering


def configure_panda(offscreen: bool, size: tuple[int, int], software: bool = False) -> None:
    lines = [f"win-size {size[0]} {size[1]}", "window-title peerspace", "audio-library-name null",
             "sync-video false", "notify-level-device fatal", "notify-level-display error",
             "default-model-extension .egg", "print-pipe-types false"]
    if software:
        lines += ["load-display p3tinydisplay", "aux-display"]
    elif offscreen:
        lines += ["load-display p3headlessgl", "aux-display p3tinydisplay"]
    if offscreen:
        lines += ["window-type offscreen"]
    loadPrcFileData("peerspace", "\n".join(lines))


def open_window(base, offscreen: bool) -> str:
    """Open the main window on the best pipe; fall back to software (tinydisplay). Returns the pipe name."""
    kind = "offscreen" if offscreen else "onscreen"
    base.openMainWindow(type=kind)
    if base.win is None:
        sel = GraphicsPipeSelection.getGlobalPtr()
        sel.loadAuxModules()
        for pipe_name in ("TinyOffscreenGraphicsPipe", "TinyXGraphicsPipe"):
            pipe = sel.makePipe(pipe_name)
            if pipe is not None:
                base.pipe = pipe
                base.openMainWindow(type=kind)
                if base.win is not None:
                    break
    if base.win is None:
        raise RuntimeError("No way to draw the 3D view was found (install libgl1 libegl1, or libx11-6).")
    return base.pipe.getType().getName()


class ChatFocus:
    """Routes keys to the chat input while typing."""

    def __init__(self, app: "PeerspaceClient"):
        self.app = app

    def on_key(self, key: str) -> bool:
        chat = self.app.chat
        if key == "enter":
            text = chat.close().strip()
            self.app.focus = None
            if text:
                self.app.say(text)
            return True
        if key == "escape":
            chat.close()
            self.app.focus = None
            return True
        if key == "backspace":
            chat.input.backspace()
            return True
        # typed letters, digits, '-' and '=' belong to the message; F-keys (help, feelings) still work
        return not (key.startswith("f") and key[1:].isdigit())

    def on_char(self, ch: str):
        self.app.chat.input.type_char(ch)


class CoachFocus:
    """Routes keys to the coach console while it is open; Esc closes it.

    Letters and digits reach the console once, as typed characters (`keystroke`),
    like the chat; named keys (Enter, Tab, F5-F8, Esc) come as key events.
    """

    def __init__(self, app: "PeerspaceClient"):
        self.app = app

    def on_key(self, key: str) -> bool:
        if len(key) == 1:
            return True
        if self.app.coach.on_key(key):
            return True
        if key == "escape":
            self.app.close_coach()
            return True
        return not (key.startswith("f") and key[1:].isdigit())   # help, settings and faces still work

    def on_char(self, ch: str):
        self.app.coach.on_char(ch)


class HelpFocus:
    def __init__(self, app, overlay):
        self.app, self.overlay = app, overlay

    def on_key(self, key: str) -> bool:
        if key in ("escape", "f1", "enter"):
            self.app.close_help()
        return True

    def on_char(self, ch: str):
        pass


class PeerspaceClient(ShowBase):
    def __init__(self, opts: Options, session_factory: Callable[[str], Any] | None = None):
        self.opts = opts
        offscreen = opts.offscreen or (sys.platform.startswith("linux") and not os.environ.get("DISPLAY")
                                       and not os.environ.get("WAYLAND_DISPLAY"))
        self.offscreen = offscreen
        configure_panda(offscreen, opts.size, opts.software)
        super().__init__(windowType="none")
        self.pipe_name = open_window(self, offscreen)
        self.disableMouse()
        if self.buttonThrowers:
            self.buttonThrowers[0].node().setKeystrokeEvent("keystroke")
        self.settings = Settings.load(opts.settings_path)
        if opts.text_size:
            self.settings.text_size = opts.text_size
        if opts.reduced_motion is not None:
            self.settings.reduced_motion = opts.reduced_motion
        self.session_factory = session_factory
        self.session = None
        self.quit_requested = False
        self.exit_code = 0
        self.room: dict | None = None
        self.scene_name: str | None = None
        self.scene_np = None
        self.my_id: int | None = None
        self.avatars: dict[int, Avatar] = {}
        self.members: dict[int, dict] = {}
        self.interp = SnapshotBuffer(tick_hz=30.0, delay=0.1)   # the room tells its own rate
        self.focus = None
        self.screen = None          # login or room list, when shown
        self.help = None
        self.settings_panel = None
        self.held: dict[str, tuple[int, int]] = {}
        self.axes = (0.0, 0.0, 0.0)
        self.my_expression, self.my_intensity = "neutral", 0.75
        self.recording = False
        self.connection_state = "disconnected"
        self.frames_in_room = 0
        self.frame_count = 0
        self._tasks: set[asyncio.Task] = set()
        self._cam_ready = False
        self.closeup: int | None = None   # avatar whose face the camera shows close up (F9)
        self.scenario_panel: ScenarioPanel | None = None
        self.coach: CoachConsole | None = None   # staff: the teleoperation console, kept while in a room
        self.picker: ScenarioPicker | None = None
        self.predictor = LocalPredictor()  # your own avatar, predicted from the keys you hold
        self._chat_lines: list = []
        self.chat = self.notices = self.recorded = self.self_status = None
        self.setBackgroundColor(*theme.colour("sky"))
        self.camLens.setFov(62)
        self.camLens.setNearFar(0.1, 200)
        self._build_hud()
        # panels (help, settings) go on a layer drawn after the HUD corners
        self.popups = self.aspect2d.attachNewNode("popups", 100)
        self._bind_keys()
        self.safety = SafetyUI(self)     # quiet room, report/block, monitoring, crisis card, staff alerts
        self.taskMgr.add(self._update, "peerspace-update", sort=-10)

    # --- keys ---------------------------------------------------------------------------
    def _bind_keys(self):
        for key in (set(UI_KEYS) | set(MOVE_KEYS) | set(EXPRESSION_KEYS) | set(GESTURE_KEYS) | {"-", "=", "+"}
                    | set(SCENARIO_KEYS) | set(SHIFT_GESTURE_KEYS) | {COACH_KEY}):
            self.accept(key, self._key, [key])
        for key in MOVE_KEYS:
            self.accept(f"{key}-up", self._key_up, [key])
        self.accept("keystroke", self._char)

    def _key(self, key: str):
        if self.safety.on_key(key):      # Home/Pause, R, End; Enter/Esc while someone is chosen
            return
        if self.focus is not None and self.focus.on_key(key):
            return
        if self.focus is None and key == COACH_KEY and self.in_room and self.coach is not None:
            self.open_coach()
            return
        if self.focus is None and self.in_room and self.scenario_panel is not None:
            if self.scenario_panel.on_key(key):
                if self.scenario_panel is not None and self.scenario_panel.typing:
                    self._release_movement()
                    self.focus = AnswerFocus(self, self.scenario_panel)
                return
        if self.focus is None and key in MOVE_KEYS and self.in_room:
            self.closeup = None              # walking steps back from a close-up
            self.held[key] = MOVE_KEYS[key]
            self._send_axes()
            return
        if key == "f1":
            self.open_help()
        elif key in ("f10", "escape"):
            if self.screen is not None and key == "escape" and isinstance(self.screen, LoginScreen):
                self.quit()
            else:
                self.open_settings()
        elif not self.in_room:
            return
        elif key == "enter" or key == "tab":
            self._release_movement()
            self.chat.open()
            self.focus = ChatFocus(self)
        elif key in EXPRESSION_KEYS:
            self.set_my_expression(EXPRESSION_KEYS[key], self.my_intensity)
        elif key == "-":
            self.set_my_expression(self.my_expression, max(0.25, round(self.my_intensity - 0.25, 2)))
        elif key in ("=", "+"):
            self.set_my_expression(self.my_expression, min(1.0, round(self.my_intensity + 0.25, 2)))
        elif key in GESTURE_KEYS:
            self.gesture(GESTURE_KEYS[key])
        elif key in SHIFT_GESTURE_KEYS:
            self.gesture(SHIFT_GESTURE_KEYS[key])
        elif key in ("p", "f11"):
            self.open_scenarios()
        elif key == "f12":
            self.spawn(self._toggle_recording(), "change recording")
        elif key == "f9":
            self.toggle_closeup()

    def _key_up(self, key: str):
        if self.held.pop(key, None) is not None:
            self._send_axes()

    def _char(self, ch: str):
        if self.focus is not None and hasattr(self.focus, "on_char"):
            self.focus.on_char(ch)

    def _release_movement(self):
        if self.held:
            self.held.clear()
            self._send_axes()

    def _send_axes(self):
        axes = [0.0, 0.0, 0.0]
        for axis, value in self.held.values():
            axes[axis] += value
        axes = tuple(float(max(-1.0, min(1.0, a))) for a in axes)
        if axes != self.axes:
            self.axes = axes
            self.send(events.MOVE, {"forward": axes[0], "strafe": axes[1], "turn": axes[2]})

    # --- UI -------------------------------------------------------------------------------
    @property
    def in_room(self) -> bool:
        return self.room is not None and self.screen is None

    def _build_hud(self):
        s = self.settings.text_scale
        for part in (self.chat, self.notices, self.recorded, self.self_status):
            if part is not None:
                part.destroy()
        lines = self.chat.lines if self.chat else []
        notices = self.notices.items if self.notices else []
        self.chat = ChatPanel(self.a2dBottomLeft, s, lines)
        self.notices = Notices(self.a2dTopCenter, s)
        self.notices.items = notices
        self.notices.set_connection(self._connection_text())
        self.recorded = RecordedIndicator(self.a2dTopRight, s, self._recorded_text())
        self.self_status = SelfStatus(self.a2dBottomRight, s)
        self.self_status.set(self.my_expression, self.my_intensity)
        in_room = self.room is not None and self.screen is None
        for part in (self.chat, self.recorded, self.self_status):
            part.root.show() if in_room else part.root.hide()

    def _show_room_hud(self, show: bool):
        for part in (self.chat, self.recorded, self.self_status):
            part.root.show() if show else part.root.hide()

    def _recorded_text(self) -> str:
        if self.recording:
            return ("Your lines are recorded for your sessions (F12 stops this). "
                    "Coach and role-play lines are recorded. Never sound or video.")
        return ("Your lines are NOT recorded (F12 allows it). "
                "Coach and role-play lines are recorded. Never sound or video.")

    def _connection_text(self) -> str:
        return {"reconnecting": "The connection dropped. Reconnecting by itself... your place is kept for a while.",
                "offline": "You are offline. peerspace keeps trying to reconnect; Esc opens settings to quit."
                }.get(self.connection_state, "")

    def apply_settings(self, settings: Settings):
        self.settings = settings
        settings.save(self.opts.settings_path)
        self._build_hud()
        for av in self.avatars.values():
            av.reduced_motion = settings.reduced_motion
            av.set_text_scale(settings.text_scale)
        if self.settings_panel is not None:
            self.settings_panel.root.reparentTo(self.popups)
        if self.scenario_panel is not None:
            self._make_scenario_panel(self.scenario_panel)

    def notice(self, text: str, seconds: float = 7.0):
        self.notices.show(text, seconds)
        self.chat.add(text, "notice")

    def open_help(self):
        if self.help is None:
            self._release_movement()
            self.help = HelpOverlay(self.popups, self.settings.text_scale)
            self._saved_focus = self.focus
            self.focus = HelpFocus(self, self.help)

    def close_help(self):
        if self.help is not None:
            self.help.destroy()
            self.help = None
            self.focus = getattr(self, "_saved_focus", None)

    def open_settings(self):
        if self.settings_panel is not None:
            return
        self._release_movement()
        self._saved_focus = self.focus
        panel = SettingsPanel(self.popups, self.settings, self.apply_settings,
                              self.leave_room if self.in_room else None, self.quit,
                              extra=self.safety.settings_items())
        self.settings_panel = panel
        outer = self

        class _F:
            def on_key(self, key):
                if key in ("escape", "f10"):
                    outer.close_settings()
                    return True
                panel.on_key(key)
                return True

            def on_char(self, ch):
                pass
        self.focus = _F()

    def close_settings(self):
        if self.settings_panel is not None:
            self.settings_panel.destroy()
            self.settings_panel = None
            self.focus = getattr(self, "_saved_focus", None)

    def show_login(self, status: str = ""):
        self._set_screen(LoginScreen(self.aspect2d, self.settings.text_scale, self._on_login_submit,
                                     name=self.opts.user or "", server=self.opts.server or ""))
        if status:
            self.screen.set_status(status)

    def show_rooms(self):
        self._set_screen(RoomListScreen(self.aspect2d, self.settings.text_scale, self._on_room_chosen,
                                        lambda: self.spawn(self.refresh_rooms(), "list the rooms")))
        self.spawn(self.refresh_rooms(), "list the rooms")

    def _set_screen(self, screen):
        if self.screen is not None:
            self.screen.destroy()
        self.screen = screen
        self.focus = screen
        self._show_room_hud(screen is None and self.room is not None)

    # --- networking -----------------------------------------------------------------------
    def spawn(self, coro, what: str = "do that"):
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            coro.close()
            return None
        task = loop.create_task(self._guard(coro, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guard(self, coro, what: str):
        try:
            return await coro
        except WireError as e:
            self.notice(e.message)
        except asyncio.CancelledError:
            raise
        except Exception:   # never show a traceback to a participant
            log.debug("failed to %s", what, exc_info=True)
            self.notice(f"Could not {what} just now. Please try again in a moment.")

    def send(self, event: str, payload: dict):
        if self.session is None or self.opts.preview:
            return
        if not getattr(self.session, "connected", False):
            return
        self.spawn(self.session.emit(event, payload), "send that")

    def _on_login_submit(self, name: str, password: str):
        self.spawn(self.login_and_connect(name, password), "sign in")

    async def login_and_connect(self, name: str, password: str) -> bool:
        screen = self.screen if isinstance(self.screen, LoginScreen) else None
        if screen:
            screen.busy = True
            screen.set_status("Signing in...")
        if self.session_factory is None:
            from wire.session import Session
            self.session_factory = Session
        session = self.session_factory(self.opts.server)
        self._register(session)
        try:
            await session.login(name, password)
            self.session = session
            await session.connect()
        except WireError as e:
            text = e.message if e.code != "network" else (
                "Cannot reach the server. Check the address and your connection, then press Enter to try again.")
            if screen is None or self.screen is not screen:
                self.show_login(text)
            else:
                screen.set_status(text)
                screen.busy = False
            await self._drop_session(session)
            return False
        except Exception:
            log.debug("login failed", exc_info=True)
            msg = "Something went wrong while signing in. Press Enter to try again."
            if screen is None:
                self.show_login(msg)
            else:
                screen.set_status(msg)
                screen.busy = False
            await self._drop_session(session)
            return False
        self.connection_state = "connected"
        if self.room is None:
            if self.opts.room:
                await self.join(self.opts.room)
            else:
                self.show_rooms()
        return True

    async def _drop_session(self, session):
        if self.session is session:
            self.session = None
        try:
            await session.close()
        except Exception:
            pass

    def _register(self, s):
        for event, handler in (("_connection", self.on_connection), ("welcome", self.on_welcome),
                               (events.ROOM_STATE, self.on_room_state), (events.SNAPSHOT, self.on_snap),
                               (events.MEMBER_JOINED, self.on_member_joined),
                               (events.MEMBER_LEFT, self.on_member_left),
                               (events.MEMBER_UPDATED, self.on_member_updated), (events.SAID, self.on_said),
                               (events.NOTICE, self.on_notice), (events.ERROR, self.on_error),
                               (wsc.SCENARIO_STATE, self.on_scenario_state),
                               (wsc.SCENARIO_ENDED, self.on_scenario_ended),
                               (wc.CONTROLLER, self.on_controller),
                               (wc.PROPOSAL, self._to_coach(wc.PROPOSAL))):
            s.on(event, self._safe(event, handler))
        self.safety.register(s, self._safe)

    def _safe(self, event: str, handler):
        """A server message the client cannot use is logged quietly, never shown as a traceback."""
        def run(data):
            try:
                handler(data if data is not None else {})
            except Exception:
                log.debug("could not use %r from the server", event, exc_info=True)
                if event in (events.ROOM_STATE,):
                    self.notice("The room could not be shown just now. It will refresh by itself.")
        return run

    async def refresh_rooms(self):
        ack = await self.session.call(events.LIST_ROOMS, {})
        rooms = ack.get("rooms", []) if isinstance(ack, dict) else list(ack or [])
        if isinstance(self.screen, RoomListScreen):
            self.screen.set_rooms(rooms)

    def _on_room_chosen(self, room: dict):
        self.spawn(self.join(str(room.get("id"))), "join that room")

    async def join(self, room_id: str):
        try:
            await self.session.call(events.JOIN, {"room": room_id})
        except WireError as e:
            if self.screen is None:
                self.show_rooms()
            self.notice(e.message)
            return

    def leave_room(self):
        self.close_settings()
        self.spawn(self._leave(), "leave the room")

    async def _leave(self):
        await self.session.call(events.LEAVE, {})
        self._clear_room()
        self.show_rooms()

    async def _toggle_recording(self):
        ack = await self.session.call(events.CONSENT, {"recording": not self.recording})
        self.recording = bool(ack.get("recording"))
        self.recorded.set(self._recorded_text())

    def say(self, text: str):
        if self.session is None:
            self.on_said({"avatar": self.my_id, "name": self.opts.user or "You", "text": text})
            return
        self.send(events.SAY, {"text": text[:500]})

    def set_my_expression(self, name: str, intensity: float):
        self.my_expression, self.my_intensity = name, float(intensity)
        self.self_status.set(name, intensity)
        av = self.avatars.get(self.my_id)
        if av is not None:
            av.set_expression(name, intensity)
        self.send(events.EXPRESSION, {"name": name, "intensity": float(intensity)})

    def gesture(self, name: str):
        av = self.avatars.get(self.my_id)
        if av is not None:
            av.play_gesture(name)
        self.send(events.GESTURE, {"name": name})

    def quit(self):
        self.quit_requested = True

    def toggle_closeup(self):
        """F9: look closely at the face of the person in front of you (emotion-recognition practice)."""
        if self.closeup is not None:
            self.closeup = None
            self.self_status.set(self.my_expression, self.my_intensity)
            return
        me = self.avatars.get(self.my_id)
        if me is None:
            return
        face = self._scenario_face()
        if face is not None:               # an emotion item: the face to read is the cast avatar showing it
            self.closeup = face
            self.notice(f"Looking closely at {self.avatars[face].name}. F9 again to step back.", seconds=4)
            return
        best, best_d = None, 9.0
        for aid, av in self.avatars.items():
            if aid == self.my_id or not av.placed:
                continue
            rel = av.root.getPos(me.root)            # in my frame: +y is in front of me
            d = rel.length()
            if rel.y > 0.2 and abs(rel.x) < rel.y * 1.2 and d < best_d:
                best, best_d = aid, d
        if best is None:
            self.notice("Nobody is in front of you to look at closely. Turn towards someone, then press F9.")
            return
        self.closeup = best
        self.notice(f"Looking closely at {self.avatars[best].name}. F9 again to step back.", seconds=4)

    # --- scenarios (client/ui/scenario.py) ------------------------------------------------
    def open_scenarios(self):
        """P (or F11): the list of practice scenarios; Enter starts one in this room."""
        if self.picker is not None or self.session is None:
            return
        self._release_movement()
        self.picker = ScenarioPicker(self.popups, self.settings.text_scale, [], self._start_scenario,
                                     self.close_picker)
        self.picker.busy = True
        self.picker._draw()
        self._saved_focus = self.focus
        self.focus = self.picker
        self.spawn(self._list_scenarios(), "list the scenarios")

    async def _list_scenarios(self):
        ack = await self.session.call(wsc.SCENARIO_LIST, {})
        if self.picker is not None:
            self.picker.set_scenarios(list((ack or {}).get("scenarios") or []))

    def close_picker(self):
        if self.picker is not None:
            self.picker.destroy()
            self.picker = None
            if self.focus is not None and not isinstance(self.focus, (ChatFocus, HelpFocus)):
                self.focus = None

    def _start_scenario(self, scenario: str, difficulty: str):
        self.close_picker()
        if self.scenario_panel is None or self.scenario_panel.mode == "summary":
            self.close_scenario_panel()
            self._make_scenario_panel()
        self.spawn(self._scenario_call(wsc.SCENARIO_START, {"scenario": scenario, "difficulty": difficulty}),
                   "start the scenario")

    async def _scenario_call(self, event: str, payload: dict):
        try:
            await self.session.call(event, payload)
        except WireError as e:
            self.notice(e.message)
            panel = self.scenario_panel
            if panel is not None:
                if panel.state is None:
                    self.close_scenario_panel()
                else:
                    panel.not_sent()

    def _make_scenario_panel(self, old: ScenarioPanel | None = None):
        """The panel on the right, under the recording indicator; rebuilt when the text size changes."""
        s = self.settings.text_scale
        lo, _hi = self.recorded.root.getTightBounds(self.a2dTopRight) or (None, None)
        top = (lo.z if lo is not None else -0.3) - 0.03
        bottom = -2.0 + 0.03 + 0.045 * s * 2.2 + 0.05
        panel = ScenarioPanel(self.a2dTopRight, s, top, bottom,
                              lambda o: self.spawn(self._scenario_call(wsc.SCENARIO_CHOOSE, {"option": o}), "choose"),
                              lambda t: self.spawn(self._scenario_call(wsc.SCENARIO_ANSWER, {"text": t}), "answer"),
                              lambda: self.spawn(self._scenario_call(wsc.SCENARIO_STOP, {}), "stop the scenario"),
                              self.close_scenario_panel, reduced_motion=self.settings.reduced_motion)
        if old is not None:
            for name in ("state", "mine", "mode", "lines", "endings", "summary", "busy", "typing", "typed",
                         "_phase_index"):
                setattr(panel, name, getattr(old, name))
            old.destroy()
            panel._draw()
            if isinstance(self.focus, AnswerFocus):
                self.focus.panel = panel
        self.scenario_panel = panel
        return panel

    def _scenario_face(self) -> int | None:
        panel = self.scenario_panel
        st = panel.state if panel is not None and panel.mode == "run" else None
        if not st or st.get("wait") != "emotion":
            return None
        aid = (st.get("avatars") or {}).get((st.get("line") or {}).get("cast"))
        return aid if aid in self.avatars and aid != self.my_id else None

    def close_scenario_panel(self):
        if self.scenario_panel is not None:
            self.scenario_panel.destroy()
            self.scenario_panel = None
            if isinstance(self.focus, AnswerFocus):
                self.focus = None

    def on_scenario_state(self, d: dict):
        if self.coach is not None:
            self.coach.on_event(wsc.SCENARIO_STATE, d)
        from .ui.scenario import participant_role
        role = participant_role(d)
        mine = role is None or (d.get("avatars") or {}).get(role, self.my_id) == self.my_id
        panel = self.scenario_panel or self._make_scenario_panel()
        before = panel._phase_index
        panel.set_state(d, mine)
        if mine and panel.mode == "run" and panel._phase_index != before:
            self._face_speaker(d)

    def _face_speaker(self, d: dict):
        """A new part of the practice: turn to whoever speaks in it (any key turns you away again)."""
        avatars = d.get("avatars") or {}
        cast = d.get("cast") or {}
        line = d.get("line") or {}
        role = line.get("cast") if line.get("cast") in avatars else next(
            (r for r, c in cast.items() if isinstance(c, dict) and c.get("kind") == "partner" and r in avatars),
            next((r for r, c in cast.items() if isinstance(c, dict) and c.get("kind") == "coach" and r in avatars),
                 None))
        aid = avatars.get(role) if role else None
        if aid is not None and aid in self.avatars and not self.held:
            self.send(events.LOOK, {"at": int(aid)})

    def on_scenario_ended(self, d: dict):
        if self.coach is not None:
            self.coach.on_event(wsc.SCENARIO_ENDED, d)
        panel = self.scenario_panel
        if panel is None:
            return
        if panel.mine:
            panel.ended(d)
            if isinstance(self.focus, AnswerFocus):
                self.focus = None
        else:
            self.close_scenario_panel()
            self.chat.add("The practice here has ended.", "notice")

    # --- server events ------------------------------------------------------------------
    def on_connection(self, d: dict):
        state = d.get("state")
        was = self.connection_state
        self.connection_state = {"disconnected": "offline"}.get(state, state)
        if self.connection_state == "offline" and self.quit_requested:
            return
        self.notices.set_connection(self._connection_text())
        if state == "connected" and was in ("reconnecting", "offline"):
            self.notice("Connected again.")
        if state != "connected":
            self._release_movement_local()

    def _release_movement_local(self):
        self.held.clear()
        self.axes = (0.0, 0.0, 0.0)

    def on_welcome(self, d: dict):
        if d.get("resumed"):
            self.notice("Welcome back. You are in the same place as before.")
        elif self.room is not None and self.screen is None:
            # The server no longer holds our place (it restarted, or we were away too long): go back in.
            self.spawn(self._rejoin(str(self.room.get("id"))), "go back into the room")

    async def _rejoin(self, room_id: str):
        try:
            await self.session.call(events.JOIN, {"room": room_id})
        except WireError as e:
            self._clear_room()
            self.show_rooms()
            self.notice(e.message)
            return
        self.notice("Connected again. You are back in the room.")

    def on_room_state(self, d: dict):
        room = d["room"]
        if self.scene_name != room.get("scene") or self.scene_np is None:
            self._build_scene(room.get("scene", "cafe"))
        self.room = room
        self.my_id = d.get("you")
        self._ensure_coach()
        # the server says whether this person's own lines are recorded (their consent, or their role)
        self.recording = bool(d.get("recording", False))
        self.recorded.set(self._recorded_text())
        self.predictor.configure(d.get("motion"))
        self.predictor.reset()
        members = {m["avatar"]: m for m in d.get("members", [])}
        for aid in list(self.avatars):
            if aid not in members:
                self._remove_avatar(aid)
        self.interp.clear(tick_hz=(d.get("motion") or {}).get("tick_hz"))
        for m in members.values():
            self._add_or_update(m)
        self._take_poses(d.get("poses", b""), d.get("t"))
        if self.screen is not None:
            self._set_screen(None)
        self._show_room_hud(True)
        self._cam_ready = False
        self.frames_in_room = 0
        self.chat.add(f"You are in {room.get('name', 'the room')}. Press F1 for keys.", "notice")

    def on_snap(self, d: dict):
        self._take_poses(d.get("poses", b""), d.get("t"))

    def _take_poses(self, blob: bytes, tick):
        if not blob:
            if tick is not None:
                self.interp.push([], [], [], time.perf_counter(), tick=tick)
            return
        rec = codec.decode_poses(blob)
        ids, xy, yaw = codec.poses_to_float(rec)
        now = time.perf_counter()
        self.interp.push(ids, xy, yaw, now, tick=tick)
        mine = np.flatnonzero(ids == self.my_id) if self.my_id is not None else ()
        if len(mine):
            i = int(mine[-1])
            self.predictor.on_server(float(xy[i, 0]), float(xy[i, 1]), float(yaw[i]), now)
        for aid, flags in zip(ids.tolist(), rec["flags"].tolist()):
            av = self.avatars.get(aid)
            if av is not None and bool(flags & codec.FLAG_AWAY) != av.away:
                av.set_away(bool(flags & codec.FLAG_AWAY))

    def on_member_joined(self, d: dict):
        m = d["member"]
        self._add_or_update(m)
        if m["avatar"] != self.my_id:
            self.chat.add(f"{m.get('name', 'Someone')} joined.", "notice")

    def on_member_left(self, d: dict):
        aid = d["avatar"]
        m = self.members.get(aid)
        self._remove_avatar(aid)
        if m:
            self.chat.add(f"{m.get('name', 'Someone')} left.", "notice")

    def on_member_updated(self, d: dict):
        aid = d.get("avatar")
        av = self.avatars.get(aid)
        if av is None:
            return
        m = self.members[aid]
        m.update(d)
        if "expression" in d or "intensity" in d:
            if aid != self.my_id or "expression" in d:
                av.set_expression(m.get("expression", "neutral"), float(m.get("intensity", 1.0)))
        if "gesture" in d and d["gesture"] != "none" and not (aid == self.my_id and av.gesture == d["gesture"]):
            av.play_gesture(d["gesture"])
        if "away" in d:
            av.set_away(bool(d["away"]))
        if "paused" in d:
            av.set_paused(bool(d["paused"]))
        if "name" in d:
            av.set_name(d["name"])

    def on_said(self, d: dict):
        av = self.avatars.get(d.get("avatar"))
        name = d.get("name") or (av.name if av else "Someone")
        text = str(d.get("text", ""))
        if av is not None:
            av.say(text)
        self.chat.add(f"{name}: {text}")
        panel = self.scenario_panel
        if panel is not None and panel.mode != "summary":
            cast = set(((panel.state or {}).get("avatars") or {}).values())
            if av is not None and av.kind == "cast" and (not cast or av.id in cast):
                panel.add_line(name, text)
            elif d.get("scenario") == "answer":
                panel.add_line("You" if d.get("avatar") == self.my_id else name, text, mine=True)

    def on_notice(self, d: dict):
        if self.safety.on_notice(d):     # crisis resources: a card that stays until dismissed
            return
        if d.get("kind") == "recording" and "recording" in d:
            self.recording = bool(d["recording"])
            self.recorded.set(self._recorded_text())
        self.notice(str(d.get("text", "")))

    def on_error(self, d: dict):
        self.notice(str(d.get("message") or "The server could not do that."))

    # --- scene and avatars ------------------------------------------------------------
    def _build_scene(self, name: str):
        if self.scene_np is not None:
            self.scene_np.removeNode()
        self.scene_np = build_scene(name, self.render)
        self.scene_name = name
        self.setBackgroundColor(*self.scene_np.getPythonTag("sky"))

    def _add_or_update(self, m: dict):
        aid = m["avatar"]
        self.members[aid] = dict(m)
        av = self.avatars.get(aid)
        if av is None:
            av = Avatar(self.render, aid, m.get("name", "?"), m.get("kind", "person"), m.get("role", ""),
                        text_scale=self.settings.text_scale, reduced_motion=self.settings.reduced_motion)
            av.root.hide()   # shown once it has a pose
            self.avatars[aid] = av
        else:
            av.set_name(m.get("name", av.name))
        av.show_tag(aid != self.my_id)   # your own name tag would only block your view
        av.set_expression(m.get("expression", "neutral"), float(m.get("intensity", 1.0)))
        if m.get("away") is not None:
            av.set_away(bool(m.get("away")))
        if m.get("paused") is not None:
            av.set_paused(bool(m.get("paused")))
        if aid == self.my_id:
            self.my_expression = m.get("expression", "neutral")
            if self.my_expression != "neutral":
                self.my_intensity = float(m.get("intensity", 1.0))
            self.self_status.set(self.my_expression, self.my_intensity)

    def _remove_avatar(self, aid: int):
        av = self.avatars.pop(aid, None)
        self.members.pop(aid, None)
        self.interp.remove(aid)
        if av is not None:
            av.destroy()

    # --- the coach console (staff) ------------------------------------------------------------
    def _to_coach(self, event: str):
        def forward(data: dict):
            if self.coach is not None:
                self.coach.on_event(event, data)
        return forward

    def on_controller(self, d: dict):
        """Who drives a cast avatar now: shown on its name tag to everyone, and to the coach console."""
        av = self.avatars.get(d.get("avatar"))
        if av is not None:
            av.set_driver(d.get("driver"))
        if self.coach is not None:
            self.coach.on_event(wc.CONTROLLER, d)

    def _ensure_coach(self):
        user = getattr(self.session, "user", None) or {}
        if self.coach is None and user.get("role") in COACH_ROLES:
            self.coach = CoachConsole(self.popups, lambda e, p: self.send(e, p), me=user.get("name", ""),
                                      scale=self.settings.text_scale)
            self.coach.root.hide()

    def open_coach(self):
        self._release_movement()
        self.coach.root.show()
        self.focus = CoachFocus(self)

    def close_coach(self):
        if self.coach is not None:
            self.coach.typing = False
            self.coach.root.hide()
        if isinstance(self.focus, CoachFocus):
            self.focus = None

    def _clear_room(self):
        self.close_coach()
        if self.coach is not None:
            self.coach.destroy()
            self.coach = None
        self.safety.clear()
        self.close_scenario_panel()
        self.close_picker()
        for aid in list(self.avatars):
            self._remove_avatar(aid)
        self.room = None
        self.my_id = None

    # --- per frame -------------------------------------------------------------------------
    def _update(self, task):
        dt = min(ClockObject.getGlobalClock().getDt(), 0.1)
        now = time.perf_counter()
        poses = self.interp.sample(now)
        if self.my_id in poses:
            mine = self.predictor.step(dt, self.axes, now)
            if mine is not None:
                poses[self.my_id] = (*mine, any(self.axes))
        for aid, av in self.avatars.items():
            p = poses.get(aid)
            if p is not None:
                av.set_pose(p[0], p[1], p[2])
                av.moving = p[3]
                if not av.placed:
                    av.placed = True
                    av.root.show()
            av.update(dt)
        self._update_camera(dt)
        self.notices.update(dt)
        if self.scenario_panel is not None:
            self.scenario_panel.update(dt)
        # with the scenario panel on the right, the view's centre moves into the space left of it
        want = 0.3 if (self.scenario_panel is not None and self.closeup is None) else 0.0
        lens = self.camLens
        now_x = lens.getFilmOffset()[0] / max(1e-6, lens.getFilmSize()[0] / 2)
        k = 1.0 if self.settings.reduced_motion else 1.0 - pow(0.5, dt * 5.0)
        if abs(want - now_x) > 1e-4:
            lens.setFilmOffset((now_x + (want - now_x) * k) * lens.getFilmSize()[0] / 2, 0)
        self.frame_count += 1
        if self.room is not None and self.screen is None:
            self.frames_in_room += 1
        return task.cont

    def _update_camera(self, dt: float):
        if self.closeup is not None and self.closeup not in self.avatars:
            self.closeup = None
        hidden = getattr(self, "_closeup_tag", None)
        if hidden != self.closeup:              # a close-up shows the face, not its name tag
            if hidden in self.avatars and hidden != self.my_id:
                self.avatars[hidden].show_tag(True)
            if self.closeup is not None:
                self.avatars[self.closeup].show_tag(False)
            self._closeup_tag = self.closeup
        me = self.avatars.get(self.my_id)
        if self.closeup is not None and me is not None:
            av = self.avatars[self.closeup]
            head = av.head.getPos(self.render)
            want = head + self.render.getRelativeVector(av.root, (0, 1.15, 0.02))
            k = 1.0 if (self.settings.reduced_motion or not self._cam_ready) else 1.0 - pow(0.5, dt * 6.0)
            self.camera.setPos(self.camera.getPos() + (want - self.camera.getPos()) * k)
            self.camera.lookAt(head)
            self._cam_ready = True
            return
        if me is None or not me.placed:
            self.camera.setPos(0, -14, 7)
            self.camera.lookAt(0, 0, 1.0)
            self._cam_ready = False
            return
        dist = CAMERA_DISTANCES.get(self.settings.camera_distance, 4.4)
        target = me.root.getPos(self.render)
        back = self.render.getRelativeVector(me.root, (0, -dist, 0))
        want = target + back
        want.z = 1.5 + dist * 0.38
        if not self._cam_ready:
            self.camera.setPos(want)
            self._cam_ready = True
        else:
            k = 1.0 - pow(0.5, dt * (10.0 if self.settings.reduced_motion else 6.0))
            self.camera.setPos(self.camera.getPos() + (want - self.camera.getPos()) * k)
        target.z = 1.35
        self.camera.lookAt(target)

    # --- screenshots and the loop -------------------------------------------------------------
    def save_screenshot(self, path: str) -> str:
        self.graphicsEngine.renderFrame()
        img = PNMImage()
        self.win.getScreenshot(img)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        img.write(Filename.fromOsSpecific(str(path)))
        return str(path)

    def step(self, n: int = 1):
        """Render n frames now (tests and benchmarks)."""
        for _ in range(n):
            self.taskMgr.step()

    async def run_async(self) -> int:
        o = self.opts
        asyncio.get_running_loop().set_exception_handler(
            lambda loop, ctx: log.debug("background error: %s", ctx.get("message"), exc_info=ctx.get("exception")))
        if o.preview:
            from .preview import populate_preview
            populate_preview(self, o.preview)
        elif o.server and o.user and o.password is not None:
            self.show_login("Signing in...")
            self.screen.fields[1].set(o.password)
            self.spawn(self.login_and_connect(o.user, o.password), "sign in")
        else:
            self.show_login()
        if o.autoplay:
            from .autoplay import autoplay
            self.spawn(autoplay(self), "play the scenario")
        period = 1.0 / o.fps
        nxt = time.perf_counter()
        started = nxt
        try:
            while not self.quit_requested:
                self.taskMgr.step()
                if o.screenshot:
                    done = self.room is not None and self.screen is None and self.frames_in_room >= o.frames
                    late = time.perf_counter() - started > o.timeout
                    if done or late or (self.screen is not None and not (o.server and o.user)
                                        and self.frame_count >= o.frames):
                        self.save_screenshot(o.screenshot)
                        print(f"peerspace: saved {o.screenshot} (drawn with {self.pipe_name})")
                        if late and not done:
                            self.exit_code = 2
                        break
                nxt += period
                delay = nxt - time.perf_counter()
                if delay < -period:
                    nxt = time.perf_counter()
                    delay = 0.0
                await asyncio.sleep(max(0.0, delay))
        finally:
            await self.close_network()
        return self.exit_code

    async def close_network(self):
        for t in list(self._tasks):
            t.cancel()
        if self.session is not None:
            try:
                await asyncio.wait_for(self.session.close(), 3)
            except Exception:
                pass
            self.session = None


def parse_args(argv=None) -> Options:
    p = argparse.ArgumentParser(prog="peerspace-client", description="peerspace desktop client")
    p.add_argument("--server", default=os.environ.get("PEERSPACE_SERVER", "http://127.0.0.1:8642"),
                   help="server address, e.g. http://127.0.0.1:8642")
    p.add_argument("--user", help="sign in as this name (otherwise the login screen asks)")
    p.add_argument("--password", help="password (otherwise the login screen asks)")
    p.add_argument("--room", help="join this room straight away (otherwise choose from the list)")
    p.add_argument("--screenshot", metavar="PATH", help="save what you see to PATH (PNG) after --frames frames, then exit")
    p.add_argument("--frames", type=int, default=30, help="frames to show in the room before --screenshot (30)")
    p.add_argument("--offscreen", action="store_true", help="render without a window (automatic with no display)")
    p.add_argument("--size", default="960x600", help="window size WxH (960x600)")
    p.add_argument("--fps", type=float, default=60.0)
    p.add_argument("--text-size", choices=list(theme.TEXT_SIZES), help="override the text size setting")
    p.add_argument("--reduced-motion", action="store_true", default=None, help="turn on reduced motion")
    p.add_argument("--preview", choices=list(events.SCENES),
                   help="offline preview of a scene with sample avatars (no server)")
    p.add_argument("--settings", help="settings file (default ~/.config/peerspace/client.json)")
    p.add_argument("--software", action="store_true",
                   help="use the software renderer (p3tinydisplay) when OpenGL/EGL is missing or broken")
    p.add_argument("--timeout", type=float, default=30.0, help="with --screenshot: seconds to wait for the room")
    p.add_argument("--autoplay", metavar="SCENARIO",
                   help="play this scenario by itself (the first option at each step), then exit")
    p.add_argument("--difficulty", choices=list(wsc.DIFFICULTIES), default="easy", help="with --autoplay")
    p.add_argument("--shots", metavar="DIR", help="with --autoplay: save a picture of each phase here")
    p.add_argument("--autoplay-phases", type=int, default=None, help="with --autoplay: stop after N phases")
    p.add_argument("--autoplay-delay", type=float, default=1.2,
                   help="with --autoplay: seconds each step stays on screen (1.2)")
    a = p.parse_args(argv)
    try:
        w, h = (int(v) for v in a.size.lower().split("x"))
    except ValueError:
        p.error("--size must look like 960x600")
    return Options(server=a.server, user=a.user, password=a.password, room=a.room, screenshot=a.screenshot,
                   frames=a.frames, offscreen=a.offscreen, size=(w, h), fps=a.fps,
                   settings_path=Path(a.settings) if a.settings else default_path(), text_size=a.text_size,
                   reduced_motion=a.reduced_motion, preview=a.preview, timeout=a.timeout,
                   software=a.software, autoplay=a.autoplay, difficulty=a.difficulty, shots=a.shots,
                   autoplay_phases=a.autoplay_phases, autoplay_delay=a.autoplay_delay)


def main(argv=None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    opts = parse_args(argv)
    try:
        app = PeerspaceClient(opts)
    except Exception as e:   # no graphics at all: say so plainly
        print(f"peerspace could not open its 3D view: {e}", file=sys.stderr)
        return 1
    try:
        return asyncio.run(app.run_async())
    except KeyboardInterrupt:
        return 0
