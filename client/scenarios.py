"""Practice scenarios and the coach console, as the client runs them (panels: client/ui/scenario.py, ui/coach.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wire import controllers as wc
from wire import errors, events
from wire import scenario as wsc
from wire.errors import WireError

from .i18n import error_text, t
from .input import COACH_ROLES, ChatFocus, HelpFocus
from .ui.coach import CoachConsole, still_driving
from .ui.layout import layout
from .ui.scenario import AnswerFocus, ScenarioPanel, ScenarioPicker, participant_role

if TYPE_CHECKING:
    from .app import PeerspaceClient

DRAFT_EVERY = 0.5  # seconds between two drafts of the participant's typing (at most 2 a second)


# the participant's reading pace for a running practice: {pace}; its schema comes with the server side of pacing
SCENARIO_PACE = getattr(wsc, "SCENARIO_PACE", "scenario_pace")
# intents an older server may not know: its refusal is not shown (the choice still applies next time)
OPTIONAL_INTENTS = (SCENARIO_PACE,)

# phases in which the partner stays in the shot whoever speaks
STAGED_WITH_PARTNER = ("role_play", "repeat_role_play", "modelling")


class ScenarioFlow:
    """The picker (P), the panel on the right while a scenario runs, and the server's scenario events."""

    def __init__(self, app: PeerspaceClient):
        self.app = app
        self.panel: ScenarioPanel | None = None
        self.picker: ScenarioPicker | None = None
        self.pace: str | None = None  # the reading pace the running practice was last told

    def open_picker(self) -> None:
        """P (or F11): the list of practice scenarios; Enter starts one in this room."""
        app = self.app
        if self.picker is not None or app.session is None:
            return
        app.release_movement()
        self.picker = ScenarioPicker(app.popups, app.settings.text_scale, [], self._start, self.close_picker)
        self.picker.busy = True
        self.picker._draw()
        app.push_focus(self.picker)
        app.spawn(self._list(), t("do.list_scenarios"))

    async def _list(self) -> None:
        ack = await self.app.session.call(wsc.SCENARIO_LIST, {})
        if self.picker is not None:
            self.picker.set_scenarios(list((ack or {}).get("scenarios") or []))

    def close_picker(self) -> None:
        if self.picker is not None:
            self.picker.destroy()
            self.picker = None
            focus = self.app.focus
            if focus is not None and not isinstance(focus, (ChatFocus, HelpFocus)):
                self.app.focus = None

    def _start(self, scenario: str, difficulty: str) -> None:
        self.close_picker()
        if self.panel is None or self.panel.mode == "summary":
            self.close_panel()
            self.make_panel()
        self.pace = self.app.settings.pace
        self.app.spawn(
            self._call(wsc.SCENARIO_START, {"scenario": scenario, "difficulty": difficulty, "pace": self.pace}),
            t("do.start_scenario"),
        )

    def set_pace(self, pace: str) -> None:
        """The reading pace changed in the settings: tell your own running practice (scenario_pace)."""
        panel = self.panel
        if pace == self.pace or panel is None or not panel.mine or panel.mode != "run" or panel.state is None:
            return
        self.pace = pace
        self.app.spawn(self._pace(pace), t("do.change_pace"))

    async def _pace(self, pace: str) -> None:
        try:
            await self.app.session.call(SCENARIO_PACE, {"pace": pace})
        except WireError as e:
            if e.code != errors.UNKNOWN_EVENT:
                self.app.notice(error_text(e.code, e.message))
            # a server without reading paces: the choice still goes with the next practice you start
            return
        self.app.notice(t("scenario.pace_changed", pace=pace), seconds=4)

    async def _call(self, event: str, payload: dict) -> None:
        try:
            await self.app.session.call(event, payload)
        except WireError as e:
            self.app.notice(error_text(e.code, e.message))
            panel = self.panel
            if panel is not None:
                if panel.state is None:
                    self.close_panel()
                else:
                    panel.not_sent()

    def make_panel(self, old: ScenarioPanel | None = None) -> ScenarioPanel:
        """The panel on the right, under the recording indicator; rebuilt when the text size changes."""
        app = self.app
        s = app.settings.text_scale
        lo, _hi = app.hud.recorded.root.getTightBounds(app.a2dTopRight) or (None, None)
        top = (lo.z if lo is not None else -0.3) - 0.03
        region = layout(app.getAspectRatio(), s, scenario=True).scenario
        assert region is not None
        bottom = region.bottom - 1.0  # a2dTopRight is at y = 1: above the portrait of your face
        spawn = app.spawn
        panel = ScenarioPanel(
            app.a2dTopRight,
            s,
            top,
            bottom,
            lambda o: spawn(self._call(wsc.SCENARIO_CHOOSE, {"option": o}), t("do.choose")),
            lambda text: spawn(
                self._call(wsc.SCENARIO_ANSWER, {"text": text, **app.voice.answer_extra(text)}), t("do.answer")
            ),
            lambda: spawn(self._call(wsc.SCENARIO_STOP, {}), t("do.stop_scenario")),
            self.close_panel,
            reduced_motion=app.settings.reduced_motion,
            width=region.width,
            on_rate=lambda r: spawn(self._call(wsc.SCENARIO_RATE, {"rating": r}), t("do.rate")),
        )
        if old is not None:
            for name in (
                "state",
                "mine",
                "mode",
                "lines",
                "endings",
                "summary",
                "busy",
                "typing",
                "typed",
                "_phase_index",
                "scroll",
                "_new_lines",
                "rating",
                "rating_skipped",
            ):
                setattr(panel, name, getattr(old, name))
            old.destroy()
            panel._draw()
            if isinstance(app.focus, AnswerFocus):
                app.focus.panel = panel
        self.panel = panel
        return panel

    def face(self) -> int | None:
        """In an emotion item: the cast avatar whose face shows the feeling to read."""
        panel, app = self.panel, self.app
        st = panel.state if panel is not None and panel.mode == "run" else None
        if not st or st.get("wait") != "emotion":
            return None
        aid = (st.get("avatars") or {}).get((st.get("line") or {}).get("cast"))
        return aid if aid in app.avatars and aid != app.model.my_id else None

    def stage_people(self) -> tuple[list[int], bool]:
        """Who the camera frames in your own practice: the one speaking and, in a role-play, the partner;
        in an emotion item only the face to read (then True)."""
        panel, app = self.panel, self.app
        st = panel.state if panel is not None and panel.mine and panel.mode != "summary" else None
        if not st:
            return [], False
        face = self.face()
        if face is not None:
            return ([face], True) if app.avatars[face].placed else ([], False)
        avatars = st.get("avatars") or {}
        cast = {
            r: c for r, c in (st.get("cast") or {}).items() if isinstance(c, dict) and c.get("kind") != "participant"
        }
        roles = [st.get("speaking") or (st.get("line") or {}).get("cast")]
        if (st.get("phase") or {}).get("kind") in STAGED_WITH_PARTNER:
            roles += [r for r, c in cast.items() if c.get("kind") == "partner"]
        if not any(roles):
            roles = list(cast)
        people: list[int] = []
        for role in roles:
            aid = avatars.get(role) if role in cast else None
            av = app.avatars.get(aid) if aid is not None else None
            if av is not None and av.placed and aid != app.model.my_id and aid not in people:
                people.append(aid)
        return people, False

    def close_panel(self) -> None:
        if self.panel is not None:
            self.panel.destroy()
            self.panel = None
            if isinstance(self.app.focus, AnswerFocus):
                self.app.focus = None

    def on_state(self, d: dict) -> None:
        app = self.app
        app.coaching.forward(wsc.SCENARIO_STATE, d)
        role = participant_role(d)
        mine = role is None or (d.get("avatars") or {}).get(role, app.model.my_id) == app.model.my_id
        panel = self.panel or self.make_panel()
        before = panel._phase_index
        panel.set_state(d, mine)
        if mine and d.get("run") is not None:
            app.records.offer(d["run"], "pre")  # offered once per run, never forced (client/ui/records.py)
        if mine and panel.mode == "run" and panel._phase_index != before:
            self._face_speaker(d)

    def _face_speaker(self, d: dict) -> None:
        """A new part of the practice: turn to whoever speaks in it (any key turns you away again)."""
        avatars = d.get("avatars") or {}
        cast = d.get("cast") or {}
        line = d.get("line") or {}
        role = (
            line.get("cast")
            if line.get("cast") in avatars
            else next(
                (r for r, c in cast.items() if isinstance(c, dict) and c.get("kind") == "partner" and r in avatars),
                next(
                    (r for r, c in cast.items() if isinstance(c, dict) and c.get("kind") == "coach" and r in avatars),
                    None,
                ),
            )
        )
        aid = avatars.get(role) if role else None
        if aid is not None and aid in self.app.avatars and not self.app.model.held:
            self.app.send(events.LOOK, {"at": int(aid)})

    def on_ended(self, d: dict) -> None:
        app = self.app
        app.coaching.forward(wsc.SCENARIO_ENDED, d)
        panel = self.panel
        if panel is None:
            return
        if panel.mine:
            panel.ended(d)
            app.records.offer(d.get("run"), "post")
            if isinstance(app.focus, AnswerFocus):
                app.focus = None
        else:
            self.close_panel()
            app.hud.chat.add(t("scenario.ended_here"), "notice")

    def on_said(self, d: dict, name: str, text: str, av) -> None:
        """Cast lines and answers also go into the panel's transcript (and the coach console's)."""
        self.app.coaching.on_said(d)
        self.app.voice.on_cast_line(d, av)  # a computer-run cast line is read aloud
        panel = self.panel
        if panel is not None and panel.mode != "summary":
            cast = set(((panel.state or {}).get("avatars") or {}).values())
            if av is not None and av.kind == "cast" and (not cast or av.id in cast):
                panel.add_line(name, text)
            elif d.get("scenario") == "answer":
                panel.add_line(t("help.you") if d.get("avatar") == self.app.model.my_id else name, text, mine=True)


