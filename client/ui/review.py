"""The review card of the coach console: a typed answer the matcher was unsure of waits for a person.

The staff `scenario_state` carries `review: {text, candidates: [{id, text, confidence}], signals}` while the
run waits in 'review' (docs/scenarios.md, "Confidence and review"). The card shows the participant's words,
what the server noticed in them, and the nearest options with the matcher's confidence. One key decides:

  1-3   take the answer as that option          U   unscorable (not scored; the partner asks again)

Each choice is also a button (mouse). A decision is `scenario_review {option}`; the card goes away when the
next state comes without `review`. While the card is up, its keys come before the console's own (1-3 say
palette lines and U shows surprise otherwise).
"""

from __future__ import annotations

from collections.abc import Callable

from direct.gui.DirectGui import DirectButton
from panda3d.core import NodePath, TextNode

from wire import scenario as wsc

from .. import theme
from ..i18n import t
from .widgets import label, panel

MAX_CANDIDATES = 3


class ReviewCard:
    def __init__(self, parent: NodePath, send: Callable[[str, dict], object], scale: float = 1.0):
        self.send = send
        self.review: dict | None = None
        self.decided = False  # sent, waiting for the next state
        s = self.s = 0.05 * scale
        self.root = parent.attachNewNode("review-card")
        self.root.setZ(0.19)  # over the palette, ending just above the console's buttons (y -0.44)
        self.bg = panel(self.root, (-1.72, -0.08, -0.62, 0.08), theme.colour("ui_panel"))
        self.title = label(self.root, t("review.title"), (-1.68, 0.0), s * 0.8, theme.colour("ui_accent"))
        self.text = label(self.root, "", (-1.68, -0.08), s * 0.8, wrap=32)
        self.signals = label(self.root, "", (-1.68, -0.2), s * 0.65, theme.colour("ui_warn"), wrap=40)
        self.buttons = [self._button(-0.3 - i * s * 1.6) for i in range(MAX_CANDIDATES + 1)]
        self.keys = label(self.root, t("review.keys"), (-1.68, -0.6), s * 0.55, theme.colour("ui_muted"))
        self.show(None)

    def _button(self, y: float) -> DirectButton:
        return DirectButton(
            parent=self.root,
            text="",
            text_align=TextNode.ALeft,
            text_scale=self.s * 0.7,
            text_fg=theme.colour("ui_text"),
            frameColor=theme.colour("ui_panel"),
            frameSize=(-0.02, 1.56, -0.02, self.s * 0.9),
            pos=(-1.68, 0, y),
            relief=1,
            command=self._clicked,
            extraArgs=[],
        )

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

    def destroy(self) -> None:
        for button in self.buttons:
            button.destroy()
        self.root.removeNode()
