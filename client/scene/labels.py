"""Name tags and speech bubbles on screen: readable at every distance, never over one another or a face.

Both are billboards above an avatar's head in the 3D room. Left to perspective alone, a tag a step from
the camera fills the view, one across the room is too small to read, and people standing side by side
(the cast of a role-play, framed together) have their tags and bubbles printed over each other.

Each frame, after the camera has moved, `Labels.place`:
1. sizes every tag and bubble so that a line of it is between its LINE fractions of the window's height
   (times the text size the person chose): it still grows a little as someone comes closer, but stays
   readable far away and never fills the view;
2. places them in order of importance, each clear of those placed before it, inside the stage (the part
   of the window no panel covers): the tags nearest first, at their own place or else just above (or
   below) what they would cover; then the bubbles, newest first, above their speaker's tag, else beside
   the head, right or left, and never over a face (a face may be what the person practises reading).
   A bubble that finds no room waits, hidden, until it does (its line is in the chat); a tag is shown
   whenever its person's head is in view (moved into the window at its edges), since it says who is a
   program.

A label that has to move glides there in a moment, so two people walking past each other do not make
their tags jump; with reduced motion it moves at once. The labels of someone behind the camera, or whose
head is out of view, are not drawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from panda3d.core import NodePath, Point2, Point3, Vec3

from ..avatars.avatar import BUBBLE_SCALE, HEAD_R, HEAD_Z, TAG_SCALE, TAG_Z, Avatar
from ..ui.layout import Rect
from .stage import MAIN_MASK

# a line of text, as fractions of the window's height at text size 1: (least, most)
TAG_LINE = (0.026, 0.04)
BUBBLE_LINE = (0.024, 0.034)
GAP = 0.006  # of the window's height, between two stacked labels
GLIDE_HALF_LIFE = 0.05  # seconds for a moving label to halve its way to where it goes
STEP = 0.1  # metres: the probe that measures pixels per metre at a label


@dataclass
class Box:
    """A label's card on screen, in window pixels (y down)."""

    left: float
    right: float
    top: float
    bottom: float

    def inside(self, other: Box) -> bool:
        return (
            other.left <= self.left
            and self.right <= other.right
            and other.top <= self.top
            and self.bottom <= other.bottom
        )

    def moved(self, dx: float, dy: float) -> Box:
        return Box(self.left + dx, self.right + dx, self.top + dy, self.bottom + dy)

    def within(self, area: Box) -> Box:
        """Moved as little as takes it inside `area` (a tag at the window's edge or by a panel reads whole, a
        little off its head); one larger than `area` keeps to its top left."""
        return self.moved(
            max(area.left - self.left, min(0.0, area.right - self.right)),
            max(area.top - self.top, min(0.0, area.bottom - self.bottom)),
        )


class Spot(NamedTuple):
    """Where a label's anchor is on screen, and how many window pixels a metre there takes."""

    across: float  # pixels per metre, to the right
    up: float  # pixels per metre, upwards
    x: float  # the anchor, in window pixels (y down)
    y: float


def _in_column(box: Box, placed: list[Box]) -> list[Box]:
    """What of `placed` shares `box`'s column: moving up or down, only these can be in its way."""
    return [p for p in placed if p.left < box.right and box.left < p.right]


def _clear_of(box: Box, column: list[Box], gap: float, up: bool) -> Box:
    """`box`, moved up (or down) until it covers none of `column` (`_in_column`)."""
    top, bottom = box.top, box.bottom
    for _ in range(len(column) + 1):
        hit = next((p for p in column if top < p.bottom and p.top < bottom), None)
        if hit is None:
            break
        shift = hit.top - gap - bottom if up else hit.bottom + gap - top
        top, bottom = top + shift, bottom + shift
    return Box(box.left, box.right, top, bottom)


def _first_fit(candidates: list[Box], placed: list[Box], gap: float, area: Box) -> Box | None:
    """The first of `candidates` that, moved up clear of `placed` (or else down), is inside `area`."""
    columns = [(box, _in_column(box, placed)) for box in (c.within(area) for c in candidates)]
    for up in (True, False):
        for box, column in columns:
            moved = _clear_of(box, column, gap, up)
            if moved.inside(area):
                return moved
    return None


