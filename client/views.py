"""View components: the HUD, the avatars and the camera. Each draws from the model (client/model.py)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from wire import codec

from .avatars import Avatar
from .ui.hud import ChatPanel, Notices, RecordedIndicator, SelfStatus
from .ui.settings import CAMERA_DISTANCES

if TYPE_CHECKING:
    from .app import PeerspaceClient


class HudView:
    """Chat, notices, the recorded indicator and your own feeling; rebuilt when the text size changes."""

    def __init__(self, app: PeerspaceClient):
        self.app = app
        self.chat: ChatPanel | None = None
        self.notices: Notices | None = None
        self.recorded: RecordedIndicator | None = None
        self.self_status: SelfStatus | None = None

    def build(self) -> None:
        app, model = self.app, self.app.model
        s = app.settings.text_scale
        for part in (self.chat, self.notices, self.recorded, self.self_status):
            if part is not None:
                part.destroy()
        lines = self.chat.lines if self.chat else []
        notices = self.notices.items if self.notices else []
        self.chat = ChatPanel(app.a2dBottomLeft, s, lines)
        self.notices = Notices(app.a2dTopCenter, s)
        self.notices.items = notices
        self.notices.set_connection(model.connection_text())
        self.recorded = RecordedIndicator(app.a2dTopRight, s, model.recorded_text())
        self.self_status = SelfStatus(app.a2dBottomRight, s)
        self.self_status.set(model.my_expression, model.my_intensity)
        self.show_room(app.in_room)

    def show_room(self, show: bool) -> None:
        for part in (self.chat, self.recorded, self.self_status):
            part.root.show() if show else part.root.hide()

    def notice(self, text: str, seconds: float = 7.0) -> None:
        self.notices.show(text, seconds)
        self.chat.add(text, "notice")

    def show_recording(self) -> None:
        self.recorded.set(self.app.model.recorded_text())

    def show_connection(self) -> None:
        self.notices.set_connection(self.app.model.connection_text())


class AvatarsView:
    """One Avatar per member; poses from the snapshot buffer (and your own from the predictor) each frame."""

    def __init__(self, app: PeerspaceClient):
        self.app = app
        self.avatars: dict[int, Avatar] = {}

    def add_or_update(self, m: dict) -> None:
        app, model = self.app, self.app.model
        aid = m["avatar"]
        model.members[aid] = dict(m)
        av = self.avatars.get(aid)
        if av is None:
            av = Avatar(
                app.render,
                aid,
                m.get("name", "?"),
                m.get("kind", "person"),
                m.get("role", ""),
                text_scale=app.settings.text_scale,
                reduced_motion=app.settings.reduced_motion,
                appearance=m.get("appearance"),
            )
            av.root.hide()  # shown once it has a pose
            self.avatars[aid] = av
        else:
            av.set_name(m.get("name", av.name))
            av.set_appearance(m.get("appearance"))
        av.show_tag(aid != model.my_id)  # your own name tag would only block your view
        av.set_expression(m.get("expression", "neutral"), float(m.get("intensity", 1.0)))
        if m.get("away") is not None:
            av.set_away(bool(m.get("away")))
        if m.get("paused") is not None:
            av.set_paused(bool(m.get("paused")))
        if aid == model.my_id:
            model.my_expression = m.get("expression", "neutral")
            if model.my_expression != "neutral":
                model.my_intensity = float(m.get("intensity", 1.0))
            app.hud.self_status.set(model.my_expression, model.my_intensity)

    def remove(self, aid: int) -> None:
        av = self.avatars.pop(aid, None)
        self.app.model.members.pop(aid, None)
        self.app.interp.remove(aid)
        if av is not None:
            av.destroy()

    def clear(self) -> None:
        for aid in list(self.avatars):
            self.remove(aid)

    def take_poses(self, blob: bytes, tick) -> None:
        app = self.app
        if not blob:
            if tick is not None:
                app.interp.push([], [], [], time.perf_counter(), tick=tick)
            return
        rec = codec.decode_poses(blob)
        ids, xy, yaw = codec.poses_to_float(rec)
        now = time.perf_counter()
        app.interp.push(ids, xy, yaw, now, tick=tick)
        my_id = app.model.my_id
        mine = np.flatnonzero(ids == my_id) if my_id is not None else ()
        if len(mine):
            i = int(mine[-1])
            app.predictor.on_server(float(xy[i, 0]), float(xy[i, 1]), float(yaw[i]), now)
        for aid, flags in zip(ids.tolist(), rec["flags"].tolist()):
            av = self.avatars.get(aid)
            if av is not None and bool(flags & codec.FLAG_AWAY) != av.away:
                av.set_away(bool(flags & codec.FLAG_AWAY))

    def update(self, dt: float) -> None:
        app, model = self.app, self.app.model
        now = time.perf_counter()
        poses = app.interp.sample(now)
        if model.my_id in poses:
            mine = app.predictor.step(dt, model.axes, now)
            if mine is not None:
                poses[model.my_id] = (*mine, any(model.axes))
        for aid, av in self.avatars.items():
            p = poses.get(aid)
            if p is not None:
                av.set_pose(p[0], p[1], p[2])
                av.moving = p[3]
                if not av.placed:
                    av.placed = True
                    av.root.show()
            av.update(dt)


class CameraView:
    """Behind your own avatar, or close on a face (F9); the view's centre moves left of the scenario panel."""

    def __init__(self, app: PeerspaceClient):
        self.app = app
        self.ready = False
        self._closeup_tag: int | None = None  # the avatar whose name tag the close-up hides

    def update(self, dt: float) -> None:
        self._follow(dt)
        app = self.app
        want = 0.3 if (app.scenarios.panel is not None and app.model.closeup is None) else 0.0
        lens = app.camLens
        now_x = lens.getFilmOffset()[0] / max(1e-6, lens.getFilmSize()[0] / 2)
        k = 1.0 if app.settings.reduced_motion else 1.0 - pow(0.5, dt * 5.0)
        if abs(want - now_x) > 1e-4:
            lens.setFilmOffset((now_x + (want - now_x) * k) * lens.getFilmSize()[0] / 2, 0)

    def _follow(self, dt: float) -> None:
        app, model = self.app, self.app.model
        avatars, camera, render = app.avatars, app.camera, app.render
        if model.closeup is not None and model.closeup not in avatars:
            model.closeup = None
        hidden = self._closeup_tag
        if hidden != model.closeup:  # a close-up shows the face, not its name tag
            if hidden in avatars and hidden != model.my_id:
                avatars[hidden].show_tag(True)
            if model.closeup is not None:
                avatars[model.closeup].show_tag(False)
            self._closeup_tag = model.closeup
        me = avatars.get(model.my_id)
        if model.closeup is not None and me is not None:
            av = avatars[model.closeup]
            head = av.head.getPos(render)
            want = head + render.getRelativeVector(av.root, (0, 1.15, 0.02))
            k = 1.0 if (app.settings.reduced_motion or not self.ready) else 1.0 - pow(0.5, dt * 6.0)
            camera.setPos(camera.getPos() + (want - camera.getPos()) * k)
            camera.lookAt(head)
            self.ready = True
            return
        if me is None or not me.placed:
            camera.setPos(0, -14, 7)
            camera.lookAt(0, 0, 1.0)
            self.ready = False
            return
        dist = CAMERA_DISTANCES.get(app.settings.camera_distance, 4.4)
        target = me.root.getPos(render)
        back = render.getRelativeVector(me.root, (0, -dist, 0))
        want = target + back
        want.z = 1.5 + dist * 0.38
        if not self.ready:
            camera.setPos(want)
            self.ready = True
        else:
            k = 1.0 - pow(0.5, dt * (10.0 if app.settings.reduced_motion else 6.0))
            camera.setPos(camera.getPos() + (want - camera.getPos()) * k)
        target.z = 1.35
        camera.lookAt(target)

    def toggle_closeup(self) -> None:
        """F9: look closely at the face of the person in front of you (emotion-recognition practice)."""
        app, model = self.app, self.app.model
        if model.closeup is not None:
            model.closeup = None
            app.hud.self_status.set(model.my_expression, model.my_intensity)
            return
        me = app.avatars.get(model.my_id)
        if me is None:
            return
        face = app.scenarios.face()
        if face is not None:  # an emotion item: the face to read is the cast avatar showing it
            model.closeup = face
            app.notice(f"Looking closely at {app.avatars[face].name}. F9 again to step back.", seconds=4)
            return
        best, best_d = None, 9.0
        for aid, av in app.avatars.items():
            if aid == model.my_id or not av.placed:
                continue
            rel = av.root.getPos(me.root)  # in my frame: +y is in front of me
            d = rel.length()
            if rel.y > 0.2 and abs(rel.x) < rel.y * 1.2 and d < best_d:
                best, best_d = aid, d
        if best is None:
            app.notice("Nobody is in front of you to look at closely. Turn towards someone, then press F9.")
            return
        model.closeup = best
        app.notice(f"Looking closely at {app.avatars[best].name}. F9 again to step back.", seconds=4)
