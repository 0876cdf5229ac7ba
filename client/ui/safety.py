"""Safety in the client: the quiet room (pause), choosing a person to report or block, what is
monitored, the crisis-resources card, staff safety alerts and the recording state.

Everything is decided and enforced by the server (server/safety/, docs/safety.md); this module only
asks (the intents in wire/safety.py) and shows what the server says - calmly, by keyboard alone,
never with a sound, and never writing anything anyone said into a log.

Keys (also in docs/client.md and the F1 help):
  Home or Pause    step into the quiet room; the same key again goes back (works while typing too)
  R / Shift+R      choose the next / previous person nearby (their name tag and a ring light up)
  Enter            with someone chosen: a small menu to report them or block them
  Esc              clear the choice; staff: dismiss the safety alert shown (End does too)
  Insert           staff: "I have seen it" on the alert shown (alert_ack: on its record, the person is told)
  F10 (settings)   "What is monitored here" and "People you blocked" (unblock there)
  H                "I'd like to talk to someone": the private help line (client/ui/helpline.py); staff: answer
  O                staff: go on or off duty

The app's input stack asks `on_key` first for every key (client/input.py, SafetyMode), `register` for the server's
events, `on_room_state`,
`on_notice`, `settings_items` and `clear`; everything else lives here.
"""

from __future__ import annotations

import logging
import math

from panda3d.core import ClockObject, NodePath, TextNode, TransparencyAttrib

from wire import events
from wire import safety as ws
from wire.errors import WireError

from .. import theme
from ..geom import disc
from ..i18n import error_text, t, tn
from .helpline import Helpline
from .layout import GAP, fit_width, layout
from .widgets import TextField, click_area, label, panel

log = logging.getLogger("peerspace.client.safety")

PAUSE_KEYS = ("home", "pause")
SELECT_KEYS = ("r", "shift-r")
ALERT_KEYS = ("end",)
ACK_KEYS = ("insert",)  # staff: "I have seen it" on the alert shown (alert_ack), then it goes
NEARBY_M = 12.0  # people further away than this are not offered by R

REASONS = ("harassment", "unsafe", "upsetting", "spam", "other")  # each has its words in the catalog


def reason_words(reason) -> str:
    """What a report reason means, in words (the catalog's `safety.reason.<reason>`)."""
    return t(f"safety.reason.{reason}") if reason in REASONS else str(reason or t("safety.reason.other"))


QUIET_COLOUR = (0.80, 0.87, 0.84, 1.0)  # soft sage, the whole screen
QUIET_TEXT = (0.20, 0.27, 0.28, 1.0)
QUIET_DISC = (0.66, 0.78, 0.76, 1.0)
CRISIS_COLOUR = (0.20, 0.31, 0.38, 0.97)  # calm deep blue-green, not red
ALERT_COLOUR = (0.47, 0.40, 0.30, 0.95)  # warm and visible, never flashing
HIGHLIGHT = (1.0, 0.86, 0.55, 1.0)  # tint of a chosen person's name tag
# The staff banner's queue: a crisis first, then someone asking to talk, then reports (oldest first within each).
ALERT_ORDER = {"crisis": 0, "help_request": 1, "report": 2}


def _wrap(width: float, s: float) -> float:
    return width / s


def _rows(text_label) -> int:
    """Rows of an OnscreenText (TextNode.getNumRows is not defined for an empty text)."""
    return text_label.textNode.getNumRows() if text_label.getText() else 0


class Card:
    """A calm panel: title, body, a line of keys. Built top-down, then centred on `centre` (x, y)
    or hung from `top` (x, y) of its parent."""

    def __init__(
        self,
        parent: NodePath,
        title: str,
        body: str,
        keys: str,
        scale: float,
        width: float,
        colour=None,
        centre=None,
        top=None,
        name: str = "card",
        text_colour=None,
        sort: int = 0,
    ):
        self.root = parent.attachNewNode(name, sort)
        s = 0.048 * scale
        self.s = s
        pad = 0.05
        fg = text_colour or theme.colour("ui_text")
        self.bg = panel(self.root, (0, width, -0.1, 0), colour or theme.colour("ui_panel", 0.96))
        y = -pad - s
        self.title = label(
            self.root,
            title,
            (pad, y),
            s * 1.12,
            theme.colour("ui_accent") if text_colour is None else fg,
            wrap=_wrap(width - 2 * pad, s * 1.12),
        )
        y -= max(1, _rows(self.title)) * s * 1.12 * 1.15 + s * 0.45
        self.body = label(self.root, body, (pad, y), s, fg, wrap=_wrap(width - 2 * pad, s))
        y -= max(1, _rows(self.body)) * s * 1.2 + (s * 0.3 if keys else 0.0)
        self.keys = label(
            self.root,
            keys,
            (pad, y),
            s * 0.8,
            theme.colour("ui_muted") if text_colour is None else fg,
            wrap=_wrap(width - 2 * pad, s * 0.8),
        )
        h = -(y - _rows(self.keys) * s * 0.8 * 1.2 - pad * 0.6 + (0.0 if keys else s * 0.6))
        self.bg["frameSize"] = (0, width, -h, 0)
        self.width, self.height = width, h
        if centre is not None:
            self.root.setPos(centre[0] - width / 2, 0, centre[1] + h / 2)
        elif top is not None:
            self.root.setPos(top[0], 0, top[1])

    @property
    def text(self) -> str:
        return "\n".join(t.getText() for t in (self.title, self.body, self.keys))

    def destroy(self):
        self.root.removeNode()


