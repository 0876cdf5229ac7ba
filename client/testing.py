"""Helpers for driving the real client in tests and benchmarks (one ShowBase per process).

`shared_app()` makes the single offscreen PeerspaceClient of this process, or
returns it after putting it back to a clean state. Image helpers render a
frame and return it as a numpy array, and project 3D points to pixels.
"""

from __future__ import annotations

import asyncio

import numpy as np
from panda3d.core import ClockObject

from . import i18n, theme
from .app import Options, PeerspaceClient
from .statefile import to_pixel  # noqa: F401  (tests project room points with it too)

_APP: PeerspaceClient | None = None


def shared_app(size=(640, 400), **opts) -> PeerspaceClient:
    global _APP
    if _APP is None:
        # the first-login avatar chooser is offered only where a test asks for it (opts.ask_appearance)
        opts.setdefault("ask_appearance", False)
        _APP = PeerspaceClient(Options(offscreen=True, size=size, settings_path=None, server=None, **opts))
    reset(_APP)
    return _APP


def reset(app: PeerspaceClient) -> None:
    """Forget the network, the room and any panels; back to default settings."""
    from .ui.settings import Settings

    app.session = None
    app.net.tasks.clear()
    app.close_help()
    app.close_settings()
    app.looks.close()
    app.looks.mine = None
    app.screens.close_quit()
    app.pointer.walk.stop()
    if app.screen is not None:
        app.set_screen(None)
    app.clear_room()
    app.voice.default_devices()
    app.interp.clear()
    app.held.clear()
    app.axes = (0.0, 0.0, 0.0)
    app.focus = None
    app.connection_state = "disconnected"
    app.my_expression, app.my_intensity = "neutral", 0.75
    app.settings = Settings()
    i18n.set_language(app.settings.language)  # a test that chose another language leaves English behind
    theme.set_contrast(app.settings.contrast)
    app.opts.settings_path = None
    app.opts.user = app.opts.room = None  # the last test's person is not offered on the login screen
    app.chat.lines = []
    app.notices.items = []
    app.hud.build()
    app.quit_requested = False
    resize(app, *app.opts.size)
    app.camLens.setFilmOffset(0, 0)  # the view's centre back in the middle (a scenario panel moves it)
    app.camera_view.staged = False
    clock = ClockObject.getGlobalClock()
    clock.setMode(ClockObject.MNormal)


def resize(app: PeerspaceClient, width: int, height: int) -> None:
    """Give the offscreen window another size (and the lens and 2D layer its shape), as a person's
    window resize would."""
    if (app.win.getXSize(), app.win.getYSize()) != (width, height):
        app.win.setSize(width, height)
        app.adjustWindowAspectRatio(width / height)


def frame(app: PeerspaceClient) -> np.ndarray:
    """Render one frame; return it as an (H, W, 3) float array, row 0 at the top."""
    app.taskMgr.step()
    app.graphicsEngine.renderFrame()
    tex = app.win.getScreenshot()
    w, h = tex.getXSize(), tex.getYSize()
    data = np.frombuffer(bytes(tex.getRamImageAs("RGB")), dtype=np.uint8).reshape(h, w, 3)
    return data[::-1].astype(np.float32) / 255.0


def region(img: np.ndarray, centre, half: int) -> np.ndarray:
    c, r = centre
    h, w = img.shape[:2]
    return img[max(0, r - half) : min(h, r + half), max(0, c - half) : min(w, c + half)]


async def pump(
    app: PeerspaceClient, until=None, timeout: float = 5.0, frames: int | None = None, interval: float = 0.01
) -> None:
    """Step frames while letting asyncio run, until `until()` is true (or `frames` were stepped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    n = 0
    while True:
        app.taskMgr.step()
        n += 1
        if until is not None and until():
            return
        if frames is not None and n >= frames and until is None:
            return
        if loop.time() > deadline:
            if until is None:
                return
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


class FakeSession:
    """Records what the client sends; for tests that need no server (input, UI)."""

    def __init__(self, *a, **kw):
        self.sent: list[tuple[str, dict]] = []
        self.connected = True
        self.state = "connected"

    async def emit(self, event, payload=None):
        self.sent.append((event, payload))

    async def call(self, event, payload=None):
        self.sent.append((event, payload))
        return {"ok": True}

    async def close(self):
        self.connected = False


def sample_room(
    app: PeerspaceClient, layout: dict, scene: str = "cafe", you: int = 0, tick: int = 0, members: dict | None = None
) -> None:
    """Put the app in a room with avatars at {id: (x, y, yaw)}, as a room_state from a server would."""
    import time as _time

    from wire import codec

    ids = np.array(sorted(layout), dtype=np.int64)
    xy = np.array([layout[i][:2] for i in ids], dtype=np.float32)
    yaw = np.array([layout[i][2] for i in ids], dtype=np.float32)
    blob = codec.encode_poses(codec.quantise(ids, xy, yaw, np.zeros(len(ids), np.uint8)))
    mem = [
        {
            "avatar": int(i),
            "name": (members or {}).get(int(i), f"Person {int(i)}"),
            "kind": "person",
            "role": "",
            "expression": "neutral",
            "intensity": 0.0,
            "gesture": "none",
            "away": False,
        }
        for i in ids
    ]
    app.on_room_state(
        {
            "room": {"id": "test", "name": "Test room", "scene": scene, "capacity": 12},
            "you": you,
            "members": mem,
            "poses": blob,
            "t": tick,
        }
    )
    # make the render clock catch up with the newest sample at once
    app.interp.offset = _time.perf_counter() - tick / app.interp.tick_hz - app.interp.delay - 1.0
