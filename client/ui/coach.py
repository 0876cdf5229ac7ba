"""The coach console: a peer specialist teleoperates a scenario's cast avatars from the keyboard.

It shows, for the selected cast role, the palette of suggested lines from the
staff `scenario_state` (the line the script wants now comes first, marked),
who drives each cast avatar (`controller`), and any open `proposal` of the
autonomous driver under supervision. Keys while the console has the focus:

  1-9       say palette line n as the selected avatar (sent with its cue id as `suggestion`)
  Enter     type your own words; Enter sends them as the avatar, Esc cancels
  Tab       next cast role          c   claim / release the selected role
  n h s a u f   expression: neutral happy sad angry surprised afraid
  w o x r t     gesture: wave nod shake-head shrug thumbs-up
  F5 / F6   tag positive / corrective feedback (scenario_feedback)
  F7 / F8   approve / reject the open proposal    v  supervise the selected avatar (10 s) or stop
  1-3 / U   while a typed answer waits for review: take it as that option / not scorable (review.py)
  Esc       close the console

Everything it does is an ordinary intent passed to `send(event, payload)`;
the server checks each one (a participant's client never gets this far: the
server refuses `claim` for participants).
"""

from __future__ import annotations

from collections.abc import Callable

from panda3d.core import NodePath

from wire import controllers as wc
from wire import events
from wire import scenario as wsc

from .. import theme
from .review import ReviewCard
from .widgets import TextField, label, panel

EXPRESSION_CHARS = {"n": "neutral", "h": "happy", "s": "sad", "a": "angry", "u": "surprised", "f": "afraid"}
GESTURE_CHARS = {"w": "wave", "o": "nod", "x": "shake_head", "r": "shrug", "t": "thumbs_up"}
SUPERVISE_SECONDS = 10
ROWS = 9


class CoachConsole:
    def __init__(self, parent: NodePath, send: Callable[[str, dict], object], me: str = "", scale: float = 1.0):
        self.send = send
        self.me = me
        self.root = parent.attachNewNode("coach-console")
        s = self.s = 0.05 * scale
        self.bg = panel(self.root, (-1.75, -0.05, -0.95, 0.95))
        self.title = label(self.root, "Coach console", (-1.7, 0.86), s * 1.1, theme.colour("ui_accent"))
        self.status = label(self.root, "", (-1.7, 0.78), s * 0.8, theme.colour("ui_muted"), wrap=34)
        self.rows = [label(self.root, "", (-1.7, 0.64 - i * s * 1.9), s * 0.85, wrap=32) for i in range(ROWS)]
        self.proposal_text = label(self.root, "", (-1.7, -0.66), s * 0.8, theme.colour("ui_warn"), wrap=34)
        self.input = TextField(self.root, "Your own words (Enter)", (-1.7, -0.82), 1.6, s * 0.85, max_len=500)
        self.help = label(
            self.root,
            "1-9 say  Enter own words  Tab role  c claim  F5/F6 feedback  F7/F8 proposal",
            (-1.7, -0.91),
            s * 0.6,
            theme.colour("ui_muted"),
        )
        self.state: dict | None = None
        self.controllers: dict[str, dict] = {}  # role -> controller event
        self.roles: list[str] = []
        self.selected: str | None = None
        self.proposal: dict | None = None
        self.supervising: set[str] = set()
        self.typing = False
        self.review = ReviewCard(self.root, send, scale)
        self.draw()

    # --- what the server tells us ---------------------------------------------------------------
    def on_event(self, event: str, data: dict) -> None:
        if event == wsc.SCENARIO_STATE and "cue" in data:
            self.state = data
            self.roles = list(data["cue"]["roles"])
            if self.selected not in self.roles:
                self.selected = self.roles[0] if self.roles else None
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
            self.state, self.proposal = None, None
            self.review.show(None)
        self.draw()

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
        who = {
            "autonomous": "autonomous driver",
            "teleop": f"driven by {c.get('by')}",
            "agent": f"agent {c.get('by')}",
            "paused": "paused",
        }.get(c.get("driver"), "not in a scenario")
        name = c.get("name") or self.selected or "-"
        self.status.setText(f"{name} ({who})   roles: {', '.join(self.roles) or '-'}")
        cues = self.palette()
        for i, row in enumerate(self.rows):
            if i < len(cues):
                cue = cues[i]
                mark = "*" if cue.get("primary") else " "
                tag = f" [{cue['feedback']}]" if cue.get("feedback") else ""
                row.setText(f"{i + 1}{mark} {cue['text']}{tag}")
            else:
                row.setText("")
        p = self.proposal
        self.proposal_text.setText(f"Proposed ({p['seconds']} s): {p['text']}   F7 approve  F8 reject" if p else "")

    def destroy(self) -> None:
        self.review.destroy()
        self.root.removeNode()

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
        elif key == "f5":
            self.send(wsc.SCENARIO_FEEDBACK, {"kind": "positive"})
        elif key == "f6":
            self.send(wsc.SCENARIO_FEEDBACK, {"kind": "corrective"})
        elif key in ("f7", "f8") and self.proposal:
            event = wc.APPROVE if key == "f7" else wc.REJECT
            self.send(event, {"proposal": self.proposal["proposal"]})
            self.proposal = None
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
