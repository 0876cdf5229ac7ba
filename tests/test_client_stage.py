"""The stage the participant sees, checked on rendered frames: the real client (offscreen) against the
real server, in a real practice run.

In a role-play the partner's head is on screen and under no panel at 960x600, 1280x720 and 1920x1080,
at every text size the settings offer: the head's world position is projected with the camera's lens
and compared with the panels' drawn bounds, and its pixels are compared with a frame drawn without
that avatar. In an emotion item the face to read is on screen, clear of the panels, and your own avatar
never covers it. The portrait shows your own face.
"""

from __future__ import annotations

import numpy as np
import pytest
from direct.showbase.MessengerGlobal import messenger
from panda3d.core import ClockObject, Point3, Vec3

from client.avatars.avatar import HEAD_R
from client.scene.stage import MAIN_MASK, Shot, hides_a_face
from client.testing import frame, pump, region, resize, to_pixel
from client.theme import TEXT_SIZES
from client.ui.settings import Settings
from client_room import app, enter  # noqa: F401  (the fixture)

SIZES = ((960, 600), (1280, 720), (1920, 1080))


async def start(app, scenario: str, want: str):
    """Start `scenario` by keyboard and press Enter through its first parts until it waits for `want`."""
    messenger.send("p")
    await pump(app, lambda: app.picker is not None and len(app.picker.scenarios) >= 2)
    while app.picker.scenarios[app.picker.index]["id"] != scenario:
        messenger.send("arrow_down")
    messenger.send("enter")
    await pump(app, lambda: app.scenario_panel is not None and app.scenario_panel.waiting_for_me, timeout=8)
    panel = app.scenario_panel
    while panel.state["wait"] != want:
        assert panel.state["wait"] == "continue", panel.state["wait"]
        part = (panel.state["phase"]["index"], (panel.state.get("beat") or {}).get("index"))
        messenger.send("enter")  # continue, then wait for the next part or beat (never press twice in one)
        await pump(
            app,
            lambda: (
                not panel.busy
                and ((panel.state["phase"]["index"], (panel.state.get("beat") or {}).get("index")) != part)
                or panel.state["wait"] == want
            ),
            timeout=8,
        )
        # its lines are said before it offers anything: Enter before then would open the chat
        await pump(app, lambda: panel.waiting_for_me, timeout=8)
    return panel


def settle(app, n: int = 3):
    img = None
    for _ in range(n):
        img = frame(app)
    return img


def head_box(app, aid: int) -> tuple[int, int, int, int]:
    """The head's extent on screen in pixels (c0, r0, c1, r1), from its world position and the lens."""
    c = app.avatars[aid].head.getPos(app.render)
    right = app.render.getRelativeVector(app.camera, Vec3(1, 0, 0))
    points = [c + Vec3(0, 0, HEAD_R), c - Vec3(0, 0, HEAD_R), c + right * HEAD_R, c - right * HEAD_R]
    px = [to_pixel(app, Point3(p)) for p in points]
    assert all(p is not None for p in px), f"avatar {aid}: head not in front of the camera"
    cols, rows = [p[0] for p in px], [p[1] for p in px]
    return min(cols), min(rows), max(cols), max(rows)


def panel_boxes(app) -> dict[str, tuple[int, int, int, int]]:
    """Every panel on screen, as drawn (tight bounds on the 2D layer), in pixels."""
    w, h = app.win.getXSize(), app.win.getYSize()
    ratio = app.getAspectRatio()

    def px(lo, hi):
        return (
            int((lo.x / ratio + 1) / 2 * w),
            int((1 - hi.z) / 2 * h),
            int((hi.x / ratio + 1) / 2 * w),
            int((1 - lo.z) / 2 * h),
        )

    out = {}
    parts = {
        "scenario panel": app.scenario_panel.root if app.scenario_panel else None,
        "chat": app.chat.root,
        "recording indicator": app.recorded.root,
        "your face status": app.self_status.root,
        "portrait frame": app.camera_view._portrait_frame,
    }
    for name, np_ in parts.items():
        if np_ is None or np_.isHidden() or np_.isEmpty():
            continue
        b = np_.getTightBounds(app.aspect2d)
        if b is not None:
            out[name] = px(*b)
    lay = app.camera_view.layout()
    l, r, b, t = lay.portrait.fractions(lay.ratio)
    out["portrait"] = (int(l * w), int((1 - t) * h), int(r * w), int((1 - b) * h))
    return out


