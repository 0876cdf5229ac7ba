"""The participant's scenario panel: pick a practice scenario, play it phase by phase, read a kind summary.

Everything here is keyboard-only and reads what the server sends (`wire.scenario`):

  ScenarioPicker   the `scenarios` list: Up/Down a scenario, Left/Right the difficulty, Enter starts, Esc closes
  ScenarioPanel    the running scenario (`scenario_state`), the lines the cast said (`said`), the end
                   (`scenario_ended`): phase i of n with its title, the partner's line, the prompt, the
                   options as a numbered list, hints, the ending and the homework; own words typed in a
                   field; stopping asks calmly first.

Keys while a scenario waits for you (the app routes them here before its own):
  1-9     choose that option (number keys are gestures otherwise; Shift+1..6 still gesture)
  Space   continue, when Continue is the only option
  Enter   continue; or type your own words when the scenario accepts them (Enter sends, Esc cancels)
  Esc     stop the scenario (asks first: Enter stops, Esc keeps going); closes the summary
  Tab     chat as usual

The panel never animates unless reduced motion is off, and then only a short fade-in of new content.
"""

from __future__ import annotations

from collections.abc import Callable

from panda3d.core import NodePath, TextNode

from wire.scenario import SELF_RATING_MAX

from .. import theme
from ..i18n import has, t, tn
from .layout import scenario_width
from .widgets import TextField, click_area, label, panel

# the phase kinds with a name in the catalog (`scenario.phase.<kind>`)
PHASE_KINDS = (
    "rationale",
    "skill_steps",
    "modelling",
    "role_play",
    "repeat_role_play",
    "feedback",
    "homework",
    "emotion_recognition",
    "reflection",
)
MAX_LINES = 60  # cast lines (and your answers) of the phase kept on the panel, for scrolling back
SCROLL_KEYS = ("page_up", "page_down", "wheel_up", "wheel_down")
DIGITS = tuple(str(i) for i in range(1, 10))


def words(ident: str) -> str:
    """'say_need' -> 'Say need': a fallback where the server sent an id without its text."""
    s = str(ident).replace("_", " ").strip()
    return s[:1].upper() + s[1:]


def phase_words(kind) -> str:
    return t(f"scenario.phase.{kind}") if kind in PHASE_KINDS else ""


def level_words(difficulty) -> str:
    """A difficulty id in words (`scenario.level.<id>`); an id the catalog does not know is shown as it is."""
    return t(f"scenario.level.{difficulty}") if has(f"scenario.level.{difficulty}") else str(difficulty or "")


def score_level(points) -> int | None:
    """2 done well, 1 partly done, 0 one to try next time; None for no score."""
    try:
        p = float(points)
    except (TypeError, ValueError):
        return None
    return 2 if p >= 1.75 else 1 if p >= 0.75 else 0


def score_words(points) -> str:
    level = score_level(points)
    return "" if level is None else t(f"scenario.score.{level}")


def participant_role(state: dict) -> str | None:
    for role, c in (state.get("cast") or {}).items():
        if isinstance(c, dict) and c.get("kind") == "participant":
            return role
    return None


def summary_lines(summary: dict, status: str, endings: dict[str, str]) -> list[str]:
    """A friendly summary in plain words: what happened, never a grade."""
    out = [t("scenario.summary.finished") if status == "finished" else t("scenario.summary.stopped")]
    phases = summary.get("phases") or []
    if phases:
        out.append(tn("scenario.summary.parts", len(phases)))
    ends = [endings.get(e["ending"], words(e["ending"])) for e in summary.get("endings") or [] if e.get("ending")]
    if len(ends) == 1:
        out.append(t("scenario.summary.ended_one", ending=ends[0]))
    elif ends:
        out.append(t("scenario.summary.ended_many", endings=t("scenario.summary.then").join(ends)))
    played = [
        sc
        for sc in (summary.get("scores") or {}).values()
        if isinstance(sc, dict) and any(float(p or 0) > 0 for p in sc.values())
    ]
    if played:  # the last role-play that was played (a stopped one may have no answers yet)
        last = played[-1]
        texts = summary.get("steps") or {}  # step id -> the step's text, in skill order

        def step(s: str) -> str:
            return str(texts.get(s) or words(s)).rstrip(".")

        good = [step(s) for s, p in last.items() if score_level(p) == 2]
        part = [step(s) for s, p in last.items() if score_level(p) == 1]
        nxt = [step(s) for s, p in last.items() if score_level(p) == 0]
        if good:
            out.append(t("scenario.summary.went_well", steps="; ".join(good)))
        if part:
            out.append(t("scenario.summary.partly", steps="; ".join(part)))
        if nxt:
            out.append(t("scenario.summary.next_time", steps="; ".join(nxt)))
    emo = summary.get("emotion") or {}
    if emo.get("total"):
        out.append(t("scenario.summary.faces", correct=emo.get("correct", 0), total=emo["total"]))
    if summary.get("homework"):
        out.append(t("scenario.summary.homework", homework=summary["homework"]))
    return out


