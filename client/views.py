"""View components: the HUD, the avatars and the camera. Each draws from the model (client/model.py)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from panda3d.core import NodePath, Point3, Vec3

from wire import codec

from . import theme
from .avatars import Avatar
from .i18n import t
from .scene.labels import Labels
from .scene.stage import MAIN_MASK, Portrait, Shot, film_offset_for, hides_a_face, solve
from .ui.hud import ChatPanel, HudButtons, ModeIndicator, Notices, RecordedIndicator, SelfStatus
from .ui.layout import Layout, Rect, layout
from .ui.settings import CAMERA_DISTANCES
from .ui.widgets import panel

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
        self.mode: ModeIndicator | None = None
        self.buttons: HudButtons | None = None

    def build(self) -> None:
        app, model = self.app, self.app.model
        s = app.settings.text_scale
        for part in (self.chat, self.notices, self.recorded, self.self_status, self.mode, self.buttons):
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
        self.mode = ModeIndicator(app.a2dBottomLeft, s)
        self.buttons = HudButtons(app.a2dBottomLeft, s, app.open_help, app.open_settings)
        help_ = self.buttons.help
        app.voice.build(app.a2dBottomLeft, s, help_.getZ(), help_.getX() + help_.getBounds()[0] * help_.getSx())
        self.show_room(app.in_room)
        app.group.restyle()  # a group practice's turn banner at this size, the new notices below it

    def pointer_over_chat(self) -> bool:
        """Is the mouse pointer over the chat panel? (No pointer offscreen or outside the window.)"""
        app = self.app
        watcher = getattr(app, "mouseWatcherNode", None)
        if watcher is None or not watcher.hasMouse() or self.chat is None:
            return False
        lay = layout(app.getAspectRatio(), app.settings.text_scale)
        m = watcher.getMouse()
        return lay.chat.contains(m.x * lay.ratio, m.y)

    def show_room(self, show: bool) -> None:
        for part in (self.chat, self.recorded, self.self_status, self.buttons):
            part.root.show() if show else part.root.hide()
        self.app.voice.show(show)

    def show_mode(self, mode: str) -> None:
        if self.mode is not None:
            self.mode.set(mode)

    def notice(self, text: str, seconds: float = 7.0) -> None:
        self.notices.show(text, seconds)
        self.chat.add(text, "notice")

    def show_recording(self) -> None:
        self.recorded.set(self.app.model.recorded_text())

    def show_connection(self) -> None:
        self.notices.set_connection(self.app.model.connection_text())


class AvatarsView:
    """One Avatar per member; poses from the snapshot buffer (and your own from the predictor) each frame, and
    their name tags and bubbles placed on screen once the camera has moved (client/scene/labels.py)."""

    def __init__(self, app: PeerspaceClient):
        self.app = app
        self.avatars: dict[int, Avatar] = {}
        self.labels = Labels(app.camera, app.camLens, app.win)

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
        app.voice.update(dt)  # mouths and "speaking" tags from the voices played now

    def place_labels(self, dt: float) -> None:
        self.labels.place(self.avatars.values(), dt, self.app.settings.reduced_motion, self.app.camera_view.stage)


class CameraView:
    """Behind your own avatar, or close on a face (F9); in a practice scenario, an over-the-shoulder shot of
    the people on stage, framed inside the region the panels leave free (client/ui/layout.py); and the
    small portrait of your own face."""

    def __init__(self, app: PeerspaceClient):
        self.app = app
        self.ready = False
        self.staged = False  # the last frame was a stage shot
        self.stage: Rect | None = None  # the part of the window no panel covers, in NDC, as of the last frame
        self._closeup_tag: int | None = None  # the avatar whose name tag a close look hides
        self._hidden_me: Avatar | None = None  # your avatar, left out of the main view (it would cover a face)
        self._look = Point3(0, 0, 1.0)
        self._probe = NodePath("stage-probe")  # trial camera poses, never drawn
        app.cam.node().setCameraMask(MAIN_MASK)
        self.portrait = Portrait(app.win, app.render)
        self._portrait_frame = app.aspect2d.attachNewNode("portrait-frame")
        self._portrait_rect: Rect | None = None
        self._ratio: float | None = None

    def layout(self) -> Layout:
        """The screen regions as they are now: this window's shape, the text size, the open panels."""
        app = self.app
        coach = app.coach is not None and not app.coach.root.isHidden()
        return layout(app.getAspectRatio(), app.settings.text_scale, app.scenarios.panel is not None, coach)

    def update(self, dt: float) -> None:
        app = self.app
        lay = self.layout()
        if self._ratio is not None and abs(lay.ratio - self._ratio) > 1e-3:
            self._reshape()  # the window changed shape: the side panels take their new share of it
        self._ratio = lay.ratio
        self.stage = stage = lay.stage.ndc(lay.ratio)
        lens = app.camLens
        if lay.scenario is not None or lay.coach is not None:
            want = film_offset_for(lens, (stage.left + stage.right) / 2, (stage.bottom + stage.top) / 2)
        else:
            want = (0.0, 0.0)
        shot = self._stage_shot(stage, want)
        if shot is None:
            self.staged = False
            self._hide_me(None)
            self._follow(dt)
        else:
            k = 1.0 if (app.settings.reduced_motion or not self.staged) else 1.0 - pow(0.5, dt * 3.0)
            self.staged = self.ready = True
            app.camera.setPos(app.camera.getPos() + (shot.pos - app.camera.getPos()) * k)
            self._look = self._look + (shot.look - self._look) * k
            app.camera.lookAt(self._look)
            me = app.avatars.get(app.model.my_id)
            covers = me is not None and hides_a_face(me.head.getPos(app.render), app.camera.getPos(), shot)
            self._hide_me(me if covers else None)
        now = lens.getFilmOffset()
        k = 1.0 if app.settings.reduced_motion else 1.0 - pow(0.5, dt * 5.0)
        if abs(want[0] - now[0]) + abs(want[1] - now[1]) > 1e-5:
            lens.setFilmOffset(now[0] + (want[0] - now[0]) * k, now[1] + (want[1] - now[1]) * k)
        self._show_portrait(lay)

    def _reshape(self) -> None:
        app = self.app
        if app.scenarios.panel is not None:
            app.scenarios.make_panel(app.scenarios.panel)
        if app.coach is not None and not app.coach.root.isHidden():
            app.coaching.place()

    def _stage_shot(self, stage: Rect, film_offset) -> Shot | None:
        """In your own practice scenario, standing still: the shot that frames the people on stage."""
        app, model = self.app, self.app.model
        me = app.avatars.get(model.my_id)
        if me is None or not me.placed or model.closeup is not None or model.held or not app.in_room:
            return None
        people, face = app.scenarios.stage_people()
        if not people:
            return None
        self._hide_tag(people[0] if face else None)
        render = app.render
        heads = [app.avatars[aid].head.getPos(render) for aid in people]
        # the name tags too (the name comes first): their half width in metres, 0 when hidden
        tags = [
            0.0 if av.tag.isHidden() else av.tag.node().getWidth() * av.tag.getSz(render) / 2
            for av in (app.avatars[aid] for aid in people)
        ]
        lens = app.camLens
        now = lens.getFilmOffset()
        lens.setFilmOffset(*film_offset)  # solve with the offset the view is heading for
        try:
            return solve(
                render,
                self._probe,
                lens,
                me.head.getPos(render),
                render.getRelativeVector(me.root, Vec3(0, 1, 0)),
                heads,
                stage,
                face,
                tags,
            )
        finally:
            lens.setFilmOffset(now)

    def _hide_tag(self, aid: int | None) -> None:
        """A close look at a face shows the face, not its name tag (which would fill the view)."""
        avatars, hidden = self.app.avatars, self._closeup_tag
        if hidden != aid:
            if hidden in avatars and hidden != self.app.model.my_id:
                avatars[hidden].show_tag(True)
            if aid is not None:
                avatars[aid].show_tag(False)
            self._closeup_tag = aid

    def _hide_me(self, av: Avatar | None) -> None:
        if av is self._hidden_me:
            return
        if self._hidden_me is not None and not self._hidden_me.root.isEmpty():
            self._hidden_me.root.show(MAIN_MASK)
        if av is not None:
            av.root.hide(MAIN_MASK)
        self._hidden_me = av

    def _show_portrait(self, lay: Layout) -> None:
        """Your own face, bottom right above "Your face: ...", while you are in the room."""
        app = self.app
        me = app.avatars.get(app.model.my_id)
        visible = me is not None and me.placed and app.in_room and not app.render.isHidden()
        self.portrait.show(me.root if visible and me is not None else None, lay.portrait.fractions(lay.ratio))
        if visible and lay.portrait != self._portrait_rect:
            self._portrait_rect = lay.portrait
            self._portrait_frame.getChildren().detach()
            r, b = lay.portrait, 0.008
            for frame in (
                (r.left - b, r.right + b, r.top, r.top + b),
                (r.left - b, r.right + b, r.bottom - b, r.bottom),
                (r.left - b, r.left, r.bottom, r.top),
                (r.right, r.right + b, r.bottom, r.top),
            ):
                panel(self._portrait_frame, frame, theme.colour("ui_panel", 0.95))
        self._portrait_frame.show() if visible else self._portrait_frame.hide()

    def _follow(self, dt: float) -> None:
        app, model = self.app, self.app.model
        avatars, camera, render = app.avatars, app.camera, app.render
        if model.closeup is not None and model.closeup not in avatars:
            model.closeup = None
        self._hide_tag(model.closeup)
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
            app.notice(t("view.closeup", name=app.avatars[face].name), seconds=4)
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
            app.notice(t("view.nobody_in_front"))
            return
        model.closeup = best
        app.notice(t("view.closeup", name=app.avatars[best].name), seconds=4)