class ListPanel:
    """A centred, keyboard-driven list: Up/Down choose, Enter picks, Esc goes back. Optionally a text
    field (a report's note): letters type, Backspace deletes, Enter sends."""

    def __init__(
        self,
        parent: NodePath,
        scale: float,
        title: str,
        items: list[str],
        hint: str,
        on_pick,
        on_back,
        field: str | None = None,
        body: str = "",
    ):
        self.root = parent.attachNewNode("safety-list")
        self.items, self.on_pick, self.on_back = items, on_pick, on_back
        self.index = 0
        self.scale = scale
        self.title_text, self.hint, self.body_text = title, hint, body
        self.field: TextField | None = None
        self._field_caption = field
        self._clicks: list = []  # a click area per item: a click picks it, as Enter does
        self._draw()

    def _draw(self):
        value = self.field.value if self.field is not None else ""
        self._drop_clicks()
        self.root.getChildren().detach()
        sc = 0.05 * self.scale
        w = 1.05
        body_rows = 0
        if self.body_text:
            probe = label(self.root, self.body_text, (0, 0), sc * 0.85, wrap=_wrap(2 * w - 0.2, sc * 0.85))
            body_rows = _rows(probe)
            probe.destroy()
        h = (
            sc * 5.0
            + len(self.items) * sc * 1.8
            + (body_rows * sc * 1.02 + sc * 0.8 if body_rows else 0)
            + (sc * 3.2 if self._field_caption else 0)
        )
        panel(self.root, (-w, w, -h / 2, h / 2), theme.colour("ui_panel", 1.0))
        self.title = label(
            self.root,
            self.title_text,
            (0, h / 2 - sc * 1.7),
            sc * 1.1,
            align=TextNode.ACenter,
            wrap=_wrap(2 * w - 0.2, sc * 1.1),
        )
        y = h / 2 - sc * 3.2
        if self.body_text:
            label(
                self.root,
                self.body_text,
                (-w + 0.1, y),
                sc * 0.85,
                theme.colour("ui_muted"),
                wrap=_wrap(2 * w - 0.2, sc * 0.85),
            )
            y -= body_rows * sc * 1.02 + sc * 0.8
        self.rows = []
        for i, text in enumerate(self.items):
            yy = y - i * sc * 1.8
            if i == self.index and not self._field_caption:
                panel(self.root, (-w + 0.08, w - 0.08, yy - sc * 0.55, yy + sc * 1.05), theme.colour("ui_accent", 0.35))
            row = label(self.root, text, (-w + 0.14, yy), sc)
            fit_width(row, 2 * w - 0.24, sc)  # one row each: a long reason in a longer language is set smaller
            self.rows.append(row)
            area = (-w + 0.08, w - 0.08, yy - sc * 0.55, yy + sc * 1.05)
            self._clicks.append(click_area(self.root, area, self.click, i, name=f"dialog:{i}"))
        if self._field_caption:
            fy = y - len(self.items) * sc * 1.8 - sc * 0.9
            self.field = TextField(
                self.root, self._field_caption, (-w + 0.12, fy), 2 * w - 0.26, sc * 0.9, max_len=500, value=value
            )
            self.field.focus(True)
        label(self.root, self.hint, (0, -h / 2 + sc * 0.8), sc * 0.66, theme.colour("ui_muted"), align=TextNode.ACenter)

    @property
    def text(self) -> str:
        return "\n".join([self.title.getText()] + [r.getText() for r in self.rows])

    def click(self, index: int) -> None:
        self.index = index
        self.on_pick(index)

    def _drop_clicks(self) -> None:
        for c in self._clicks:
            c.destroy()
        self._clicks = []

    def on_key(self, key: str) -> bool:
        if key == "escape":
            self.on_back()
        elif key == "arrow_down" and self.items and not self._field_caption:
            self.index = (self.index + 1) % len(self.items)
            self._draw()
        elif key == "arrow_up" and self.items and not self._field_caption:
            self.index = (self.index - 1) % len(self.items)
            self._draw()
        elif key == "enter":
            self.on_pick(self.index)
        elif key == "backspace" and self.field is not None:
            self.field.backspace()
        return True  # a dialog keeps every key (letters never walk while it is open)

    def on_char(self, ch: str):
        if self.field is not None:
            self.field.type_char(ch)

    def destroy(self):
        self._drop_clicks()
        self.root.removeNode()


