"""Group practice in the client (wire/courses.py `group_turn`, `peer_feedback`; server/courses/group.py).

TurnBanner      a line at the top of the room: whose turn it is (yours, someone's, a reversed one: who plays
                whom) and who is next; "the group practice has ended" at the end. Notices go below it.
FeedbackPrompt  when a turn you watched has ended: what went well for them? The scenario's skill steps as
                numbered buttons (a digit or a click picks one, again un-picks it), your own words typed in the
                field, Enter (or Send) sends, Esc (or Skip) skips. It has the keyboard while it is open.
Feedback received goes into the chat column (and a notice), so the learner reads it after their turn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from panda3d.core import NodePath, TextNode

from wire import courses as wcourse
from wire.errors import WireError

from .. import theme
from ..i18n import t
from .layout import GAP, MARGIN, RECORDED_WIDTH
from .widgets import TextField, button, label, panel

if TYPE_CHECKING:
    from ..app import PeerspaceClient

DIGITS = tuple(str(i) for i in range(1, 10))
ENDED_SECONDS = 8.0  # how long "the group practice has ended" stays at the top
NOTICES_TOP = 0.06  # the top of the notices' panel below the top of the window (client/ui/hud.py Notices)


def turn_text(state: dict[str, Any], me: int | None) -> str:
    """Whose turn it is, and who is next, in words."""
    if state.get("stage") == "ended":
        return t("group.ended")
    turn = state.get("turn") or {}
    learner, player = turn.get("learner") or {}, turn.get("player") or {}
    if turn.get("reversed"):
        if learner.get("id") == me:
            now = t("group.turn.reversed_mine", player=player.get("name", ""))
        elif player.get("id") == me:
            now = t("group.turn.you_play_learner", name=learner.get("name", ""))
        else:
            now = t("group.turn.reversed", name=learner.get("name", ""), player=player.get("name", ""))
    elif learner.get("id") == me:
        now = t("group.turn.mine")
    else:
        now = t("group.turn.of", name=learner.get("name", ""))
    if state.get("stage") == "feedback":
        now += " " + t("group.turn.feedback")
    waiting = [o["name"] for o in state.get("order") or [] if o.get("status") == "next"]
    return now + (" " + t("group.turn.next", names=", ".join(waiting)) if waiting else "")


class TurnBanner:
    """Whose turn it is, on a panel at the top centre. It is only as wide as the room leaves beside the recording
    indicator (top right) and its mirror image, so it never runs under it; a long line wraps. The notices, also
    at the top centre, are moved down below it while it shows."""

    def __init__(self, app: PeerspaceClient, text: str):
        self.app = app
        self.text = text
        self.root = app.a2dTopCenter.attachNewNode("group-turn")
        self.restyle()

    def restyle(self) -> None:
        """Lays it out for the text size and window shape now."""
        app = self.app
        self.root.getChildren().detach()
        s = 0.045 * float(app.settings.text_scale)
        half = min(1.2, app.getAspectRatio() - MARGIN - RECORDED_WIDTH - GAP)
        top = -MARGIN
        bg = panel(self.root, (-half, half, top, top))
        self.label = label(self.root, self.text, (0, top - s * 1.05), s, None, TextNode.ACenter, (2 * half - s) / s)
        self.bottom = bottom = top - s * 1.2 * max(1, self.label.textNode.getNumRows()) - s * 0.55
        bg["frameSize"] = (-half, half, bottom, top)
        notices = app.hud.notices
        if notices is not None:
            notices.root.setZ(bottom - GAP + NOTICES_TOP)

    def set_text(self, text: str) -> None:
        self.text = text
        self.restyle()  # the number of rows may change

    def destroy(self) -> None:
        self.root.removeNode()
        notices = self.app.hud.notices
        if notices is not None:
            notices.root.setZ(0)


class FeedbackPrompt:
    """What went well for the learner: a step (digit or click), own words (typed), Enter sends, Esc skips."""

    def __init__(self, parent: NodePath, scale: float, ask: dict[str, Any], on_send, on_skip):
        self.ask, self.on_send, self.on_skip = ask, on_send, on_skip
        self.steps: list[dict[str, Any]] = list(ask.get("steps") or [])[:9]
        self.picked: int | None = None
        self.sent = False
        self.root = parent.attachNewNode("peer-feedback")
        self.s = s = 0.05 * scale
        top = 0.62
        self.frame = panel(self.root, (-1.05, 1.05, top - 0.1, top))  # sized to its content below
        name = (ask.get("learner") or {}).get("name", "")
        self.title = label(
            self.root,
            t("group.ask.title", name=name),
            (0, top - s * 1.4),
            s * 1.05,
            None,
            TextNode.ACenter,
            2.0 / (s * 1.05),
        )
        self.buttons: dict[str, Any] = {}
        self.step_labels: list[Any] = []
        y = top - s * 3.2
        for i, step in enumerate(self.steps):
            self.buttons[f"step{i + 1}"] = button(
                self.root, f"{i + 1}", (-0.9, y + s * 0.2), s * 0.8, self.pick, i, name=f"peer-step-{i + 1}"
            )
            text_np = label(self.root, step["text"], (-0.8, y), s * 0.8, None, TextNode.ALeft, 1.8 / (s * 0.8))
            self.step_labels.append(text_np)
            y -= s * (0.96 * max(1, text_np.textNode.getNumRows()) + 0.55)  # a long step wraps: the next goes below
        self.field = TextField(
            self.root, t("group.ask.words"), (-0.9, y - s * 1.2), 1.8, s * 0.9, max_len=wcourse.MAX_PEER_FEEDBACK
        )
        self.field.focus(True)
        y -= s * 3.4
        self.buttons["send"] = button(self.root, t("group.ask.send"), (-0.3, y), s * 0.9, self.send, name="peer-send")
        self.buttons["skip"] = button(self.root, t("group.ask.skip"), (0.3, y), s * 0.9, self.skip, name="peer-skip")
        self.top, self.keys_y = top, y - s * 1.8
        self.status = label(
            self.root,
            t("group.ask.keys"),
            (0, self.keys_y),
            s * 0.7,
            theme.colour("ui_muted"),
            TextNode.ACenter,
            2.0 / (s * 0.7),
        )
        self._fit_frame()
        self._mark()

    def _fit_frame(self) -> None:
        """The panel reaches below the last row of the key line (two rows in a longer language or larger text)."""
        s, rows = self.s, max(1, self.status.textNode.getNumRows())
        bottom = self.keys_y - s * 0.6 - (rows - 1) * s * 0.7 * 1.2
        self.frame["frameSize"] = (-1.05, 1.05, bottom, self.top)

    def _mark(self) -> None:
        for i, text_np in enumerate(self.step_labels):
            text_np["fg"] = theme.colour("ui_accent") if i == self.picked else theme.colour("ui_text")
            b = self.buttons[f"step{i + 1}"]
            b["text"] = f"{i + 1} *" if i == self.picked else f"{i + 1}"

    def pick(self, index: int) -> None:
        self.picked = None if self.picked == index else index
        self._mark()

    def click(self, name: str) -> None:
        """What a mouse click on the named button does (tests; the window's own clicks run the same)."""
        self.buttons[name].commandFunc(None)

    def payload(self) -> dict[str, Any] | None:
        words = self.field.value.strip()
        out: dict[str, Any] = {}
        if self.picked is not None:
            out["step"] = self.steps[self.picked]["id"]
        if words:
            out["text"] = words
        return out or None

    def send(self) -> None:
        payload = self.payload()
        if payload is None:
            self.set_status(t("group.ask.empty"))
            return
        if not self.sent:
            self.sent = True
            self.on_send(payload)

    def skip(self) -> None:
        if not self.sent:
            self.sent = True
            self.on_skip()

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self._fit_frame()

    def text(self) -> str:
        """Every text shown, one per line (tests read what a person reads)."""
        shown = [n.node().getText() for n in self.root.findAllMatches("**/+TextNode") if not n.isHidden()]
        return "\n".join(x for x in shown if x).strip()

    # --- the keyboard (the prompt has the focus) ---------------------------------------------------------
    def on_key(self, key: str) -> bool:
        if key == "enter":
            self.send()
        elif key == "escape":
            self.skip()
        elif key == "backspace":
            self.field.backspace()
        elif key in DIGITS and not self.field.value and int(key) <= len(self.steps):
            self.pick(int(key) - 1)
        elif key in DIGITS:
            pass  # typed into the words (on_char) once they have begun
        return True  # it keeps every key: nothing walks behind it

    def on_char(self, ch: str) -> None:
        if ch in DIGITS and not self.field.value and int(ch) <= len(self.steps):
            return  # a digit at the start picks a step (on_key)
        if ch.isprintable():
            self.field.type_char(ch)

    def destroy(self) -> None:
        for b in self.buttons.values():
            b.destroy()
        self.root.removeNode()


class GroupView:
    """The client side of a group practice: the turn banner, the peer-feedback prompt, the feedback received."""

    def __init__(self, app: PeerspaceClient):
        self.app = app
        self.state: dict[str, Any] | None = None
        self.banner: TurnBanner | None = None
        self.prompt: FeedbackPrompt | None = None
        self.received: list[dict[str, Any]] = []

    @property
    def me(self) -> int | None:
        user = getattr(self.app.session, "user", None) or {}
        uid = user.get("id")
        return int(uid) if uid is not None else None

    def restyle(self) -> None:
        """Another text size, contrast or language: the banner again (the HUD's notices were built anew)."""
        if self.banner is not None:
            if self.state is not None:
                self.banner.text = turn_text(self.state, self.me)  # in the language chosen now
            self.banner.restyle()

    def banner_text(self) -> str:
        return self.banner.text if self.banner is not None else ""

    # --- the server's events --------------------------------------------------------------------------------
    def on_turn(self, d: dict[str, Any]) -> None:
        self.state = d
        text = turn_text(d, self.me)
        if self.banner is None:
            self.banner = TurnBanner(self.app, text)
        else:
            self.banner.set_text(text)
        if d.get("ask") and self.prompt is None:
            self.open_prompt(d["ask"])
        elif not d.get("ask"):
            self.close_prompt()
        if d.get("stage") == "ended":
            self.app.chat.add(text, "notice")  # the banner goes after a while; the chat keeps the line
            ended = d

            def fade(task: Any) -> Any:
                if self.state is ended:
                    self.clear()
                return task.done

            self.app.taskMgr.doMethodLater(ENDED_SECONDS, fade, "group-practice-ended")

    def on_peer_feedback(self, d: dict[str, Any]) -> None:
        self.received.append(d)
        what = "; ".join(x for x in (d.get("step_text"), d.get("text")) if x)
        learner = d.get("learner") or {}
        if learner.get("id") == self.me:
            line = t("group.feedback.to_me", name=d.get("from", ""), what=what)
        else:
            line = t("group.feedback.to_them", name=d.get("from", ""), learner=learner.get("name", ""), what=what)
        self.app.chat.add(line, "notice")
        self.app.notice(line)

    # --- the prompt -------------------------------------------------------------------------------------------
    def open_prompt(self, ask: dict[str, Any]) -> None:
        app = self.app
        self.prompt = FeedbackPrompt(app.popups, float(app.settings.text_scale), ask, self._send, self._skip)
        app.release_movement()
        app.focus = self.prompt

    def close_prompt(self) -> None:
        if self.prompt is None:
            return
        if self.app.focus is self.prompt:
            self.app.focus = None
        self.prompt.destroy()
        self.prompt = None

    def _send(self, payload: dict[str, Any]) -> None:
        self.app.spawn(self._call(payload), t("do.send_feedback"))

    def _skip(self) -> None:
        self.app.spawn(self._call({"skip": True}), t("do.skip_feedback"))

    async def _call(self, payload: dict[str, Any]) -> None:
        prompt = self.prompt
        try:
            await self.app.session.call(wcourse.GROUP_FEEDBACK, payload)
        except WireError as e:
            if prompt is not None and self.prompt is prompt:
                prompt.sent = False
                prompt.set_status(e.message)
            return
        if self.prompt is prompt:
            self.close_prompt()
            if "skip" not in payload:
                self.app.notice(t("group.ask.thanks"))

    def clear(self) -> None:
        """Out of the room: nothing of the group practice stays on screen."""
        self.close_prompt()
        if self.banner is not None:
            self.banner.destroy()
            self.banner = None
        self.state = None
