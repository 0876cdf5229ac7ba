"""The review card of the coach console: a typed answer the matcher was unsure of waits for a person.

The staff `scenario_state` carries `review: {text, candidates: [{id, text, confidence}], signals}` while the
run waits in 'review' (docs/scenarios.md, "Confidence and review"). The card shows the participant's words,
what the server noticed in them, and the nearest options with the matcher's confidence. One key decides:

  1-3   take the answer as that option          U   unscorable (not scored; the partner asks again)

Each choice is also a button (mouse). A decision is `scenario_review {option}`; the card goes away when the
next state comes without `review`. While the card is up, its keys come before the console's own (1-3 say
palette lines and U shows surprise otherwise). The console places it (`place`) where its page would be, at
the console's text size; an option too long for the card is cut, its confidence kept.
"""

from __future__ import annotations

from collections.abc import Callable

from direct.gui.DirectGui import DirectButton
from panda3d.core import NodePath, TextNode

from wire import scenario as wsc

from .. import fonts, theme
from ..i18n import t
from .widgets import label, panel

MAX_CANDIDATES = 3
# a row of text, in text heights: above the baseline (capitals and accents), below it (descenders)
ASCENT = 0.95
DESCENT = 0.25
# text heights at text scale 1, as the coach console's (client/ui/coach.py BODY, SMALL)
BODY = 0.037
SMALL = 0.032


def cut_to(node: TextNode, text: str, room: float, keep_end: bool = False) -> str:
    """`text`, or as much of it as fits in `room` (text units of `node`) with "..." for the rest: the start
    kept, or the end (`keep_end`)."""
    fonts.apply(node, text)
    if room <= 0 or node.calcWidth(text) <= room:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest cut that fits
        n = (lo + hi + 1) // 2
        cut = "..." + text[-n:].lstrip() if keep_end else text[:n].rstrip() + "..."
        if node.calcWidth(cut) <= room:
            lo = n
        else:
            hi = n - 1
    return ("..." + text[-lo:].lstrip() if keep_end else text[:lo].rstrip() + "...") if lo else "..."


