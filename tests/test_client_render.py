"""The desktop client rendered offscreen (EGL/llvmpipe, or tinydisplay), without a server.

Assertions are on real rendered pixels: avatars appear where the camera
projection says they are, faces change with expression and intensity, name
tags are drawn, keys drive movement intents and the UI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from direct.showbase.MessengerGlobal import messenger

from client.avatars.avatar import HEAD_R
from client.avatars.face import EXPRESSION_PARAMS, draw_face, params_for
from client.interp import SnapshotBuffer
from client.testing import FakeSession, frame, region, sample_room, shared_app, to_pixel
from client.ui.screens import LoginScreen
from wire import events

ROOT = Path(__file__).resolve().parent.parent
LAYOUT = {0: (0.0, -2.0, 0.0), 1: (-1.3, 1.5, 180.0), 2: (1.4, 1.5, 180.0)}


@pytest.fixture
def app():
    a = shared_app()
    yield a


def head_px(app, aid):
    av = app.avatars[aid]
    c = av.head.getPos(app.render)
    p = to_pixel(app, c)
    top = to_pixel(app, (c.x, c.y, c.z + HEAD_R))
    assert p is not None and top is not None, "head should be on screen"
    return p, max(3, abs(p[1] - top[1]))


def settle(app, n=3):
    img = None
    for _ in range(n):
        img = frame(app)
    return img


def test_avatars_appear_where_the_camera_projects_them(app):
    sample_room(app, LAYOUT)
    img = settle(app)
    for aid in (1, 2):
        (c, r), radius = head_px(app, aid)
        assert 0 <= c < img.shape[1] and 0 <= r < img.shape[0]
        body = to_pixel(app, app.avatars[aid].root.getPos(app.render) + (0, 0, 1.1))
        app.avatars[aid].root.hide()
        without = settle(app, 1)
        app.avatars[aid].root.show()
        with_ = settle(app, 1)
        diff_head = np.abs(region(with_, (c, r), radius) - region(without, (c, r), radius)).mean()
        diff_body = np.abs(region(with_, body, radius) - region(without, body, radius)).mean()
        assert diff_head > 0.08, f"avatar {aid}: head not drawn at {(c, r)} (diff {diff_head:.3f})"
        assert diff_body > 0.08, f"avatar {aid}: body not drawn at {body} (diff {diff_body:.3f})"
        # far away from it (the other side of the screen top corner) nothing changed
        far = (5, img.shape[0] // 2)
        assert np.abs(region(with_, far, 4) - region(without, far, 4)).mean() < 1e-3


def test_each_expression_changes_the_face_pixels_and_intensity_matters(app):
    sample_room(app, LAYOUT)
    settle(app)
    (c, r), radius = head_px(app, 1)
    faces = {}
    for name in ("neutral", "happy", "sad", "angry", "surprised", "afraid"):
        app.on_member_updated({"avatar": 1, "expression": name, "intensity": 1.0})
        faces[name] = region(settle(app, 2), (c, r), radius)
    for name, img in faces.items():
        if name != "neutral":
            d = np.abs(img - faces["neutral"]).mean()
            assert d > 0.01, f"{name} looks like neutral (diff {d:.4f})"
    names = list(faces)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert np.abs(faces[a] - faces[b]).mean() > 0.005, f"{a} and {b} look the same"
    app.on_member_updated({"avatar": 1, "expression": "happy", "intensity": 0.3})
    slight = region(settle(app, 2), (c, r), radius)
    app.on_member_updated({"avatar": 1, "expression": "happy", "intensity": 1.0})
    broad = region(settle(app, 2), (c, r), radius)
    assert np.abs(slight - broad).mean() > 0.004
    assert np.abs(slight - faces["neutral"]).mean() > 0.002
    # the other avatar's face did not change
    assert app.avatars[2].expression == "neutral"


def test_face_textures_are_distinct_and_blend_with_intensity():
    imgs = {n: draw_face(params_for(n, 1.0)) for n in EXPRESSION_PARAMS}
    for a in imgs:
        for b in imgs:
            if a < b:
                assert np.abs(imgs[a] - imgs[b]).mean() > 0.003, (a, b)
    neutral = draw_face(params_for("happy", 0.0))
    assert np.allclose(neutral, imgs["neutral"])
    d_slight = np.abs(draw_face(params_for("sad", 0.3)) - neutral).mean()
    d_strong = np.abs(imgs["sad"] - neutral).mean()
    assert 0 < d_slight < d_strong


def test_name_tags_are_drawn_above_heads_and_say_who(app):
    sample_room(app, LAYOUT, members={1: "Robin", 2: "Kim"})
    settle(app)
    av = app.avatars[1]
    assert av._tag_text.getText() == "Robin"
    assert app.avatars[0].tag.isHidden()  # your own tag would block your view
    p = to_pixel(app, av.tag.getPos(app.render))
    shown = settle(app, 1)
    av.tag.hide()
    hidden = settle(app, 1)
    av.tag.show()
    d = np.abs(region(shown, p, 6) - region(hidden, p, 6)).mean()
    assert d > 0.05, f"no name tag at {p}"
    # the card is light: the tag area is brighter than the scene behind it
    assert region(shown, p, 6).mean() > region(hidden, p, 6).mean()


def test_gestures_move_limbs_and_finish(app):
    sample_room(app, LAYOUT)
    settle(app)
    av = app.avatars[2]
    r0 = av.arms[1].getR()
    av.play_gesture("wave")
    for _ in range(20):
        av.update(0.05)
    assert abs(av.arms[1].getR() - r0) > 60  # arm raised
    for _ in range(40):
        av.update(0.05)
    assert av.gesture == "none" and abs(av.arms[1].getR() - r0) < 1
    av.play_gesture("nod")
    av.update(0.5)
    assert abs(av.head.getP()) > 1


def test_keys_send_move_intents_and_typing_does_not_walk(app):
    sess = FakeSession()
    app.session = sess
    sample_room(app, LAYOUT)
    settle(app)

    async def run():
        from client.testing import pump

        messenger.send("w")
        messenger.send("arrow_left")
        await pump(app, frames=2)
        messenger.send("w-up")
        messenger.send("arrow_left-up")
        await pump(app, frames=2)
        messenger.send("enter")  # open chat
        for ch in "hi w1-":
            if ch in "w1-":
                messenger.send(ch)  # the key itself is also a button event
            messenger.send("keystroke", [ch])
        messenger.send("w-up")
        messenger.send("enter")  # send
        await pump(app, frames=2)
        messenger.send("f3")
        messenger.send("-")
        messenger.send("1")
        await pump(app, frames=2)

    import asyncio

    asyncio.run(run())
    moves = [p for e, p in sess.sent if e == events.MOVE]
    assert moves[0] == {"forward": 1.0, "strafe": 0.0, "turn": 0.0}
    assert moves[1] == {"forward": 1.0, "strafe": 0.0, "turn": 1.0}
    assert moves[-1] == {"forward": 0.0, "strafe": 0.0, "turn": 0.0}
    assert len(moves) == 4, "typing 'w' in the chat must not walk"
    assert [p for e, p in sess.sent if e == events.GESTURE] == [{"name": "wave"}]  # only the '1' after chat
    assert (events.SAY, {"text": "hi w1-"}) in sess.sent
    exprs = [p for e, p in sess.sent if e == events.EXPRESSION]
    assert exprs == [{"name": "happy", "intensity": 0.75}, {"name": "happy", "intensity": 0.5}]
    assert (events.GESTURE, {"name": "wave"}) in sess.sent
    assert app.avatars[0].expression == "happy" and app.avatars[0].gesture == "wave"


def test_login_screen_is_keyboard_only(app):
    got = []
    screen = LoginScreen(app.aspect2d, 1.0, lambda n, p: got.append((n, p)))
    app.set_screen(screen)
    messenger.send("enter")
    assert got == [] and "name" in screen.status.getText()
    for ch in "Ana":
        messenger.send("keystroke", [ch])
    messenger.send("tab")
    for ch in "pw1x":
        messenger.send("keystroke", [ch])
    messenger.send("backspace")
    messenger.send("enter")
    assert got == [("Ana", "pw1")]
    assert screen.fields[1].text.getText().startswith("***")  # the password is never shown
    app.set_screen(None)


def test_settings_panel_changes_text_size_and_reduced_motion(app, tmp_path):
    app.opts.settings_path = tmp_path / "client.json"
    sample_room(app, LAYOUT)
    settle(app)
    before = app.chat.rows[0].getScale()[0]
    messenger.send("f10")
    assert app.settings_panel is not None
    messenger.send("arrow_right")  # text size medium -> large
    messenger.send("arrow_down")
    messenger.send("enter")  # reduced motion on
    messenger.send("escape")
    assert app.settings_panel is None and app.focus is None
    assert app.settings.text_size == "large" and app.settings.reduced_motion
    assert app.chat.rows[0].getScale()[0] > before * 1.2
    assert all(av.reduced_motion for av in app.avatars.values())
    assert json.loads((tmp_path / "client.json").read_text())["reduced_motion"] is True
    # help overlay opens with F1 and closes with Esc
    messenger.send("f1")
    assert app.help is not None
    messenger.send("escape")
    assert app.help is None


def test_notices_and_recorded_indicator_are_on_screen(app):
    sample_room(app, LAYOUT)
    base = settle(app)
    assert "NOT recorded" in app.recorded.body.getText()
    app.on_connection({"state": "reconnecting"})
    warn = settle(app)
    assert "Reconnecting" in app.notices.texts[0]
    top = slice(0, 40)
    centre = slice(warn.shape[1] // 2 - 100, warn.shape[1] // 2 + 100)
    assert np.abs(warn[top, centre] - base[top, centre]).mean() > 0.02
    app.on_connection({"state": "connected"})
    assert app.notices.connection == "" and "Connected again." in app.notices.texts


def test_interpolation_is_smooth_between_sparse_snapshots():
    buf = SnapshotBuffer(tick_hz=20, delay=0.1)
    # 10 Hz snapshots (every 2 ticks) of an avatar walking +y at 1 m/s, arriving with jitter
    rng = np.random.default_rng(1)
    for k in range(10):
        tick = 2 * k
        buf.push([7], [[0.0, tick / 20.0]], [90.0], local_now=1.0 + tick / 20 + rng.uniform(0, 0.03), tick=tick)
    ys = []
    for t in np.arange(1.3, 1.9, 1 / 60):
        ys.append(buf.sample(t)[7][1])
    steps = np.diff(ys)
    assert np.all(steps >= -1e-9) and steps.max() < 0.03  # no jumps back, no big leaps
    assert abs(np.median(steps) - 1 / 60) < 0.004  # about 1 m/s
    # a quiet avatar that starts moving eases out from where it stood (no slide over the quiet time)
    buf.push([8], [[5.0, 5.0]], [0.0], local_now=2.0, tick=20)
    buf.push([8], [[5.0, 5.1]], [0.0], local_now=3.0, tick=40)
    pose_now = buf.sample(3.0 + 0.1 - 0.05)[8]
    assert 5.0 <= pose_now[1] < 5.1
    # yaw takes the short way round
    buf.push([9], [[0, 0]], [350.0], local_now=3.0, tick=40)
    buf.push([9], [[0, 0]], [10.0], local_now=3.05, tick=41)
    yaw = buf.sample(buf.server_now(3.05) - 0.025 + 0.1 + 3.0 - 3.0)[9][2]
    assert yaw > 340 or yaw < 20


@pytest.mark.parametrize("renderer", ["gl", "software"])
def test_screenshot_command_line_writes_a_real_image(tmp_path, renderer):
    """EGL (OpenGL without a display) and the software fallback (p3tinydisplay) both draw the room."""
    out = tmp_path / "park.png"
    extra = ["--software"] if renderer == "software" else []
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "client",
            "--preview",
            "park",
            "--offscreen",
            "--screenshot",
            str(out),
            "--frames",
            "5",
            "--size",
            "480x300",
            "--settings",
            str(tmp_path / "s.json"),
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Traceback" not in r.stderr
    assert ("Tiny" in r.stdout) == (renderer == "software"), r.stdout
    from panda3d.core import Filename, PNMImage

    img = PNMImage()
    assert img.read(Filename.fromOsSpecific(str(out)))
    assert (img.getXSize(), img.getYSize()) == (480, 300)
    px = np.array([[img.getXel(x, y) for x in range(0, 480, 8)] for y in range(0, 300, 8)])
    assert px.std() > 0.05  # not one flat colour
    top = px[:3]  # the top rows: mostly sky, whatever notices or name tags sit there
    assert (top[..., 2] > top[..., 0]).mean() > 0.5  # a calm blue-ish sky over the park


def test_f9_shows_the_face_in_front_of_you_close_up(app):
    sample_room(app, {0: (0.0, -2.0, 0.0), 1: (0.0, 1.0, 180.0), 2: (3.0, -3.0, 90.0)})
    settle(app)
    _, far_radius = head_px(app, 1)
    messenger.send("f9")
    assert app.closeup == 1  # the one in front, not the one beside me
    from panda3d.core import ClockObject

    clock = ClockObject.getGlobalClock()
    clock.setMode(ClockObject.MForced)  # 2 s of 30 fps frames: the camera glides in
    clock.setFrameRate(30)
    img = settle(app, 60)
    clock.setMode(ClockObject.MNormal)
    (c, r), radius = head_px(app, 1)
    assert radius > 4 * far_radius  # the face fills much more of the view
    h, w = img.shape[:2]
    assert abs(c - w / 2) < w * 0.1 and abs(r - h / 2) < h * 0.15
    neutral = region(img, (c, r), radius // 2)
    app.on_member_updated({"avatar": 1, "expression": "surprised", "intensity": 0.5})
    assert np.abs(region(settle(app, 2), (c, r), radius // 2) - neutral).mean() > 0.01
    messenger.send("arrow_up")  # walking steps back
    messenger.send("arrow_up-up")
    assert app.closeup is None
