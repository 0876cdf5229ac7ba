"""What the client shows, written to a JSON file a few times a second (`--state-file`), for automation:
the real-window tests (tests/test_client_window.py) read it to find what to click and to check what happened.

Only what is on the participant's own screen is written (screen, focus, panels, click targets in window
pixels), never a password or anything typed into the password field.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from panda3d.core import Point2, Point3

from .input import mode_name

if TYPE_CHECKING:
    from .app import PeerspaceClient

EVERY_S = 0.15


def _pixel(app: PeerspaceClient, x: float, y: float) -> list[int]:
    """aspect2d (x, y) -> window pixels (column, row), row 0 at the top."""
    w, h = app.win.getXSize(), app.win.getYSize()
    return [int((x / app.getAspectRatio() + 1) / 2 * w), int((1 - y) / 2 * h)]


def to_pixel(app: PeerspaceClient, point) -> tuple[int, int] | None:
    """A point in the room -> window pixels, or None when it is not in view."""
    p3 = app.cam.getRelativePoint(app.render, Point3(*point))
    p2 = Point2()
    if not app.camLens.project(p3, p2):
        return None
    w, h = app.win.getXSize(), app.win.getYSize()
    return int((p2.x + 1) / 2 * w), int((1 - p2.y) / 2 * h)


def targets(app: PeerspaceClient) -> dict[str, list[int]]:
    """The centre, in window pixels, of every visible click area and button (tagged `click`), of each other
    person's body, and of a spot on the floor ahead of you."""
    out: dict[str, list[int]] = {}
    for np in app.aspect2d.findAllMatches("**/=click"):
        if np.isHidden() or np.getParent().isHidden():  # (the Talk button is hidden with its row outside a room)
            continue
        f = np.node().getFrame()  # the PGItem's clickable frame, in its own coordinates
        centre = app.aspect2d.getRelativePoint(np, Point3((f[0] + f[1]) / 2, 0, (f[2] + f[3]) / 2))
        out[np.getTag("click")] = _pixel(app, centre.x, centre.z)
    for aid, av in app.avatars.items():
        if aid != app.my_id and av.placed:
            p = to_pixel(app, av.root.getPos(app.render) + Point3(0, 0, 1.0))
            if p is not None:
                out[f"person:{av.name}"] = list(p)
    me = app.avatars.get(app.my_id)
    if me is not None:
        ahead = app.render.getRelativePoint(me.root, Point3(0, 2.5, 0))
        p = to_pixel(app, (ahead.x, ahead.y, 0.0))
        if p is not None:
            out["floor:ahead"] = list(p)
    return out


def snapshot(app: PeerspaceClient) -> dict[str, Any]:
    panel = app.scenarios.panel
    st = (panel.state or {}) if panel is not None else {}
    selected = app.avatars.get(app.safety.selected) if app.safety.selected is not None else None
    return {
        "screen": type(app.screen).__name__ if app.screen is not None else None,
        "in_room": app.in_room,
        "focus": type(app.focus).__name__ if app.focus is not None else None,
        "mode": mode_name(app),
        "settings_open": app.settings_panel is not None,
        "help_open": app.help is not None,
        "quit_dialog": app.screens.quit_dialog is not None,
        "monitoring_card": app.safety.monitoring_card is not None,
        "selected": selected.name if selected is not None else None,
        "picker": None if app.picker is None else [s["id"] for s in app.picker.scenarios],
        "panel": None
        if panel is None
        else {
            "mode": panel.mode,
            "wait": st.get("wait"),
            "options": [o["id"] for o in panel.options],
            "typing": panel.typing,
            "typed": panel.typed,
            "busy": panel.busy,
            "phase": (st.get("phase") or {}).get("kind"),
        },
        "chat_typing": app.chat.typing,
        "notice": app.notices.shown,
        "settings": {
            "text_size": app.settings.text_size,
            "contrast": app.settings.contrast,
            "language": app.settings.language,
        },
        # voice: whether you are heard, and whose name tag says they are speaking (never any sound)
        "voice": {
            "talking": app.voice.talking,
            "speaking": sorted(av.name for av in app.avatars.values() if av.speaking),
        },
        "targets": targets(app),
    }


def watch(app: PeerspaceClient, path: str) -> None:
    """Write the snapshot to `path` every EVERY_S seconds (atomically: a reader never sees half a file)."""
    target = Path(path)
    tmp = target.with_suffix(".tmp")
    last = [0.0]

    def task(t):
        if t.time - last[0] >= EVERY_S:
            last[0] = t.time
            try:
                tmp.write_text(json.dumps(snapshot(app)))
                os.replace(tmp, target)
            except OSError:
                pass  # automation only: never in a person's way
        return t.cont

    app.taskMgr.add(task, "peerspace-state-file", sort=50)
