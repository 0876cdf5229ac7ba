"""The network session glue: signing in, joining and leaving, and the handlers that turn the server's
events into changes of the model (client/model.py) and the views.

wire/session.py is the protocol session (Socket.IO, login, resume); this module owns one of them
for the client, runs its coroutines as tasks, and registers a handler per event. A handler that
raises is a client bug: it is logged at WARNING with its traceback on `HANDLER_LOG` (the client
tests fail on such a record) and never shown to the participant as a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wire import controllers as wc
from wire import courses as wcourse
from wire import errors, events
from wire import scenario as wsc
from wire import voice as wire_voice
from wire.errors import WireError

from .i18n import error_text, language, t
from .scenarios import OPTIONAL_INTENTS
from .ui.screens import LoginScreen, RoomListScreen

if TYPE_CHECKING:
    from .app import PeerspaceClient

log = logging.getLogger("peerspace.client")
HANDLER_LOG = logging.getLogger("peerspace.client.handlers")


class NetSession:
    def __init__(self, app: PeerspaceClient, session_factory: Callable[[str], Any] | None = None):
        self.app = app
        self.model = app.model
        self.session_factory = session_factory
        self.session = None
        self.tasks: set[asyncio.Task] = set()

    # --- tasks and sending ------------------------------------------------------------------
    def spawn(self, coro, what: str = ""):
        """Run `coro` as a task; if it fails, the person reads "Could not <what> just now" (`what` in their
        language: t("do.<something>"))."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            coro.close()
            return None
        task = loop.create_task(self._guard(coro, what))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def _guard(self, coro, what: str):
        try:
            return await coro
        except WireError as e:
            self.app.notice(error_text(e.code, e.message))
        except asyncio.CancelledError:
            raise
        except Exception:  # never show a traceback to a participant
            log.debug("failed to %s", what, exc_info=True)
            self.app.notice(t("net.could_not", what=what or t("do.that")))

    def send(self, event: str, payload: dict) -> None:
        if self.session is None or self.app.opts.preview:
            return
        if not getattr(self.session, "connected", False):
            return
        self.spawn(self.session.emit(event, payload), t("do.send_that"))

    # --- signing in, rooms --------------------------------------------------------------------
    async def login_and_connect(self, name: str, password: str) -> bool:
        app = self.app
        screen = app.screen if isinstance(app.screen, LoginScreen) else None
        if screen:
            screen.busy = True
            screen.set_status(t("login.signing_in"))

        def refused(text: str) -> bool:
            """Say why on the sign-in screen (a new one if the person has left it); never stay "Signing in..."."""
            if screen is None or app.screen is not screen:
                app.show_login(text)
            else:
                screen.set_status(text)
                screen.busy = False
            return False

        try:
            session = self._new_session()
        except Exception:  # e.g. an installed client whose ssl module cannot load
            log.warning("could not start a session", exc_info=True)
            return refused(t("login.session_failed"))
        try:
            await session.login(name, password)
            self.session = session
            welcome = await session.connect()
        except WireError as e:
            await self._drop(session)
            return refused(error_text(e.code, e.message) if e.code != "network" else t("login.unreachable"))
        except Exception:
            log.debug("login failed", exc_info=True)
            await self._drop(session)
            return refused(t("login.failed"))
        self.model.connection_state = "connected"
        app.looks.mine = welcome.get("appearance") if isinstance(welcome, dict) else None
        if self.model.room is None:
            if app.opts.room:
                await self.join(app.opts.room)
            else:
                app.show_rooms()
        app.looks.offer_first()  # a first login (no look chosen yet): how should others see you?
        return True

    def _new_session(self):
        if self.session_factory is None:
            from wire.session import Session

            ca_file = self.app.opts.ca_file
            self.session_factory = lambda url: Session(url, ca_file=ca_file)
        session = self.session_factory(self.app.opts.server)
        session.language = language()  # sent with the connect (wire/session.py): the server's text in it
        self.register(session)
        return session

    async def _drop(self, session) -> None:
        if self.session is session:
            self.session = None
        try:
            await session.close()
        except Exception:
            pass

    async def close(self) -> None:
        await self.app.voice.aclose()  # the microphone and speakers close before the connection
        for task in list(self.tasks):
            task.cancel()
        if self.session is not None:
            try:
                await asyncio.wait_for(self.session.close(), 3)
            except Exception:
                pass
            self.session = None

    async def refresh_rooms(self) -> None:
        ack = await self.session.call(events.LIST_ROOMS, {})
        rooms = ack.get("rooms", []) if isinstance(ack, dict) else list(ack or [])
        if isinstance(self.app.screen, RoomListScreen):
            self.app.screen.set_rooms(rooms)

    async def join(self, room_id: str) -> None:
        try:
            await self.session.call(events.JOIN, {"room": room_id})
        except WireError as e:
            if self.app.screen is None:
                self.app.show_rooms()
            self.app.notice(error_text(e.code, e.message))

    async def leave(self) -> None:
        await self.session.call(events.LEAVE, {})
        self.app.clear_room()
        self.app.show_rooms()

    async def _rejoin(self, room_id: str) -> None:
        try:
            await self.session.call(events.JOIN, {"room": room_id})
        except WireError as e:
            self.app.clear_room()
            self.app.show_rooms()
            self.app.notice(error_text(e.code, e.message))
            return
        self.app.notice(t("net.back_in_room"))

    async def toggle_recording(self) -> None:
        ack = await self.session.call(events.CONSENT, {"recording": not self.model.recording})
        self.app.set_recording(ack.get("recording"))

    # --- the server's events ----------------------------------------------------------------------
    def register(self, s) -> None:
        app = self.app
        for event, handler in (
            ("_connection", self.on_connection),
            ("welcome", self.on_welcome),
            (events.ROOM_STATE, self.on_room_state),
            (events.SNAPSHOT, self.on_snap),
            (events.MEMBER_JOINED, self.on_member_joined),
            (events.MEMBER_LEFT, self.on_member_left),
            (events.MEMBER_UPDATED, self.on_member_updated),
            (events.SAID, self.on_said),
            (events.NOTICE, self.on_notice),
            (events.ERROR, self.on_error),
            (wsc.SCENARIO_STATE, app.scenarios.on_state),
            (wsc.SCENARIO_ENDED, app.scenarios.on_ended),
            (wc.CONTROLLER, app.coaching.on_controller),
            (wc.PROPOSAL, app.coaching.on_proposal),
            (wc.CUE, app.coaching.on_cue),
            (wc.CLAIMS, app.coaching.on_claims),
            (wsc.SCENARIO_TYPING, app.coaching.on_typing),
            (wcourse.GROUP_TURN, app.group.on_turn),
            (wcourse.PEER_FEEDBACK, app.group.on_peer_feedback),
            (wire_voice.VOICED, app.voice.on_voiced),
        ):
            s.on(event, self.safe(event, handler))
        app.safety.register(s, self.safe)

    def safe(self, event: str, handler: Callable[[dict], Any]) -> Callable[[Any], None]:
        """A handler that fails is a client bug: logged at WARNING with its traceback, never shown as one."""

        def run(data):
            try:
                handler(data if data is not None else {})
            except Exception:
                HANDLER_LOG.warning("the client could not handle %r from the server", event, exc_info=True)
                if event in (events.ROOM_STATE,):
                    self.app.notice(t("net.room_failed"))

        return run

    def on_connection(self, d: dict) -> None:
        model, app = self.model, self.app
        state = d.get("state")
        was = model.connection_state
        model.connection_state = {"disconnected": "offline"}.get(state, state)
        if model.connection_state == "offline" and model.quit_requested:
            return
        app.hud.show_connection()
        if state == "connected" and was in ("reconnecting", "offline"):
            app.notice(t("net.connected_again"))
        if state != "connected":
            model.held.clear()
            model.axes = (0.0, 0.0, 0.0)

    def on_welcome(self, d: dict) -> None:
        if d.get("resumed"):
            self.app.notice(t("net.resumed"))
        elif self.app.in_room:
            # The server no longer holds our place (it restarted, or we were away too long): go back in.
            self.spawn(self._rejoin(str(self.model.room.get("id"))), t("do.rejoin"))

    def on_room_state(self, d: dict) -> None:
        app, model = self.app, self.model
        room = d["room"]
        app.show_scene(room.get("scene", "cafe"))
        model.room = room
        model.my_id = d.get("you")
        app.coaching.ensure()
        # the server says whether this person's own lines are recorded (their consent, or their role)
        app.set_recording(d.get("recording", False))
        app.predictor.configure(d.get("motion"))
        app.predictor.reset()
        members = {m["avatar"]: m for m in d.get("members", [])}
        for aid in list(app.avatars):
            if aid not in members:
                app.avatar_views.remove(aid)
        app.interp.clear(tick_hz=(d.get("motion") or {}).get("tick_hz"))
        for m in members.values():
            app.avatar_views.add_or_update(m)
        app.avatar_views.take_poses(d.get("poses", b""), d.get("t"))
        app.screens.request("Room")
        app.voice.enter()
        app.hud.show_room(True)
        app.camera_view.ready = False
        model.frames_in_room = 0
        app.chat.add(t("net.in_room", room=room.get("name") or t("net.the_room")), "notice")

    def on_snap(self, d: list) -> None:
        tick, blob = d
        self.app.avatar_views.take_poses(blob, tick)

    def on_member_joined(self, d: dict) -> None:
        m = d["member"]
        self.app.avatar_views.add_or_update(m)
        if m["avatar"] != self.model.my_id:
            self.app.chat.add(t("net.joined", name=m.get("name") or t("safety.someone")), "notice")

    def on_member_left(self, d: dict) -> None:
        aid = d["avatar"]
        m = self.model.members.get(aid)
        self.app.avatar_views.remove(aid)
        self.app.voice.forget(aid)
        if m:
            self.app.chat.add(t("net.left", name=m.get("name") or t("safety.someone")), "notice")

    def on_member_updated(self, d: dict) -> None:
        aid = d.get("avatar")
        av = self.app.avatars.get(aid)
        if av is None:
            return
        my_id = self.model.my_id
        m = self.model.members[aid]
        m.update(d)
        if "expression" in d or "intensity" in d:
            if aid != my_id or "expression" in d:
                av.set_expression(m.get("expression", "neutral"), float(m.get("intensity", 1.0)))
        if "gesture" in d and d["gesture"] != "none" and not (aid == my_id and av.gesture == d["gesture"]):
            av.play_gesture(d["gesture"])
        if "away" in d:
            av.set_away(bool(d["away"]))
        if "paused" in d:
            av.set_paused(bool(d["paused"]))
        if "name" in d:
            av.set_name(d["name"])
        if "appearance" in d:  # someone chose how they look
            av.set_appearance(d["appearance"])

    def on_said(self, d: dict) -> None:
        av = self.app.avatars.get(d.get("avatar"))
        name = d.get("name") or (av.name if av else t("safety.someone"))
        text = str(d.get("text", ""))
        if av is not None:
            av.say(text)
        self.app.chat.add(f"{name}: {text}")
        self.app.scenarios.on_said(d, name, text, av)

    def on_notice(self, d: dict) -> None:
        if self.app.safety.on_notice(d):  # crisis resources: a card that stays until dismissed
            return
        if d.get("kind") == "recording" and "recording" in d:
            self.app.set_recording(d["recording"])
        self.app.notice(str(d.get("text", "")))

    def on_error(self, d: dict) -> None:
        if d.get("event") in OPTIONAL_INTENTS and d.get("code") == errors.UNKNOWN_EVENT:
            return  # a server without that feature yet: nothing is wrong that a person could act on
        if d.get("event") == wire_voice.VOICE:
            self.app.voice.on_refused(d)  # muted, a pause, a role not held: stop sending until pressed again
        self.app.notice(error_text(str(d.get("code") or ""), str(d.get("message") or t("error.unknown"))))
