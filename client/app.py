"""The peerspace desktop client: a Panda3D ShowBase driven by asyncio ("option A").

asyncio owns the main thread and calls `taskMgr.step()` at a steady frame
rate; Socket.IO handlers run between frames on the same thread and touch the
scene graph directly. Every network failure becomes a calm on-screen notice.

`PeerspaceClient` is only the assembly of the parts (docs/client.md): the model
(model.py), the network session and its handlers (net.py), the input stack of
modes (input.py), the views (views.py), scenarios and the coach console
(scenarios.py), the safety UI (ui/safety.py) and the screens FSM (screen_fsm.py).
Its public methods are what the UI parts may call.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from direct.showbase.ShowBase import ShowBase
from panda3d.core import ClockObject, Filename, GraphicsPipeSelection, PNMImage, loadPrcFileData

from wire import events
from wire import scenario as wsc

from . import fonts, i18n, theme
from .input import (
    ALL_KEYS,
    MOVE_KEYS,
    ChatFocus,
    HelpFocus,
    SettingsFocus,
    default_stack,
    mode_name,
    sync_answer_focus,
    type_char,
)
from .interp import SnapshotBuffer
from .model import ClientModel, ModelFields
from .net import NetSession
from .pointer import Pointer
from .predict import LocalPredictor
from .scenarios import Coaching, ScenarioFlow
from .scene import build_scene
from .screen_fsm import Screens
from .ui.appearance import AppearanceFlow
from .ui.group import GroupView
from .ui.hud import HelpOverlay, SettingsPanel
from .ui.records import MyRecords
from .ui.safety import SafetyUI
from .ui.settings import Settings, default_path
from .ui.voice import VoiceUI
from .views import AvatarsView, CameraView, HudView

log = logging.getLogger("peerspace.client")


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
    preview: str | None = None  # scene name: an offline preview with sample avatars, no server
    timeout: float = 30.0  # screenshot mode: give up waiting for the room after this long
    software: bool = False  # draw with the software renderer (p3tinydisplay), no OpenGL
    autoplay: str | None = None  # play this scenario by itself (first option each time), then exit
    difficulty: str = "easy"
    shots: str | None = None  # autoplay: save a picture of each phase into this folder
    autoplay_phases: int | None = None  # autoplay: stop the scenario after this many phases
    autoplay_delay: float = 1.2  # autoplay: seconds to let each step be seen before answering
    ca_file: str | None = None  # trust this CA (PEM) for an https server, e.g. a service's own CA
    ask_appearance: bool = True  # offer the avatar chooser at first login (an account with no appearance yet)
    state_file: str | None = None  # write what the client shows here, for automation (client/statefile.py)
    language: str | None = None  # override the language setting (one of i18n.LANGUAGES)
    voice_in: str | None = None  # a WAV file to say instead of a microphone (tests, machines without sound)
    voice_out: str | None = None  # a WAV file to write what is heard into instead of speakers


def configure_panda(offscreen: bool, size: tuple[int, int], software: bool = False) -> None:
    lines = [
        f"win-size {size[0]} {size[1]}",
        "window-title peerspace",
        "audio-library-name null",
        "sync-video false",
        "notify-level-device fatal",
        "notify-level-display error",
        "default-model-extension .egg",
        "print-pipe-types false",
        "text-use-harfbuzz true",  # shaping: Arabic letters join, Hebrew and Arabic run right to left
    ]
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


def no_display(opts: Options) -> bool:
    """Render offscreen: asked for, or a Linux machine with no display to open a window on."""
    return opts.offscreen or (
        sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
    )


def settings_for(opts: Options) -> Settings:
    """The person's saved settings, with what the command line sets for this run."""
    settings = Settings.load(opts.settings_path)
    if opts.text_size:
        settings.text_size = opts.text_size
    if opts.reduced_motion is not None:
        settings.reduced_motion = opts.reduced_motion
    if opts.language in i18n.LANGUAGES:
        settings.language = opts.language
    return settings


