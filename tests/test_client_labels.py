"""Name tags and speech bubbles in the 3D room (client/scene/labels.py), on rendered frames at 960x600.

The room's texts are found as tests/test_client_layout.py finds them (each shown TextNode under render,
projected through the camera's lens), and heads by projecting their spheres: a crowd's tags and bubbles
never overlap one another or cover a face, stay inside the part of the window no panel covers (a tag at
the window's edge moves in), and are drawn there; a tag is readable across the room and modest a step
from the camera; the labels of someone behind the camera are not drawn at all.
"""

from __future__ import annotations

import numpy as np
import pytest
from panda3d.core import ClockObject, Point2, Point3

from client.avatars.avatar import HEAD_R
from client.scene.labels import TAG_LINE
from client.testing import frame, region, sample_room, shared_app, to_pixel
from test_client_layout import Box, Scene

SIZE = (960, 600)
# the cast of a role-play framed together, the way the demo's practice shows them: three side by side,
# someone a step in front of you, someone across the room; you (0) at the back
CROWD = {0: (0.0, -3.0, 0.0), 1: (-0.6, 1.5, 180.0), 2: (0.2, 1.8, 180.0), 3: (0.9, 1.4, 180.0), 4: (-3.0, 12.0, 180.0)}
CROWD[5] = (0.3, -1.2, 180.0)
CROWD[7] = (-3.9, 0.5, 180.0)  # at the window's left edge: a tag centred on the head would be cut off
NAMES = {
    1: "Alex (role-play, computer-run)",
    2: "coach-bot (program)",
    3: "Robin (role-play, computer-run)",
    4: "Kim",
    5: "Sam",
    7: "Jordan (role-play, peer specialist)",
}
LINES = {  # in the order said: 3's is the newest
    1: "Not bad, thanks. I've just come from the gardening group upstairs.",
    2: "It's been really nice to meet you. Maybe see you next week?",
    3: "Alex is sitting alone with a cup of tea. You'd like to say hello. What do you do?",
}


@pytest.fixture
def app():
    a = shared_app(size=SIZE)
    yield a
    ClockObject.getGlobalClock().setMode(ClockObject.MNormal)


def run_frames(app, n: int):
    """`n` frames of 1/30 s each (labels ease into place over a few of them)."""
    clock = ClockObject.getGlobalClock()
    clock.setMode(ClockObject.MForced)
    clock.setFrameRate(30)
    img = None
    for _ in range(n):
        img = frame(app)
    return img


def room_texts(app) -> dict[str, Box]:
    """Every shown tag and bubble, by its text."""
    scene = Scene(app)
    texts = {}
    for av in app.avatars.values():
        for node in (av.tag, av.bubble):
            if node is not None and not node.isHidden():
                label = node.node().getText()
                box = next((b for b in scene.texts if b.order < 0 and b.what == f"tag {label[:30]!r}"), None)
                assert box is not None, f"{label!r} is shown but was not measured"
                texts[label] = box
    return texts


def head_box(app, aid: int) -> Box:
    head = app.avatars[aid].head.getPos(app.render)
    c = to_pixel(app, head)
    top = to_pixel(app, head + Point3(0, 0, HEAD_R))
    assert c is not None and top is not None
    r = abs(c[1] - top[1])
    return Box(f"head {aid}", c[0] - r, c[0] + r, c[1] - r, c[1] + r, -1)


def stage_box(app) -> Box:
    s = app.camera_view.stage
    w, h = SIZE
    return Box("stage", (s.left + 1) * w / 2, (s.right + 1) * w / 2, (1 - s.top) * h / 2, (1 - s.bottom) * h / 2, 0)


def line_px(app, node) -> float:
    """A line of a tag's text in window pixels: its line height at its scale, projected where it stands."""
    cam, lens = app.cam, app.camLens
    origin = cam.getRelativePoint(node.getParent(), node.getPos())
    top = origin + Point3(0, 0, node.node().getLineHeight() * node.getSz(app.render))
    a, b = Point2(), Point2()
    assert lens.project(origin, a), "the tag is not in view"
    lens.project(top, b)  # (a tag at the window's top edge has its line's top outside the film)
    return (b.y - a.y) * SIZE[1] / 2


