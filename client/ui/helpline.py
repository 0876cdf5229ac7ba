"""The private help line in the client, and who from the team is on duty.

Participants: "I'd like to talk to someone" (H, or the button at the bottom right; in a room and in the
quiet room) opens a private conversation window: first the server's consent text (Enter: I understand),
then a scrollback, a text field and its keys (Enter send, Esc hide, Delete end the conversation). The
on-duty line ("Sam, peer specialist, is here today") sits above the button. When a staff member has
seen what they said (`alert_seen`), they are told so, kindly.

Staff: O (or the button) goes on or off duty (`duty`); a help request comes as a banner in the safety
alert queue; H answers the first one waiting and opens the same window on their side.

The server decides everything (server/safety/helpline.py); this module asks and shows. Nothing anyone
writes is logged. Every text the client itself shows comes from the catalog (client/i18n.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from direct.gui.DirectButton import DirectButton
from direct.gui.DirectGuiGlobals import B1CLICK
from panda3d.core import NodePath, TextNode

from wire import events
from wire import helpline as wh
from wire import safety as ws
from wire.errors import WireError

from .. import theme
from ..i18n import error_text, t, tn
from .layout import GAP, MARGIN, portrait_size
from .widgets import TextField, button, label, panel

if TYPE_CHECKING:
    from .safety import SafetyUI

log = logging.getLogger("peerspace.client.helpline")

HELP_KEY = "h"
DUTY_KEY = "o"
END_KEY = "delete"
# The care protocol's duty events (server side: server/safety/moderation.py).
SCROLLBACK = 8
WINDOW_COLOUR = (0.18, 0.26, 0.30, 0.97)  # calm, the same family as the crisis card


def click(b: DirectButton) -> None:
    """What a left-click on the button does (tests use it; a real click sends the same event)."""
    from direct.showbase.MessengerGlobal import messenger

    messenger.send(B1CLICK + b.guiId, [None])


def fit_row(node: TextNode, text: str, width: float) -> str:
    """`text` on one row of `width` (in the node's text units), cut with "..." where it is longer."""
    if node.calcWidth(text) <= width:
        return text
    while text and node.calcWidth(text + "...") > width:
        text = text[:-1]
    return text.rstrip() + "..."


class HelpWindow:
    """One conversation: title, what is happening, the latest lines, the field, keys and buttons.
    In consent mode the field waits until the person has said they understand."""

    W, H = 1.5, 1.25  # centred above the chat, clear of the corners (recording, duty line, the button)

    def __init__(self, ui: Helpline, title: str, scale: float, consent: str = ""):
        self.ui = ui
        self.root = ui.app.popups.attachNewNode("help-window", 20)
        self.root.setPos(-self.W / 2, 0, 0.8)
        self.s = s = 0.046 * min(scale, 1.3)
        self.lines: list[tuple[str, str]] = []
        self.consent = consent
        self.bg = panel(self.root, (0, self.W, -self.H, 0), WINDOW_COLOUR)
        self.title = label(self.root, title, (0.05, -0.07), s * 1.15, theme.colour("ui_accent"))
        self.status = label(self.root, "", (0.05, -0.07 - s * 1.5), s * 0.85, wrap=(self.W - 0.1) / (s * 0.85))
        self.rows = [label(self.root, "", (0.05, 0.0), s * 0.9, wrap=None) for _ in range(SCROLLBACK)]
        self.field = TextField(self.root, t("help.field"), (0.05, -self.H + 0.2), self.W - 0.42, s * 0.9, max_len=500)
        self.keys = label(
            self.root, "", (0.05, -self.H + 0.05), s * 0.68, theme.colour("ui_muted"), wrap=(self.W - 0.1) / (s * 0.68)
        )
        self.buttons: dict[str, DirectButton] = {}
        self._draw()

    @property
    def consenting(self) -> bool:
        return bool(self.consent)

    @property
    def text(self) -> str:
        parts = [self.title.getText(), self.status.getText()] + [r.getText() for r in self.rows]
        return "\n".join(p for p in parts + [self.keys.getText()] if p)

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self._draw()

    def add_line(self, who: str, text: str) -> None:
        self.lines = (self.lines + [(who, text)])[-50:]
        self._draw()

    def _draw(self) -> None:
        s = self.s
        for b in self.buttons.values():
            b.destroy()
        self.buttons.clear()
        y = -0.07 - s * 1.5 - max(1, self.status.textNode.getNumRows() if self.status.getText() else 1) * s * 1.05
        if self.consenting:
            self.status.setText(self.consent)
            rows = self.status.textNode.getNumRows()
            for r in self.rows:
                r.setText("")
            self.field.caption.hide()
            self.field.box.hide()
            self.field.text.hide()
            self.keys.setText(t("help.consent_keys"))
            by = -0.07 - s * 1.5 - rows * s * 1.05 - 0.12
            self.buttons["agree"] = button(self.root, t("help.agree"), (0.35, by), s * 0.9, self.ui.agree)
            self.buttons["not_now"] = button(self.root, t("help.not_now"), (0.9, by), s * 0.9, self.ui.hide)
            return
        self.field.caption.show()
        self.field.box.show()
        self.field.text.show()
        self.field.focus(True)
        shown = self.lines[-SCROLLBACK:]
        room = (y - (-self.H + 0.36)) / (s * 1.2)  # rows that fit between the status and the field
        shown = shown[-max(1, int(room)) :]
        for i, r in enumerate(self.rows):
            if i < len(shown):
                who, text = shown[i]
                r.setText(fit_row(r.textNode, f"{who}: {text}", (self.W - 0.1) / (s * 0.9)))
                r.setPos(0.05, y - s * 1.2 * (i + 1))
            else:
                r.setText("")
        self.keys.setText(t("help.keys"))
        self.buttons["send"] = button(self.root, t("help.send"), (self.W - 0.18, -self.H + 0.21), s * 0.8, self.ui.send)
        hide = self.buttons["hide"] = button(self.root, t("help.hide"), (self.W - 0.2, -0.07), s * 0.75, self.ui.hide)
        end = self.buttons["end"] = button(self.root, t("help.end"), (0, -0.07), s * 0.75, self.ui.end)
        # End just left of Hide, however long either word is in this language
        end.setX(hide.getX() + hide.getBounds()[0] * s * 0.75 - 0.03 - end.getBounds()[1] * s * 0.75)
        # the title keeps left of the buttons in its row: smaller where a language or text size makes it long
        room = end.getX() + end.getBounds()[0] * s * 0.75 - 0.08
        self.title.setTextScale(min(s * 1.15, room / max(1e-6, self.title.textNode.getWidth())))

    def agreed(self) -> None:
        self.consent = ""
        self._draw()

    def on_key(self, key: str) -> bool:
        if key == "escape":
            self.ui.hide()
        elif key == "enter":
            self.ui.agree() if self.consenting else self.ui.send()
        elif key == END_KEY:  # also before the consent: the person changed their mind, the request is withdrawn
            self.ui.end()
        elif key == "backspace" and not self.consenting:
            self.field.backspace()
        return not (key.startswith("f") and key[1:].isdigit())  # help, settings and faces still work

    def on_char(self, ch: str) -> None:
        if not self.consenting:
            self.field.type_char(ch)

    def show(self) -> None:
        self.root.show()

    def hide(self) -> None:
        self.root.hide()

    @property
    def hidden(self) -> bool:
        return self.root.isHidden()

    def destroy(self) -> None:
        for b in self.buttons.values():
            b.destroy()
        self.root.removeNode()


class Helpline:
    """The help line and the duty line; one per app (`app.safety.helpline`)."""

    def __init__(self, app, safety: SafetyUI):
        self.app, self.safety = app, safety
        self.channel: str | None = None
        self.window: HelpWindow | None = None
        self._under = None  # the focus the window was opened over
        self.on_duty = False  # staff: whether I am on duty
        self.duty_text = ""
        self.team: NodePath | None = None  # the bottom-right corner: duty line and the button
        self.team_button: DirectButton | None = None
        self.duty_label = None
        self.answer_button: DirectButton | None = None  # on the staff banner while it shows a help request
        self.asking = False
        self._status_text = ""  # what the server said on asking, shown again once the consent is read

    # --- who am I --------------------------------------------------------------------------
    @property
    def role(self) -> str:
        return str((getattr(self.app.session, "user", None) or {}).get("role") or "")

    @property
    def staff(self) -> bool:
        return self.role in events.STAFF

    @property
    def me(self) -> str:
        return str((getattr(self.app.session, "user", None) or {}).get("name") or "")

    # --- keys ------------------------------------------------------------------------------
    def on_key(self, key: str, free: bool) -> bool:
        """`free`: nothing has the focus (or only the quiet room): H and O act."""
        if key == HELP_KEY and free:
            self.open()
            return True
        if key == DUTY_KEY and free and self.staff:
            self.toggle_duty()
            return True
        return False

    # --- the server's events ------------------------------------------------------------------
    def register(self, session, safe) -> None:
        for event, handler in (
            (wh.HELP_LINE, self.on_line),
            (wh.HELP_STATUS, self.on_status),
            (wh.HELP_REQUESTED, self.on_requested),
            (ws.DUTY_STATUS, self.on_duty_status),
            (ws.ALERT_SEEN, self.on_alert_seen),
        ):
            session.on(event, safe(event, handler))

    def update(self) -> None:
        """Each frame: the corner is there while in a room (the quiet room included), and only then."""
        here = self.app.session is not None and self.app.room is not None
        if here != (self.team is not None):
            self.draw_team()

    def on_line(self, d: dict) -> None:
        if d.get("channel") != self.channel or self.window is None:
            return
        who = t("help.you") if d.get("from") == self.me else str(d.get("from") or "")
        self.window.add_line(who, str(d.get("text") or ""))
        if self.window.hidden and who != t("help.you"):
            self.app.notice(t("help.open_again"), seconds=9)

    def on_status(self, d: dict) -> None:
        state = d.get("state")
        if state in ("taken", "closed"):
            self.safety.drop_alerts(lambda a: a.get("kind") == "help_request" and a.get("channel") == d.get("channel"))
        if d.get("channel") != self.channel or self.window is None:
            return
        if state in ("joined", "waiting"):  # waiting: the team member who joined had to leave
            self._status_text = str(d.get("text") or "")
            if not self.window.consenting:
                self.window.set_status(self._status_text)
        elif state == "closed":
            self.channel = None
            self._close_window()
            self.app.notice(str(d.get("text") or t("help.ended")), seconds=9)

    def on_requested(self, d: dict) -> None:
        """Staff: someone asks to talk. It joins the safety alert queue (after crises, before reports)."""
        self.safety.on_alert({**d, "kind": "help_request"})

    def on_duty_status(self, d: dict) -> None:
        text = str(d.get("text") or "")
        if not text:
            people = [
                t("duty.person", name=p.get("name", ""), role=t(f"role.{p.get('role')}"))
                for p in d.get("on_duty") or []
                if p.get("role") in events.STAFF
            ]
            text = tn("duty.line_some", len(people), names="; ".join(people)) if people else t("duty.line_nobody")
        self.duty_text = text
        self.draw_team()

    def on_alert_seen(self, d: dict) -> None:
        text = str(d.get("text") or t("seen.default"))
        self.app.notice(text, seconds=12)
        self.app.chat.add(text, "notice")

    # --- the staff banner: a help request gets an "Answer" button (H does the same) ------------------
    def banner_shown(self, card, alert: dict) -> None:
        if alert.get("kind") == "help_request":
            pos = (card.width - 0.3, -card.height - 0.07)
            self.answer_button = button(
                card.root, t("help.answer"), pos, 0.045 * self.app.settings.text_scale, self.open
            )

    def banner_gone(self) -> None:
        if self.answer_button is not None:
            self.answer_button.destroy()
            self.answer_button = None

    # --- the corner: who is on duty, and the button ----------------------------------------------
    def draw_team(self) -> None:
        if self.team is not None:
            self.team.removeNode()
            self.team = self.team_button = self.duty_label = None
        if self.app.session is None or self.app.room is None:
            return
        s = 0.04 * self.app.settings.text_scale
        self.team = self.app.a2dBottomRight.attachNewNode("team", 5)
        y = 0.03 + 0.045 * self.app.settings.text_scale * 2.2 + 0.06  # above the own-expression line
        right = -(MARGIN + portrait_size(self.app.settings.text_scale) + GAP)  # left of the portrait of your face
        if self.staff:
            text = t("duty.on_button" if self.on_duty else "duty.off_button")
            self.team_button = button(self.team, text, (0, y + s * 0.6), s * 0.95, self.toggle_duty)
        elif self.role == events.PARTICIPANT:
            self.team_button = button(self.team, t("help.button"), (0, y + s * 0.6), s * 0.95, self.open)
        if self.team_button is not None:
            self.team_button.setX(right - self.team_button.getBounds()[1] * s * 0.95)
        if self.duty_text and not self.staff:
            # on a card of its own that grows upwards from above the button, however many lines the text takes
            sc, pad = s * 0.9, s * 0.3
            self.duty_label = label(
                self.team, self.duty_text, (right, 0), sc, theme.colour("ui_text"), TextNode.ARight, 20
            )
            node = self.duty_label.textNode
            base = y + s * 2.0
            self.duty_label.setPos(right, base + pad - node.getBottom() * sc)
            card = (right + node.getLeft() * sc - pad, right + pad, base, base + 2 * pad + node.getHeight() * sc)
            panel(self.team, card, theme.colour("ui_panel", 0.85))
            self.duty_label.reparentTo(self.team)  # drawn after its card

    # --- participant: ask, agree, write ------------------------------------------------------
    def open(self) -> None:
        if self.window is not None:
            self._show_window()
            return
        if self.staff:
            waiting = [a for a in self.safety.alerts if a.get("kind") == "help_request"]
            if waiting:
                self.app.spawn(self._accept(waiting[0]), t("do.answer_help"))
            return
        if self.role != events.PARTICIPANT or self.asking or self.app.session is None:
            return
        self.asking = True
        self.app.spawn(self._request(), t("do.ask_help"))

    async def _request(self) -> None:
        try:
            ack = await self.app.session.call(wh.HELP_REQUEST, {})
        except WireError as e:
            self.app.notice(error_text(e.code, e.message or t("help.failed")), seconds=9)
            return
        finally:
            self.asking = False
        self.channel = str(ack["channel"])
        consent = "" if ack.get("agreed") else str(ack.get("consent") or "")
        self.window = HelpWindow(self, t("help.title"), self.app.settings.text_scale, consent)
        self.window.set_status(str(ack.get("text") or ""))
        self._status_text = str(ack.get("text") or "")
        for line in ack.get("lines") or []:
            self.on_line(line)
        self._show_window()

    def agree(self) -> None:
        if self.window is None or not self.window.consenting or self.channel is None:
            return
        self.app.spawn(self._agree(self.channel), t("do.agree"))

    async def _agree(self, channel: str) -> None:
        await self.app.session.call(wh.HELP_AGREE, {"channel": channel})
        if self.window is not None and channel == self.channel:
            self.window.agreed()
            self.window.set_status(self._status_text)

    def send(self) -> None:
        w = self.window
        if w is None or w.consenting or self.channel is None:
            return
        text = w.field.value.strip()
        if not text:
            return
        w.field.set("")
        self.app.spawn(self._say(self.channel, text[:500]), t("do.send_message"))

    async def _say(self, channel: str, text: str) -> None:
        try:
            await self.app.session.call(wh.HELP_SAY, {"channel": channel, "text": text})
        except WireError as e:
            self.app.notice(error_text(e.code, e.message), seconds=9)

    def end(self) -> None:
        if self.channel is not None:
            self.app.spawn(self._end(self.channel), t("do.end_conversation"))

    async def _end(self, channel: str) -> None:
        try:
            await self.app.session.call(wh.HELP_CLOSE, {"channel": channel})
        except WireError:
            pass  # already ended on the other side
        if channel == self.channel:
            self.channel = None
            self._close_window()

    # --- staff: answer, duty -------------------------------------------------------------------
    async def _accept(self, request: dict) -> None:
        channel = str(request.get("channel"))
        try:
            ack = await self.app.session.call(wh.HELP_ACCEPT, {"channel": channel})
        except WireError as e:
            self.safety.drop_alerts(lambda a: a.get("channel") == channel)
            self.app.notice(error_text(e.code, e.message), seconds=9)
            return
        self.safety.drop_alerts(lambda a: a.get("kind") == "help_request" and a.get("channel") == channel)
        self.channel = channel
        name = str(ack.get("name") or request.get("name") or "")
        self.window = HelpWindow(self, t("help.staff_title", name=name), self.app.settings.text_scale)
        self._status_text = ""
        for line in ack.get("lines") or []:
            self.on_line(line)
        self._show_window()

    def toggle_duty(self) -> None:
        if self.staff and self.app.session is not None:
            self.app.spawn(self._duty(not self.on_duty), t("do.change_duty"))

    async def _duty(self, on: bool) -> None:
        try:
            ack = await self.app.session.call(ws.DUTY, {"on": on})
        except WireError as e:
            self.app.notice(error_text(e.code, e.message), seconds=9)
            return
        self.on_duty = bool(ack.get("on", ack.get("on_duty", on)))
        self.app.notice(t("duty.now_on" if self.on_duty else "duty.now_off"), seconds=7)
        self.draw_team()

    # --- the window and the focus -----------------------------------------------------------------
    def _show_window(self) -> None:
        app, w = self.app, self.window
        if w is None:
            return
        w.show()
        if app.focus is w:
            return
        app.release_movement()
        crisis = type(app.focus).__name__ == "_CrisisFocus"
        if crisis:
            self._under, app.focus.under = app.focus.under, w  # the support card stays on top
        else:
            self._under, app.focus = app.focus, w

    def hide(self) -> None:
        w = self.window
        if w is None:
            return
        if self.channel is None:
            self._close_window()
            return
        w.hide()
        self._restore_focus()
        self.app.notice(t("help.open_again"), seconds=7)

    def _restore_focus(self) -> None:
        app, w = self.app, self.window
        if app.focus is w:
            app.focus = self._under
        elif getattr(app.focus, "under", None) is w:
            app.focus.under = self._under
        self._under = None

    def _close_window(self) -> None:
        if self.window is None:
            return
        self._restore_focus()
        self.window.destroy()
        self.window = None

    def clear(self) -> None:
        """Out of the room (leave, reset): the window goes; the conversation stays open on the server
        (H opens it again: asking again gives the same conversation)."""
        self._close_window()
        self.channel = None
        if self.team is not None:
            self.team.removeNode()
            self.team = self.team_button = self.duty_label = None
        self.duty_text = ""
        self.on_duty = False


__all__ = ["DUTY_KEY", "END_KEY", "HELP_KEY", "HelpWindow", "Helpline", "click"]