class CoachFocus:
    """Routes keys to the coach console while it is open; Esc closes it.

    Letters and digits reach the console once, as typed characters (`keystroke`),
    like the chat; named keys (Enter, Tab, F5-F8, Esc) come as key events.
    """

    def __init__(self, coaching: Coaching):
        self.coaching = coaching

    def on_key(self, key: str) -> bool:
        if len(key) == 1:
            return True
        if self.coaching.console.on_key(key):
            return True
        if key == "escape":
            self.coaching.close()
            return True
        return not (key.startswith("f") and key[1:].isdigit())  # help, settings and faces still work

    def on_char(self, ch: str) -> None:
        self.coaching.console.on_char(ch)


class Coaching:
    """Staff: the teleoperation console (K), kept while in a room, and who drives each cast avatar.
    A participant: what they type into the practice's answer field goes to the staff who follow it."""

    def __init__(self, app: PeerspaceClient):
        self.app = app
        self.console: CoachConsole | None = None
        self.draft_sent = ""  # the last draft sent, and when (time.monotonic)
        self.draft_at = 0.0

    def forward(self, event: str, data: dict) -> None:
        if self.console is not None:
            self.console.on_event(event, data)

    def on_typing(self, d: dict) -> None:
        self.forward(wsc.SCENARIO_TYPING, d)

    def on_claims(self, d: dict) -> None:
        """Back after a new login or a restart: the cast roles this person still drives."""
        if d.get("claims"):
            self.app.notice(still_driving(d))
        self.forward(wc.CLAIMS, d)

    def on_cue(self, d: dict) -> None:
        self.forward(wc.CUE, d)

    def on_said(self, d: dict) -> None:
        self.forward(events.SAID, d)

    def update(self, now: float) -> None:
        """Every frame: the console's countdown; a participant's draft, at most DRAFT_EVERY apart."""
        console = self.console
        if console is not None and not console.root.isHidden():
            self.place()  # the scenario panel opened or closed, or the text size changed
            console.tick()
        panel = self.app.scenarios.panel
        st = panel.state if panel is not None and panel.mine and panel.mode == "run" else None
        if not st or st.get("status") != "active" or not st.get("free_text"):
            self.draft_sent = ""
            return
        draft = panel.typed if panel.typing else ""
        if draft != self.draft_sent and now - self.draft_at >= DRAFT_EVERY:
            self.draft_sent, self.draft_at = draft, now
            self.app.send(wsc.SCENARIO_DRAFT, {"text": draft})

    def _call(self, event: str, payload: dict, done) -> None:
        """An intent whose ack (or refusal) the console shows."""
        session = self.app.session

        async def go() -> None:
            try:
                ack = await session.call(event, payload)
            except WireError as e:
                done(False, {"code": e.code, "message": e.message})
                return
            done(True, ack if isinstance(ack, dict) else {})

        if session is not None and getattr(session, "connected", False):
            self.app.spawn(go(), t("do.send_that"))

    def on_proposal(self, d: dict) -> None:
        self.forward(wc.PROPOSAL, d)

    def on_controller(self, d: dict) -> None:
        """Who drives a cast avatar now: shown on its name tag to everyone, and to the coach console."""
        av = self.app.avatars.get(d.get("avatar"))
        if av is not None:
            av.set_driver(d.get("driver"))
        self.app.voice.on_controller(d)
        self.forward(wc.CONTROLLER, d)

    def ensure(self) -> None:
        app = self.app
        user = getattr(app.session, "user", None) or {}
        if self.console is None and user.get("role") in COACH_ROLES:
            self.console = CoachConsole(
                app.popups,
                lambda e, p: app.send(e, p),
                me=user.get("name", ""),
                scale=app.settings.text_scale,
                call=self._call,
            )
            self.console.root.hide()
        elif self.console is not None:
            self.console.resync()  # the room afresh (a resume, a rejoin): lines said meanwhile are read back

    def open(self) -> None:
        self.app.release_movement()
        self.place()
        self.console.root.show()
        self.app.focus = CoachFocus(self)

    def place(self) -> None:
        """The console's region (client/ui/layout.py): the left part of the window, at the chosen text size."""
        app = self.app
        text_scale = app.settings.text_scale
        region = layout(app.getAspectRatio(), text_scale, app.scenarios.panel is not None, coach=True).coach
        assert region is not None and self.console is not None
        self.console.place(region, text_scale)

    def close(self) -> None:
        if self.console is not None:
            self.console.typing = False
            self.console.root.hide()
        if isinstance(self.app.focus, CoachFocus):
            self.app.focus = None

    def clear(self) -> None:
        self.close()
        if self.console is not None:
            self.console.destroy()
            self.console = None
