"""Framing the people on stage: an over-the-shoulder shot of whoever speaks and the partner, and a clear
look at the face in an emotion item; plus the small portrait of your own face.

The shot is solved, not guessed: the lens's film offset puts the view's centre in the middle of the
stage region (client/ui/layout.py), and the camera steps back over the participant's shoulder until
every head on stage projects inside that region, with a margin. So the speaking coach is never half
off screen and no panel covers the partner, at any window shape or text size.
"""

from __future__ import annotations

from dataclasses import dataclass

from panda3d.core import (
    BitMask32,
    Camera,
    NodePath,
    PerspectiveLens,
    Point2,
    Point3,
    Vec3,
)

from ..avatars.avatar import HEAD_R, HEAD_Z, TAG_Z
from ..ui.layout import Rect

# Camera masks: the main camera sees MAIN, the portrait camera PORTRAIT. Your own avatar is hidden from
# MAIN when it would stand between the camera and a face on stage; the portrait always sees it.
MAIN_MASK = BitMask32.bit(0)
PORTRAIT_MASK = BitMask32.bit(1)

SHOULDER = 0.7  # metres to the side of your head the camera looks past
BACK_RANGE = (1.1, 16.0)  # how far behind you the camera may go to fit everyone on stage
FIT_MARGIN = 0.1  # of the stage's size, kept clear around every head
TAG_FIT_MAX = 1.2  # metres of a name tag's half width kept in the shot: very large text must not shrink faces
FACE_DISTANCE = 2.3  # an emotion item: the camera this far in front of the face it shows (F9 goes closer)


@dataclass
class Shot:
    pos: Point3
    look: Point3
    heads: list[Point3]  # the heads on stage
    face: bool = False  # an emotion item: a close look at the one face in `heads`


def hides_a_face(me: Point3, camera: Point3, shot: Shot) -> bool:
    """Does your own head (at `me`) cover a face on stage, seen from where the camera is now (on its way to
    `shot.pos`, it may pass behind your head)? Then your avatar is left out of the main view."""
    return shot.face or any(_blocks(me, camera, h) for h in shot.heads)


def _inside(lens, probe: NodePath, render: NodePath, points, area: Rect) -> bool:
    p2 = Point2()
    for p in points:
        if not lens.project(probe.getRelativePoint(render, p), p2):
            return False
        if not area.contains(p2.x, p2.y):
            return False
    return True


def _head_points(head: Point3, side: Vec3, tag_half: float):
    """The extremes of a head (with its hair and a little air) and the ends of its name tag (half as
    wide as `tag_half`, in metres), as seen from the camera's side."""
    r = HEAD_R * 1.25
    tag = head + Vec3(0, 0, TAG_Z - HEAD_Z)
    return (tag + side * tag_half, tag - side * tag_half, head - Vec3(0, 0, r), head + side * r, head - side * r)


def _blocks(me: Point3, cam: Point3, target: Point3) -> bool:
    """Is your own head near the line from the camera to a face on stage?"""
    seg = target - cam
    t = max(0.0, min(1.0, (me - cam).dot(seg) / max(1e-6, seg.lengthSquared())))
    return (cam + seg * t - me).length() < HEAD_R * 1.8