class _CardFocus:
    """Keys for a modal card: Enter or Esc closes it; everything else waits."""

    def __init__(self, on_close):
        self.on_close = on_close

    def on_key(self, key: str) -> bool:
        if key in ("enter", "escape"):
            self.on_close()
        return True

    def on_char(self, ch: str):
        pass


class _QuietFocus:
    """In the quiet room nothing moves or chats; help and settings still open."""

    def on_key(self, key: str) -> bool:
        return key not in ("f1", "f10", "escape")

    def on_char(self, ch: str):
        pass


class QuietRoom:
    """The calm full-screen view while the server has you paused: a soft colour, a kind message, a slow
    breathing circle (still with reduced motion) and how to go back. Drawn under the HUD corners so a
    connection notice still shows."""

    def __init__(self, app, text: str):
        self.app = app
        s = 0.058 * app.settings.text_scale
        self.root = app.aspect2d.attachNewNode("quiet-room", -100)
        ratio = app.getAspectRatio()
        lowest = layout(ratio, app.settings.text_scale).chat.top + GAP  # the Help and Settings buttons stay
        width = min(2.4, 2 * ratio - 0.4)
        panel(self.root, (-4, 4, -1.2, 1.2), QUIET_COLOUR)
        self.circle = self.root.attachNewNode(disc(1.0, QUIET_DISC, segments=48))
        self.circle.setP(-90)
        self.circle.setTwoSided(True)
        self.circle.setPos(0, 0, 0.66)
        self.circle.setScale(0.16)
        while True:  # as large as the text size asks, unless that would reach down to the buttons
            self.title = label(
                self.root, t("safety.quiet.title"), (0, 0.36), s * 1.3, QUIET_TEXT, align=TextNode.ACenter
            )
            self.body = label(
                self.root,
                text or t("safety.quiet.default"),
                (0, 0.16),
                s,
                QUIET_TEXT,
                align=TextNode.ACenter,
                wrap=_wrap(width, s),
            )
            y = 0.16 - _rows(self.body) * s * 1.2 - s * 0.8
            self.keys = label(
                self.root,
                t("safety.quiet.keys"),
                (0, y),
                s * 0.85,
                QUIET_TEXT,
                align=TextNode.ACenter,
            )
            if y - s * 0.85 * 1.5 >= lowest or s <= 0.03:
                break
            for part in (self.title, self.body, self.keys):
                part.destroy()
            s *= 0.92
        self.t = 0.0

    @property
    def text(self) -> str:
        return "\n".join(t.getText() for t in (self.title, self.body, self.keys))

    def update(self, dt: float):
        if self.app.settings.reduced_motion:
            self.circle.setScale(0.16)
            return
        self.t = (self.t + dt) % 10.0  # in for 4 s, out for 6 s, as the message says
        k = self.t / 4.0 if self.t < 4.0 else 1.0 - (self.t - 4.0) / 6.0
        self.circle.setScale(0.12 + 0.08 * (0.5 - 0.5 * math.cos(math.pi * k)))

    def destroy(self):
        self.root.removeNode()


