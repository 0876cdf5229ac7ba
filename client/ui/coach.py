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
  Esc       close the console

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
from .review import ReviewCard
from .widgets import TextField, label, panel

EXPRESSION_CHARS = {"n": "neutral", "h": "happy", "s": "sad", "a": "angry", "u": "surprised", "f": "afraid"}
GESTURE_CHARS = {"w": "wave", "o": "nod", "x": "shake_head", "r": "shrug", "t": "thumbs_up"}
SUPERVISE_SECONDS = 10
ROWS = 9
TRANSCRIPT_ROWS = 5
TRANSCRIPT_WIDTH = 64  # characters per transcript row (at the transcript's text size)
ROW_CHARS = 84  # a palette line longer than this is shown cut (and said in full)
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


class CoachConsole:
    def __init__(
        self,
        parent: NodePath,
        send: Callable[[str, dict], object],
        me: str = "",
        scale: float = 1.0,
        call: Callable[[str, dict, Done], object] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.send = send
        self.call = call
        self.clock = clock
        self.me = me
        self.root = parent.attachNewNode("coach-console")
        # the console's rows sit at fixed places in its box (layout.COACH_BOX), which is then scaled to its
        # region as a whole: larger text than medium would run rows into each other and off the box
        scale = min(scale, 1.0)
        s = self.s = 0.05 * scale
        self.bg = panel(self.root, (-1.75, -0.05, -0.95, 0.95))
        self.title = label(self.root, t("coach.title"), (-1.7, 0.86), s * 1.1, theme.colour("ui_accent"))
        self.countdown = label(self.root, "", (-0.1, 0.86), s * 0.8, theme.colour("ui_warn"), align=TextNode.ARight)
        self.status = label(self.root, "", (-1.7, 0.79), s * 0.8, theme.colour("ui_muted"), wrap=34)
        self.reply = label(self.root, "", (-1.7, 0.73), s * 0.7, theme.colour("ui_accent"), wrap=40)
        # what the participant sees, and what they are typing
        self.sees = label(self.root, "", (-1.7, 0.66), s * 0.7)
        self.draft_text = label(self.root, "", (-1.7, 0.48), s * 0.7, theme.colour("ui_muted"))
        self.palette_title = label(self.root, "", (-1.7, 0.41), s * 0.7, theme.colour("ui_muted"))
        step = s * 1.2
        self.rows = [label(self.root, "", (-1.7, 0.35 - i * step), s * 0.7) for i in range(ROWS)]
        top = 0.35 - ROWS * step
        self.transcript_title = label(self.root, "", (-1.7, top), s * 0.7, theme.colour("ui_muted"))
        self.transcript_rows = [
            label(self.root, "", (-1.7, top - (i + 1) * s * 0.9), s * 0.6) for i in range(TRANSCRIPT_ROWS)
        ]
        self.proposal_text = label(self.root, "", (-1.7, -0.735), s * 0.7, theme.colour("ui_warn"), wrap=40)
        self.input = TextField(self.root, t("coach.own_words"), (-1.7, -0.855), 1.6, s * 0.7, max_len=500)
        self.help = label(self.root, t("coach.help"), (-1.7, -0.91), s * 0.5, theme.colour("ui_muted"), wrap=64)
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
        self._make_buttons()
        self.draw()

    # --- buttons: every key also by mouse ------------------------------------------------------------
    def _make_buttons(self) -> None:
        s = self.s
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
            ("earlier", t("coach.button.earlier"), lambda: self.on_key("page_up")),
            ("later", t("coach.button.later"), lambda: self.on_key("page_down")),
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
        per_row = 6
        width = 1.66 / per_row
        for i, (name, text, fn) in enumerate(actions):
            x = -1.72 + (i % per_row) * width + width / 2
            y = -0.48 - (i // per_row) * s * 1.2
            self.buttons[name] = DirectButton(
                parent=self.root,
                text=text,
                text_scale=s * 0.6,
                text_fg=theme.colour("ui_text"),
                frameColor=theme.colour("ui_notice"),
                frameSize=(-width / 2 + 0.01, width / 2 - 0.01, -s * 0.4, s * 0.75),
                pos=(x, 0, y),
                relief=DGG.FLAT,
                command=fn,
            )
            self._fit_caption(name)
        # a click on a palette line says it, as its digit does; a click on the field starts typing
        for i, row in enumerate(self.rows):
            x, y = row.getPos()[:2]
            self.buttons[f"row{i + 1}"] = DirectButton(
                parent=self.root,
                frameColor=(0, 0, 0, 0),
                frameSize=(0, 1.62, -self.s * 0.45, self.s * 0.75),
                pos=(x, 0, y),
                relief=DGG.FLAT,
                command=lambda n=i + 1: self.on_char(str(n)),
            )
        self.buttons["words"] = DirectButton(
            parent=self.root,
            frameColor=(0, 0, 0, 0),
            frameSize=(-0.02, 1.6, -0.03 * self.s * 0.7 / 0.06, 0.06 * self.s * 0.7 / 0.06),
            pos=(-1.7, 0, -0.855),
            relief=DGG.FLAT,
            command=lambda: None if self.typing else self.on_key("enter"),
        )

    def _fit_caption(self, name: str) -> None:
        """A caption longer than its button (a longer language) is set smaller rather than spill past it."""
        button = self.buttons[name]
        f = button["frameSize"]
        wide = button.component("text0").textNode.getWidth()
        room = f[1] - f[0] - 0.02
        button["text_scale"] = min(self.s * 0.6, room / wide) if wide > 0 else self.s * 0.6

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
        return sorted(cues, key=lambda c: not c.get("primary"))[:ROWS]

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
        c = self.controllers.get(self.selected or "") or {}
        driver = c.get("driver")
        who = t(f"coach.driver.{driver}", by=c.get("by")) if driver in wc.DRIVERS else t("coach.driver.none")
        name = c.get("name") or self.selected or "-"
        self.status.setText(t("coach.status", name=name, who=who, roles=", ".join(self.roles) or "-"))
        self._draw_sees()
        self.palette_title.setText(t("coach.palette", name=name) if self.state else "")
        cues = self.palette()
        for i, row in enumerate(self.rows):
            if i < len(cues):
                cue = cues[i]
                mark = "*" if cue.get("primary") else " "
                tag = f" [{cue['feedback']}]" if cue.get("feedback") else ""
                row.setText(_one_row(f"{i + 1}{mark} {cue['text']}{tag}", ROW_CHARS))
            else:
                row.setText("")
        self._draw_transcript()
        self.tick()
        p = self.proposal
        self.proposal_text.setText(t("coach.proposal", seconds=p["seconds"], text=p["text"]) if p else "")
        claim = self.buttons.get("claim")
        if claim is not None:
            claim["text"] = t("coach.button.release" if self.mine() else "coach.button.claim")
            self.buttons["pause"]["text"] = t("coach.button.resume" if self.paused else "coach.button.pause")
            self._fit_caption("claim")
            self._fit_caption("pause")

    def _draw_sees(self) -> None:
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
        # one row each (the panel's rows are fixed): the whole text is on the participant's own panel
        self.sees.setText(
            "\n".join(_one_row(p, ROW_CHARS) for p in parts) if len(parts) > 1 else t("coach.sees.nothing")
        )
        shown = self.draft if len(self.draft) <= ROW_CHARS - 10 else "..." + self.draft[-(ROW_CHARS - 13) :]
        self.draft_text.setText(t("coach.typing", text=shown) if self.draft else t("coach.typing.none"))

    def transcript_lines(self) -> list[str]:
        """The transcript as display rows (wrapped), oldest first."""
        out: list[str] = []
        for name, text in self.transcript:
            out += textwrap.wrap(f"{name}: {text}", TRANSCRIPT_WIDTH, subsequent_indent="  ") or [f"{name}:"]
        return out

    def _draw_transcript(self) -> None:
        rows = self.transcript_lines()
        if not rows:
            self.transcript_title.setText(t("coach.transcript.empty") if self.state else "")
            for r in self.transcript_rows:
                r.setText("")
            return
        self.scroll = max(0, min(self.scroll, len(rows) - TRANSCRIPT_ROWS))
        end = len(rows) - self.scroll
        shown = rows[max(0, end - TRANSCRIPT_ROWS) : end]
        first = max(0, end - TRANSCRIPT_ROWS) + 1
        self.transcript_title.setText(t("coach.transcript", first=first, last=end, total=len(rows)))
        for i, r in enumerate(self.transcript_rows):
            r.setText(shown[i] if i < len(shown) else "")

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
            self.scroll += TRANSCRIPT_ROWS - 1 if key == "page_up" else -(TRANSCRIPT_ROWS - 1)
            self.draw()
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
            return
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