_MEASURE = TextNode("scenario-measure")  # wraps text to count its rows, drawing nothing


def text_rows(text: str, wrap: float) -> int:
    """How many rows `text` takes when wrapped at `wrap` (as a label with that wordwrap draws it)."""
    _MEASURE.setWordwrap(wrap)
    _MEASURE.setText(text)
    return max(1, _MEASURE.getNumRows())


class _Layout:
    """Places text blocks top-down inside a panel and measures them. `dry`: measure only, make no nodes
    (finding what fits is done dry; only the final layout is drawn)."""

    def __init__(self, root: NodePath, left: float, width: float, top: float, s: float, dry: bool = False):
        self.root, self.left, self.width, self.y, self.s, self.dry = root, left, width, top, s, dry
        self.texts: list = []

    def text(self, text: str, scale: float = 1.0, colour=None, indent: float = 0.0, gap: float = 0.35):
        s = self.s * scale
        wrap = max(4.0, (self.width - indent) / s)
        if self.dry:
            self.y -= text_rows(text, wrap) * s * 1.2 + self.s * gap
            return None
        t = label(self.root, text, (self.left + indent, self.y - s * 0.95), s, colour, wrap=wrap)
        rows = max(1, t.textNode.getNumRows())
        self.y -= rows * s * 1.2 + self.s * gap
        self.texts.append(t)
        return t

    def space(self, k: float = 0.4):
        self.y -= self.s * k


