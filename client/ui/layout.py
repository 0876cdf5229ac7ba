"""Screen regions: where each panel goes, and the stage they leave free for the people in the scene.

One place decides how much of the screen the chat, the HUD corners, the scenario panel, the coach
console and the own-face portrait take, per aspect ratio and text size. The panels size themselves
from these numbers, and the camera (client/views.py) frames the people on stage inside `stage`, so
no panel ever covers the person the participant talks to.

Rectangles are in aspect2d units: x from -ratio (left edge) to +ratio (right edge), y from -1
(bottom) to +1 (top). `Rect.ndc` turns one into the camera's normalised device coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

MARGIN = 0.03  # between a panel and the screen edge
GAP = 0.02  # between two panels

# the chat panel, bottom left (client/ui/hud.py ChatPanel)
CHAT_WIDTH = 1.42
CHAT_ROWS = 6
# your own feeling, bottom right (client/ui/hud.py SelfStatus)
SELF_STATUS_WIDTH = 0.87
# the coach console takes this share of the window's width at the left while staff coach: its rows keep the
# chosen text size and it shows what does not fit on pages (client/ui/coach.py), so it needs room, not shrinking
COACH_SHARE = 0.5
MIN_STAGE = 0.45  # the least width the stage keeps between the coach console and the scenario panel
# the recording indicator, top right (client/ui/hud.py RecordedIndicator)
RECORDED_WIDTH = 0.75
# the most of the screen's width the scenario panel may take
MAX_SIDE_SHARE = 0.42


@dataclass(frozen=True)
class Rect:
    left: float
    right: float
    bottom: float
    top: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x <= self.right and self.bottom <= y <= self.top

    def overlaps(self, other: Rect) -> bool:
        return (
            self.left < other.right and other.left < self.right and self.bottom < other.top and other.bottom < self.top
        )

    def ndc(self, ratio: float) -> Rect:
        """The same region in normalised device coordinates (-1..1 both ways)."""
        return Rect(self.left / ratio, self.right / ratio, self.bottom, self.top)

    def fractions(self, ratio: float) -> tuple[float, float, float, float]:
        """(left, right, bottom, top) as fractions of the window, as a DisplayRegion takes them."""
        n = self.ndc(ratio)
        return ((n.left + 1) / 2, (n.right + 1) / 2, (n.bottom + 1) / 2, (n.top + 1) / 2)


def fit_width(text_label, width: float, scale: float) -> None:
    """Set a one-row label (an OnscreenText) at `scale`, or smaller where its text is wider than `width`
    (aspect2d units): a key hint in a longer language shrinks a little instead of running out of its box."""
    wide = text_label.textNode.getWidth() if text_label.getText() else 0.0
    text_label.setTextScale(min(scale, width / wide) if wide > 0 else scale)


def text_size(text_scale: float) -> float:
    """The base height of a line of HUD text at this text size."""
    return 0.05 * text_scale


def chat_height(text_scale: float) -> float:
    """The chat panel: its message line, then CHAT_ROWS rows of text (client/ui/hud.py ChatPanel places
    row i at 0.1 + s * (1.3 + 1.2 i)), and a little air above the top row."""
    s = text_size(text_scale)
    return 0.1 + s * (1.3 + 1.2 * (CHAT_ROWS - 1) + 1.0)


# above the chat, in one row: the mode line (left) and the Help / Settings buttons (right)
# (client/ui/hud.py ModeIndicator, HudButtons)
MODE_TEXT = 0.04  # the mode line's text height at text scale 1
HUD_BUTTON_TEXT = 0.042  # the buttons' text height at text scale 1
HUD_ROW = 2.35  # the row's height in button text heights (a button's frame with its padding)


def hud_row_height(text_scale: float) -> float:
    """The row above the chat, with the gaps below and above it."""
    return 0.02 + HUD_BUTTON_TEXT * text_scale * HUD_ROW + GAP


def self_status_height(text_scale: float) -> float:
    return 0.045 * text_scale * 2.2


def scenario_width(text_scale: float, ratio: float) -> float:
    """The scenario panel's width: a little wider for larger text, never more than its share of the screen."""
    want = min(1.5, 1.12 + 0.4 * max(0.0, text_scale - 1.0))
    return min(want, 2 * ratio * MAX_SIDE_SHARE - MARGIN)


def portrait_size(text_scale: float) -> float:
    """The own-face portrait: a small square, the same at every text size (it holds no text)."""
    return 0.36


def coach_region(ratio: float, text_scale: float, right_limit: float | None = None) -> Rect:
    """The coach console: the left part of the window (COACH_SHARE of its width, less where `right_limit`
    says), from the top down to the row above the chat. It is never scaled: the console lays its rows out in
    it at the chosen text size."""
    chat_top = -1 + chat_height(text_scale) + hud_row_height(text_scale)
    left = -ratio + GAP
    right = left + 2 * ratio * COACH_SHARE - 1.5 * GAP
    if right_limit is not None:
        right = min(right, right_limit)
    return Rect(left, right, chat_top + GAP, 1 - MARGIN)


@dataclass(frozen=True)
class Layout:
    ratio: float
    text_scale: float
    chat: Rect
    self_status: Rect
    portrait: Rect
    scenario: Rect | None  # the scenario panel's column (top right, down to the portrait)
    coach: Rect | None  # the coach console (left), while open
    stage: Rect  # what is left for the people on stage

    def panels(self) -> dict[str, Rect]:
        out = {"chat": self.chat, "self_status": self.self_status, "portrait": self.portrait}
        if self.scenario is not None:
            out["scenario"] = self.scenario
        if self.coach is not None:
            out["coach"] = self.coach
        return out


def layout(ratio: float, text_scale: float, scenario: bool = False, coach: bool = False) -> Layout:
    """The regions for a window of this aspect ratio (width / height) and text size."""
    left_edge, right_edge = -ratio, ratio
    # the chat's column includes the mode line and buttons above it: the stage leaves them free
    chat_top = -1 + chat_height(text_scale) + hud_row_height(text_scale)
    chat = Rect(left_edge + MARGIN, left_edge + MARGIN + CHAT_WIDTH, -1 + MARGIN, chat_top)
    status_top = -1 + MARGIN + self_status_height(text_scale)
    self_status = Rect(right_edge - MARGIN - SELF_STATUS_WIDTH, right_edge - MARGIN, -1 + MARGIN, status_top)
    side = portrait_size(text_scale)
    portrait = Rect(right_edge - MARGIN - side, right_edge - MARGIN, status_top + GAP, status_top + GAP + side)
    panel = None
    # the right column: the recording indicator on top, the portrait and your feeling at the bottom
    right = right_edge - MARGIN - max(RECORDED_WIDTH, side) - GAP
    if scenario:
        w = scenario_width(text_scale, ratio)
        panel = Rect(right_edge - MARGIN - w, right_edge - MARGIN, portrait.top + GAP, 1 - MARGIN)
        right = min(right, panel.left - GAP)
    console = None
    left = left_edge
    if coach:
        # with the scenario panel open too, the console leaves the people on stage MIN_STAGE of the width
        console = coach_region(ratio, text_scale, right - GAP - MIN_STAGE if scenario else None)
        left = console.right + GAP
    stage = Rect(left, right, chat.top + GAP, 1.0)
    return Layout(ratio, text_scale, chat, self_status, portrait, panel, console, stage)