class Labels:
    """The labels of one set of avatars (the room's, or a replay's) as seen through `camera`'s `lens`."""

    def __init__(self, camera: NodePath, lens, window) -> None:
        self.camera, self.lens, self.window = camera, lens, window
        # pixels each label is moved by (across, up), by its node's key: this frame's, and the last frame's
        # (a label that has gone is forgotten)
        self._moved: dict[int, tuple[float, float]] = {}
        self._before: dict[int, tuple[float, float]] = {}

    def place(self, avatars: Iterable[Avatar], dt: float, reduced_motion: bool, stage: Rect | None = None) -> None:
        """Size and stack the labels of `avatars` for this frame's camera, inside `stage` (normalised device
        coordinates: the part of the window no panel covers) where they fit."""
        w, h = self.window.getXSize(), self.window.getYSize()
        if w <= 0 or h <= 0:
            return
        window = Box(0, w, 0, h)
        area = (
            window
            if stage is None
            else Box(
                (stage.left + 1) * w / 2, (stage.right + 1) * w / 2, (1 - stage.top) * h / 2, (1 - stage.bottom) * h / 2
            )
        )
        glide = 1.0 if reduced_motion else 1.0 - 0.5 ** (dt / GLIDE_HALF_LIFE)
        tags, bubbles, faces = [], [], []
        for av in avatars:
            if av.root.isEmpty() or av.root.isHidden(MAIN_MASK):
                continue
            anchor = self.camera.getRelativePoint(av.root, Point3(0, 0, TAG_Z))
            spot = self._spot(anchor, self.camera.getRelativePoint(av.root, Point3(0, 0, HEAD_Z)), w, h)
            if spot is None:  # behind the camera, or their head off the film: no label of theirs is in view
                av.labels.hide()
                continue
            av.labels.show()
            faces.append(self._face(spot))
            if not av.tag.isHidden():
                tags.append((anchor.y, av, anchor, spot))
            if av.bubble is not None:
                bubbles.append((-av.said, av, anchor, spot))
        self._before, self._moved = self._moved, {}
        placed: list[Box] = []
        gap = GAP * h
        tag_boxes: dict[int, Box] = {}
        for _, av, anchor, spot in sorted(tags, key=lambda item: item[0]):
            box = self._fit(av.tag, TAG_SCALE, TAG_LINE, av.text_scale, spot, h)
            # a tag is never hidden (it says who is a program): where nothing fits, it goes up anyway
            want = (
                _first_fit([box], placed, gap, area)
                or _first_fit([box], placed, gap, window)
                or _clear_of(box, _in_column(box, placed), gap, True)
            )
            self._glide(av.tag, anchor, spot, box, want, glide)
            placed.append(want)
            tag_boxes[av.id] = want
        for _, av, anchor, spot in sorted(bubbles, key=lambda item: item[0]):
            node = av.bubble
            box = self._fit(node, BUBBLE_SCALE, BUBBLE_LINE, av.text_scale, spot, h)
            want = _first_fit(self._bubble_places(box, tag_boxes.get(av.id), spot, gap), placed + faces, gap, area)
            if want is None:
                node.hide()
                continue
            node.show()
            self._glide(node, anchor, spot, box, want, glide)
            placed.append(want)

    @staticmethod
    def _face(spot: Spot) -> Box:
        """The head (with its hair) below a label's anchor, on screen."""
        cy, r = spot.y + (TAG_Z - HEAD_Z) * spot.up, HEAD_R * 1.2
        return Box(spot.x - r * spot.across, spot.x + r * spot.across, cy - r * spot.up, cy + r * spot.up)

    @staticmethod
    def _bubble_places(box: Box, tag: Box | None, spot: Spot, gap: float) -> list[Box]:
        """Where a bubble may go, best first: above its speaker's tag (or where the tag would be), then
        beside the head, to the right and to the left."""
        above = box.moved(0, (tag.top if tag is not None else spot.y) - gap - box.bottom)
        beside = box.moved(0, (tag.bottom + gap if tag is not None else spot.y) - box.top)
        head = HEAD_R * 1.4 * spot.across + gap  # from the anchor to clear of the head
        return [
            above,
            beside.moved(spot.x + head - beside.left, 0),
            beside.moved(spot.x - head - beside.right, 0),
        ]

    def _spot(self, anchor: Point3, head: Point3, w: int, h: int) -> Spot | None:
        """Where `anchor` (camera space) is in the window, with the scale of a card facing the camera there;
        None unless the anchor or the `head` below it is in view (a tag whose head is just under the window's
        top edge still shows, moved down into the window)."""
        lens, near = self.lens, self.lens.getNear()
        if anchor.y <= near or head.y <= near:
            return None
        p0, px, pz, ph = Point2(), Point2(), Point2(), Point2()
        in_view = lens.project(anchor, p0)  # off the film, a point in front of the lens is still projected
        if not (lens.project(head, ph) or in_view):
            return None
        lens.project(anchor + Vec3(STEP, 0, 0), px)
        lens.project(anchor + Vec3(0, 0, STEP), pz)
        return Spot((px.x - p0.x) * w / 2 / STEP, (pz.y - p0.y) * h / 2 / STEP, (p0.x + 1) * w / 2, (1 - p0.y) * h / 2)

    @staticmethod
    def _fit(node: NodePath, base: float, line: tuple[float, float], text_scale: float, spot: Spot, h: int) -> Box:
        """Scale `node` (a TextNode's) so a line of it is within `line` (of the window's height, times
        `text_scale`); its card on screen at its natural place."""
        text = node.node()
        units = text.getLineHeight()
        natural = units * base * text_scale * spot.up
        scale = min(max(natural, line[0] * h * text_scale), line[1] * h * text_scale) / (units * spot.up)
        node.setScale(scale)
        left, right, bottom, top = text.getCardActual()
        x, y, across, up = spot.x, spot.y, spot.across * scale, spot.up * scale
        return Box(x + left * across, x + right * across, y - top * up, y - bottom * up)

    def _glide(self, node: NodePath, anchor: Point3, spot: Spot, natural: Box, want: Box, glide: float) -> None:
        """Move `node` (its card at its natural place is `natural`) towards `want`."""
        key = node.getKey()
        target = (want.left - natural.left, natural.top - want.top)  # pixels right and up
        now = self._before.get(key)
        if now is None or abs(now[0] - target[0]) + abs(now[1] - target[1]) < 0.5:
            now = target
        else:
            now = (now[0] + (target[0] - now[0]) * glide, now[1] + (target[1] - now[1]) * glide)
        self._moved[key] = now
        if now == (0.0, 0.0):  # at its anchor: set in its parent's space, cheaper than relative to the camera
            node.setPos(0, 0, TAG_Z)
        else:
            node.setPos(self.camera, anchor + Vec3(now[0] / spot.across, 0, now[1] / spot.up))
