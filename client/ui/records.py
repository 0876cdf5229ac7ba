"""A participant's own records, in the client: questionnaires, "My practice", "My data" and own replays.

`MyRecords(app)` opens the screens (full screens through the screen FSM, `app.set_screen`) and talks to
the server: the questionnaires over /api/me/questionnaires and the `answer_questionnaire` intent, the
rest over the person's own /api/me/* endpoints with the session's token, and the recording choice with
the `consent` intent (as F12 in a room). Every screen is driven by keys and by mouse (each action is a
button; `click(name)` does what a click does), and Esc always goes back one screen.

Scores are shown as the dashboard shows them (the mean of the answers, on the questionnaire's scale) and
said in plain words; sessions are told without marks.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel import UnknownLocaleError
from babel.dates import format_datetime
from direct.gui import DirectGuiGlobals as DGG
from direct.gui.DirectGui import DirectButton
from panda3d.core import ClockObject, NodePath, TextNode

from wire import courses as wcourse
from wire import safety as ws
from wire.errors import WireError

from .. import theme
from ..i18n import SOURCE, language, t, tn
from .layout import fit_width
from .widgets import label, panel

if TYPE_CHECKING:
    from ..app import PeerspaceClient

log = logging.getLogger("peerspace.client")
WIDTH = 2.4  # the width text may take on a records screen (the panel is 2.6 wide)
PANEL_BOTTOM = -0.92
KEYS_Y = -0.85  # the key line's row, above the panel's bottom
BOTTOM = -0.6  # lines stop here: below are the status line and the key hints
DIGIT_KEYS = tuple(str(i) for i in range(0, 10))
DATE_PATTERN = "dd MMM y, HH:mm"  # i18n: not shown (a CLDR date pattern)


def download_dir() -> Path:
    """Where an export is saved: $PEERSPACE_DOWNLOADS, else ~/Downloads when it exists, else the user's
    data folder (~/.local/share/peerspace, or $XDG_DATA_HOME/peerspace)."""
    if os.environ.get("PEERSPACE_DOWNLOADS"):
        return Path(os.environ["PEERSPACE_DOWNLOADS"])
    downloads = Path.home() / "Downloads"  # i18n: not shown (the usual folder's name on disk)
    if downloads.is_dir():
        return downloads
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "peerspace"


def when_text(ts: float | None) -> str:
    if not ts:
        return ""
    moment = datetime.datetime.fromtimestamp(ts)  # local time, as the person's clock shows it
    try:
        return format_datetime(moment, DATE_PATTERN, locale=language())  # month names in their language
    except (ValueError, UnknownLocaleError):  # a language Babel has no dates for (a test's pseudo-language)
        return format_datetime(moment, DATE_PATTERN, locale=SOURCE)


def score_text(q: dict[str, Any], score: float) -> str:
    """A questionnaire score in plain words, on the questionnaire's own scale."""
    scale = q["scale"]
    labels = scale.get("labels") or {}
    lo, hi = scale["min"], scale["max"]
    return t(
        "records.q.score",
        score=score,
        lo=lo,
        lo_label=labels.get(str(lo), labels.get(lo, "")),
        hi=hi,
        hi_label=labels.get(str(hi), labels.get(hi, "")),
    )


def change_text(q: dict[str, Any]) -> str:
    """Before and after, in plain words: which way is better on this questionnaire, and which way it went."""
    pre, post = q.get("pre"), q.get("post")
    better = t("records.q.lower_better" if q.get("lower_is_better") else "records.q.higher_better")
    if pre is None and post is None:
        return t("records.q.not_yet")
    if pre is None or post is None:
        return t("records.q.one", when=t(f"records.when.{'pre' if pre is not None else 'post'}"), score=pre or post)
    moved = post - pre if not q.get("lower_is_better") else pre - post
    way = "better" if moved > 0.05 else ("worse" if moved < -0.05 else "same")
    return t("records.q.both", pre=pre, post=post) + " " + t(f"records.q.{way}") + " " + better


def session_lines(s: dict[str, Any]) -> list[str]:
    """One past session in plain words: what, when, how far, what went well."""
    parts = s.get("parts")
    if s["status"] == "finished":
        far = t("records.practice.finished")
    elif s["status"] == "active":
        far = t("records.practice.going")
    elif parts:
        far = t("records.practice.stopped", done=s["parts_done"], parts=parts)
    else:
        far = t("records.practice.stopped_early")
    lines = [t("records.practice.session", title=s["title"], date=when_text(s["started"]), far=far)]
    well = list(s.get("went_well") or [])
    if s.get("positive_feedback"):
        well.append(tn("records.practice.coach_noticed", int(s["positive_feedback"])))
    feelings = s.get("feelings_recognised") or {}
    if feelings.get("correct"):
        well.append(t("records.practice.feelings", n=feelings["correct"], total=feelings["total"]))
    lines.append(t("records.practice.went_well", what="; ".join(well)) if well else t("records.practice.tried"))
    return lines