class PeerspaceClient(ModelFields, ShowBase):
    """The assembly: a ShowBase with one key map (the input stack) and one per-frame task."""

    def __init__(self, opts: Options, session_factory: Callable[[str], Any] | None = None):
        self.opts = opts
        self.offscreen = offscreen = no_display(opts)
        configure_panda(offscreen, opts.size, opts.software)
        super().__init__(windowType="none")
        self.pipe_name = open_window(self, offscreen)
        self.disableMouse()
        fonts.FONTS.install(self.loader)  # before any text is made: every TextNode and widget uses it
        if self.buttonThrowers:
            self.buttonThrowers[0].node().setKeystrokeEvent("keystroke")
        self.settings = settings_for(opts)
        i18n.set_language(self.settings.language)
        if not opts.server and not opts.preview:
            opts.server = self.settings.server or None  # the address chosen at the first start
        theme.set_contrast(self.settings.contrast)
        self.exit_code = 0
        self.model = ClientModel()
        self.net = NetSession(self, session_factory)
        self.scene_name: str | None = None
        self.scene_np = None
        self.interp = SnapshotBuffer(tick_hz=30.0, delay=0.1)  # the room tells its own rate
        self.predictor = LocalPredictor()  # your own avatar, predicted from the keys you hold
        self.focus = None  # what receives typed text: a field, panel or screen (input.py)
        self._saved_focus = None  # the focus under help, settings or the scenario picker
        self.help = None
        self.settings_panel = None
        self.looks = AppearanceFlow(self)  # your own avatar: the look you chose, and its chooser
        self.voice = VoiceUI(self)  # push-to-talk, the room's voices, mouths, lines read aloud (ui/voice.py)
        self.hud, self.avatar_views, self.camera_view = HudView(self), AvatarsView(self), CameraView(self)
        self.scenarios, self.coaching = ScenarioFlow(self), Coaching(self)
        self.screens = Screens(self)
        self.records = MyRecords(self)  # questionnaires, My practice, My data, own replays
        self.group = GroupView(self)  # a group practice: whose turn, the peer-feedback prompt, feedback received
        self.setBackgroundColor(*theme.colour("sky"))
        self.camLens.setFov(62)
        self.camLens.setNearFar(0.1, 200)
        self.hud.build()
        # panels (help, settings) go on a layer drawn after the HUD corners
        self.popups = self.aspect2d.attachNewNode("popups", 100)
        self.input = default_stack(self)
        for key in ALL_KEYS:
            self.accept(key, self.on_key, [key])
        for key in MOVE_KEYS:
            self.accept(f"{key}-up", self._key_up, [key])
        self.accept("keystroke", type_char, [self])
        self.pointer = Pointer(self)  # clicks on the view: choose a person, walk to a point
        self.safety = SafetyUI(self)  # quiet room, report/block, monitoring, crisis card, staff alerts
        # the server's events, also callable directly (previews, tests)
        self.on_room_state, self.on_snap, self.on_said = self.net.on_room_state, self.net.on_snap, self.net.on_said
        self.on_member_updated, self.on_connection = self.net.on_member_updated, self.net.on_connection
        self.taskMgr.add(self._update, "peerspace-update", sort=-10)

    # --- the parts, by their public names ---------------------------------------------------
    session = property(lambda self: self.net.session, lambda self, s: setattr(self.net, "session", s))
    avatars = property(lambda self: self.avatar_views.avatars)
    chat = property(lambda self: self.hud.chat)
    notices = property(lambda self: self.hud.notices)
    recorded = property(lambda self: self.hud.recorded)
    self_status = property(lambda self: self.hud.self_status)
    scenario_panel = property(lambda self: self.scenarios.panel)
    picker = property(lambda self: self.scenarios.picker)
    coach = property(lambda self: self.coaching.console)
    screen = property(lambda self: self.screens.screen)

    @property
    def in_room(self) -> bool:
        return self.model.room is not None and self.screens.screen is None

    # --- keys: the input stack (client/input.py) ---------------------------------------------
    def on_key(self, key: str) -> None:
        self.input.on_key(key)

    def _key_up(self, key: str) -> None:
        if self.model.held.pop(key, None) is not None:
            self.send_axes()

    def release_movement(self) -> None:
        """Stop walking (a panel or field takes the keys)."""
        self.pointer.walk.stop()
        if self.model.held or any(self.model.axes):
            self.model.held.clear()
            self.send_axes()

    def send_axes(self) -> None:
        """Send the input axes when they change: the held keys', else the click-to-walk steering's."""
        axes = self.model.held_axes() if self.model.held else self.pointer.walk.axes
        if axes != self.model.axes:
            self.model.axes = axes
            self.send(events.MOVE, {"forward": axes[0], "strafe": axes[1], "turn": axes[2]})

    def push_focus(self, focus) -> None:
        """A panel over whatever had the focus (help, settings, the scenario picker)."""
        self.release_movement()
        self._saved_focus = self.focus
        self.focus = focus

    # --- HUD, panels and screens ----------------------------------------------------------------
    def notice(self, text: str, seconds: float = 7.0) -> None:
        self.hud.notice(text, seconds)

    def set_recording(self, value) -> None:
        self.model.recording = bool(value)
        if self.hud.recorded is not None:
            self.hud.show_recording()

    def apply_settings(self, settings: Settings) -> None:
        settings.server = settings.server or self.settings.server  # panels change how it looks, not the service
        self.settings = settings
        settings.save(self.opts.settings_path)
        i18n.set_language(settings.language)  # what is drawn below is drawn in it
        theme.set_contrast(settings.contrast)
        self.hud.build()
        if self.screen is not None and hasattr(self.screen, "restyle"):
            self.screen.restyle(settings.text_scale)
        for av in self.avatars.values():
            av.reduced_motion = settings.reduced_motion
            av.set_text_scale(settings.text_scale)
        if self.settings_panel is not None:
            self.settings_panel.root.reparentTo(self.popups)
            if self.settings_panel.extra:  # the other panels' rows, named in the language just chosen
                self.settings_panel.extra = dict(self._settings_extras())
        if self.scenarios.panel is not None:
            self.scenarios.make_panel(self.scenarios.panel)
        self.scenarios.set_pace(settings.pace)
        self.voice.apply_settings(settings)

    def open_chat(self) -> None:
        self.release_movement()
        self.chat.open()
        self.focus = ChatFocus(self)

    def open_help(self) -> None:
        if self.help is None:
            self.help = HelpOverlay(self.popups, self.settings.text_scale)
            self.push_focus(HelpFocus(self))

    def close_help(self) -> None:
        if self.help is not None:
            self.help.destroy()
            self.help = None
            self.focus = self._saved_focus

    def open_settings(self) -> None:
        if self.settings_panel is None:
            self.settings_panel = SettingsPanel(
                self.popups,
                self.settings,
                self.apply_settings,
                self.leave_room if self.in_room else None,
                self.screens.ask_quit,
                extra=self._settings_extras(),
            )
            self.push_focus(SettingsFocus(self, self.settings_panel))

    def _settings_extras(self) -> list[tuple[str, Callable[[], None]]]:
        return [i for p in (self.voice, self.safety, self.looks, self.records) for i in p.settings_items()]

    def close_settings(self) -> None:
        if self.settings_panel is not None:
            self.settings_panel.destroy()
            self.settings_panel = None
            self.focus = self._saved_focus

    def show_login(self, status: str = "") -> None:
        self.screens.request("Login", status)

    def show_rooms(self) -> None:
        self.screens.request("Rooms")

    def set_screen(self, screen) -> None:
        """Show this full screen (None: back to the 3D view)."""
        self.screens.request("Room") if screen is None else self.screens.request("Screen", screen)

    def show_scene(self, name: str) -> None:
        if self.scene_name != name or self.scene_np is None:
            if self.scene_np is not None:
                self.scene_np.removeNode()
            self.scene_np = build_scene(name, self.render)
            self.scene_name = name
            self.setBackgroundColor(*self.scene_np.getPythonTag("sky"))

    # --- the network (client/net.py) ----------------------------------------------------------
    def spawn(self, coro, what: str = ""):
        return self.net.spawn(coro, what)

    def send(self, event: str, payload: dict) -> None:
        self.net.send(event, payload)

    def sign_in(self, name: str, password: str) -> None:
        self.spawn(self.login_and_connect(name, password), i18n.t("do.sign_in"))

    async def login_and_connect(self, name: str, password: str) -> bool:
        self.records.forget()
        return await self.net.login_and_connect(name, password)

    def choose_room(self, room: dict) -> None:
        self.spawn(self.net.join(str(room.get("id"))), i18n.t("do.join"))

    def leave_room(self) -> None:
        self.close_settings()
        self.spawn(self.net.leave(), i18n.t("do.leave"))

    def clear_room(self) -> None:
        """Out of the room: no panels, no avatars."""
        self.coaching.clear()
        self.voice.leave()
        self.safety.clear()
        self.group.clear()
        self.scenarios.close_panel()
        self.scenarios.close_picker()
        self.avatar_views.clear()
        self.model.room = None
        self.model.my_id = None

    def say(self, text: str) -> None:
        if self.session is None:
            self.net.on_said({"avatar": self.my_id, "name": self.opts.user or i18n.t("help.you"), "text": text})
            return
        self.send(events.SAY, {"text": text[:500]})

    def set_my_expression(self, name: str, intensity: float) -> None:
        self.model.my_expression, self.model.my_intensity = name, float(intensity)
        self.self_status.set(name, intensity)
        av = self.avatars.get(self.my_id)
        if av is not None:
            av.set_expression(name, intensity)
        self.send(events.EXPRESSION, {"name": name, "intensity": float(intensity)})

    def gesture(self, name: str) -> None:
        av = self.avatars.get(self.my_id)
        if av is not None:
            av.play_gesture(name)
        self.send(events.GESTURE, {"name": name})

    def quit(self) -> None:
        self.model.quit_requested = True

    # --- per frame, screenshots and the loop ------------------------------------------------------
    def _update(self, task):
        dt = min(ClockObject.getGlobalClock().getDt(), 0.1)
        self.avatar_views.update(dt)
        self.camera_view.update(dt)
        self.avatar_views.place_labels(dt)
        self.notices.update(dt, held=self.safety.crisis_card is not None)
        if self.scenarios.panel is not None:
            self.scenarios.panel.update(dt)
        sync_answer_focus(self)
        self.pointer.walk.update(self)
        self.hud.show_mode(mode_name(self))
        self.coaching.update(time.monotonic())
        self.model.frame_count += 1
        if self.in_room:
            self.model.frames_in_room += 1
        return task.cont

    def save_screenshot(self, path: str) -> str:
        self.graphicsEngine.renderFrame()
        img = PNMImage()
        self.win.getScreenshot(img)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        img.write(Filename.fromOsSpecific(str(path)))
        return str(path)

    def step(self, n: int = 1) -> None:
        """Render n frames now (tests and benchmarks)."""
        for _ in range(n):
            self.taskMgr.step()

    async def run_async(self) -> int:
        o = self.opts
        asyncio.get_running_loop().set_exception_handler(
            lambda loop, ctx: log.debug("background error: %s", ctx.get("message"), exc_info=ctx.get("exception"))
        )
        begin(self)
        period = 1.0 / o.fps
        nxt = time.perf_counter()
        started = nxt
        try:
            while not self.quit_requested:
                self.taskMgr.step()
                if o.screenshot and screenshot_taken(self, started):
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

    async def close_network(self) -> None:
        await self.net.close()


