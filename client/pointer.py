"""The mouse in the 3D view: a click on a person chooses them (as R does), a click on the floor walks there.

Buttons and clickable rows (client/ui/widgets.py) take their own clicks; what reaches `mouse1` here is a
click on the view. The server stays authoritative: walking to a point is steering, sent as the same
`move` input axes the keys send, recomputed each frame from your predicted pose (client/predict.py).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from panda3d.core import Point2, Point3

from .predict import HALF_EXTENT
from .ui.layout import layout

if TYPE_CHECKING:
    from .app import PeerspaceClient

PERSON_RADIUS = 0.4  # metres from the line of the click to a person's body that still counts as them
BODY_HEIGHTS = (0.3, 0.8, 1.3, 1.6)  # points up a person's body the click is measured against
ARRIVED = 0.3  # metres: close enough, stop
GIVE_UP_S = 20.0  # a walk that has not arrived by then stops (something in the way)


def _wrap(d: float) -> float:
    return (d + 180.0) % 360.0 - 180.0


def steer(pose: tuple[float, float, float], target: tuple[float, float]) -> tuple[float, float, float]:
    """(forward, strafe, turn) that bring the avatar at `pose` to `target`: turn towards it, walk when it
    is roughly ahead, slow down near it. Coarse steps, so the axes (and `move` intents) change rarely."""
    x, y, yaw = pose
    dx, dy = target[0] - x, target[1] - y
    dist = math.hypot(dx, dy)
    if dist < ARRIVED:
        return (0.0, 0.0, 0.0)
    err = _wrap(math.degrees(math.atan2(-dx, dy)) - yaw)  # heading 0 is +y, turning + is to the left
    turn = math.copysign(1.0 if abs(err) > 20 else 0.5 if abs(err) > 4 else 0.0, err)
    forward = 0.0 if abs(err) > 35 else 1.0 if dist > 0.8 else 0.5
    return (forward, 0.0, turn)


class WalkTo:
    """A point on the floor to walk to, and the axes that steer there now."""

    def __init__(self) -> None:
        self.target: tuple[float, float] | None = None
        self.axes: tuple[float, float, float] = (0.0, 0.0, 0.0)
        self.since = 0.0

    def start(self, x: float, y: float) -> None:
        edge = HALF_EXTENT - 0.3
        self.target = (max(-edge, min(edge, x)), max(-edge, min(edge, y)))
        self.since = time.monotonic()

    def stop(self) -> None:
        self.target = None
        self.axes = (0.0, 0.0, 0.0)

    def update(self, app: PeerspaceClient) -> None:
        if self.target is None:
            return
        pose = app.predictor.pose
        if not app.in_room or app.model.held or pose is None or time.monotonic() - self.since > GIVE_UP_S:
            self.stop()  # the keys took over, or out of the room: the keys' axes are sent as they are
            app.send_axes()
            return
        self.axes = steer(pose, self.target)
        if not any(self.axes):
            self.target = None
        app.send_axes()


class Pointer:
    """Mouse clicks on the 3D view."""

    def __init__(self, app: PeerspaceClient):
        self.app = app
        self.walk = WalkTo()  # a click on the floor: walk there
        app.accept("mouse1", self.click)

    def mouse(self) -> Point2 | None:
        watcher = getattr(self.app, "mouseWatcherNode", None)
        if watcher is None or not watcher.hasMouse():
            return None
        m = watcher.getMouse()
        return Point2(m.x, m.y)

    def click(self) -> None:
        m = self.mouse()
        if m is not None:
            self.click_at(m.x, m.y)

    def click_at(self, mx: float, my: float) -> str:
        """A click at (mx, my) in the window's -1..1 coordinates. Returns what it did: 'person', 'walk' or ''."""
        app = self.app
        if not app.in_room or app.safety.paused or not (app.focus is None or self._typing_focus()):
            return ""
        if self._over_panel(mx, my):
            return ""
        ray = self.ray(mx, my)
        if ray is None:
            return ""
        near, direction = ray
        aid = self.person_on(near, direction)
        if aid is not None:
            app.safety.select(aid)  # the same as R: the chosen person, Enter for the person menu
            return "person"
        if direction.z >= -1e-6:
            return ""  # at or above the horizon: no floor there
        t = -near.z / direction.z
        app.closeup = None
        self.walk.start(near.x + direction.x * t, near.y + direction.y * t)
        return "walk"

    def _typing_focus(self) -> bool:
        from .input import ChatFocus
        from .ui.scenario import AnswerFocus

        return isinstance(self.app.focus, (ChatFocus, AnswerFocus))

    def _over_panel(self, mx: float, my: float) -> bool:
        """Over the chat or the scenario panel: a click there is not a click on the floor."""
        app = self.app
        lay = layout(app.getAspectRatio(), app.settings.text_scale)
        x = mx * lay.ratio
        if lay.chat.contains(x, my):
            return True
        panel = app.scenarios.panel
        bounds = panel.root.getTightBounds(app.aspect2d) if panel is not None else None  # its text spans it
        return (
            bool(bounds)
            and bounds[0].x - 0.05 <= x <= bounds[1].x + 0.05
            and bounds[0].z - 0.05 <= my <= bounds[1].z + 0.05
        )

    def ray(self, mx: float, my: float) -> tuple[Point3, Point3] | None:
        """The line from the camera through the pointer, in the room's coordinates: (a point, a direction)."""
        app = self.app
        near, far = Point3(), Point3()
        if not app.camLens.extrude(Point2(mx, my), near, far):
            return None
        near = app.render.getRelativePoint(app.cam, near)
        far = app.render.getRelativePoint(app.cam, far)
        return near, far - near

    def person_on(self, near: Point3, direction: Point3) -> int | None:
        """The nearest other person whose body the line passes within PERSON_RADIUS of."""
        app = self.app
        length = direction.length()
        if length <= 0:
            return None
        d = direction / length
        best: tuple[float, int] | None = None
        for aid, av in app.avatars.items():
            if aid == app.my_id or not av.placed or av.root.isHidden():
                continue
            base = av.root.getPos(app.render)
            for h in BODY_HEIGHTS:
                p = Point3(base.x, base.y, base.z + h) - near
                along = p.dot(d)
                if along <= 0:
                    continue
                off = (p - d * along).length()
                if off <= PERSON_RADIUS and (best is None or along < best[0]):
                    best = (along, aid)
        return best[1] if best is not None else None
