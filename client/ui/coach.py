"""The coach console: a peer specialist teleoperates a scenario's cast avatars and follows the run.

It shows, for the run it follows: what the participant sees (the prompt, the options, the hint, and what
they have typed so far, from `scenario_typing`), the palette of suggested lines for the selected cast
role from the staff `scenario_state` (the line the script wants now comes first, marked), a countdown
when the current cue carries a `deadline`, the run's transcript (scrollable; read back with
`scenario_transcript` when the console meets a run, then kept from `said`), who drives each cast avatar
(`controller`), any open `proposal` of the autonomous driver under supervision, and the server's answer
to the last thing it asked (an acknowledgement, or the server's own words when it refused).
Keys while the console has the focus (every one also a button for the mouse):

  1-9       say palette line n as the selected avatar (sent with its cue id as `suggestion`)
  Enter     type your own words; Enter sends them as the avatar, Esc cancels
  Tab       next cast role          c   claim / release the selected role
  p         pause / resume the beat (scenario_pause / scenario_resume)
  m         move on: the next beat (scenario_advance)     b   repeat the beat (scenario_repeat)
  n h s a u f   expression: neutral happy sad angry surprised afraid
  w o x r t     gesture: wave nod shake-head shrug thumbs-up
  F5 / F6   tag positive / corrective feedback (scenario_feedback; confirmed when the server acks it)
  F7 / F8   approve / reject the open proposal    v  supervise the selected avatar (10 s) or stop
  1-3 / U   while a typed answer waits for review: take it as that option / not scorable (review.py)
  PgUp / PgDn   scroll the transcript
  Left / Right  the page: Lines, Transcript, Actions (also tabs for the mouse)
  Esc       close the console

It takes its region of the window (client/ui/layout.py `coach_region`, the left half above the chat) and lays
its rows out in it from the top down at the chosen text size, never shrinking them: the participant's rows on
top, then a page (the palette and your own words; the transcript; the buttons). What is too wide is cut with
"..."; what does not fit the page is left out (a palette line that is not shown is not said by its digit).

Everything it does is an ordinary intent passed to `send(event, payload)`, or, where the console shows
the answer, to `call(event, payload, done)` (done(ok, ack-or-error)); the server checks each one (a
participant's client never gets this far: the server refuses `claim` for participants). Every string
comes from the translation catalog (client/i18n.py).
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable

from direct.gui import DirectGuiGlobals as DGG
from direct.gui.DirectGui import DirectButton
from panda3d.core import NodePath, TextNode

from wire import controllers as wc
from wire import events
from wire import scenario as wsc

from .. import theme
from ..i18n import error_text, t
from .layout import Rect, coach_region
from .review import ASCENT, DESCENT, ReviewCard, cut_to
from .widgets import TextField, label, panel

EXPRESSION_CHARS = {"n": "neutral", "h": "happy", "s": "sad", "a": "angry", "u": "surprised", "f": "afraid"}
GESTURE_CHARS = {"w": "wave", "o": "nod", "x": "shake_head", "r": "shrug", "t": "thumbs_up"}
SUPERVISE_SECONDS = 10
ROWS = 9
TRANSCRIPT_ROWS = 24  # the most transcript rows a page shows (as many as fit)
ROW_CHARS = 84  # a palette line longer than this is shown cut (and said in full)
# Text heights in aspect2d units at text scale 1 (a line is ~1.16 of these; at 960x600, 300 px a unit):
# rows of text ~12.9 px a line at "medium", key hints and button captions ~11 px (tests/test_client_layout.py)
BODY = 0.037
SMALL = 0.032
TITLE = 0.042
PAD = 0.03  # between the console's edge and its rows
GAP = 0.25  # between two blocks of rows, in text heights
ROW_STEP = ASCENT + DESCENT  # one palette or transcript row, in text heights
TAB_ROW = 1.6  # a row of buttons, in caption heights
PAGES = ("lines", "transcript", "actions")  # the tabs below the participant's rows (Left/Right)
DEFAULT_RATIO = 1.6  # a console made without a region (tests): the left half of a 16:10 window
# Pacing intents: scenario_pause and scenario_repeat are added to the server by the pacing work; until they
# are there the console shows the server's own refusal.
SCENARIO_PAUSE = getattr(wsc, "SCENARIO_PAUSE", "scenario_pause")
SCENARIO_REPEAT = getattr(wsc, "SCENARIO_REPEAT", "scenario_repeat")
Done = Callable[[bool, dict], None]


def _one_row(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def still_driving(data: dict) -> str:
    """What a returning holder is told (the `claims` event): the cast roles they still drive."""
    return t("coach.still_driving", names=", ".join(str(c.get("name") or c.get("role")) for c in data["claims"]))


class _Flow:
    """Places labels in rows, down from `y` (or up from it, `up`), at their own text height."""

    def __init__(self, x: float, y: float, bottom: float):
        self.x, self.y, self.bottom = x, y, bottom
        self.top_of_page = y

    def text(self, lab, scale: float, width: float, cut: bool = False, gap: float = GAP) -> None:
        """`lab` below the last row: wrapped to `width`, or one row already cut to it (`cut`)."""
        lab.setScale(scale)
        lab.setWordwrap(0 if cut else width / scale)
        if not lab.getText().strip():
            lab.hide()
            return
        rows = max(1, lab.textNode.getNumRows())
        line = lab.textNode.getLineHeight() * scale
        baseline = self.y - ASCENT * scale
        lab.setPos(self.x, baseline)
        low = baseline - DESCENT * scale - (rows - 1) * line
        if low < self.bottom:
            lab.hide()  # past the bottom of the region: left out rather than drawn over what is below
            return
        lab.show()
        self.y = low - gap * scale

    def up(self, lab, scale: float, width: float) -> None:
        """`lab` above the last row placed from the bottom up."""
        lab.setScale(scale)
        lab.setWordwrap(width / scale)
        if not lab.getText().strip():
            lab.hide()
            return
        rows = max(1, lab.textNode.getNumRows())
        line = lab.textNode.getLineHeight() * scale
        first = self.y + DESCENT * scale + (rows - 1) * line
        lab.setPos(self.x, first)
        lab.show()
        self.y = first + ASCENT * scale + GAP * scale


def _caption_width(button: DirectButton, scale: float) -> float:
    return float(button.component("text0").textNode.getWidth()) * scale


def _width(lab, scale: float) -> float:
    return float(lab.textNode.getWidth()) * scale if lab.getText() else 0.0


def fit_row(lab, text: str, width: float, scale: float, keep_end: bool = False) -> None:
    """Set `text` on a one-row label at `scale`, cut with "..." where it is wider than `width`."""
    lab.setScale(scale)
    lab.setText(cut_to(lab.textNode, text, width / scale, keep_end))


class CoachConsole:
    def __init__(
        self,
        parent: NodePath,
        send: Callable[[str, dict], object],
        me: str = "",
        scale: float = 1.0,
        call: Callable[[str, dict, Done], object] | None = None,
        clock: Callable[[], float] = time.time,
        region: Rect | None = None,
    ):
        self.send = send
        self.call = call
        self.clock = clock
        self.me = me
        self.root = parent.attachNewNode("coach-console")
        # every row keeps the chosen text size; the rows are placed in the console's region by `_flow`
        self.text_scale = scale
        self.region = region or coach_region(DEFAULT_RATIO, scale)
        self.page = PAGES[0]
        self._placed = False  # by the app (`place`); until then in the default region
        self.bg = panel(self.root, (0, 1, 0, 1))
        self.title = label(self.root, t("coach.title"), (0, 0), 0.05, theme.colour("ui_accent"))
        self.countdown = label(self.root, "", (0, 0), 0.05, theme.colour("ui_warn"), align=TextNode.ARight)
        self.status = label(self.root, "", (0, 0), 0.05, theme.colour("ui_muted"))
        self.reply = label(self.root, "", (0, 0), 0.05, theme.colour("ui_accent"))
        # what the participant sees, and what they are typing: on every page
        self.sees = label(self.root, "", (0, 0), 0.05)
        self.draft_text = label(self.root, "", (0, 0), 0.05, theme.colour("ui_muted"))
        # the "lines" page
        self.palette_title = label(self.root, "", (0, 0), 0.05, theme.colour("ui_muted"))
        self.rows = [label(self.root, "", (0, 0), 0.05) for _ in range(ROWS)]
        self.proposal_text = label(self.root, "", (0, 0), 0.05, theme.colour("ui_warn"))
        self.words = self.root.attachNewNode("own-words")
        self.input = TextField(self.words, t("coach.own_words"), (0, 0), 1.0, 0.05, max_len=500)
        self._input_shape = (1.0, 0.05)
        self.keys = label(self.root, t("coach.keys.lines"), (0, 0), 0.05, theme.colour("ui_muted"))
        # the "transcript" page: its newest rows are the last labels
        self.transcript_title = label(self.root, "", (0, 0), 0.05, theme.colour("ui_muted"))
        self.transcript_rows = [label(self.root, "", (0, 0), 0.05) for _ in range(TRANSCRIPT_ROWS)]
        # the "actions" page: the buttons, then every key
        self.help = label(self.root, t("coach.help"), (0, 0), 0.05, theme.colour("ui_muted"))
        self.shown_rows = ROWS  # palette rows that fit on the lines page (the keys 1-9 say only those)
        self.transcript_fit = TRANSCRIPT_ROWS
        self.state: dict | None = None
        self.controllers: dict[str, dict] = {}  # role -> controller event
        self.roles: list[str] = []
        self.selected: str | None = None
        self.proposal: dict | None = None
        self.supervising: set[str] = set()
        self.typing = False
        self.review = ReviewCard(self.root, send, scale)
        self.draft = ""  # what the participant has typed so far (scenario_typing)
        self.transcript: list[tuple[str, str]] = []  # (name, text), oldest first
        self.scroll = 0  # transcript rows scrolled back from the newest
        self.deadline: float | None = None  # the current cue's deadline (epoch seconds)
        self.cue_id: str | None = None
        self.run: int | None = None
        self.paused = False  # the last pause/resume the server acknowledged
        self.buttons: dict[str, DirectButton] = {}
        self._caption_scale = SMALL * scale
        self.review.changed = self._flow
        self._make_buttons()
        self.draw()

    # --- buttons: every key also by mouse ------------------------------------------------------------
    def _make_buttons(self) -> None:
        actions: list[tuple[str, str, Callable[[], object]]] = [
            ("pause", t("coach.button.pause"), lambda: self.on_char("p")),
            ("advance", t("coach.button.advance"), lambda: self.on_char("m")),
            ("repeat", t("coach.button.repeat"), lambda: self.on_char("b")),
            ("positive", t("coach.button.positive"), lambda: self.on_key("f5")),
            ("corrective", t("coach.button.corrective"), lambda: self.on_key("f6")),
            ("claim", t("coach.button.claim"), lambda: self.on_char("c")),
            ("role", t("coach.button.role"), lambda: self.on_key("tab")),
            ("approve", t("coach.button.approve"), lambda: self.on_key("f7")),
            ("reject", t("coach.button.reject"), lambda: self.on_key("f8")),
        ]
        actions += [
            (f"face_{name}", t(f"coach.button.face.{name}", letter=ch.upper()), lambda ch=ch: self.on_char(ch))
            for ch, name in EXPRESSION_CHARS.items()
        ]
        actions += [
            (f"gesture_{name}", t(f"coach.button.gesture.{name}", letter=ch.upper()), lambda ch=ch: self.on_char(ch))
            for ch, name in GESTURE_CHARS.items()
        ]
        actions.append(("supervise", t("coach.button.supervise"), lambda: self.on_char("v")))
        self.action_names = [name for name, _, _ in actions]
        scroll: list[tuple[str, str, Callable[[], object]]] = [
            ("earlier", t("coach.button.earlier"), lambda: self.on_key("page_up")),
            ("later", t("coach.button.later"), lambda: self.on_key("page_down")),
        ]
        pages = [(f"page_{p}", t(f"coach.page.{p}"), lambda p=p: self.show_page(p)) for p in PAGES]
        for name, text, fn in actions + scroll + pages:
            self.buttons[name] = DirectButton(
                parent=self.root,
                text=text,
                text_scale=0.05,
                text_fg=theme.colour("ui_text"),
                frameColor=theme.colour("ui_notice"),
                frameSize=(-0.1, 0.1, -0.02, 0.05),
                relief=DGG.FLAT,
                command=fn,
            )
        # a click on a palette line says it, as its digit does; a click on the field starts typing
        for i in range(ROWS):
            self.buttons[f"row{i + 1}"] = DirectButton(
                parent=self.root,
                frameColor=(0, 0, 0, 0),
                frameSize=(0, 1, 0, 0.05),
                relief=DGG.FLAT,
                command=lambda n=i + 1: self.on_char(str(n)),
            )
        self.buttons["words"] = DirectButton(
            parent=self.words,
            frameColor=(0, 0, 0, 0),
            frameSize=(0, 1, 0, 0.05),
            relief=DGG.FLAT,
            command=lambda: None if self.typing else self.on_key("enter"),
        )

    # --- where everything goes ------------------------------------------------------------------------------
    def place(self, region: Rect, text_scale: float) -> None:
        """Lay the console out in `region` (aspect2d units) at this text size (client/ui/layout.py); nothing
        to do when both are as they were (the app asks every frame)."""
        if (region, text_scale) == (self.region, self.text_scale) and self._placed:
            return
        self.region, self.text_scale, self._placed = region, text_scale, True
        self.draw()

    def show_page(self, page: str) -> None:
        self.page = page
        self._flow()

    def _flow(self) -> None:
        """Rows from the top of the region down, each at the chosen text size; what does not fit is on a page
        of its own (the tabs, Left/Right) or, last, left out (a palette line past the bottom is not shown and
        its digit says nothing)."""
        r, k = self.region, self.text_scale
        body, small = BODY * k, SMALL * k
        x, width = r.left + PAD, r.width - 2 * PAD
        bottom = r.bottom + PAD / 2
        self.bg["frameSize"] = (r.left, r.right, r.bottom, r.top)
        flow = _Flow(x, r.top - PAD / 2, bottom)
        flow.text(self.title, TITLE * k, width)
        self.countdown.setScale(small)
        self.countdown.setPos(r.right - PAD, self.title.getPos()[1])
        self.title.setWordwrap(0)
        fit_row(self.title, t("coach.title"), width - _width(self.countdown, small) - PAD, TITLE * k)
        flow.text(self.status, body, width, cut=True)
        flow.text(self.reply, body, width)
        after_reply = flow.y
        flow.text(self.sees, body, width)
        flow.text(self.draft_text, body, width)
        tabs_top = flow.y
        tab_h = small * TAB_ROW
        tab_w = width / len(PAGES)
        for i, p in enumerate(PAGES):
            b = self.buttons[f"page_{p}"]
            b.setPos(x + tab_w * (i + 0.5), 0, tabs_top - small * 1.05)
            b["frameSize"] = (-tab_w / 2 + 0.01, tab_w / 2 - 0.01, -small * 0.45, small * 1.0)
            b["frameColor"] = theme.colour("ui_accent", 0.55) if p == self.page else theme.colour("ui_notice")
            self._fit_caption(f"page_{p}", small)
            b.show()
        flow.y = tabs_top - tab_h - small * GAP
        self._flow_lines(flow, x, width, body, small, self.page == "lines")
        self._flow_transcript(flow, x, width, body, small, self.page == "transcript")
        self._flow_actions(flow, x, width, body, small, self.page == "actions")
        if self.review.review and not self.review.decided:
            # the card takes the page's place; where it needs more, also the participant's rows (it shows
            # their words itself)
            need = self.review.place(x, flow.top_of_page, width, k, measure=True)
            top = flow.top_of_page if flow.top_of_page - need >= bottom else after_reply
            self.review.place(x, top, width, k)
            for item in self._page_items():
                item.hide()
            if top == after_reply:
                for item in (self.sees, self.draft_text, *(self.buttons[f"page_{p}"] for p in PAGES)):
                    item.hide()
        else:
            self.review.place(x, flow.top_of_page, width, k)  # hidden, but inside the console

    def _page_items(self) -> list:
        return [
            self.palette_title,
            *self.rows,
            self.proposal_text,
            self.words,
            self.keys,
            self.transcript_title,
            *self.transcript_rows,
            self.help,
            *(self.buttons[n] for n in [*self.action_names, "earlier", "later"]),
            *(self.buttons[f"row{i + 1}"] for i in range(ROWS)),
        ]

    def _flow_lines(self, flow: _Flow, x: float, width: float, body: float, small: float, shown: bool) -> None:
        top = flow.y
        page = _Flow(x, top, flow.bottom)
        # from the bottom up: the keys, the field for your own words, an open proposal
        below = _Flow(x, flow.bottom, flow.bottom)
        below.up(self.keys, small, width)
        if (width, body) != self._input_shape:
            value, focused = self.input.value, self.input.focused
            for part in (self.input.caption, self.input.box, self.input.text):
                part.destroy()
            self.input = TextField(self.words, t("coach.own_words"), (0, 0), width - 0.02, body, max_len=500)
            self.input.set(value)
            self.input.focus(focused)
            self._input_shape = (width, body)
            self.buttons["words"].reparentTo(self.words)
        field_low = below.y + body * 0.6
        self.words.setPos(x + 0.02, 0, field_low)
        self.buttons["words"]["frameSize"] = (-0.02, width - 0.02, -body * 0.5, body)
        below.y = field_low + body * 2.4
        below.up(self.proposal_text, body, width)
        page.text(self.palette_title, body, width, cut=True)
        fit = 0
        for i, row in enumerate(self.rows):
            button = self.buttons[f"row{i + 1}"]
            button["frameSize"] = (0, width, -body * 0.25, body * 0.95)
            if page.y - body * ROW_STEP < below.y:
                row.hide()
                button.hide()
                button.setPos(x, 0, page.y - body)  # hidden, but inside the console
                continue
            page.text(row, body, width, cut=True, gap=0.0)
            button.setPos(x, 0, row.getPos()[1])
            fit += 1
        self.shown_rows = fit
        flow.top_of_page = top
        for item in (self.palette_title, self.proposal_text, self.keys, self.words):
            if not shown:
                item.hide()
        if shown:
            self.words.show()
        for i in range(ROWS):
            if not shown:
                self.rows[i].hide()
                self.buttons[f"row{i + 1}"].hide()
            elif i < fit:
                self.buttons[f"row{i + 1}"].show()

    def _flow_transcript(self, flow: _Flow, x: float, width: float, body: float, small: float, shown: bool) -> None:
        page = _Flow(x, flow.y, flow.bottom)
        page.text(self.transcript_title, body, width, cut=True)
        # the scroll buttons at the bottom, the rows between
        button_h = small * TAB_ROW
        half = width / 2
        for i, name in enumerate(("earlier", "later")):
            b = self.buttons[name]
            b.setPos(x + half * (i + 0.5), 0, flow.bottom + small * 0.45)
            b["frameSize"] = (-half / 2 + 0.01, half / 2 - 0.01, -small * 0.45, small * 1.0)
            self._fit_caption(name, small)
            b.show() if shown else b.hide()
        room = page.y - (flow.bottom + button_h + small * GAP)
        self.transcript_fit = max(1, min(TRANSCRIPT_ROWS, int(room / (body * ROW_STEP))))
        self._draw_transcript()
        for i, row in enumerate(self.transcript_rows):
            if i < TRANSCRIPT_ROWS - self.transcript_fit:
                row.hide()
                continue
            page.text(row, body, width, cut=True, gap=0.0)
        if not shown:
            self.transcript_title.hide()
            for row in self.transcript_rows:
                row.hide()

    def _flow_actions(self, flow: _Flow, x: float, width: float, body: float, small: float, shown: bool) -> None:
        """The buttons in rows, as many to a row as their captions allow (each row then fills the width)."""
        names = self.action_names
        step = small * TAB_ROW
        rows: list[list[tuple[str, float]]] = [[]]
        used = 0.0
        for name in names:
            want = _caption_width(self.buttons[name], small) + 0.06
            if rows[-1] and used + want > width:
                rows.append([])
                used = 0.0
            rows[-1].append((name, want))
            used += want
        for r, row in enumerate(rows):
            row_top = flow.y - r * step
            spare = (width - sum(w for _, w in row)) / len(row)
            left = x
            fits = row_top - step >= flow.bottom
            for name, want in row:
                b, w = self.buttons[name], want + spare
                b.setPos(left + w / 2, 0, row_top - small * 1.05)
                b["frameSize"] = (-w / 2 + 0.01, w / 2 - 0.01, -small * 0.45, small * 1.0)
                self._fit_caption(name, small)
                b.show() if shown and fits else b.hide()
                left += w
        page = _Flow(x, flow.y - len(rows) * step - small * GAP, flow.bottom)
        page.text(self.help, small, width)
        if not shown or page.y < flow.bottom:
            self.help.hide()

    def _fit_caption(self, name: str, scale: float | None = None) -> None:
        """A caption longer than its button (a longer language) is set smaller rather than spill past it."""
        button = self.buttons[name]
        scale = scale or self._caption_scale
        self._caption_scale = scale
        f = button["frameSize"]
        wide = button.component("text0").textNode.getWidth()
        room = f[1] - f[0] - 0.02
        button["text_scale"] = min(scale, room / wide) if wide > 0 else scale
        button["text_pos"] = (0, 0)

    def click(self, name: str) -> None:
        """What a mouse click on the named button does (tests, and the window's own clicks)."""
        button = self.buttons[name]
        button.commandFunc(None)

    # --- what the server tells us ---------------------------------------------------------------
    def on_event(self, event: str, data: dict) -> None:
        if event == wsc.SCENARIO_STATE and "cue" in data:
            self._state(data)
            self.review.show(data.get("review"))
        elif event == wc.CONTROLLER:
            self.controllers[data["role"]] = data
        elif event == wc.PROPOSAL:
            self.proposal = (
                data
                if data.get("status") == "open"
                else (None if self.proposal and self.proposal["proposal"] == data["proposal"] else self.proposal)
            )
        elif event == wsc.SCENARIO_ENDED:
            self.state, self.proposal, self.draft, self.deadline, self.cue_id = None, None, "", None, None
            self.review.show(None)
        elif event == wsc.SCENARIO_TYPING:
            if self.state is None or data.get("run") == self.state.get("run"):
                self.draft = str(data.get("text") or "")
        elif event == wc.CUE:
            if data.get("deadline") is not None:
                self.deadline, self.cue_id = float(data["deadline"]), data.get("id")
        elif event == events.SAID:
            self.heard(data)
        elif event == wc.CLAIMS:
            for c in data.get("claims") or []:
                self.controllers.setdefault(c["role"], c)
            if data.get("claims"):
                self.show_reply(still_driving(data))
        self.draw()

    def _state(self, data: dict) -> None:
        before = self.state or {}
        self.state = data
        self.roles = list(data["cue"]["roles"])
        if self.selected not in self.roles:
            self.selected = self.roles[0] if self.roles else None
        if (before.get("node"), before.get("wait"), before.get("phase")) != (
            data.get("node"),
            data.get("wait"),
            data.get("phase"),
        ):
            self.draft = ""  # a new question: what was being typed answered the last one
        line = data.get("line") or {}
        if line.get("deadline") is not None:
            self.deadline, self.cue_id = float(line["deadline"]), line.get("suggestion")
        # a crisis pause or a staff hold (scenario_pause): either way 'p' resumes
        self.paused = bool(data.get("paused")) or data.get("wait") == "paused" or bool(data.get("held"))
        if data.get("run") != self.run:
            self.run = data.get("run")
            self.transcript, self.scroll = [], 0
            self.load_transcript()

    def resync(self) -> None:
        """The room was sent afresh: the next state reads the transcript back from the server again."""
        self.run = None

    def heard(self, line: dict) -> None:
        """A line said in the room: the run's own go into the transcript; the current cue's line ends its countdown."""
        if self.state is None:
            return
        if line.get("avatar") not in set((self.state.get("avatars") or {}).values()):
            return
        self.transcript.append((str(line.get("name") or ""), str(line.get("text") or "")))
        if line.get("suggestion") is not None and line.get("suggestion") == self.cue_id:
            self.deadline, self.cue_id = None, None

    def load_transcript(self) -> None:
        """Ask for the run's lines said before the console came (off the server's loop, from the store)."""
        if self.call is None:
            return
        mark = len(self.transcript)

        def done(ok: bool, ack: dict) -> None:
            if not ok or ack.get("run") != self.run:
                return
            kept = [
                (str(x.get("name") or ""), t("coach.withheld") if x.get("withheld") else str(x.get("text") or ""))
                for x in ack.get("lines") or []
            ]
            # lines heard while the store was read: keep those the store had not got yet
            live = self.transcript[mark:]
            recent = kept[-len(live) :] if live else []
            self.transcript = kept + [x for x in live if x not in recent]
            self.draw()

        self.call(wsc.SCENARIO_TRANSCRIPT, {}, done)

    def palette(self) -> list[dict]:
        if not self.state or not self.selected:
            return []
        cues = list(self.state["cue"]["roles"].get(self.selected, []))
        return sorted(cues, key=lambda c: not c.get("primary"))[: min(ROWS, self.shown_rows)]

    def avatar(self) -> int | None:
        if self.state and self.selected:
            aid = (self.state.get("avatars") or {}).get(self.selected)
            if aid is not None:
                return aid
        return (self.controllers.get(self.selected) or {}).get("avatar")

    def mine(self) -> bool:
        c = self.controllers.get(self.selected or "")
        return bool(c and c.get("driver") == wc.TELEOP and c.get("by") == self.me)

    # --- drawing -----------------------------------------------------------------------------------------
    def draw(self) -> None:
        k = self.text_scale
        body, width = BODY * k, self.region.width - 2 * PAD
        c = self.controllers.get(self.selected or "") or {}
        driver = c.get("driver")
        who = t(f"coach.driver.{driver}", by=c.get("by")) if driver in wc.DRIVERS else t("coach.driver.none")
        name = c.get("name") or self.selected or "-"
        fit_row(self.status, t("coach.status", name=name, who=who, roles=", ".join(self.roles) or "-"), width, body)
        self._draw_sees(width, body)
        fit_row(self.palette_title, t("coach.palette", name=name) if self.state else "", width, body)
        cues = self.state and self.selected and list(self.state["cue"]["roles"].get(self.selected, [])) or []
        cues = sorted(cues, key=lambda c: not c.get("primary"))
        for i, row in enumerate(self.rows):
            if i < len(cues):
                cue = cues[i]
                mark = "*" if cue.get("primary") else " "
                tag = f" [{cue['feedback']}]" if cue.get("feedback") else ""
                fit_row(row, _one_row(f"{i + 1}{mark} {cue['text']}{tag}", ROW_CHARS), width, body)
            else:
                row.setText("")
        self.tick()
        p = self.proposal
        self.proposal_text.setText(t("coach.proposal", seconds=p["seconds"], text=p["text"]) if p else "")
        claim = self.buttons.get("claim")
        if claim is not None:
            claim["text"] = t("coach.button.release" if self.mine() else "coach.button.claim")
            self.buttons["pause"]["text"] = t("coach.button.resume" if self.paused else "coach.button.pause")
        self._flow()  # the rows' heights follow their texts (a reply or a proposal of two rows)

    def _draw_sees(self, width: float, body: float) -> None:
        st = self.state
        if not st:
            self.sees.setText("")
            self.draft_text.setText("")
            return
        parts = [t("coach.sees")]
        if st.get("prompt"):
            parts.append(str(st["prompt"]))
        options = [str(o.get("text") or o.get("id")) for o in st.get("options") or []]
        if options:
            parts.append(t("coach.options", options=" | ".join(options)))
        hints = st.get("hints") or []
        if hints:
            hint = hints[0] if isinstance(hints[0], str) else (hints[0].get("text") or "")
            parts.append(t("coach.hint", hint=hint))
        # one row each, cut to the console's width: the whole text is on the participant's own panel
        self.sees.setScale(body)
        rows = [cut_to(self.sees.textNode, p, width / body) for p in parts]
        self.sees.setText("\n".join(rows) if len(parts) > 1 else t("coach.sees.nothing"))
        if not self.draft:
            fit_row(self.draft_text, t("coach.typing.none"), width, body)
            return
        # the end of what they type is what matters: cut at the start
        full = t("coach.typing", text=self.draft)
        if len(self.draft) > ROW_CHARS - 10:
            full = t("coach.typing", text="..." + self.draft[-(ROW_CHARS - 13) :])
        head = t("coach.typing", text="")
        self.draft_text.setScale(body)
        tail = cut_to(
            self.draft_text.textNode, full[len(head) :], width / body - self.draft_text.textNode.calcWidth(head), True
        )
        self.draft_text.setText(head + tail)

    def transcript_lines(self) -> list[str]:
        """The transcript as display rows (wrapped to the console's width), oldest first."""
        node = self.transcript_rows[-1].textNode
        room = (self.region.width - 2 * PAD) / (BODY * self.text_scale)
        # characters to a row from the transcript's own mean character width (each row is then cut to fit)
        whole = " ".join(f"{name}: {text}" for name, text in self.transcript[-50:])
        mean = node.calcWidth(whole) / len(whole) if whole else 0.5
        chars = max(20, int(room / mean) - 2)
        out: list[str] = []
        for name, text in self.transcript:
            out += textwrap.wrap(f"{name}: {text}", chars, subsequent_indent="  ") or [f"{name}:"]
        return out

    def _draw_transcript(self) -> None:
        rows = self.transcript_lines()
        n = self.transcript_fit
        width, body = self.region.width - 2 * PAD, BODY * self.text_scale
        if not rows:
            self.transcript_title.setText(t("coach.transcript.empty") if self.state else "")
            for r in self.transcript_rows:
                r.setText("")
            return
        self.scroll = max(0, min(self.scroll, len(rows) - n))
        end = len(rows) - self.scroll
        shown = rows[max(0, end - n) : end]
        first = max(0, end - n) + 1
        fit_row(self.transcript_title, t("coach.transcript", first=first, last=end, total=len(rows)), width, body)
        # the newest row is the last label: the rows above it stay empty
        pad = [""] * (TRANSCRIPT_ROWS - len(shown))
        for r, text in zip(self.transcript_rows, pad + shown, strict=True):
            fit_row(r, text, width, body)

    def tick(self) -> None:
        """The countdown for the current cue (called every frame while the console is open)."""
        if self.deadline is None or self.state is None:
            text = ""
        else:
            left = self.deadline - self.clock()
            text = t("coach.due", seconds=int(left + 0.999)) if left > 0 else t("coach.overdue")
        if text != self.countdown.getText():  # once a second, not every frame
            self.countdown.setText(text)

    def show_reply(self, text: str) -> None:
        self.reply.setText(text)
        self._flow()

    def destroy(self) -> None:
        self.review.destroy()
        for b in self.buttons.values():
            b.destroy()
        self.root.removeNode()

    # --- asking the server, and showing its answer ------------------------------------------------------
    def request(self, event: str, payload: dict, acked: str) -> None:
        """Send an intent whose answer the console shows: `acked` when the server did it, else its own words."""
        if self.call is None:
            self.send(event, payload)
            return
        self.show_reply(t("coach.sending"))

        def done(ok: bool, ack: dict) -> None:
            if ok:
                if event == SCENARIO_PAUSE:
                    self.paused = True
                elif event == wsc.SCENARIO_RESUME:
                    self.paused = False
            self.show_reply(
                acked
                if ok
                else t("coach.refused", message=error_text(str(ack.get("code") or ""), ack.get("message") or ""))
            )
            self.draw()

        self.call(event, payload, done)

    # --- keys ----------------------------------------------------------------------------------------------
    def on_key(self, key: str) -> bool:
        """Keys the app routes here while the console has the focus; True when handled."""
        if self.typing:
            if key == "enter":
                text = self.input.value.strip()
                self.typing = False
                self.input.focus(False)
                self.input.set("")
                if text:
                    self.say(text)
            elif key == "escape":
                self.typing = False
                self.input.focus(False)
                self.input.set("")
            elif key == "backspace":
                self.input.backspace()
            return True
        if key == "enter":
            self.typing = True
            self.input.focus(True)
        elif key == "tab" and self.roles:
            self.selected = self.roles[(self.roles.index(self.selected) + 1) % len(self.roles)]
            self.draw()
        elif key in ("f5", "f6"):
            kind = "positive" if key == "f5" else "corrective"
            self.request(wsc.SCENARIO_FEEDBACK, {"kind": kind}, t(f"coach.ack.feedback.{kind}"))
        elif key in ("f7", "f8") and self.proposal:
            event = wc.APPROVE if key == "f7" else wc.REJECT
            self.send(event, {"proposal": self.proposal["proposal"]})
            self.proposal = None
            self.draw()
        elif key in ("page_up", "page_down"):
            step = max(1, self.transcript_fit - 1)
            self.scroll += step if key == "page_up" else -step
            self._flow()
        elif key in ("arrow_left", "arrow_right"):
            i = PAGES.index(self.page) + (1 if key == "arrow_right" else -1)
            self.show_page(PAGES[i % len(PAGES)])
        elif key == "escape":
            return False  # the app closes the console
        elif len(key) == 1:
            self.on_char(key)
        else:
            return False
        return True

    def on_char(self, ch: str) -> None:
        if self.typing:
            self.input.type_char(ch)
            return
        if self.review.on_char(ch):
            return  # the card took it (and gave its place back to the page)
        if ch.isdigit() and ch != "0":
            cues = self.palette()
            n = int(ch) - 1
            if n < len(cues):
                cue = cues[n]
                self.say(cue["text"], cue["id"], cue.get("expression"), cue.get("gesture"))
        elif ch == "c" and self.selected:
            self.send(wc.RELEASE if self.mine() else wc.CLAIM, {"role": self.selected})
        elif ch == "p":
            if self.paused:
                self.request(wsc.SCENARIO_RESUME, {}, t("coach.ack.scenario_resume"))
            else:
                self.request(SCENARIO_PAUSE, {}, t("coach.ack.scenario_pause"))
        elif ch == "m":
            self.request(wsc.SCENARIO_ADVANCE, {}, t("coach.ack.scenario_advance"))
        elif ch == "b":
            self.request(SCENARIO_REPEAT, {}, t("coach.ack.scenario_repeat"))
        elif ch == "v" and self.avatar() is not None:
            on = self.selected not in self.supervising
            self.supervising.symmetric_difference_update({self.selected})
            self.send(wc.SUPERVISE, {"avatar": self.avatar(), "seconds": SUPERVISE_SECONDS if on else 0})
        elif ch in EXPRESSION_CHARS and self.avatar() is not None:
            self.send(events.EXPRESSION, {"name": EXPRESSION_CHARS[ch], "avatar": self.avatar()})
        elif ch in GESTURE_CHARS and self.avatar() is not None:
            self.send(events.GESTURE, {"name": GESTURE_CHARS[ch], "avatar": self.avatar()})

    def say(
        self, text: str, suggestion: str | None = None, expression: str | None = None, gesture: str | None = None
    ) -> None:
        aid = self.avatar()
        if aid is None:
            return
        if expression:
            self.send(events.EXPRESSION, {"name": expression, "avatar": aid})
        if gesture and gesture != "none":
            self.send(events.GESTURE, {"name": gesture, "avatar": aid})
        payload = {"text": text, "avatar": aid}
        if suggestion:
            payload["suggestion"] = suggestion
        self.send(events.SAY, payload)