def begin(app: PeerspaceClient) -> None:
    """What the options ask for first: an offline preview, signing in straight away, or the login screen;
    and --autoplay on top."""
    o = app.opts
    if o.state_file:
        from .statefile import watch

        watch(app, o.state_file)
    if o.preview:
        from .preview import populate_preview

        populate_preview(app, o.preview)
    elif not o.server:
        app.screens.show_server()  # the first start: which service to connect to
    elif o.user and o.password is not None:
        app.show_login(i18n.t("login.signing_in"))
        app.screen.fields[1].set(o.password)
        app.spawn(app.login_and_connect(o.user, o.password), i18n.t("do.sign_in"))
    else:
        app.show_login()
    if o.autoplay:
        from .autoplay import autoplay

        app.spawn(autoplay(app), i18n.t("do.autoplay"))


def screenshot_taken(app: PeerspaceClient, started: float) -> bool:
    """--screenshot: once in the room for --frames frames (or given up waiting), save the picture."""
    o = app.opts
    done = app.in_room and app.frames_in_room >= o.frames
    late = time.perf_counter() - started > o.timeout
    if not (done or late or (app.screen is not None and not (o.server and o.user) and app.frame_count >= o.frames)):
        return False
    app.save_screenshot(o.screenshot)
    print(f"peerspace: saved {o.screenshot} (drawn with {app.pipe_name})")
    if late and not done:
        app.exit_code = 2
    return True