def solve(
    render: NodePath,
    probe: NodePath,
    lens,
    me: Point3,
    forward: Vec3,
    heads: list[Point3],
    stage: Rect,
    face: bool = False,
    tags: list[float] | None = None,
) -> Shot:
    """The camera pose that frames `heads` (render space) inside `stage` (NDC), seen from beside `me`
    (your head), with their name tags (`tags`: each one's half width in metres). `face`: an emotion
    item, a close and clear look at the one face in `heads`."""
    centre = Point3(0, 0, 0)
    for h in heads:
        centre += h
    centre /= len(heads)
    d = Vec3(centre.x - me.x, centre.y - me.y, 0)
    if d.length() < 0.3:
        d = Vec3(forward.x, forward.y, 0)
    d.normalize()
    side = Vec3(d.y, -d.x, 0)  # to your right
    if face:
        target = heads[0]
        dist = (Vec3(target.x - me.x, target.y - me.y, 0)).length()
        near = min(FACE_DISTANCE, max(0.7, dist - 0.15))
        pos = Point3(target.x - d.x * near, target.y - d.y * near, target.z + 0.04)
        return Shot(pos, Point3(target), heads, face=True)
    area = Rect(
        stage.left + stage.width * FIT_MARGIN,
        stage.right - stage.width * FIT_MARGIN,
        stage.bottom + stage.height * FIT_MARGIN,
        stage.top - stage.height * FIT_MARGIN,
    )
    halves = [min(TAG_FIT_MAX, t) for t in tags] if tags else [0.0] * len(heads)
    points = [p for h, half in zip(heads, halves) for p in _head_points(h, side, half)]

    def pose(back: float) -> Point3:
        return Point3(me.x - d.x * back + side.x * SHOULDER, me.y - d.y * back + side.y * SHOULDER, 1.75 + 0.1 * back)

    look = Point3(centre.x, centre.y, centre.z - 0.05)
    lo, hi = BACK_RANGE
    probe.setPos(pose(lo))
    probe.lookAt(look)
    if not _inside(lens, probe, render, points, area):
        for _ in range(12):  # the nearest shot that fits: bisect on the distance behind you
            mid = (lo + hi) / 2
            probe.setPos(pose(mid))
            probe.lookAt(look)
            if _inside(lens, probe, render, points, area):
                hi = mid
            else:
                lo = mid
        lo = hi
    return Shot(pose(lo), look, heads)


def film_offset_for(lens, centre_x: float, centre_y: float) -> tuple[float, float]:
    """The film offset that puts the view's centre at (centre_x, centre_y) in NDC."""
    size = lens.getFilmSize()
    return (-centre_x * size[0] / 2, -centre_y * size[1] / 2)


class Portrait:
    """A small second view of your own face, bottom right: a display region with its own camera in front
    of your avatar's head. Near and far planes hug the head, so it costs little even on modest PCs."""

    def __init__(self, win, render: NodePath):
        self.win, self.render = win, render
        lens = PerspectiveLens()
        lens.setFov(26)
        lens.setNearFar(0.2, 3.0)
        node = Camera("portrait-camera", lens)
        node.setCameraMask(PORTRAIT_MASK)
        self.camera = render.attachNewNode(node)
        self.region = win.makeDisplayRegion(0.8, 0.95, 0.1, 0.25)
        self.region.setSort(5)  # after the 3D view, before the 2D panels (so a dialog covers it)
        self.region.setClearColorActive(True)
        self.region.setClearColor((0.82, 0.86, 0.88, 1))
        self.region.setClearDepthActive(True)
        self.region.setCamera(self.camera)
        self.region.setActive(False)
        self.rect: tuple[float, float, float, float] | None = None

    def show(self, avatar_root: NodePath | None, rect: tuple[float, float, float, float] | None) -> None:
        """Show your face in `rect` (window fractions), or nothing when `avatar_root` or `rect` is None."""
        if avatar_root is None or rect is None:
            if self.region.isActive():
                self.region.setActive(False)
            return
        if rect != self.rect:
            self.rect = rect
            self.region.setDimensions(*rect)
            w, h = (rect[1] - rect[0]) * self.win.getXSize(), (rect[3] - rect[2]) * self.win.getYSize()
            self.camera.node().getLens().setAspectRatio(max(0.1, w / max(1.0, h)))
        # under render, placed each frame: it must not go away with an avatar's nodes
        self.camera.setPos(avatar_root, 0, 1.05, HEAD_Z + 0.03)
        self.camera.lookAt(avatar_root, 0, 0, HEAD_Z)
        if not self.region.isActive():
            self.region.setActive(True)

    def destroy(self) -> None:
        self.win.removeDisplayRegion(self.region)
        self.camera.removeNode()