def write_file(path: Path, body: bytes) -> None:
    """Save what the server sent into the person's own folder (off the event loop: asyncio.to_thread)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


class RecordsScreen:
    """A full screen with a title, a body of lines and buttons. Esc (or the Back button) goes back."""

    def __init__(self, parent: NodePath, scale: float, title: str, on_back: Callable[[], None]):
        self.root = parent.attachNewNode("records")
        self.s = 0.055 * scale
        self.on_back = on_back
        self.buttons: dict[str, DirectButton] = {}
        panel(self.root, (-1.3, 1.3, PANEL_BOTTOM, 0.92))
        label(self.root, title, (0, 0.8), self.s * 1.25, align=TextNode.ACenter)
        self.body = self.root.attachNewNode("body")
        self.status = label(
            self.root, "", (0, -0.72), self.s * 0.7, theme.colour("ui_accent"), TextNode.ACenter, WIDTH / (self.s * 0.7)
        )
        self.keys = label(self.root, "", (0, KEYS_Y), self.s * 0.65, theme.colour("ui_muted"), TextNode.ACenter)

    def para(
        self,
        text: str,
        y: float,
        size: float = 0.75,
        colour=None,
        left: float | None = None,
        width: float = WIDTH,
        centre: float = 0.0,
    ) -> float:
        """A paragraph whose first line sits at `y`, wrapped to `width` (centred, or from `left`); returns the y
        below it, so paragraphs flow down the screen at every text size."""
        scale = self.s * size
        x, align = (centre, TextNode.ACenter) if left is None else (left, TextNode.ALeft)
        text_np = label(self.body, text, (x, y), scale, colour, align, wrap=width / scale)
        rows = max(1, text_np.textNode.getNumRows()) if text else 1
        return y - rows * scale * 1.2 - scale * 0.4

    def button(
        self,
        name: str,
        text: str,
        pos: tuple[float, float],
        width: float,
        fn: Callable[[], Any],
        selected: bool = False,
    ) -> None:
        s = self.s
        # a long caption (a questionnaire's title, a wide font) is set smaller rather than spill past its button
        scale = s * 0.75
        wide = TextNode("fit").calcWidth(text) * scale
        if wide > width * 0.94:
            scale *= width * 0.94 / wide
        self.buttons[name] = DirectButton(
            parent=self.body,
            text=text,
            text_scale=scale,
            text_fg=theme.colour("ui_text"),
            frameColor=theme.colour("ui_accent", 0.55) if selected else theme.colour("ui_notice"),
            frameSize=(-width / 2, width / 2, -s * 0.45, s * 0.95),
            pos=(pos[0], 0, pos[1]),
            relief=DGG.FLAT,
            command=fn,
        )

    def click(self, name: str) -> None:
        """What a mouse click on the named button does (tests, and the window's own clicks)."""
        self.buttons[name].commandFunc(None)

    def clear(self) -> None:
        for b in self.buttons.values():
            b.destroy()
        self.buttons.clear()
        self.body.getChildren().detach()

    def text(self) -> str:
        """Every text shown on this screen, one per line (tests read what a person reads)."""
        shown = [n.node().getText() for n in self.root.findAllMatches("**/+TextNode") if not n.isHidden()]
        shown += [str(b["text"]) for b in self.buttons.values() if b["text"]]
        return "\n".join(shown).strip()

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def set_keys(self, text: str) -> None:
        self.keys.setText(text)
        fit_width(self.keys, WIDTH, self.s * 0.65)  # one row above the panel's bottom, in any language

    def on_key(self, key: str) -> bool:
        if key == "escape":
            self.on_back()
        return True  # a screen keeps every key: nothing walks or opens behind it

    def on_char(self, ch: str) -> None:
        pass

    def destroy(self) -> None:
        self.clear()
        self.root.removeNode()


class MenuScreen(RecordsScreen):
    """My records: questionnaires, My practice, My data. Up/Down and Enter, digits, or a click."""

    def __init__(self, parent: NodePath, scale: float, items: list[tuple[str, str, Callable[[], Any]]], on_back):
        super().__init__(parent, scale, t("records.menu.title"), on_back)
        self.items = items
        self.index = 0
        self.set_keys(t("records.menu.keys"))
        self._draw()

    def _draw(self) -> None:
        self.clear()
        for i, (name, text, fn) in enumerate(self.items):
            self.button(name, f"{i + 1}  {text}", (0, 0.5 - i * 0.2), 2.0, fn, selected=i == self.index)
        self.button("back", t("records.back"), (0, 0.5 - len(self.items) * 0.2 - 0.05), 0.8, self.on_back)

    def on_key(self, key: str) -> bool:
        if key in ("arrow_down", "tab", "arrow_up"):
            self.index = (self.index + (-1 if key == "arrow_up" else 1)) % len(self.items)
            self._draw()
        elif key == "enter":
            self.items[self.index][2]()
        elif key in DIGIT_KEYS and 1 <= int(key) <= len(self.items):
            self.items[int(key) - 1][2]()
        else:
            return super().on_key(key)
        return True


class QuestionnaireListScreen(RecordsScreen):
    """The questionnaires, each with the person's scores in plain words and whether one is due."""

    def __init__(self, parent: NodePath, scale: float, qs: list[dict[str, Any]], on_open, on_back):
        super().__init__(parent, scale, t("records.q.title"), on_back)
        self.qs, self.on_open, self.index = qs, on_open, 0
        self.set_keys(t("records.q.list_keys"))
        self._draw()

    def _draw(self) -> None:
        self.clear()
        s = self.s
        y = 0.62
        if not self.qs:
            self.para(t("records.q.none"), 0.5, 1.0)
        for i, q in enumerate(self.qs[:4]):
            due = f"  ({t('records.q.due.' + q['due'])})" if q.get("due") else ""
            self.button(
                f"q{i + 1}",
                f"{i + 1}  {q['title']}{due}",
                (0, y),
                WIDTH,
                lambda i=i: self.on_open(self.qs[i]),
                selected=i == self.index,
            )
            y = self.para(change_text(q), y - s * 1.3, 0.65, theme.colour("ui_muted")) - 0.04

    def on_key(self, key: str) -> bool:
        if key in ("arrow_down", "tab", "arrow_up") and self.qs:
            self.index = (self.index + (-1 if key == "arrow_up" else 1)) % min(4, len(self.qs))
            self._draw()
        elif key == "enter" and self.qs:
            self.on_open(self.qs[self.index])
        elif key in DIGIT_KEYS and 1 <= int(key) <= min(4, len(self.qs)):
            self.on_open(self.qs[int(key) - 1])
        else:
            return super().on_key(key)
        return True


class QuestionnaireScreen(RecordsScreen):
    """One questionnaire, one question at a time. A digit (or a click) answers and moves on; Left/Right choose,
    Enter takes the choice; Up goes back a question, Down skips one; at the end Enter sends. Esc: back."""

    def __init__(self, parent: NodePath, scale: float, q: dict[str, Any], when: str, on_send, on_back):
        super().__init__(parent, scale, q["title"], on_back)
        self.q, self.when, self.on_send = q, when, on_send
        self.lo, self.hi = q["scale"]["min"], q["scale"]["max"]
        self.index = 0
        self.answers: dict[str, int] = {}
        self.choice = (self.lo + self.hi) // 2
        self.sent = False
        self.done = False
        self.set_keys(t("records.q.keys", lo=self.lo, hi=self.hi))
        self._draw()

    @property
    def at_end(self) -> bool:
        return self.index >= len(self.q["items"])

    def _draw(self) -> None:
        self.clear()
        s, q = self.s, self.q
        y = self.para(t(f"records.when.{self.when}.long"), 0.66, 0.7, theme.colour("ui_muted"))
        if self.at_end:
            y = self.para(t("records.q.ready", n=len(self.answers), total=len(q["items"])), y - 0.1, 1.0)
            self.button("send", t("records.q.send"), (-0.45, y - 0.1), 0.8, self.send, selected=True)
            self.button("previous", t("records.q.previous"), (0.45, y - 0.1), 0.8, self.previous)
            return
        if self.index == 0 and q.get("intro"):
            y = self.para(q["intro"], y, 0.75)
        y = self.para(
            t("records.q.of", n=self.index + 1, total=len(q["items"])), y - 0.04, 0.7, theme.colour("ui_muted")
        )
        y = self.para(q["items"][self.index]["text"], y, 1.05)
        item = q["items"][self.index]
        labels = q["scale"].get("labels") or {}
        values = list(range(self.lo, self.hi + 1))
        width = min(0.48, WIDTH / len(values))
        given = self.answers.get(item["id"])
        y -= s * 0.6
        for k, v in enumerate(values):
            x = -((len(values) - 1) * width) / 2 + k * width
            mark = "* " if given == v else ""
            self.button(f"value{v}", f"{mark}{v}", (x, y), width - 0.03, lambda v=v: self.answer(v), self.choice == v)
            caption = str(labels.get(str(v), labels.get(v, "")))
            self.para(caption, y - s * 1.1, 0.6, theme.colour("ui_muted"), width=width - 0.04, centre=x)
        y -= s * 3.4
        self.button("previous", t("records.q.previous"), (-0.45, y), 0.8, self.previous)
        self.button("skip", t("records.q.skip"), (0.45, y), 0.8, self.skip)

    def answer(self, value: int) -> None:
        if self.at_end or not self.lo <= value <= self.hi:
            return
        self.answers[self.q["items"][self.index]["id"]] = value
        self.choice = value
        self.skip()

    def skip(self) -> None:
        self.index = min(self.index + 1, len(self.q["items"]))
        if not self.at_end:
            self.choice = self.answers.get(self.q["items"][self.index]["id"], self.choice)
        self._draw()

    def previous(self) -> None:
        self.index = max(0, self.index - 1)
        self._draw()

    def send(self) -> None:
        if not self.answers:
            self.set_status(t("records.q.answer_one"))
            return
        if not self.sent:
            self.sent = True
            self.set_status(t("records.sending"))
            self.on_send(self, dict(self.answers))

    def on_key(self, key: str) -> bool:
        if self.done:  # the result is shown: Enter or Esc go back, nothing else changes it
            if key in ("enter", "escape"):
                self.on_back()
        elif key in DIGIT_KEYS:
            self.answer(int(key))
        elif key in ("arrow_left", "arrow_right") and not self.at_end:
            self.choice = max(self.lo, min(self.hi, self.choice + (1 if key == "arrow_right" else -1)))
            self._draw()
        elif key == "enter":
            self.send() if self.at_end else self.answer(self.choice)
        elif key == "arrow_up":
            self.previous()
        elif key in ("arrow_down", "tab"):
            self.skip()
        else:
            return super().on_key(key)
        return True

    def show_result(self, q: dict[str, Any], score: float) -> None:
        """After sending: the score as the dashboard shows it, in plain words."""
        self.clear()
        y = self.para(t("records.q.thanks"), 0.5, 1.1)
        y = self.para(score_text(q, score), y - 0.05, 0.85)
        y = self.para(change_text(q), y, 0.85)
        self.button("done", t("records.back"), (0, y - 0.1), 0.8, self.on_back, selected=True)
        self.set_status("")
        self.set_keys(t("records.done_keys"))
        self.done = True


class PracticeScreen(RecordsScreen):
    """My practice: progress, homework set, past sessions in plain words. Up/Down choose a session, Enter (or
    a click on Watch) opens its replay where one was recorded."""

    ROWS = 3

    def __init__(self, parent: NodePath, scale: float, data: dict[str, Any], on_replay, on_back):
        super().__init__(parent, scale, t("records.practice.title"), on_back)
        self.data, self.on_replay, self.index = data, on_replay, 0
        self.sessions: list[dict[str, Any]] = data.get("sessions") or []
        self.set_keys(t("records.practice.keys"))
        self._draw()

    def _draw(self) -> None:
        self.clear()
        p = self.data.get("progress") or {}
        if p.get("sessions"):
            key = "records.practice.progress" if p["sessions"] > 1 else "records.practice.progress_one"
            progress = t(key, n=p["sessions"], finished=p["finished"], kinds=p["scenarios"])
            if p.get("skills_went_well"):
                progress += " " + t("records.practice.skills", n=p["skills_went_well"])
        else:
            progress = t("records.practice.none")
        y = self.para(progress, 0.66, 0.75)
        homework = self.data.get("homework") or []
        y = self.para(t("records.practice.homework"), y - 0.02, 0.8, theme.colour("ui_accent"), left=-1.2)
        for h in homework[:2]:
            done = {True: t("records.practice.hw_done"), False: t("records.practice.hw_open")}.get(h.get("done"), "")
            text = t("records.practice.hw", text=h["text"], scenario=h["scenario"], date=when_text(h["set"]))
            y = self.para(f"{text} {done}".strip(), y, 0.65, left=-1.15, width=WIDTH - 0.05)
        if not homework:
            y = self.para(t("records.practice.hw_none"), y, 0.65, theme.colour("ui_muted"), left=-1.15)
        y = self.para(t("records.practice.sessions"), y - 0.02, 0.8, theme.colour("ui_accent"), left=-1.2)
        # from the one before the chosen session, as many as fit above the key hints
        for i in range(max(0, self.index - 1), len(self.sessions)):
            if y < BOTTOM:
                break
            sess = self.sessions[i]
            lines = session_lines(sess)
            colour = theme.colour("ui_accent") if i == self.index else None
            top = y
            drawn = self.body.getNumChildren()
            y = self.para(("> " if i == self.index else "") + lines[0], y, 0.68, colour, left=-1.2, width=1.95)
            y = self.para(lines[1], y, 0.6, theme.colour("ui_muted"), left=-1.1, width=1.85)
            if y < BOTTOM - self.s * 0.4 and i > self.index:
                # longer than the room left above the status line (a long language, large text): not shown
                # here; Down scrolls to it
                for child in list(self.body.getChildren())[drawn:]:
                    child.removeNode()
                break
            if sess.get("replay"):
                watch = lambda sess=sess: self.on_replay(sess)  # noqa: E731
                self.button(f"watch{sess['run']}", t("records.practice.watch"), (1.02, top), 0.4, watch)

    def on_key(self, key: str) -> bool:
        step = {"arrow_down": 1, "arrow_up": -1, "wheel_down": 1, "wheel_up": -1, "page_down": 3, "page_up": -3}
        if key in step and self.sessions:
            self.index = max(0, min(len(self.sessions) - 1, self.index + step[key]))
            self._draw()
        elif key == "enter" and self.sessions:
            sess = self.sessions[self.index]
            if sess.get("replay"):
                self.on_replay(sess)
            else:
                self.set_status(t("records.practice.no_replay"))
        else:
            return super().on_key(key)
        return True


class MyDataScreen(RecordsScreen):
    """My data: what is monitored and recorded and why, the recording choice, export, delete."""

    def __init__(self, parent: NodePath, scale: float, data: dict[str, Any], actions: dict[str, Callable], on_back):
        super().__init__(parent, scale, t("records.data.title"), on_back)
        self.data, self.actions = data, actions
        self.delete_armed = False
        self.set_keys(t("records.data.keys"))
        self._draw()

    def _draw(self, size: float = 1.0) -> None:
        """`size` scales the paragraphs: at a large text size a long monitoring notice is set smaller until the
        buttons fit inside the panel."""
        self.clear()
        d = self.data
        k = d.get("kept") or {}
        y = self.para(d.get("monitoring", ""), 0.68, 0.72 * size)
        kept = t(
            "records.data.kept",
            sessions=k.get("sessions", 0),
            lines=k.get("lines", 0),
            answers=k.get("questionnaires", 0),
            replays=k.get("replays", 0),
        )
        y = self.para(kept, y, 0.72 * size)
        y = self.para(t("records.data.why"), y, 0.66 * size, theme.colour("ui_muted"))
        on = bool(d.get("recording"))
        state = t("records.data.recording_on" if on else "records.data.recording_off")
        explain = (d.get("recording_text") or {}).get("on" if on else "off", "")
        y = self.para(f"{state} {explain}".strip(), y, 0.72 * size) - self.s * 0.5
        consent = t("records.data.turn_off" if on else "records.data.turn_on")
        self.button("consent", consent, (-0.82, y), 0.76, lambda: self.act("consent"))
        self.button("export", t("records.data.export"), (0, y), 0.76, lambda: self.act("export"))
        delete = t("records.data.delete_again" if self.delete_armed else "records.data.delete")
        self.button("delete", delete, (0.82, y), 0.76, self.delete, selected=self.delete_armed)
        y -= self.s * 1.6
        if self.delete_armed:
            y = self.para(t("records.data.delete_warning", name=d.get("name", "")), y, 0.72, theme.colour("ui_accent"))
        back = y - self.s * 0.3
        keys_top = KEYS_Y + self.s * 0.65  # the key line at the panel's foot stays clear of the Back button
        if back - self.s * 0.45 < keys_top and size > 0.5:
            self._draw(size * 0.9)
            return
        self.button("back", t("records.back"), (0, back), 0.6, self.on_back)

    def act(self, name: str) -> None:
        """Recording or export: any other action takes back a half-made delete first."""
        if self.delete_armed:
            self.delete_armed = False
            self._draw()
        self.actions[name]()

    def delete(self) -> None:
        """The first press says exactly what goes; only a second press of the same button deletes."""
        if not self.delete_armed:
            self.delete_armed = True
            self._draw()
            return
        self.delete_armed = False
        self.actions["delete"]()

    def set_data(self, data: dict[str, Any]) -> None:
        self.data = data
        self._draw()

    def on_key(self, key: str) -> bool:
        if key == "escape" and self.delete_armed:
            self.delete_armed = False  # Esc takes back a half-made delete before it leaves the screen
            self._draw()
            return True
        return super().on_key(key)

    def on_char(self, ch: str) -> None:
        action = {"c": lambda: self.act("consent"), "e": lambda: self.act("export"), "d": self.delete}.get(ch.lower())
        if action is not None:
            action()


class ReplayScreen:
    """One's own recorded session played back in the 3D view (the live room hidden meanwhile). Space pauses,
    Left/Right step 5 s, Esc goes back."""

    def __init__(self, app: PeerspaceClient, track, scene: str, title: str, on_back: Callable[[], None]):
        from ..replay import ReplayView
        from ..scene.labels import Labels

        self.app, self.track, self.on_back = app, track, on_back
        self.hidden = [np for np in (app.scene_np, *(a.root for a in app.avatars.values())) if np is not None]
        for np in self.hidden:
            np.hide()
        self.view = ReplayView(app.render, track, scene=scene, text_scale=app.settings.text_scale)
        self.labels = Labels(app.camera, app.camLens, app.win)
        self.camera = (app.camera.getPos(), app.camera.getHpr())  # where the live view was, to go back to
        self.root = app.aspect2d.attachNewNode("replay-screen")
        s = 0.05 * app.settings.text_scale
        # the title and the keys on bands of panel colour: readable over a light sky or floor
        panel(self.root, (-1.25, 1.25, 0.88 - s * 0.55, 0.88 + s * 1.15))
        panel(self.root, (-1.25, 1.25, -0.9 - s * 0.45, -0.9 + s * 0.85))
        fit_width(label(self.root, title, (0, 0.88), s, align=TextNode.ACenter), 2.4, s)
        keys = label(
            self.root, t("records.replay.keys"), (0, -0.9), s * 0.65, theme.colour("ui_muted"), TextNode.ACenter
        )
        fit_width(keys, 2.4, s * 0.65)
        self.buttons: dict[str, DirectButton] = {}
        for name, text, x, fn in (
            ("play", t("records.replay.pause_play"), -0.35, lambda: self.on_char(" ")),
            ("back", t("records.back"), 0.35, self.on_back),
        ):
            self.buttons[name] = DirectButton(
                parent=self.root,
                text=text,
                text_scale=s * 0.75,
                text_fg=theme.colour("ui_text"),
                frameColor=theme.colour("ui_notice"),
                frameSize=(-0.3, 0.3, -s * 0.45, s * 0.95),
                pos=(x, 0, -0.78),
                relief=DGG.FLAT,
                command=fn,
            )
            wide = self.buttons[name].component("text0").textNode.getWidth()
            if wide * s * 0.75 > 0.56:  # a long caption is set smaller rather than spill past its button
                self.buttons[name]["text_scale"] = 0.56 / wide
        self.playing = True
        self.t = track.start
        self.view.seek(self.t)
        app.taskMgr.add(self._step, "peerspace-own-replay", sort=0)

    def _step(self, task):
        dt = min(ClockObject.getGlobalClock().getDt(), 0.1)
        if self.playing:
            self.t = min(self.track.end, self.t + dt)
            self.view.seek(self.t)
        self.view.update(dt)
        # a fixed wide shot of where the people stood
        poses = list(self.track.poses_at(self.t).values()) or [(0.0, 0.0, 0.0)]
        cx = sum(p[0] for p in poses) / len(poses)
        cy = sum(p[1] for p in poses) / len(poses)
        self.app.camera.setPos(cx, cy - 7.0, 3.0)
        self.app.camera.lookAt(cx, cy, 1.0)
        self.labels.place(self.view.avatars.values(), dt, self.app.settings.reduced_motion)
        return task.cont

    def on_key(self, key: str) -> bool:
        if key == "escape":
            self.on_back()
        elif key in ("arrow_left", "arrow_right"):
            step = 5.0 if key == "arrow_right" else -5.0
            self.t = max(self.track.start, min(self.track.end, self.t + step))
            self.view.seek(self.t)
        return True

    def on_char(self, ch: str) -> None:
        if ch == " ":
            self.playing = not self.playing

    def click(self, name: str) -> None:
        self.buttons[name].commandFunc(None)

    def destroy(self) -> None:
        self.app.taskMgr.remove("peerspace-own-replay")
        self.view.destroy()
        self.root.removeNode()
        self.app.camera.setPosHpr(*self.camera)
        for np in self.hidden:
            if not np.isEmpty():
                np.show()


def course_lines(view: dict[str, Any]) -> list[str]:
    """The group's next session in plain words (the `my_course` answer)."""
    course, nxt = view.get("course"), view.get("next")
    if not course:
        return [t("course.none")]
    lines = [t("course.group", group=(view.get("group") or {}).get("name", ""), course=course.get("title", ""))]
    pos = view.get("position")
    if pos:
        lines.append(t("course.position", held=pos["held"], total=pos["total"]))
    if not nxt:
        lines.append(t("course.no_next"))
    else:
        lines.append(t("course.next", number=nxt["number"], title=nxt["title"]))
        starts, ends = datetime.datetime.fromisoformat(nxt["starts"]), datetime.datetime.fromisoformat(nxt["ends"])
        lines.append(
            t(
                "course.when",
                date=starts.strftime("%A %d %B %Y"),
                start=starts.strftime("%H:%M"),
                end=ends.strftime("%H:%M"),
                zone=view.get("timezone") or starts.strftime("UTC%z"),
            )
        )
        if nxt.get("review"):
            lines.append(t("course.review"))
        for sc in nxt.get("scenarios") or []:
            sug = sc.get("suggested")
            if sug and sug.get("difficulty") != sc.get("difficulty"):
                lines.append(
                    t(
                        "course.scenario_suggested",
                        title=sc["title"],
                        difficulty=sc["difficulty"],
                        suggested=sug["difficulty"],
                        reason=sug.get("reason", ""),
                    )
                )
            else:
                lines.append(t("course.scenario", title=sc["title"], difficulty=sc["difficulty"]))
    homework = view.get("homework")
    if homework and homework.get("text"):
        lines.append(t("course.homework", text=homework["text"]))
    return lines


class CourseScreen(RecordsScreen):
    """My course: the group's next session, its scenarios and suggested difficulty, the homework last set.
    S (or the button) saves the group's sessions to come as an iCalendar file; Esc: back."""

    def __init__(self, parent: NodePath, scale: float, view: dict[str, Any], on_save, on_back):
        super().__init__(parent, scale, t("course.title"), on_back)
        self.view, self.on_save = view, on_save
        self.keys.setText(t("course.keys") if view.get("course") else t("records.done_keys"))
        self._draw()

    def _draw(self) -> None:
        self.clear()
        y = 0.62
        for i, line in enumerate(course_lines(self.view)):
            y = self.para(line, y, 0.85 if i else 0.95, None if i != 2 else theme.colour("ui_accent"))
        if self.view.get("course"):
            self.button("save", t("course.save"), (-0.45, max(y - 0.05, -0.5)), 1.0, self.on_save)
        self.button("back", t("records.back"), (0.6, max(y - 0.05, -0.5)), 0.8, self.on_back)

    def on_key(self, key: str) -> bool:
        if key == "enter":
            self.on_back()
            return True
        return super().on_key(key)

    def on_char(self, ch: str) -> None:
        if ch in ("s", "S") and self.view.get("course"):
            self.on_save()


def data_dir() -> Path:
    """The user's data folder: $XDG_DATA_HOME/peerspace, else ~/.local/share/peerspace."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "peerspace"


class MyRecords:
    """Opens the records screens and does what they ask, against the server the client signed in to."""

    def __init__(self, app: PeerspaceClient):
        self.app = app
        self.offered: set[tuple[int | None, str]] = set()  # (run, when) a questionnaire was offered for
        self.run: int | None = None  # the run a questionnaire answer belongs to (the one just started/ended)
        self.due: list[dict[str, Any]] = []  # questionnaires offered and not yet answered
        self.last_export: Path | None = None
        self.last_calendar: Path | None = None

    def forget(self) -> None:
        """A new sign-in: the questionnaires offered to whoever was signed in before are not this person's."""
        self.offered.clear()
        self.run, self.due, self.last_export = None, [], None

    def settings_items(self) -> list[tuple[str, Callable[[], None]]]:
        """The settings panel's row that opens My records (signed in only)."""
        if self.app.session is None:
            return []
        return [(t("records.menu.title"), lambda: (self.app.close_settings(), self.open()))]

    # --- HTTP with the session's own token ----------------------------------------------------------
    async def _get(self, path: str) -> Any:
        import aiohttp

        s = self.app.session
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {s.token}"}) as http:
            async with http.get(f"{s.base_url}{path}", timeout=aiohttp.ClientTimeout(total=15)) as r:
                if path.endswith(("/export", ".ics")):
                    if r.status != 200:
                        raise RuntimeError(f"export answered {r.status}")
                    return await r.read()
                body = await r.json(content_type=None)
        if not body.get("ok", True) and "error" in body:
            raise WireError(body["error"].get("code", "error"), body["error"].get("message", ""))
        return body

    async def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        import aiohttp

        s = self.app.session
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {s.token}"}) as http:
            async with http.post(f"{s.base_url}{path}", json=payload, timeout=aiohttp.ClientTimeout(total=15)) as r:
                body: dict[str, Any] = await r.json(content_type=None)
        return body

    # --- screens ----------------------------------------------------------------------------------
    @property
    def scale(self) -> float:
        return float(self.app.settings.text_scale)

    def _show(self, screen) -> None:
        self.app.release_movement()
        self.app.set_screen(screen)

    def back_out(self) -> None:
        """Leave the records: back to the room if the person is in one, else to the room list."""
        app = self.app
        if app.model.room is not None:
            app.set_screen(None)
            app.focus = None
        else:
            app.show_rooms()

    def add_entry(self, rooms_screen) -> None:
        """The way in from the room list: a "My records" button, and M (a screen without a text field, so a
        letter is a command there)."""
        s = 0.05 * self.scale
        DirectButton(
            parent=rooms_screen.root,
            text=t("records.entry"),
            text_scale=s * 0.8,
            text_fg=theme.colour("ui_text"),
            frameColor=theme.colour("ui_notice"),
            frameSize=(-0.26, 0.26, -s * 0.45, s * 0.95),
            pos=(0.7, 0, 0.85 - rooms_screen.scale * 1.7),  # in the title's row, above the rooms
            relief=DGG.FLAT,
            command=self.open,
        )
        typed = rooms_screen.on_char

        def on_char(ch: str) -> None:
            self.open() if ch in ("m", "M") else typed(ch)

        rooms_screen.on_char = on_char

    def open(self) -> None:
        if self.app.session is None:
            self.app.notice(t("records.offline"))
            return
        items = [
            ("due", t("records.menu.due", title=q["title"]), lambda q=q: self.open_form(q, q["due"], self.open))
            for q in self.due[:1]
        ]
        items += [
            ("questionnaires", t("records.menu.questionnaires"), self.open_questionnaires),
            ("practice", t("records.menu.practice"), self.open_practice),
            ("data", t("records.menu.data"), self.open_data),
            ("course", t("records.menu.course"), self.open_course),
        ]
        self._show(MenuScreen(self.app.aspect2d, self.scale, items, self.back_out))

    def open_questionnaires(self) -> None:
        self.app.spawn(self._open_questionnaires(self.app.screen), t("do.show_questionnaires"))

    async def _questionnaires(self) -> list[dict[str, Any]]:
        body = await self._get("/api/me/questionnaires")
        qs: list[dict[str, Any]] = body["questionnaires"]
        return qs

    async def _open_questionnaires(self, origin) -> None:
        qs = await self._questionnaires()
        if self.app.screen is not origin:
            return  # the person went elsewhere while it loaded
        self._show(QuestionnaireListScreen(self.app.aspect2d, self.scale, qs, self.open_form, self.open))

    def open_form(self, q: dict[str, Any], when: str | None = None, back: Callable[[], None] | None = None) -> None:
        when = when or q.get("due") or ("post" if "post" in q["when"] and q.get("pre") is not None else q["when"][0])
        screen = QuestionnaireScreen(
            self.app.aspect2d, self.scale, q, when, self._send_answers, back or self.open_questionnaires
        )
        self._show(screen)

    def _send_answers(self, screen: QuestionnaireScreen, answers: dict[str, int]) -> None:
        self.app.spawn(self._send(screen, answers), t("do.send_answers"))

    async def _send(self, screen: QuestionnaireScreen, answers: dict[str, int]) -> None:
        payload: dict[str, Any] = {"questionnaire": screen.q["id"], "when": screen.when, "answers": answers}
        if self.run is not None:
            payload["run"] = self.run
        try:
            ack = await self.app.session.call(ws.ANSWER_QUESTIONNAIRE, payload)
        except Exception:
            screen.sent = False
            raise
        qs = await self._questionnaires()
        # what was offered stays on the menu until it is answered (a `pre` answered makes `post` due: not now)
        self.due = [q for q in qs if any(d["id"] == q["id"] and d["due"] == q.get("due") for d in self.due)]
        mine = next((q for q in qs if q["id"] == screen.q["id"]), screen.q)
        if self.app.screen is screen:
            screen.show_result(mine, float(ack["score"]))

    def open_practice(self) -> None:
        self.app.spawn(self._open_practice(self.app.screen), t("do.show_practice"))

    async def _open_practice(self, origin) -> None:
        data = await self._get("/api/me/practice")
        if self.app.screen is not origin:
            return  # the person went elsewhere while it loaded
        self._show(PracticeScreen(self.app.aspect2d, self.scale, data, self.open_replay, self.open))

    def open_replay(self, sess: dict[str, Any]) -> None:
        self.app.spawn(self._open_replay(sess, self.app.screen), t("do.open_replay"))

    async def _open_replay(self, sess: dict[str, Any], origin) -> None:
        """`origin`: the screen that asked; if the person has gone elsewhere by the time it loads, nothing opens."""
        from ..replay import ReplayTrack

        pages, after = [], 0.0
        while True:
            body = await self._get(f"/api/me/runs/{sess['run']}/replay?after={after!r}&limit=500")
            pages.append(body)
            if not body["more"]:
                break
            after = body["next"]
        track = ReplayTrack(pages)
        if self.app.screen is not origin:
            return  # the person went elsewhere while it loaded
        if not track.frames:
            self.app.notice(t("records.practice.no_replay"))
            return
        scene = str(sess.get("scene") or (self.app.model.room or {}).get("scene") or "cafe")
        title = t("records.replay.title", title=sess["title"], date=when_text(sess["started"]))
        self._show(ReplayScreen(self.app, track, scene, title, self.open_practice))

    def open_data(self) -> None:
        self.app.spawn(self._open_data(self.app.screen), t("do.show_data"))

    async def _open_data(self, origin) -> None:
        data = await self._get("/api/me/data")
        if self.app.screen is not origin:
            return  # the person went elsewhere while it loaded
        actions = {"consent": self.toggle_consent, "export": self.export, "delete": self.delete}
        self._show(MyDataScreen(self.app.aspect2d, self.scale, data, actions, self.open))

    def _data_screen(self) -> MyDataScreen | None:
        screen = self.app.screen
        return screen if isinstance(screen, MyDataScreen) else None

    def toggle_consent(self) -> None:
        self.app.spawn(self._toggle_consent(), t("do.change_recording"))

    async def _toggle_consent(self) -> None:
        screen = self._data_screen()
        want = not (screen.data.get("recording") if screen else self.app.model.recording)
        if self.app.model.room is not None:
            # in a room the intent (F12's) also tells the room's recorder and shows the recording notice
            ack = await self.app.session.call("consent", {"recording": want})
        else:
            ack = await self._post("/api/me/consent", {"recording": want})
            if not ack.get("ok"):
                raise WireError("error", str((ack.get("error") or {}).get("message", t("records.data.not_changed"))))
        self.app.set_recording(ack.get("recording"))
        if screen is not None:
            screen.set_data(await self._get("/api/me/data"))
            screen.set_status(t("records.data.recording_now_on" if ack.get("recording") else "records.data.now_off"))

    def export(self) -> None:
        self.app.spawn(self._export(), t("do.export"))

    async def _export(self) -> Path:
        screen = self._data_screen()
        if screen is not None:
            screen.set_status(t("records.data.exporting"))
        body: bytes = await self._get("/api/me/export")
        folder = download_dir()
        path = folder / time.strftime("peerspace-my-records-%Y%m%d-%H%M%S.json")
        await asyncio.to_thread(write_file, path, body)
        if screen is not None:
            screen.set_status(t("records.data.exported", path=str(path)))
        self.last_export = path
        return path

    def open_course(self) -> None:
        self.app.spawn(self._open_course(self.app.screen), t("do.show_course"))

    async def _open_course(self, origin) -> None:
        view = await self.app.session.call(wcourse.MY_COURSE, {})
        if self.app.screen is not origin:
            return  # the person went elsewhere while it loaded
        self._show(CourseScreen(self.app.aspect2d, self.scale, view, self.save_calendar, self.open))

    def save_calendar(self) -> None:
        self.app.spawn(self._save_calendar(), t("do.save_calendar"))

    async def _save_calendar(self) -> Path:
        """The server's own calendar of the group's sessions to come (/api/me/course.ics), saved in the user's
        data folder; the path is shown."""
        screen = self.app.screen if isinstance(self.app.screen, CourseScreen) else None
        if screen is not None:
            screen.set_status(t("course.saving"))
        body: bytes = await self._get("/api/me/course.ics")
        path = data_dir() / "peerspace-course.ics"
        await asyncio.to_thread(write_file, path, body)
        if screen is not None:
            screen.set_status(t("course.saved", path=str(path)))
        self.last_calendar = path
        return path

    def delete(self) -> None:
        self.app.spawn(self._delete(), t("do.delete_account"))

    async def _delete(self) -> None:
        name = (self.app.session.user or {}).get("name", "")
        body = await self._post("/api/me/delete", {"confirm": name})
        if not body.get("ok"):
            screen = self._data_screen()
            if screen is not None:
                screen.set_status(str((body.get("error") or {}).get("message", t("records.data.delete_failed"))))
            return
        self.app.clear_room()
        await self.app.net._drop(self.app.session)
        self.app.show_login(t("records.data.deleted"))

    # --- offered, never forced: when a run starts or ends and a questionnaire is due ------------------
    def offer(self, run: int | None, when: str) -> None:
        if getattr(self.app.session, "token", None) is None or (run, when) in self.offered:
            return
        self.offered.add((run, when))
        self.app.spawn(self._offer(run, when), t("do.find_questionnaire"))

    async def _offer(self, run: int | None, when: str) -> None:
        try:
            qs = await self._questionnaires()
        except Exception:  # an offer nobody asked for: when it cannot be made, say nothing
            log.debug("could not look for a due questionnaire", exc_info=True)
            return
        due = [q for q in qs if q.get("due") == when]
        if due:
            self.run = run
            self.due = due
            # a line in the chat column, not a notice over the stage: the practice is about to start (or just ended)
            self.app.chat.add(t(f"records.offer.{when}", title=due[0]["title"]), "notice")