def parse_args(argv=None) -> Options:
    p = argparse.ArgumentParser(prog="peerspace-client", description="peerspace desktop client")
    p.add_argument(
        "--server",
        default=os.environ.get("PEERSPACE_SERVER") or None,
        help="server address, e.g. https://peerspace.example.org (default: the one chosen at the first start, "
        "kept in the settings file; PEERSPACE_SERVER)",
    )
    p.add_argument(
        "--ca-file",
        default=os.environ.get("PEERSPACE_CA_FILE") or None,
        help="for an https server with its own certificate authority: trust this CA (PEM file)",
    )
    p.add_argument("--user", help="sign in as this name (otherwise the login screen asks)")
    p.add_argument("--password", help="password (otherwise the login screen asks)")
    p.add_argument("--room", help="join this room straight away (otherwise choose from the list)")
    p.add_argument(
        "--screenshot", metavar="PATH", help="save what you see to PATH (PNG) after --frames frames, then exit"
    )
    p.add_argument("--frames", type=int, default=30, help="frames to show in the room before --screenshot (30)")
    p.add_argument("--offscreen", action="store_true", help="render without a window (automatic with no display)")
    p.add_argument("--size", default="960x600", help="window size WxH (960x600)")
    p.add_argument("--fps", type=float, default=60.0)
    p.add_argument("--text-size", choices=list(theme.TEXT_SIZES), help="override the text size setting")
    p.add_argument("--reduced-motion", action="store_true", default=None, help="turn on reduced motion")
    p.add_argument(
        "--preview", choices=list(events.SCENES), help="offline preview of a scene with sample avatars (no server)"
    )
    p.add_argument("--settings", help="settings file (default ~/.config/peerspace/client.json)")
    p.add_argument(
        "--software",
        action="store_true",
        help="use the software renderer (p3tinydisplay) when OpenGL/EGL is missing or broken",
    )
    p.add_argument("--timeout", type=float, default=30.0, help="with --screenshot: seconds to wait for the room")
    p.add_argument(
        "--autoplay", metavar="SCENARIO", help="play this scenario by itself (the first option at each step), then exit"
    )
    p.add_argument("--difficulty", choices=list(wsc.DIFFICULTIES), default="easy", help="with --autoplay")
    p.add_argument("--shots", metavar="DIR", help="with --autoplay: save a picture of each phase here")
    p.add_argument("--autoplay-phases", type=int, default=None, help="with --autoplay: stop after N phases")
    p.add_argument(
        "--autoplay-delay", type=float, default=1.2, help="with --autoplay: seconds each step stays on screen (1.2)"
    )
    p.add_argument("--state-file", metavar="PATH", help="write what is on screen to PATH (JSON), for automation")
    p.add_argument("--language", choices=list(i18n.LANGUAGES), help="override the language setting")
    p.add_argument("--voice-in", metavar="WAV", help="say what this WAV file holds instead of using a microphone")
    p.add_argument("--voice-out", metavar="WAV", help="write what you hear to this WAV file instead of speakers")
    a = p.parse_args(argv)
    try:
        w, h = (int(v) for v in a.size.lower().split("x"))
    except ValueError:
        p.error("--size must look like 960x600")
    return Options(
        server=a.server,
        user=a.user,
        password=a.password,
        room=a.room,
        screenshot=a.screenshot,
        frames=a.frames,
        offscreen=a.offscreen,
        size=(w, h),
        fps=a.fps,
        settings_path=Path(a.settings) if a.settings else default_path(),
        text_size=a.text_size,
        reduced_motion=a.reduced_motion,
        preview=a.preview,
        timeout=a.timeout,
        software=a.software,
        autoplay=a.autoplay,
        difficulty=a.difficulty,
        shots=a.shots,
        autoplay_phases=a.autoplay_phases,
        autoplay_delay=a.autoplay_delay,
        state_file=a.state_file,
        ca_file=a.ca_file,
        language=a.language,
        voice_in=a.voice_in,
        voice_out=a.voice_out,
    )


def main(argv=None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    opts = parse_args(argv)
    try:
        app = PeerspaceClient(opts)
    except Exception as e:  # no graphics at all: say so plainly
        print(f"peerspace could not open its 3D view: {e}", file=sys.stderr)
        return 1
    try:
        return asyncio.run(app.run_async())
    except KeyboardInterrupt:
        return 0