def assert_on_stage(app, aid: int, who: str) -> tuple[int, int, int, int]:
    w, h = app.win.getXSize(), app.win.getYSize()
    c0, r0, c1, r1 = head_box(app, aid)
    where = f"{who} at {w}x{h}, text {app.settings.text_size}"
    assert 0 <= c0 and c1 < w and 0 <= r0 and r1 < h, f"{where}: head {c0, r0, c1, r1} is not all on screen"
    for name, (p0, q0, p1, q1) in panel_boxes(app).items():
        apart = c1 < p0 or p1 < c0 or r1 < q0 or q1 < r0
        assert apart, f"{where}: head {c0, r0, c1, r1} is under the {name} {p0, q0, p1, q1}"
    return c0, r0, c1, r1


def drawn_at(app, aid: int, box, hide=None) -> float:
    """How much the pixels in `box` change when avatar `aid` (or the node `hide`) is left out."""
    c0, r0, c1, r1 = box
    centre, half = ((c0 + c1) // 2, (r0 + r1) // 2), max(2, (c1 - c0) // 3)
    node = hide if hide is not None else app.avatars[aid].root
    with_ = region(settle(app, 1), centre, half)
    node.hide()
    without = region(settle(app, 1), centre, half)
    node.show()
    return float(np.abs(with_ - without).mean())


async def test_the_partner_is_framed_clear_of_every_panel_at_each_window_size_and_text_size(app, server):
    await enter(app, server)
    panel = await start(app, "starting_a_conversation", "choice")
    st = panel.state
    partner_role = next(r for r, c in st["cast"].items() if c["kind"] == "partner")
    partner = st["avatars"][partner_role]
    speaker = st["avatars"][st["line"]["cast"]]  # the coach sets the scene: the line you answer
    await pump(app, lambda: st["line"]["text"] in panel.text)
    people, face = app.scenarios.stage_people()
    assert partner in people and speaker in people and not face
    for w, h in SIZES:
        resize(app, w, h)
        settle(app, 1)  # a new window shape: the panel takes its share of the new width at once
        assert app.scenario_panel.width == pytest.approx(app.camera_view.layout().scenario.width)
        for size in TEXT_SIZES:
            app.apply_settings(Settings(text_size=size, reduced_motion=True))  # no glide: the shot at once
            settle(app)
            assert app.camera_view.staged
            for aid in people:  # the speaking coach too: never half off screen
                who = "the partner" if aid == partner else app.avatars[aid].name
                box = assert_on_stage(app, aid, who)
                assert drawn_at(app, aid, box) > 0.08, f"{who}'s head is not drawn at {box} ({w}x{h}, {size})"
    # gliding to the shot, the camera may pass right behind your head: meanwhile your avatar is left out
    me = app.avatars[app.my_id]
    app.apply_settings(Settings(reduced_motion=False))
    head, face = me.head.getPos(app.render), app.avatars[partner].head.getPos(app.render)
    away = head - face
    away.normalize()
    app.camera.setPos(head + away * 0.8)
    clock = ClockObject.getGlobalClock()
    clock.setMode(ClockObject.MForced)
    clock.setFrameRate(1000)  # one frame of 1 ms: the camera has hardly moved
    try:
        settle(app, 1)
    finally:
        clock.setMode(ClockObject.MNormal)
    assert me.root.isHidden(MAIN_MASK), "your head covers the partner's face, seen from the gliding camera"
    app.apply_settings(Settings(reduced_motion=True))
    settle(app)
    assert not me.root.isHidden(MAIN_MASK)  # at the shot over your shoulder it is in view again
    # the portrait shows your own face: the picture changes when your avatar goes, and with your feeling
    lay = app.camera_view.layout()
    l, r, b, t = lay.portrait.fractions(lay.ratio)
    w, h = app.win.getXSize(), app.win.getYSize()
    portrait = (int(l * w) + 2, int((1 - t) * h) + 2, int(r * w) - 2, int((1 - b) * h) - 2)
    assert drawn_at(app, app.my_id, portrait) > 0.08, "no own avatar in the portrait"
    c0, r0, c1, r1 = portrait
    before = settle(app)[r0:r1, c0:c1]
    app.set_my_expression("surprised", 1.0)
    after = settle(app)[r0:r1, c0:c1]
    assert me.expression == "surprised"
    assert np.abs(after - before).mean() > 0.01, "the portrait does not show your face"


async def test_an_emotion_item_shows_the_face_clear_of_panels_and_of_your_own_avatar(app, server):
    await enter(app, server, name="Bea", room="park")
    panel = await start(app, "emotion_recognition", "emotion")
    st = panel.state
    kim = st["avatars"][st["line"]["cast"]]
    assert app.scenarios.stage_people() == ([kim], True)
    me = app.avatars[app.my_id]
    for w, h in (SIZES[0], SIZES[2]):
        resize(app, w, h)
        for size in ("medium", "extra large"):
            app.apply_settings(Settings(text_size=size, reduced_motion=True))
            settle(app)
            box = assert_on_stage(app, kim, "the face to read")
            assert box[3] - box[1] > h * 0.08, f"the face is too small to read: {box} at {w}x{h}"
            assert drawn_at(app, kim, box) > 0.08, f"the face is not drawn at {box}"
            # your own avatar is nowhere in front of it: leaving it out changes nothing there
            assert drawn_at(app, app.my_id, box, hide=me.root) < 0.002


def test_layout_regions_never_overlap_and_leave_a_stage_at_every_size():
    from client.ui.layout import layout

    for w, h in SIZES + ((800, 600), (2560, 1080)):
        for scale in TEXT_SIZES.values():
            for scenario in (False, True):
                for coach in (False, True):
                    lay = layout(w / h, scale, scenario, coach)
                    where = f"{w}x{h} text {scale} scenario={scenario} coach={coach}"
                    panels = lay.panels()
                    for name, rect in panels.items():
                        assert -lay.ratio <= rect.left < rect.right <= lay.ratio, f"{where}: {name} off screen"
                        assert -1 <= rect.bottom < rect.top <= 1, f"{where}: {name} off screen"
                        assert not rect.overlaps(lay.stage), f"{where}: {name} covers the stage"
                        for other, r2 in panels.items():
                            if other < name:
                                assert not rect.overlaps(r2), f"{where}: {name} and {other} overlap"
                    # the participant's own view (no coach console) keeps a good part of the screen
                    if not coach:
                        assert lay.stage.width > 2 * lay.ratio * 0.4 and lay.stage.height > 2 * 0.5, where
                    assert lay.stage.width > 0.3, where


def test_the_coach_console_stays_inside_a_narrow_window():
    from client.testing import FakeSession, sample_room, shared_app

    app = shared_app()
    resize(app, 960, 600)
    app.session = FakeSession()
    app.session.user = {"role": "peer_specialist", "name": "Pat"}
    sample_room(app, {0: (0.0, -2.0, 0.0), 1: (0.0, 1.0, 180.0)})
    app.coaching.ensure()
    messenger.send("k")
    assert app.coach is not None and not app.coach.root.isHidden()
    lo, hi = app.coach.root.getTightBounds(app.aspect2d)
    ratio = app.getAspectRatio()
    assert -ratio <= lo.x and hi.x <= ratio and -1 <= lo.z and hi.z <= 1, (lo, hi, ratio)
    region = app.camera_view.layout().coach
    assert region is not None and region.left - 0.01 <= lo.x and hi.x <= region.right + 0.01
    messenger.send("escape")
    app.coaching.clear()


def test_your_avatar_is_left_out_while_the_camera_passes_behind_your_head_on_its_way():
    """The shot over your shoulder leaves your head beside the line to the face; a camera still gliding there
    can be right behind your head, and then it is left out (the demo's modelling picture showed the back of a
    head filling the view)."""
    me, face = Point3(0, 0, 1.6), Point3(3, 0, 1.6)
    shot = Shot(pos=Point3(-1.1, -0.7, 1.9), look=face, heads=[face])
    assert not hides_a_face(me, shot.pos, shot)  # there: your head is beside the line to the face
    assert hides_a_face(me, Point3(-2.0, 0.05, 1.7), shot)  # on the way: right behind your head
    assert hides_a_face(me, shot.pos, Shot(shot.pos, face, [face], face=True))  # an emotion item: always