class ScenarioPicker:
    """The scenario list: Up/Down choose, Left/Right difficulty, Enter starts, Esc closes."""

    def __init__(
        self,
        parent: NodePath,
        scale: float,
        scenarios: list[dict],
        on_start: Callable[[str, str], None],
        on_close: Callable[[], None],
    ):
        self.root = parent.attachNewNode("scenario-picker")
        self.scale = scale
        self.scenarios = [s for s in scenarios if isinstance(s, dict) and s.get("id")]
        self.on_start, self.on_close = on_start, on_close
        self.index = 0
        self.level = 0  # index into the chosen scenario's difficulties
        self.busy = False
        self._buttons: list = []  # a click area per scenario row
        self._draw()

    def difficulties(self) -> list[dict]:
        if not self.scenarios:
            return []
        return self.scenarios[self.index].get("difficulties") or [{"id": "easy", "label": "", "description": ""}]

    def _draw(self, k: float = 1.0):
        for b in self._buttons:
            b.destroy()
        self._buttons = []
        self.root.getChildren().detach()
        s = 0.05 * self.scale * k
        w = 1.25
        top = 0.9
        bg = panel(self.root, (-w, w, -0.9, top), theme.colour("ui_panel", 0.97))
        lay = _Layout(self.root, -w + 0.08, 2 * w - 0.16, top - 0.05, s)
        lay.text(t("scenario.picker.title"), 1.2, theme.colour("ui_accent"))
        lay.text(t("scenario.picker.intro"), 0.75, theme.colour("ui_muted"))
        if not self.scenarios:
            lay.text(t("scenario.picker.looking") if self.busy else t("scenario.picker.none"))
        for i, sc in enumerate(self.scenarios):
            chosen = i == self.index
            y0 = lay.y
            row = lay.text(
                ("> " if chosen else "   ") + str(sc.get("title") or sc["id"]),
                0.95,
                theme.colour("ui_text") if chosen else theme.colour("ui_muted"),
                gap=0.15,
            )
            if chosen:
                if sc.get("summary"):
                    lay.text(str(sc["summary"]), 0.72, theme.colour("ui_muted"), indent=0.09, gap=0.15)
                levels = self.difficulties()
                self.level = min(self.level, len(levels) - 1)
                chips = "   ".join(
                    ("[ " if j == self.level else "  ") + level_words(d["id"]) + (" ]" if j == self.level else "  ")
                    for j, d in enumerate(levels)
                )
                lay.text(
                    t("scenario.picker.difficulty", chips=chips), 0.72, theme.colour("ui_accent"), indent=0.09, gap=0.1
                )
                d = levels[self.level]
                about = " - ".join(x for x in (d.get("label"), d.get("description")) if x)
                if about:
                    lay.text(about, 0.65, theme.colour("ui_muted"), indent=0.09, gap=0.15)
                panel(self.root, (-w + 0.04, w - 0.04, lay.y + s * 0.1, y0 + s * 0.1), theme.colour("ui_accent", 0.18))
                row.reparentTo(self.root)  # drawn above the highlight
            area = (-w + 0.04, w - 0.04, lay.y + s * 0.1, y0 + s * 0.1)
            self._buttons.append(click_area(self.root, area, self.click, i, name=f"picker:{sc['id']}"))
            lay.space(0.25)
        lay.space(0.3)
        lay.text(
            t("scenario.picker.keys"),
            0.72,
            theme.colour("ui_muted"),
        )
        bottom = lay.y - s * 0.3
        if bottom < -0.97 and k > 0.6:
            return self._draw(k * 0.88)
        bg["frameSize"] = (-w, w, bottom, top)

    def click(self, index: int) -> None:
        """A click chooses a scenario; a click on the chosen one starts it (as Enter does)."""
        if index == self.index and index < len(self.scenarios):
            self.on_start(self.scenarios[index]["id"], self.difficulties()[self.level]["id"])
        elif index < len(self.scenarios):
            self.index, self.level = index, 0
            self._draw()

    def set_scenarios(self, scenarios: list[dict]):
        self.scenarios = [s for s in scenarios if isinstance(s, dict) and s.get("id")]
        self.index = min(self.index, max(0, len(self.scenarios) - 1))
        self.busy = False
        self._draw()

    def select(self, scenario_id: str, difficulty: str | None = None) -> bool:
        for i, sc in enumerate(self.scenarios):
            if sc["id"] == scenario_id:
                self.index = i
                ids = [d["id"] for d in self.difficulties()]
                self.level = ids.index(difficulty) if difficulty in ids else 0
                self._draw()
                return True
        return False

    def on_key(self, key: str) -> bool:
        n = len(self.scenarios)
        if key == "escape":
            self.on_close()
            return True
        if key in ("arrow_down", "tab") and n:
            self.index = (self.index + 1) % n
            self.level = 0
        elif key == "arrow_up" and n:
            self.index = (self.index - 1) % n
            self.level = 0
        elif key in ("arrow_left", "arrow_right") and n:
            levels = self.difficulties()
            self.level = max(0, min(len(levels) - 1, self.level + (1 if key == "arrow_right" else -1)))
        elif key == "enter" and n:
            self.on_start(self.scenarios[self.index]["id"], self.difficulties()[self.level]["id"])
            return True
        else:
            return True
        self._draw()
        return True

    def on_char(self, ch: str):
        pass

    def destroy(self):
        for b in self._buttons:
            b.destroy()
        self.root.removeNode()


class AnswerFocus:
    """Routes keys to the panel's answer field while the participant types their own words."""

    def __init__(self, app, panel: ScenarioPanel):
        self.app, self.panel = app, panel

    def on_key(self, key: str) -> bool:
        panel = self.panel
        if panel.mode != "run" or not panel.typing:
            used = panel.on_key(key)  # the stop question or the summary: the panel's own keys
        else:
            used = panel.field_key(key)
        if not panel.typing and self.app.focus is self:
            self.app.focus = None
        return used

    def on_char(self, ch: str):
        self.panel.field_char(ch)


RATING_MAX = SELF_RATING_MAX
RATING_START = 5
RATING_KEYS = ("arrow_left", "arrow_right", "enter", "escape")


