"""The input stack: each key goes to the highest-priority mode that wants it.

Like Evennia's command sets merged by priority, every context (a safety key, a
field you type into, the coach console, a running scenario, walking, the menus,
the room's own actions) is a small mode object with a priority. The stack asks
them in priority order; the first that uses the key ends the search. Which
keys a mode takes is data (the tables below), not a chain of ifs.

The "focus" (chat, coach console, help, settings, login and room-list screens,
scenario picker and answer field, safety dialogs) is whatever currently
receives typed text; `TextEntryMode` hands keys to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wire import events

from .i18n import t
from .ui.helpline import DUTY_KEY, END_KEY, HELP_KEY
from .ui.safety import SELECT_KEYS
from .ui.scenario import DIGITS, SCROLL_KEYS, AnswerFocus
from .ui.voice import PTT_KEY, SAY_KEY

if TYPE_CHECKING:
    from .app import PeerspaceClient

EXPRESSION_KEYS = {
    "f2": "neutral",
    "f3": "happy",
    "f4": "sad",
    "f5": "angry",
    "f6": "surprised",
    "f7": "afraid",
    "f8": "disgusted",
}
GESTURE_KEYS = {"1": "wave", "2": "nod", "3": "shake_head", "4": "point", "5": "shrug", "6": "thumbs_up"}
# While a scenario offers options, 1-9 choose them; Shift+1..6 still gesture.
SHIFT_GESTURE_KEYS = {f"shift-{k}": v for k, v in GESTURE_KEYS.items()}
SCENARIO_KEYS = ("p", "f11", "space") + DIGITS
# key -> (axis index: 0 forward, 1 strafe, 2 turn; value). Turn + is to the left (counter-clockwise).
MOVE_KEYS = {
    "w": (0, 1),
    "arrow_up": (0, 1),
    "s": (0, -1),
    "arrow_down": (0, -1),
    "a": (2, 1),
    "arrow_left": (2, 1),
    "d": (2, -1),
    "arrow_right": (2, -1),
    "q": (1, -1),
    "e": (1, 1),
}
QUIT_KEY = "control-q"  # asks first, on every screen
UI_KEYS = (
    "tab",
    "enter",
    "escape",
    "backspace",
    "arrow_up",
    "arrow_down",
    "arrow_left",
    "arrow_right",
    "f1",
    "f9",
    "f10",
    "f12",
    QUIT_KEY,
)
COACH_KEY = "k"  # peer specialists and facilitators: open the coach console
COACH_ROLES = (events.PEER_SPECIALIST, events.FACILITATOR, events.ADMIN)
# H: "I'd like to talk to someone" (staff: answer a help request); O: staff go on or off duty; Delete: end the
# help conversation (in its window). SafetyMode takes them (client/ui/helpline.py).
HELPLINE_KEYS = (HELP_KEY, DUTY_KEY, END_KEY)
COACH_SCROLL_KEYS = ("page_up", "page_down")  # the coach console's transcript (CoachMode comes before ScrollMode)
ALL_KEYS = (
    set(UI_KEYS)
    | set(MOVE_KEYS)
    | set(EXPRESSION_KEYS)
    | set(GESTURE_KEYS)
    | {"-", "=", "+"}
    | set(SCENARIO_KEYS)
    | set(SHIFT_GESTURE_KEYS)
    | {COACH_KEY}
    | set(HELPLINE_KEYS)
    | set(COACH_SCROLL_KEYS)
    | set(SCROLL_KEYS)
    | {PTT_KEY, SAY_KEY}
)


def _is_fkey(key: str) -> bool:
    return key.startswith("f") and key[1:].isdigit()


def _command_chars() -> frozenset[str]:
    """The typed characters whose key is also a command in the room (walk, choose a person, help...)."""
    keys = ALL_KEYS | set(SELECT_KEYS)
    plain = {k for k in keys if len(k) == 1}
    shifted = {k[-1].upper() for k in keys if k.startswith("shift-") and len(k) == 7}
    return frozenset(plain | shifted)


COMMAND_CHARS = _command_chars()


def starts_a_message(ch: str) -> bool:
    """A letter that is no command, typed with nothing open in the room: the start of a chat message
    (so a sentence typed without Enter goes into the chat instead of acting on its letters)."""
    return len(ch) == 1 and ch.isalpha() and ch not in COMMAND_CHARS


class Mode:
    """One context of the keyboard. `on_key` returns True when it used the key (the search ends)."""

    priority = 0

    def __init__(self, app: PeerspaceClient):
        self.app = app

    def free(self) -> bool:
        """In the room, and nothing has the focus: the keys act in the world."""
        return self.app.focus is None and self.app.in_room

    def on_key(self, key: str) -> bool:
        raise NotImplementedError


class SafetyMode(Mode):
    """Home/Pause (quiet room), R (report or block someone), End (dismiss an alert), H (talk to someone),
    O (staff: duty): above everything."""

    priority = 100

    def on_key(self, key: str) -> bool:
        return self.app.safety.on_key(key)


class TextEntryMode(Mode):
    """Whatever has the focus (a text field, a panel, a screen) gets the key first."""

    priority = 90

    def on_key(self, key: str) -> bool:
        focus = self.app.focus
        return focus is not None and bool(focus.on_key(key))


class CoachMode(Mode):
    """K opens the coach console, for staff who have one."""

    priority = 80

    def on_key(self, key: str) -> bool:
        if key == COACH_KEY and self.free() and self.app.coach is not None:
            self.app.coaching.open()
            return True
        return False


class ScrollMode(Mode):
    """Page Up / Page Down and the mouse wheel read back: the scenario panel's lines while it is open
    (the chat's while you type a message), the wheel whichever of the two the pointer is over."""

    priority = 75

    def on_key(self, key: str) -> bool:
        app = self.app
        if key not in SCROLL_KEYS or not app.in_room or not (app.focus is None or isinstance(app.focus, ChatFocus)):
            return False
        panel = app.scenarios.panel
        if key.startswith("wheel"):
            over_chat = app.hud.pointer_over_chat()
            use_panel = panel is not None and not over_chat
        else:
            use_panel = panel is not None and not isinstance(app.focus, ChatFocus)
        if use_panel:
            return panel.on_key(key)
        app.chat.scroll_by({"page_up": 5, "wheel_up": 1, "page_down": -5, "wheel_down": -1}[key])
        return True


class ScenarioMode(Mode):
    """While a scenario panel is open: options by digit, Space, the answer field."""

    priority = 70

    def on_key(self, key: str) -> bool:
        app = self.app
        panel = app.scenarios.panel
        if not self.free() or panel is None or not panel.on_key(key):
            return False
        panel = app.scenarios.panel
        if panel is not None and panel.typing:
            app.release_movement()
            app.focus = AnswerFocus(app, panel)
        return True


class MovementMode(Mode):
    """WASD and the arrows walk; walking steps back from a close-up."""

    priority = 60

    def on_key(self, key: str) -> bool:
        if key not in MOVE_KEYS or not self.free():
            return False
        app = self.app
        app.closeup = None
        app.pointer.walk.stop()  # the keys take over from a click-to-walk at once
        app.held[key] = MOVE_KEYS[key]
        app.send_axes()
        return True


class MenuMode(Mode):
    """F1 help, F10 settings, Ctrl+Q quit (asking first): anywhere. Esc is only ever "back": what it
    closes took it before this; with nothing open it does nothing (never settings, never quit)."""

    priority = 50

    def on_key(self, key: str) -> bool:
        app = self.app
        if key == "f1":
            app.open_help()
        elif key == "f10":
            app.open_settings()
        elif key == QUIT_KEY:
            app.screens.ask_quit()
        elif key == "escape":
            return True  # nothing open: nothing to go back from
        else:
            return False
        return True


class RoomMode(Mode):
    """The room's own actions: chat, feelings, gestures, scenarios, recording consent, close-up."""

    priority = 40

    def __init__(self, app: PeerspaceClient):
        super().__init__(app)
        actions: dict[str, Callable[[], Any]] = {
            "enter": app.open_chat,
            "tab": app.open_chat,
            "-": lambda: app.set_my_expression(app.my_expression, max(0.25, round(app.my_intensity - 0.25, 2))),
            "=": self._stronger,
            "+": self._stronger,
            "p": app.scenarios.open_picker,
            "f11": app.scenarios.open_picker,
            "f12": lambda: app.spawn(app.net.toggle_recording(), t("do.change_recording")),
            "f9": app.camera_view.toggle_closeup,
            PTT_KEY: app.voice.press,  # held: you are heard (its key-up releases: client/ui/voice.py)
            SAY_KEY: app.voice.toggle_answer,  # a practice answer, said aloud and recognised on this machine
        }
        for key, name in EXPRESSION_KEYS.items():
            actions[key] = lambda name=name: app.set_my_expression(name, app.my_intensity)
        for key, name in (GESTURE_KEYS | SHIFT_GESTURE_KEYS).items():
            actions[key] = lambda name=name: app.gesture(name)
        self.actions = actions

    def _stronger(self) -> None:
        app = self.app
        app.set_my_expression(app.my_expression, min(1.0, round(app.my_intensity + 0.25, 2)))

    def on_key(self, key: str) -> bool:
        action = self.actions.get(key)
        if action is None or not self.app.in_room:
            return False
        action()
        return True


class InputStack:
    """The modes, asked highest priority first."""

    def __init__(self, modes: list[Mode]):
        self.modes = sorted(modes, key=lambda m: -m.priority)

    def on_key(self, key: str) -> bool:
        return any(mode.on_key(key) for mode in self.modes)


def default_stack(app: PeerspaceClient) -> InputStack:
    return InputStack(
        [
            SafetyMode(app),
            TextEntryMode(app),
            CoachMode(app),
            ScrollMode(app),
            ScenarioMode(app),
            MovementMode(app),
            MenuMode(app),
            RoomMode(app),
        ]
    )


class ChatFocus:
    """Routes keys to the chat input while typing."""

    def __init__(self, app: PeerspaceClient):
        self.app = app

    def on_key(self, key: str) -> bool:
        chat = self.app.chat
        if key == "enter":
            text = chat.close().strip()
            self.app.focus = None
            if text:
                self.app.say(text)
            return True
        if key == "escape":
            chat.close()
            self.app.focus = None
            return True
        if key == "backspace":
            chat.input.backspace()
            return True
        if key in SCROLL_KEYS:
            return False  # ScrollMode scrolls the chat back while you type
        # typed letters, digits, '-' and '=' belong to the message; F-keys (help, feelings) and Ctrl+Q still work
        return not (_is_fkey(key) or key == QUIT_KEY)

    def on_char(self, ch: str) -> None:
        self.app.chat.input.type_char(ch)


class HelpFocus:
    def __init__(self, app: PeerspaceClient):
        self.app = app

    def on_key(self, key: str) -> bool:
        if key in ("escape", "f1", "enter"):
            self.app.close_help()
        return True

    def on_char(self, ch: str) -> None:
        pass


class SettingsFocus:
    """The settings panel keeps every key; Esc or F10 closes it."""

    def __init__(self, app: PeerspaceClient, panel):
        self.app, self.panel = app, panel

    def on_key(self, key: str) -> bool:
        if key in ("escape", "f10"):
            self.app.close_settings()
            return True
        self.panel.on_key(key)
        return True

    def on_char(self, ch: str) -> None:
        pass


def type_char(app: PeerspaceClient, ch: str) -> None:
    """A typed character goes to whatever has the focus; with nothing open in the room, a letter that is no
    command starts a chat message (a sentence typed straight away is a message, never a row of commands)."""
    if app.focus is None and app.in_room and not app.safety.paused and starts_a_message(ch):
        app.open_chat()
    if app.focus is not None and hasattr(app.focus, "on_char"):
        app.focus.on_char(ch)


def mode_name(app: PeerspaceClient) -> str:
    """What the keys do now, as the HUD shows it: typing an answer, chat, walking ('' elsewhere)."""
    if not app.in_room:
        return ""
    if isinstance(app.focus, AnswerFocus):
        return "answer"
    if isinstance(app.focus, ChatFocus):
        return "chat"
    return "walk" if app.focus is None and not app.safety.paused else ""


def sync_answer_focus(app: PeerspaceClient) -> None:
    """Each frame: the scenario's answer field has the keys whenever it is open and nothing else has them;
    once the answer is sent (or an option chosen, or the panel closed) the keys act in the room again."""
    panel = app.scenarios.panel
    if panel is not None and panel.typing and app.focus is None and app.in_room:
        app.release_movement()
        app.focus = AnswerFocus(app, panel)
    elif isinstance(app.focus, AnswerFocus) and (panel is None or not (panel.typing or panel.mode == "confirm_stop")):
        app.focus = None