class ReviewCard:
    def __init__(self, parent: NodePath, send: Callable[[str, dict], object], scale: float = 1.0):
        self.send = send
        self.review: dict | None = None
        self.decided = False  # sent, waiting for the next state
        self.changed: Callable[[], object] | None = None  # the console lays itself out again when it goes
        self.root = parent.attachNewNode("review-card")
        self.bg = panel(self.root, (0, 1, -1, 0), theme.colour("ui_panel"))
        self.title = label(self.root, t("review.title"), (0, 0), 0.05, theme.colour("ui_accent"))
        self.text = label(self.root, "", (0, 0), 0.05)
        self.signals = label(self.root, "", (0, 0), 0.05, theme.colour("ui_warn"))
        self.buttons = [self._button() for _ in range(MAX_CANDIDATES + 1)]
        self.keys = label(self.root, t("review.keys"), (0, 0), 0.05, theme.colour("ui_muted"))
        self.width, self.scale = 1.5, scale
        self.show(None)

    def _button(self) -> DirectButton:
        return DirectButton(
            parent=self.root,
            text="",
            text_align=TextNode.ALeft,
            text_scale=0.05,
            text_fg=theme.colour("ui_text"),
            frameColor=theme.colour("ui_panel"),
            frameSize=(-0.02, 1.0, -0.02, 0.05),
            relief=1,
            command=self._clicked,
            extraArgs=[],
        )

    def place(self, x: float, top: float, width: float, text_scale: float, measure: bool = False) -> float:
        """Lay the card out from `top` down at `x`, `width` wide, at this text size; its height. With
        `measure`, only the height."""
        self.width, self.scale = width, text_scale
        body, small, pad = BODY * text_scale, SMALL * text_scale, 0.03
        inner = width - 2 * pad
        y = top - pad
        for lab, scale, wrap in ((self.title, body, True), (self.text, body, True), (self.signals, small, True)):
            lab.setScale(scale)
            lab.setWordwrap(inner / scale if wrap else 0)
            rows = max(1, lab.textNode.getNumRows()) if lab.getText() else 0
            if not measure:
                lab.setPos(x + pad, y - ASCENT * scale)
            y -= (ASCENT + DESCENT + 0.3) * scale + (rows - 1) * lab.textNode.getLineHeight() * scale
        y -= body * 0.2  # air between what was noticed and the first option's frame
        step = body * (ASCENT + DESCENT + 0.6)
        for button in self.buttons:
            if not measure:  # a hidden one too: inside the card
                button.setPos(x + pad + 0.02, 0, y - ASCENT * body)
                button["frameSize"] = (-0.02, inner - 0.02, -body * (DESCENT + 0.1), body * (ASCENT + 0.1))
                button["text_scale"] = body
                self._caption(button)
            if not button.isHidden():
                y -= step
        if not measure:
            self.keys.setScale(small)
            self.keys.setWordwrap(inner / small)
            self.keys.setPos(x + pad, y - ASCENT * small)
        rows = max(1, self.keys.textNode.getNumRows())
        y -= (ASCENT + DESCENT) * small + (rows - 1) * self.keys.textNode.getLineHeight() * small + pad
        if not measure:
            self.bg["frameSize"] = (x, x + width, y, top)
        return top - y

    def _caption(self, button: DirectButton) -> None:
        """A candidate cut to the card's width, its confidence kept."""
        option = button["extraArgs"][0] if button["extraArgs"] else None
        c = next((c for c in self.candidates if c["id"] == option), None)
        if c is None:
            return
        n = self.candidates.index(c) + 1
        node = button.component("text0").textNode
        room = (self.width - 0.12) / (BODY * self.scale)
        whole = t("review.candidate", n=n, text=c["text"], confidence=c["confidence"])
        fonts.apply(node, whole)
        spare = room - node.calcWidth(t("review.candidate", n=n, text="", confidence=c["confidence"]))
        button["text"] = t("review.candidate", n=n, text=cut_to(node, c["text"], spare), confidence=c["confidence"])

    # --- what the server tells us ---------------------------------------------------------------------
    def show(self, review: dict | None) -> None:
        """The staff view's `review` (None: nothing waits)."""
        self.review, self.decided = review, False
        if not review:
            self.root.hide()
            return
        self.root.show()
        self.text.setText(f"\u201c{review['text']}\u201d")
        signals = [t(f"review.{s}") for s in review.get("signals") or []]
        self.signals.setText(t("review.signals", signals=", ".join(signals)) if signals else t("review.none_noticed"))
        candidates = self.candidates
        for i, button in enumerate(self.buttons):
            if i < len(candidates):
                c = candidates[i]
                button["text"] = t("review.candidate", n=i + 1, text=c["text"], confidence=c["confidence"])
                button["extraArgs"] = [c["id"]]
                button.show()
            elif i == len(candidates):
                button["text"] = t("review.unscorable")
                button["extraArgs"] = [wsc.UNSCORABLE]
                button.show()
            else:
                button.hide()

    @property
    def candidates(self) -> list[dict]:
        return list((self.review or {}).get("candidates") or [])[:MAX_CANDIDATES]

    @property
    def open(self) -> bool:
        return bool(self.review) and not self.decided

    # --- decisions -------------------------------------------------------------------------------------
    def on_char(self, ch: str) -> bool:
        """A key while the console has the focus; True when the card took it."""
        if not self.open:
            return False
        if ch.isdigit() and 1 <= int(ch) <= len(self.candidates):
            self.decide(self.candidates[int(ch) - 1]["id"])
            return True
        if ch in ("u", "U"):
            self.decide(wsc.UNSCORABLE)
            return True
        return False

    def _clicked(self, option: str | None = None) -> None:
        if option is not None and self.open:
            self.decide(option)

    def decide(self, option: str) -> None:
        self.decided = True
        self.send(wsc.SCENARIO_REVIEW, {"option": option})
        self.root.hide()
        if self.changed is not None:
            self.changed()

    def destroy(self) -> None:
        for button in self.buttons:
            button.destroy()
        self.root.removeNode()