class SafetyUI:
    """The client side of safety; one per app (`app.safety`)."""

    def __init__(self, app):
        self.app = app
        self.paused = False
        self.quiet: QuietRoom | None = None
        self.selected: int | None = None
        self._ring: NodePath | None = None
        self.hint: Card | None = None
        self.monitoring_card: Card | None = None
        self.monitoring: dict = {}
        self.crisis_card: Card | None = None
        self.alerts: list[dict] = []
        self.banner: Card | None = None
        # The staff banner is drawn above every other part of the client (coach console, panels, cards):
        # the GUI bin drawn last, whatever the scene-graph order of the layers below.
        self.top = app.a2dTopLeft.attachNewNode("safety-top")
        self.top.setBin("gui-popup", 100)
        self.helpline = Helpline(app, self)  # the private help line and the duty line
        self.dialog = None  # ListPanel or Card with a focus
        self._dialog_focus = None
        self._under = None  # the focus the dialog was opened over
        for key in PAUSE_KEYS + SELECT_KEYS + ALERT_KEYS + ACK_KEYS:
            app.accept(key, app.on_key, [key])
        app.taskMgr.add(self._update, "peerspace-safety", sort=-8)

    # --- keys ---------------------------------------------------------------------------
    def on_key(self, key: str) -> bool:
        """Called first for every key; True when it was a safety key and is used up."""
        app = self.app
        if app.room is None or app.screen is not None:
            return False
        if self.monitoring_card is not None and self.dialog is None:
            self._close_monitoring()  # the arrival note goes when you start; the key still acts
        if key in PAUSE_KEYS:
            self.toggle_pause()
            return True
        if key in ALERT_KEYS:
            self.dismiss_alert()
            return True
        if key in ACK_KEYS and self.alerts and self.alerts[0].get("key"):
            self.acknowledge_alert()
            return True
        if self.helpline.on_key(key, free=app.focus is None or isinstance(app.focus, _QuietFocus)):
            return True
        if app.focus is not None or self.paused:
            return False
        if key in SELECT_KEYS:
            self.select_next(-1 if key.startswith("shift") else 1)
            return True
        if self.selected is not None and key == "escape":
            self.select(None)
            return True
        if self.selected is not None and key == "enter":
            self.open_person_menu()
            return True
        if key == "escape" and self.alerts:
            self.dismiss_alert()
            return True
        return False

    # --- server events ------------------------------------------------------------------
    def register(self, session, safe) -> None:
        for event, handler in (
            (ws.PAUSED, self.on_paused),
            (ws.MONITORING, self.on_monitoring),
            (ws.SAFETY_ALERT, self.on_alert),
            (events.MEMBER_UPDATED, self.on_member_updated),
        ):
            session.on(event, safe(event, handler))
        self.helpline.register(session, safe)

    def on_room_state(self, d: dict) -> None:
        if "recording" in d:
            self._set_recording(d["recording"])
        if self.selected is not None and self.selected not in self.app.avatars:
            self.select(None)

    def on_notice(self, d: dict) -> bool:
        """The crisis-resources notice becomes a card that stays; True when used here."""
        if d.get("kind") != "support":
            return False
        self.show_crisis(str(d.get("title") or t("safety.crisis.title")), str(d.get("text") or ""))
        return True

    def on_paused(self, d: dict) -> None:
        self._set_paused(bool(d.get("paused")), str(d.get("text") or ""))

    def on_monitoring(self, d: dict) -> None:
        self.monitoring = dict(d)
        if "recording" in d:
            self._set_recording(d["recording"])
        self._close_monitoring()
        if self.banner is not None:
            return  # a staff alert takes the corner
        wanted = s = self.app.settings.text_scale
        ratio = self.app.getAspectRatio()
        # it hangs from the top-left corner down to, at most, the chat column (mode line and buttons included),
        # a little smaller if need be; where even that would run over the chat (a long notice, large text) it
        # is a card in the middle of the screen instead, at the text size chosen (any key closes it either way)
        room = 1 - 0.03 - (layout(ratio, wanted).chat.top + GAP)
        corner = True
        while True:
            self.monitoring_card = Card(
                self.app.a2dTopLeft if corner else self.app.popups,
                t("safety.monitored.title"),
                str(d.get("text") or ""),
                t("safety.monitored.closes"),
                s,
                self._corner_width() if corner else min(2.3, 2 * ratio - 0.2),
                theme.colour("ui_notice", 0.95),
                top=(0.03, -0.03) if corner else None,
                centre=None if corner else (0.0, 0.0),
                name="monitoring",
            )
            if self.monitoring_card.height <= (room if corner else 1.9) or s <= 0.4:
                break
            self.monitoring_card.destroy()
            if corner and s * 0.92 < wanted * 0.85:
                corner, s = False, wanted
            else:
                s *= 0.92

    def on_alert(self, d: dict) -> None:
        """Staff: a crisis or a report, shown at once as a calm banner until dismissed (no sound)."""
        # a crisis goes ahead of anything that is not a crisis (it is shown at once); otherwise oldest first
        rank = ALERT_ORDER.get(str(d.get("kind")), 0)
        at = next((i for i, a in enumerate(self.alerts) if ALERT_ORDER.get(str(a.get("kind")), 0) > rank), None)
        self.alerts.insert(len(self.alerts) if at is None else at, dict(d))
        kind = d.get("kind") if d.get("kind") in ALERT_ORDER else "crisis"
        log.info("safety alert shown: %s", kind)  # the kind only, never who said what
        self.app.chat.add(self._alert_line(d), "notice")
        self._close_monitoring()
        self._draw_banner()

    def on_member_updated(self, d: dict) -> None:
        if "paused" not in d or d.get("avatar") == self.app.my_id:
            return
        m = self.app.members.get(d.get("avatar"))
        name = (m or {}).get("name") or t("safety.someone")
        self.app.chat.add(t("safety.pausing" if d["paused"] else "safety.back", name=name), "notice")

    def _corner_width(self) -> float:
        """Width for a top-left card that leaves the top-centre notices free (they span +-0.62)."""
        try:
            aspect = float(self.app.getAspectRatio())
        except Exception:
            aspect = 1.6
        return max(0.7, min(1.15, aspect - 0.62 - 0.06))

    # --- recording --------------------------------------------------------------------
    def _set_recording(self, value) -> None:
        self.app.set_recording(value)

    # --- pause / quiet room ---------------------------------------------------------------
    def toggle_pause(self) -> None:
        self.app.spawn(self._pause(not self.paused), t("do.pause"))

    async def _pause(self, on: bool) -> None:
        session = self.app.session
        if session is None:
            return
        ack = await session.call(ws.PAUSE, {"on": on})
        if bool(ack.get("paused")) != self.paused:  # the event normally came first; this is a fallback
            self._set_paused(bool(ack.get("paused")), "")

    def _set_paused(self, on: bool, text: str) -> None:
        app = self.app
        if on == self.paused:
            if on and self.quiet is not None and text:
                self.quiet.body.setText(text)
            return
        self.paused = on
        if on:
            self.select(None)
            self._close_dialog()
            app.close_help()
            app.close_settings()
            if app.chat is not None and app.chat.typing:
                app.chat.close()
            app.release_movement()
            self.quiet = QuietRoom(app, text)
            app.render.hide()  # nothing 3D to draw while you rest: easy on modest PCs
            for part in (app.chat, app.self_status):
                part.root.hide()
            if isinstance(app.focus, _CrisisFocus):
                app.focus.under = _QuietFocus()  # the support card stays on top
            else:
                app.focus = _QuietFocus()
        else:
            if self.quiet is not None:
                self.quiet.destroy()
                self.quiet = None
            app.render.show()
            if isinstance(app.focus, _QuietFocus):
                app.focus = None
            elif isinstance(app.focus, _CrisisFocus) and isinstance(app.focus.under, _QuietFocus):
                app.focus.under = None
            if isinstance(self._under, _QuietFocus):
                self._under = None
            if app.room is not None and app.screen is None:
                for part in (app.chat, app.self_status):
                    part.root.show()
            app.notice(text or t("safety.quiet.welcome_back"))

    # --- choosing a person ------------------------------------------------------------
    def candidates(self) -> list[int]:
        """Other avatars near you, nearest first."""
        app = self.app
        me = app.avatars.get(app.my_id)
        out = []
        for aid, av in app.avatars.items():
            if aid == app.my_id or not av.placed:
                continue
            d = (av.root.getPos(app.render) - me.root.getPos(app.render)).length() if me is not None else 0.0
            if d <= NEARBY_M:
                out.append((d, aid))
        return [aid for _, aid in sorted(out)]

    def select_next(self, step: int = 1) -> None:
        people = self.candidates()
        if not people:
            self.select(None)
            self.app.notice(t("safety.nobody_near"), seconds=4)
            return
        if self.selected in people:
            nxt = people[(people.index(self.selected) + step) % len(people)]
        else:
            nxt = people[0] if step > 0 else people[-1]
        self.select(nxt)

    def select(self, aid: int | None) -> None:
        old = self.app.avatars.get(self.selected) if self.selected is not None else None
        if old is not None:
            old.tag.clearColorScale()
        if self._ring is not None:
            self._ring.removeNode()
            self._ring = None
        if self.hint is not None:
            self.hint.destroy()
            self.hint = None
        self.selected = aid
        av = self.app.avatars.get(aid) if aid is not None else None
        if av is None:
            self.selected = None
            return
        av.tag.setColorScale(*HIGHLIGHT)
        ring = av.root.attachNewNode(disc(0.62, theme.colour("ui_accent", 0.55), segments=40, z=0.03))
        ring.setTransparency(TransparencyAttrib.MAlpha)
        ring.setLightOff()
        ring.setDepthWrite(False)
        self._ring = ring
        self.hint = Card(
            self.app.a2dBottomCenter,
            t("safety.chosen", name=av.name),
            t("safety.chosen.keys"),
            "",
            self.app.settings.text_scale * 0.85,
            1.3,
            theme.colour("ui_panel", 0.92),
            name="chosen",
        )
        # just above the chat column's row of buttons, so it covers neither them nor the chat
        top = layout(self.app.getAspectRatio(), self.app.settings.text_scale).chat.top + 1 + GAP + self.hint.height
        self.hint.root.setPos(-self.hint.width / 2, 0, top)

    # --- the person menu ----------------------------------------------------------------
    def _member(self, aid):
        return self.app.members.get(aid) or {}

    def open_person_menu(self) -> None:
        aid = self.selected
        av = self.app.avatars.get(aid)
        if av is None:
            self.select(None)
            return
        m = self._member(aid)
        items = [t("safety.menu.report", name=av.name)]
        actions = ["report"]  # what each item does (the items are words in the chosen language)
        blockable = m.get("kind", "person") == "person" and m.get("role") not in events.STAFF
        if blockable:
            items.append(t("safety.menu.block", name=av.name))
            actions.append("block")
        my_role = (getattr(self.app.session, "user", None) or {}).get("role")
        staff_actions = {}
        if my_role in events.STAFF and m.get("kind", "person") == "person" and m.get("role") not in events.STAFF:
            # The server decides: it refuses anything this staff role may not do to this person.
            staff_actions = {
                t("safety.menu.mute", name=av.name): (ws.MUTE, {"avatar": aid, "minutes": 30}),
                t("safety.menu.kick", name=av.name): (ws.KICK, {"avatar": aid}),
                t("safety.menu.ban", name=av.name): (
                    ws.KICK,
                    {"avatar": aid, "ban_minutes": 24 * 60},
                ),
            }
            items += list(staff_actions)
            actions += ["staff"] * len(staff_actions)
        items.append(t("safety.menu.close"))
        actions.append("close")
        body = (
            ""
            if blockable
            else (t("safety.menu.staff_unblockable") if m.get("role") in events.STAFF else t("safety.menu.roleplay"))
        )

        def pick(i):
            choice = items[i]
            if actions[i] == "report":
                self.open_report(aid, av.name)
            elif actions[i] == "block":
                self.open_block(aid, av.name)
            elif actions[i] == "staff":
                self.open_staff_action(choice, *staff_actions[choice])
            else:
                self._close_dialog()

        self._open_dialog(
            ListPanel(
                self.app.popups,
                self.app.settings.text_scale,
                av.name,
                items,
                t("safety.menu.keys"),
                pick,
                self._close_dialog,
                body=body,
            )
        )

    def open_report(self, aid: int, name: str) -> None:
        reasons = list(ws.REPORT_REASONS)

        def pick(i):
            self.open_note(aid, name, reasons[i])

        self._open_dialog(
            ListPanel(
                self.app.popups,
                self.app.settings.text_scale,
                t("safety.report.title", name=name),
                [reason_words(r) for r in reasons],
                t("safety.report.keys"),
                pick,
                self.open_person_menu,
                body=t("safety.report.body", name=name),
            )
        )

    def open_note(self, aid: int, name: str, reason: str) -> None:
        def send(_i):
            note = self.dialog.field.value.strip() if self.dialog and self.dialog.field else ""
            self._close_dialog()
            self.app.spawn(self._report(aid, reason, note), t("do.send_report"))

        self._open_dialog(
            ListPanel(
                self.app.popups,
                self.app.settings.text_scale,
                t("safety.note.title"),
                [],
                t("safety.note.keys"),
                send,
                lambda: self.open_report(aid, name),
                field=t("safety.note.field"),
            )
        )

    async def _report(self, aid: int, reason: str, note: str) -> None:
        payload = {"avatar": aid, "reason": reason}
        if note:
            payload["note"] = note[:500]
        ack = await self.app.session.call(ws.REPORT, payload)
        self.app.notice(str(ack.get("text") or t("safety.report.thanks")), seconds=9)

    def open_block(self, aid: int, name: str) -> None:
        def pick(i):
            self._close_dialog()
            if i == 0:
                self.app.spawn(self._block(aid), t("do.block"))
            else:
                self.open_person_menu()

        self._open_dialog(
            ListPanel(
                self.app.popups,
                self.app.settings.text_scale,
                t("safety.block.title", name=name),
                [t("safety.block.yes", name=name), t("safety.no_back")],
                t("safety.dialog.keys"),
                pick,
                self.open_person_menu,
                body=t("safety.block.body", name=name),
            )
        )

    def open_staff_action(self, what: str, event: str, payload: dict) -> None:
        def pick(i):
            self._close_dialog()
            if i == 0:
                self.app.spawn(self._staff_action(what, event, payload), t("do.that"))
            else:
                self.open_person_menu()

        self._open_dialog(
            ListPanel(
                self.app.popups,
                self.app.settings.text_scale,
                t("safety.staff.title", what=what),
                [t("safety.yes"), t("safety.no_back")],
                t("safety.dialog.keys"),
                pick,
                self.open_person_menu,
                body=t("safety.staff.body"),
            )
        )

    async def _staff_action(self, what: str, event: str, payload: dict) -> None:
        try:
            await self.app.session.call(event, payload)
        except WireError as e:
            self.app.notice(error_text(e.code, e.message), seconds=9)
            return
        self.select(None)
        self.app.notice(t("safety.staff.done", what=what[0].lower() + what[1:]), seconds=9)

    async def _block(self, aid: int) -> None:
        ack = await self.app.session.call(ws.BLOCK, {"avatar": aid})
        name = (ack.get("blocked") or {}).get("name") or t("safety.that_person")
        self.select(None)
        self.app.notice(t("safety.blocked", name=name), seconds=9)

    # --- from settings: blocks and what is monitored ----------------------------------------
    def settings_items(self) -> list[tuple[str, object]]:
        if self.app.session is None:
            return []

        def after_settings(open_it):
            return lambda: (self.app.close_settings(), open_it())

        return [
            (t("safety.monitored.title"), after_settings(self.open_info)),
            (t("safety.blocks.title"), after_settings(self.open_blocks)),
        ]

    def open_blocks(self) -> None:
        self.app.spawn(self._open_blocks(), t("do.list_blocks"))

    async def _open_blocks(self) -> None:
        ack = await self.app.session.call(ws.BLOCKS, {})
        people = list(ack.get("blocks") or [])
        items = [str(p.get("name", "?")) for p in people] or [t("safety.blocks.nobody")]

        def pick(i):
            if not people:
                self._close_dialog()
                return
            self._close_dialog()
            self.app.spawn(self._unblock(people[i]), t("do.unblock"))

        self._open_dialog(
            ListPanel(
                self.app.popups,
                self.app.settings.text_scale,
                t("safety.blocks.title"),
                items,
                t("safety.blocks.keys"),
                pick,
                self._close_dialog,
                body=t("safety.blocks.body"),
            )
        )

    async def _unblock(self, person: dict) -> None:
        await self.app.session.call(ws.UNBLOCK, {"user": int(person["user"])})
        self.app.notice(t("safety.unblocked", name=person.get("name") or t("safety.they")), seconds=7)

    def open_info(self) -> None:
        self.app.spawn(self._open_info(), t("do.show_monitoring"))

    async def _open_info(self) -> None:
        d = await self.app.session.call(ws.SAFETY_INFO, {})
        self._set_recording(d.get("recording", self.app.recording))
        rec = t("safety.info.recorded") if d.get("recording") else t("safety.info.not_recorded")
        blocks = int(d.get("blocks") or 0)
        you = t("safety.info.keys") + (tn("safety.info.blocked", blocks) if blocks else "")
        body = f"{d.get('monitoring', '')}\n\n{rec}\n{you}"
        card = Card(
            self.app.popups,
            t("safety.monitored.title"),
            body,
            t("safety.info.close"),
            min(self.app.settings.text_scale, 1.15),
            2.3,
            theme.colour("ui_panel", 1.0),
            centre=(0, 0),
            name="safety-info",
        )
        self._open_dialog(card, _CardFocus(self._close_dialog))

    # --- crisis resources ----------------------------------------------------------------
    def show_crisis(self, title: str, text: str) -> None:
        if self.crisis_card is not None:
            self.crisis_card.destroy()
        app = self.app
        layer = app.popups.attachNewNode("crisis", 10)  # above other panels, and above the quiet room
        self.crisis_card = Card(
            layer,
            title,
            text,
            t("safety.crisis.keys"),
            min(app.settings.text_scale * 1.1, 1.4),
            2.1,
            CRISIS_COLOUR,
            centre=(0, 0.05),
            name="crisis-card",
        )
        self._crisis_layer = layer
        if isinstance(app.focus, _CrisisFocus):
            return
        app.release_movement()
        focus = _CrisisFocus(self, app.focus)
        app.focus = focus

    def close_crisis(self) -> None:
        if self.crisis_card is not None:
            self.crisis_card.destroy()
            self._crisis_layer.removeNode()
            self.crisis_card = None
        f = self.app.focus
        if isinstance(f, _CrisisFocus):
            under = f.under
            if self.paused and under is None:
                under = _QuietFocus()
            self.app.focus = under

    # --- staff alerts ----------------------------------------------------------------------
    def drop_alerts(self, which) -> None:
        """Take the alerts `which(alert)` picks out of the queue (a help request someone else answered)."""
        keep = [a for a in self.alerts if not which(a)]
        if len(keep) != len(self.alerts):
            self.alerts[:] = keep
            self._draw_banner()

    @staticmethod
    def _alert_line(d: dict) -> str:
        where = d.get("room_name") or d.get("room") or t("safety.alert.a_room")
        who = d.get("name") or t("safety.alert.someone")
        if d.get("kind") == "help_request":
            place = d.get("room_name") or d.get("room")
            return t("help.requested", name=who, where=t("help.where", room=place) if place else "")
        if d.get("kind") == "report":
            reason = reason_words(d.get("reason")).lower()
            reporter = d.get("from") or t("safety.alert.someone")
            if d.get("name"):
                return t("safety.alert.report_about", reporter=reporter, name=who, where=where, reason=reason)
            return t("safety.alert.report", reporter=reporter, where=where, reason=reason)
        extra = t("safety.alert.no_staff") if d.get("escalated") else ""
        words = str(d.get("category") or t("safety.alert.listed")).replace("_", " ")
        return t("safety.alert.crisis", name=who, where=where, words=words) + extra

    def _draw_banner(self) -> None:
        if self.banner is not None:
            self.helpline.banner_gone()
            self.banner.destroy()
            self.banner = None
        if not self.alerts:
            return
        d = self.alerts[0]
        more = tn("safety.alert.more", len(self.alerts) - 1) if len(self.alerts) > 1 else ""
        title = {"report": t("safety.alert.report_title"), "help_request": t("banner.help_title")}.get(
            str(d.get("kind")), t("safety.alert.crisis_title")
        )
        self.banner = Card(
            self.top,
            title,
            self._alert_line(d),
            (t("safety.alert.ack_key") if d.get("key") else "") + t("safety.alert.keys", more=more),
            self.app.settings.text_scale,
            self._corner_width(),
            ALERT_COLOUR,
            top=(0.03, -0.03),
            name="alert",
            text_colour=theme.colour("ui_text"),
        )
        self.helpline.banner_shown(self.banner, d)

    def acknowledge_alert(self) -> None:
        """Staff: I have seen the alert shown. On the record (who, when), the person is told someone has seen it,
        escalation stops; then the banner goes to the next alert."""
        d = self.alerts[0]

        async def ack() -> None:
            try:
                await self.app.session.call(ws.ALERT_ACK, {"alert": d["key"]})
            except WireError as e:
                self.app.chat.add(error_text(e.code, e.message), "notice")
                return
            self.app.chat.add(t("safety.alert.acknowledged"), "notice")

        self.app.spawn(ack(), t("do.acknowledge"))
        self.dismiss_alert()

    def dismiss_alert(self) -> None:
        if self.alerts:
            self.alerts.pop(0)
            self._draw_banner()

    # --- dialogs ---------------------------------------------------------------------------
    def _open_dialog(self, dialog, focus=None) -> None:
        app = self.app
        if self.dialog is not None:
            self.dialog.destroy()
        else:
            app.release_movement()
            self._under = app.focus
        self.dialog = dialog
        self._dialog_focus = focus or dialog
        if isinstance(app.focus, _CrisisFocus):
            app.focus.under = self._dialog_focus  # the crisis card stays on top
        else:
            app.focus = self._dialog_focus

    def _close_dialog(self) -> None:
        if self.dialog is None:
            return
        self.dialog.destroy()
        self.dialog = None
        app = self.app
        if isinstance(app.focus, _CrisisFocus) and app.focus.under is self._dialog_focus:
            app.focus.under = self._under
        elif app.focus is self._dialog_focus:
            app.focus = self._under
        self._dialog_focus = self._under = None

    def _close_monitoring(self) -> None:
        if self.monitoring_card is not None:
            self.monitoring_card.destroy()
            self.monitoring_card = None

    # --- per frame and reset -----------------------------------------------------------------
    def _update(self, task):
        self.helpline.update()
        if self.quiet is not None:
            self.quiet.update(min(ClockObject.getGlobalClock().getDt(), 0.1))
        if self.selected is not None and self.selected not in self.app.avatars:
            self.select(None)
        return task.cont

    def clear(self) -> None:
        """Out of the room (leave, reset): nothing of this stays on screen."""
        self.select(None)
        self._close_dialog()
        self.helpline.clear()
        self.close_crisis()
        self._close_monitoring()
        self.alerts.clear()
        self._draw_banner()
        if self.quiet is not None:
            self.quiet.destroy()
            self.quiet = None
            self.app.render.show()
        if isinstance(self.app.focus, _QuietFocus):
            self.app.focus = None
        self.paused = False


class _CrisisFocus:
    """The crisis card keeps the keys until Enter or Esc; the quiet-room key still works (on_key first)."""

    def __init__(self, ui: SafetyUI, under):
        self.ui, self.under = ui, under

    def on_key(self, key: str) -> bool:
        if key in ("enter", "escape"):
            self.ui.close_crisis()
        return True

    def on_char(self, ch: str):
        pass


__all__ = ["SafetyUI", "PAUSE_KEYS", "SELECT_KEYS", "ALERT_KEYS", "REASONS", "reason_words"]