def crowd(app):
    sample_room(app, CROWD, members=NAMES)
    run_frames(app, 3)
    for aid, text in LINES.items():
        app.avatars[aid].say(text)
    return run_frames(app, 30)


def test_a_crowds_tags_and_bubbles_never_overlap_nor_cover_a_face_and_are_drawn(app):
    shown = crowd(app)
    texts = room_texts(app)
    for name in NAMES.values():
        assert name in texts, f"the tag of {name!r} is not shown"
    assert LINES[3] in texts, "the newest line has no bubble"
    boxes = list(texts.values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlap(b), f"{a.what} overlaps {b.what}"
    faces = [head_box(app, aid) for aid in CROWD]
    stage = stage_box(app)
    for name in NAMES.values():
        assert stage.contains(texts[name], 1.0), f"{texts[name].what} is outside the stage {stage}"
    for line in LINES.values():
        if line not in texts:
            continue  # no room for it in view: it is in the chat
        box = texts[line]
        for face in faces:
            assert not box.overlap(face), f"{box.what} covers {face.what}"
        assert stage.contains(box, 1.0), f"{box.what} is outside the stage {stage}"
    # and they are drawn there: the pixels change when a bubble is taken out of the scene
    for aid in LINES:
        bubble = app.avatars[aid].bubble
        if bubble is None or bubble.isHidden():
            continue
        b = texts[bubble.node().getText()]
        centre, half = (int((b.left + b.right) / 2), int((b.top + b.bottom) / 2)), int((b.bottom - b.top) / 3)
        parent = bubble.getParent()
        bubble.detachNode()
        without = run_frames(app, 1)
        bubble.reparentTo(parent)
        diff = np.abs(region(shown, centre, half) - region(without, centre, half)).mean()
        assert diff > 0.03, f"no bubble drawn at {centre} (diff {diff:.3f})"


def test_a_tag_is_readable_across_the_room_and_modest_a_step_from_the_camera(app):
    # the follow camera is 4.4 m behind you and above: Sam stands a step in front of it, Kim far away
    sample_room(app, {0: (0.0, -3.0, 0.0), 5: (1.0, -5.3, 180.0), 4: (-1.0, 20.0, 180.0)}, members=NAMES)
    run_frames(app, 5)
    h = SIZE[1]
    near, far = line_px(app, app.avatars[5].tag), line_px(app, app.avatars[4].tag)
    assert near <= TAG_LINE[1] * h + 0.5, f"a tag a step away is {near:.1f} px a line"
    assert far >= TAG_LINE[0] * h - 0.5, f"a tag across the room is {far:.1f} px a line"
    assert near > far  # still a cue of who is nearer
    # a larger text size gives larger tags, near and far
    app.settings.text_size = "large"
    app.apply_settings(app.settings)
    run_frames(app, 2)
    assert line_px(app, app.avatars[4].tag) > far * 1.1
    assert line_px(app, app.avatars[5].tag) > near * 1.1


def test_the_labels_of_someone_behind_the_camera_are_not_drawn(app):
    sample_room(app, {0: (0.0, -3.0, 0.0), 6: (0.2, -8.0, 0.0), 1: (0.0, 1.0, 180.0)}, members={6: "Jo", 1: "Ana"})
    run_frames(app, 3)
    app.avatars[6].say("I'm standing right behind the camera.")
    run_frames(app, 3)
    texts = room_texts(app)
    assert "Ana" in texts
    assert app.avatars[6].labels.isHidden()
    assert not any("behind the camera" in t or t == "Jo" for t in texts)
    # back in view: shown again
    sample_room(app, {0: (0.0, -3.0, 0.0), 6: (0.2, 0.5, 180.0), 1: (0.0, 1.0, 180.0)}, members={6: "Jo", 1: "Ana"})
    run_frames(app, 3)
    assert "Jo" in room_texts(app)
    assert not app.avatars[6].labels.isHidden()


def test_a_tag_whose_head_is_at_the_windows_top_edge_is_shown_whole_inside_the_window(app):
    # far across the room, Kim's head is just under the top edge and the tag's own place just above it
    sample_room(app, {0: (0.0, -3.0, 0.0), 4: (-1.0, 30.0, 180.0)}, members=NAMES)
    run_frames(app, 3)
    texts = room_texts(app)
    assert "Kim" in texts, "the tag of someone in view is not shown whole"
    assert texts["Kim"].top >= 0