class ScenarioPanel:
    """The running scenario, on the right side of the screen under the recording indicator."""

    def __init__(
        self,
        parent: NodePath,
        scale: float,
        top: float,
        bottom: float,
        on_choose: Callable[[str], None],
        on_answer: Callable[[str], None],
        on_stop: Callable[[], None],
        on_close: Callable[[], None],
        reduced_motion: bool = False,
        width: float | None = None,
        on_rate: Callable[[int], None] | None = None,
    ):
        self.parent = parent
        self.width = width if width is not None else scenario_width(scale, 1.6)
        self.root = parent.attachNewNode("scenario-panel")
        self.scale, self.top, self.bottom = scale, top, bottom
        self.on_choose, self.on_answer, self.on_stop, self.on_close = on_choose, on_answer, on_stop, on_close
        self.on_rate = on_rate
        self.rating = RATING_START  # the participant's own 0-10 rating of the role-play just ended, being chosen
        self.rating_skipped: str | None = None  # the role-play whose rating they chose to skip
        self.reduced_motion = reduced_motion
        self.state: dict | None = None
        self.mine = True  # the run's participant is this person (others only watch)
        self.mode = "run"  # run | confirm_stop | summary
        self.lines: list[tuple[str, str, bool]] = []  # (name, text, mine): the phase's lines
        self.scroll = 0  # lines scrolled back from the newest
        self._new_lines = 0  # lines said since the last state
        self._visible: list[tuple[str, str, bool]] = []  # the lines that fit the panel now
        self._earlier = 0  # lines above those shown
        self.endings: dict[str, str] = {}
        self.summary: list[str] = []
        self.ended_run = None
        self.busy = False  # a choice was sent; waiting for the next state
        self.typing = False
        self.field: TextField | None = None
        self.typed = ""
        self.texts: list = []  # every OnscreenText on the panel (tests read them)
        self._phase_index = None
        self._fade = 1.0
        self._buttons: list = []  # click areas over the options (rebuilt with the panel)
        self._draw()

    # --- model ---------------------------------------------------------------------------------
    @property
    def options(self) -> list[dict]:
        if self.state is None or not self.mine or self.mode != "run":
            return []
        return [o for o in (self.state.get("options") or []) if isinstance(o, dict) and o.get("id")][:9]

    @property
    def wait(self) -> str | None:
        return self.state.get("wait") if self.state else None

    @property
    def free_text(self) -> bool:
        return bool(self.state and self.state.get("free_text") and self.mine and self.mode == "run")

    @property
    def waiting_for_me(self) -> bool:
        return bool(self.options) and not self.busy

    @property
    def rating_due(self) -> bool:
        """A role-play has just ended and the participant has not rated it yet (nor chosen to skip it)."""
        st = self.state or {}
        due = st.get("self_rating")
        return bool(
            self.on_rate is not None
            and self.mine
            and self.mode == "run"
            and due
            and due.get("value") is None
            and due.get("phase") != self.rating_skipped
        )

    def set_state(self, state: dict, mine: bool):
        if self.mode == "summary":
            if state.get("run") == self.ended_run:
                return  # the last state of a run that has ended: keep the summary
            self.mode = "run"
        self.state = state
        self.mine = mine
        self.busy = False
        # where own words are accepted the field is open at once: typing needs no key first
        if self.free_text and not self.typing:
            self.open_field()
        elif not self.free_text and self.typing:
            self.close_field()
        ph = state.get("phase") or {}
        if ph.get("index") != self._phase_index:
            self._phase_index = ph.get("index")
            # the lines said since the last state came with this new part (the server says a part's
            # first lines before its state); otherwise keep the line you answer, if the cast said it
            fresh = self.lines[len(self.lines) - self._new_lines :] if self._new_lines else []
            self.lines = fresh or (self.lines[-1:] if self.lines and not self.lines[-1][2] else [])
            self.scroll = 0
        self._new_lines = 0
        end = state.get("ending")
        if isinstance(end, dict) and end.get("id"):
            self.endings[end["id"]] = str(end.get("title") or words(end["id"]))
        self._draw()

    def add_line(self, name: str, text: str, mine: bool = False):
        self.lines.append((name, text, mine))
        self.lines = self.lines[-MAX_LINES:]
        self._new_lines = min(len(self.lines), self._new_lines + 1)
        if self.scroll:
            self.scroll += 1  # reading back: what you read stays where it is
        self._draw()

    def scroll_by(self, lines: int) -> None:
        """Page Up / the wheel (+): read the phase's earlier lines; Page Down (-): come back."""
        scroll = max(0, min(len(self.lines) - 1, self.scroll + lines))
        if scroll != self.scroll:
            self.scroll = scroll
            self._draw()

    def ended(self, payload: dict):
        self.mode = "summary"
        self.ended_run = payload.get("run")
        self.busy = False
        self.close_field()
        self.summary = summary_lines(
            payload.get("summary") or {}, str(payload.get("status") or "finished"), self.endings
        )
        self._draw()

    def not_sent(self):
        """The server refused (its calm message is shown as a notice): let the person try again."""
        self.busy = False
        self._draw()

    # --- keys -------------------------------------------------------------------------------------
    def on_key(self, key: str) -> bool:
        """Keys while the panel is shown and nothing else has the focus. True when used."""
        if key in SCROLL_KEYS:
            self.scroll_by({"page_up": 3, "wheel_up": 1, "page_down": -3, "wheel_down": -1}[key])
            return True
        if self.mode == "summary":
            if key in ("enter", "escape", "space"):
                self.on_close()
                return True
            return False
        if self.mode == "confirm_stop":
            if key == "enter":
                self.mode = "run"
                self.busy = True
                self.on_stop()
            elif key == "escape":
                self.mode = "run"
            else:
                return key in DIGITS or key == "space"
            self._draw()
            return True
        if self.rating_due and key in RATING_KEYS and not self.typing:
            return self.rate_key(key)
        if key == "escape":
            if self.mine and self.state is not None:
                self.mode = "confirm_stop"
                self._draw()
                return True
            return False
        if not self.mine or self.state is None:
            return False
        opts = self.options
        if key in DIGITS:
            if not opts:
                return False
            i = int(key) - 1
            if i < len(opts) and not self.busy:
                self.choose(opts[i]["id"])
            return True  # while options are offered, numbers never wave or nod
        if key == "space" and len(opts) == 1 and not self.busy:
            self.choose(opts[0]["id"])
            return True
        if key == "enter":
            if self.busy:
                return True
            if self.wait in ("continue", "ended") and opts:
                self.choose(opts[0]["id"])
                return True
            if self.free_text:
                self.open_field()
                return True
        return False

    def rate_key(self, key: str) -> bool:
        """Left/Right choose 0-10, Enter saves the rating, Esc skips it (the run goes on either way)."""
        if key in ("arrow_left", "arrow_right"):
            self.rating = max(0, min(RATING_MAX, self.rating + (1 if key == "arrow_right" else -1)))
        elif key == "enter" and not self.busy and self.on_rate is not None:
            self.busy = True
            self.on_rate(self.rating)
        elif key == "escape":
            self.rating_skipped = (self.state or {}).get("self_rating", {}).get("phase")
        self._draw()
        return True

    def click(self, option_id: str):
        """A click on an option row (the same as its number key)."""
        if not self.busy and self.mode == "run" and any(o["id"] == option_id for o in self.options):
            self.choose(option_id)

    def _drop_buttons(self):
        for b in self._buttons:
            b.destroy()
        self._buttons = []

    def choose(self, option_id: str):
        self.busy = True
        self.close_field()
        self._draw()
        self.on_choose(option_id)

    # typed answers
    def open_field(self):
        self.typing = True
        self.typed = ""
        self._draw()

    def close_field(self) -> str:
        text, self.typing, self.typed = self.typed, False, ""
        return text

    def field_key(self, key: str) -> bool:
        if key in SCROLL_KEYS:
            return self.on_key(key)
        if not self.typed.strip() and (key in DIGITS or key in ("space", "enter", "escape")):
            # an empty field: the number keys still choose, Enter continues, Esc asks to stop
            return self.on_key(key) or key != "escape"
        if key == "enter":
            if self.busy:
                return True
            text = self.close_field().strip()
            self.busy = True
            self.on_answer(text[:500])
            self._draw()
            return True
        if key == "escape":  # back: clear what was typed, keep the field
            self.typed = ""
            if self.field:
                self.field.set("")
            return True
        if key == "backspace":
            self.typed = self.typed[:-1]
            if self.field:
                self.field.set(self.typed)
            return True
        # letters, digits, '-' and '=' belong to the answer; F-keys (help, feelings) and Ctrl+Q still work
        return not ((key.startswith("f") and key[1:].isdigit()) or key.startswith("control-"))

    def field_char(self, ch: str):
        if not self.typing or self.busy:
            return  # a digit that just chose an option comes here too, as a typed character
        if not self.typed and ch.isspace():
            return
        if len(ch) == 1 and ch.isprintable() and len(self.typed) < 500:
            self.typed += ch
            if self.field:
                self.field.set(self.typed)

    # --- drawing ----------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        """Everything the panel shows, as one string (for tests and the autoplay log)."""
        return "\n".join(t.getText() for t in self.texts if not t.isEmpty())

    def _draw(self):
        k = 1.0
        while True:  # measured dry: only the layout that fits is drawn
            self._visible, self._earlier = [], 0
            room = self._build(k, dry=True) - self.bottom  # the height left for the phase's lines
            self._fit(room, 0.05 * self.scale * k)
            bottom = self._build(k, dry=True)
            if bottom >= self.bottom or k <= 0.62:
                break
            k *= 0.9  # too tall for the screen at this text size: shrink a little, never overflow
        self._build(k)
        if not self.reduced_motion:
            self._fade = 0.0
            self.root.setAlphaScale(0.35)

    def _fit(self, room: float, s: float) -> None:
        """Which of the phase's lines fit in `room`: the newest, or up to where you scrolled back; at least one."""
        end = len(self.lines) - self.scroll
        note = s * 0.75 * 1.2 + s * 0.1  # an "earlier lines" / "newer lines" row
        room -= note if self.scroll else 0.0
        wrap = max(4.0, (self.width - 0.1) / (s * 0.95))
        shown: list[tuple[str, str, bool]] = []
        for i in range(end - 1, -1, -1):
            who, said, mine = self.lines[i]
            h = text_rows(f"{who}: {said}", wrap) * s * 0.95 * 1.2 + s * 0.25
            if shown and room - h < (note if i > 0 else 0.0):
                break
            room -= h
            shown.insert(0, self.lines[i])
        self._visible, self._earlier = shown, max(0, end - len(shown))

    def update(self, dt: float):
        if self._fade < 1.0:
            self._fade = min(1.0, self._fade + dt / 0.25)
            self.root.setAlphaScale(0.35 + 0.65 * self._fade)

    def _build(self, k: float, dry: bool = False) -> float:
        """Lay the panel out at text scale `k`; returns its bottom. `dry`: only measure, draw nothing."""
        if not dry:
            self._drop_buttons()
            self.root.getChildren().detach()
            self.texts = []
            self.field = None
        s = 0.05 * self.scale * k
        w = self.width
        left, right = -w - 0.03, -0.03
        bg = None if dry else panel(self.root, (left, right, self.top - 0.2, self.top), theme.colour("ui_panel", 0.9))
        lay = _Layout(self.root, left + 0.05, w - 0.1, self.top - 0.03, s, dry)
        muted, accent, text = theme.colour("ui_muted"), theme.colour("ui_accent"), theme.colour("ui_text")
        st = self.state or {}
        title = str(st.get("title") or t("scenario.practice"))
        if self.mode == "summary":
            lay.text(title, 1.15, accent)
            for line in self.summary:
                lay.text(line, 0.95, text)
            lay.space(0.3)
            lay.text(t("scenario.summary.keys"), 0.75, muted)
        elif not st:
            lay.text(t("scenario.starting"), 1.0, muted)
        else:
            level = level_words(st.get("difficulty"))
            lay.text(f"{title}  ({level})" if level else title, 1.1, accent, gap=0.2)
            ph = st.get("phase") or {}
            count = int(ph.get("count") or len(st.get("phases") or []) or 1)
            index = int(ph.get("index") or 0)
            name = ph.get("title") or phase_words(ph.get("kind"))
            kind = phase_words(ph.get("kind"))
            head = t("scenario.part", n=index + 1, count=count, name=name)
            if kind and kind != name:
                head += f"  ({kind.lower()})"
            lay.text(head, 0.9, text, gap=0.25)
            self._dots(lay, index, count, left + 0.05, w - 0.1, s)
            if not self.mine:
                lay.text(t("scenario.watching"), 0.85, muted)
            if self._earlier:
                n = self._earlier
                lay.text(tn("scenario.earlier", n), 0.75, accent, gap=0.1)
            for who, said, mine in self._visible:
                lay.text(f"{who}: {said}", 0.95, muted if mine else text, gap=0.25)
            if self.scroll and self._visible:
                n = self.scroll
                lay.text(tn("scenario.newer", n), 0.75, accent, gap=0.1)
            end = st.get("ending")
            if isinstance(end, dict) and st.get("wait") == "ended":
                ending = end.get("title") or words(end.get("id", ""))
                lay.text(t("scenario.how_it_ended", ending=ending), 0.95, accent, gap=0.1)
                if end.get("text"):
                    lay.text(str(end["text"]), 0.85, text)
            if self.rating_due:
                lay.text(t("scenario.rate.ask"), 0.95, accent, gap=0.1)
                scale = "  ".join(f"[{n}]" if n == self.rating else str(n) for n in range(RATING_MAX + 1))
                lay.text(scale, 0.95, text, gap=0.1)
                lay.text(t("scenario.rate.ends"), 0.75, muted, gap=0.2)
            if st.get("homework") and ph.get("kind") == "homework":
                lay.text(t("scenario.homework"), 0.95, accent, gap=0.1)
                lay.text(str(st["homework"]), 0.9, text)
            prompt = st.get("prompt") or (t("scenario.what_do_you_say") if st.get("wait") == "choice" else "")
            if self.mode == "confirm_stop":
                lay.space(0.3)
                lay.text(t("scenario.stop.title"), 1.05, accent, gap=0.15)
                lay.text(t("scenario.stop.body"), 0.9, text)
                lay.text(t("scenario.stop.keys"), 0.85, muted)
            elif self.mine:
                if prompt:
                    lay.text(str(prompt), 1.0, accent)
                opts = self.options
                speaking = st.get("speaking")
                if speaking and not opts:
                    who = ((st.get("cast") or {}).get(speaking) or {}).get("name") or words(speaking)
                    lay.text(t("scenario.speaking", name=who), 0.95, muted, gap=0.2)
                for i, o in enumerate(opts, 1):
                    y0 = lay.y
                    lay.text(f"{i}", 1.0, accent, gap=-1.2)
                    lay.text(str(o.get("text") or o["id"]), 1.0, text, indent=s * 1.3, gap=0.2)
                    if not dry and not self.busy:
                        # the whole row is a button: a click chooses it, as its number key does
                        self._buttons.append(
                            click_area(
                                self.root,
                                (left + 0.02, right - 0.02, lay.y + s * 0.1, y0),
                                self.click,
                                o["id"],
                                name=f"option:{o['id']}",
                            )
                        )
                if st.get("wait") == "emotion":
                    lay.text(t("scenario.look_closely"), 0.8, muted, gap=0.2)
                for h in st.get("hints") or []:
                    lay.text(t("scenario.hint", hint=h), 0.85, muted, gap=0.2)
                note = t(f"scenario.note.{st['note']}") if st.get("note") in ("no_match", "unclear_emotion") else ""
                if note:
                    lay.text(note, 0.85, theme.colour("ui_text"), gap=0.2)
                if self.typing:
                    lay.space(0.9)
                    if not dry:
                        self.field = TextField(
                            self.root, "", (left + 0.07, lay.y), w - 0.16, s, max_len=500, value=self.typed
                        )
                        self.field.caption.hide()
                        self.field.focus(True)
                    lay.space(1.6)
                if self.busy:
                    lay.text("...", 1.0, muted)
                else:
                    lay.text(self._keys_line(), 0.75, muted)
        bottom = lay.y - s * 0.2
        if bg is not None:
            bg["frameSize"] = (left, right, bottom, self.top)
            self.texts = lay.texts
        return bottom

    def _keys_line(self) -> str:
        if self.rating_due:
            return t("scenario.rate.keys")
        n = len(self.options)
        if self.typing:
            pick = "" if not n else t("scenario.keys.or_one") if n == 1 else t("scenario.keys.or_range", n=n)
            return t("scenario.keys.typing", pick=pick)
        parts = []
        if self.wait in ("continue", "ended"):
            parts.append(t("scenario.keys.continue"))
        elif n:
            parts.append(t("scenario.keys.one") if n == 1 else t("scenario.keys.range", n=n))
            if self.free_text:
                parts.append(t("scenario.keys.own_words"))
        parts.append(t("scenario.keys.stop"))
        return "   ".join(parts)

    def _dots(self, lay: _Layout, index: int, count: int, left: float, width: float, s: float):
        count = max(1, min(count, 20))
        gap = min(s * 0.6, width / (count * 3))
        size = min(s * 0.55, (width - gap * (count - 1)) / count)
        y = lay.y - s * 0.1
        for i in range(count):
            x = left + i * (size + gap)
            colour = (
                theme.colour("ui_accent")
                if i < index
                else theme.colour("ui_text")
                if i == index
                else theme.colour("ui_muted", 0.35)
            )
            if not lay.dry:
                panel(self.root, (x, x + size, y - size, y), colour)
        lay.y = y - size - s * 0.45

    def destroy(self):
        self._drop_buttons()
        self.root.removeNode()
