"""Every screen of the participant's (and the coach's) client, drawn offscreen with sample data and no server.

    python tools/screen_pictures.py                  # writes docs/pictures/<screen>.png (960x600, medium text)
    python tools/screen_pictures.py --size 1280x720 --text-size "extra large" --out out/pictures
    python tools/screen_pictures.py --only room,settings

`SCREENS` names each screen and how to get the shared offscreen app (client/testing.py) to show it: the
same calls the network handlers and keys make. tests/test_client_layout.py lays every one of them out at
every window size, text size and language and checks that no two texts overlap and none is cut off;
docs/client.md shows the pictures this script draws.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools import records_pictures as sample  # noqa: E402

PICTURES = ROOT / "docs" / "pictures"

# the people in the sample room: you (0) and two others in front of you
PEOPLE = {0: (0.0, -2.0, 0.0), 5: (-0.9, 1.2, 190.0), 6: (1.0, 1.6, 160.0)}
NAMES = {0: "Ana", 5: "Robin", 6: "Sam"}
CHAT = [
    ("You are in Cafe. Press F1 for keys.", "notice"),
    ("Robin: Hi Ana, nice to see you here again. How was your week?", "chat"),
    ("Ana: Better than the last one, thank you. I tried the homework.", "chat"),
    ("Sam: Welcome back! I'm also practising small talk today.", "chat"),
]
CAST = {"you": {"kind": "participant", "name": "You"}, "alex": {"kind": "partner", "name": "Alex"}}
RUN = {
    "run": 7,
    "scenario": "starting_a_conversation",
    "title": "Starting a conversation",
    "difficulty": "easy",
    "wait": "choice",
    "phase": {"index": 3, "count": 9, "kind": "role_play", "title": "Your turn"},
    "cast": CAST,
    "avatars": {"alex": 5, "you": 0},
}
OPTIONS = {
    **RUN,
    "free_text": True,
    "prompt": "Alex is sitting alone at a table. What do you say?",
    "options": [
        {"id": "greet", "text": "Hi, is this seat free? I'm Ana."},
        {"id": "weather", "text": "Nice weather today, isn't it?"},
        {"id": "wait", "text": "(You stand near the table and wait to be noticed.)"},
    ],
    "hints": ["Start with a greeting, then say who you are."],
}
SPEAKING = {**RUN, "options": [], "speaking": "alex"}  # a line is owed: nothing is offered until it was said
RATING = {
    **RUN,
    "wait": "continue",
    "ending": {"id": "friendly", "title": "A friendly chat", "text": "Alex smiled and asked you to sit down."},
    "self_rating": {"phase": "your_turn", "value": None},
    "options": [],
}
COACH_STATE = {
    **OPTIONS,
    "wait": "review",
    "cue": {
        "roles": {
            "alex": [
                {"id": "r/line/0", "text": "Oh, hello. Yes, it is free.", "primary": True},
                {"id": "r/line/1", "text": "Sorry, I'm waiting for a friend.", "primary": False},
            ]
        },
        "intents": [],
        "expect": "choice",
    },
    "review": {
        "text": "Hello, sorry, can I sit here for a moment?",
        "candidates": [
            {"id": "greet", "text": "Hi, is this seat free? I'm Ana.", "confidence": 0.54},
            {"id": "wait", "text": "(You stand near the table and wait to be noticed.)", "confidence": 0.1},
        ],
        "signals": ["negation"],
    },
}


def _room(app, members=None) -> None:
    from client.testing import FakeSession, sample_room

    if app.session is None:
        app.session = FakeSession()
        app.session.user = {"role": "participant", "name": "Ana"}
    sample_room(app, PEOPLE, members=members or NAMES)
    for text, kind in CHAT:
        app.chat.add(text, kind)


def login(app) -> None:
    app.opts.server = "https://peerspace.example.org"
    app.show_login()


def rooms(app) -> None:
    app.show_rooms()
    app.screens.screen.set_rooms(
        [
            {"id": "cafe", "name": "Cafe", "scene": "cafe", "people": 3, "capacity": 12},
            {"id": "office", "name": "Interview practice", "scene": "office", "people": 0, "capacity": 6},
            {"id": "park", "name": "Park bench (quiet)", "scene": "park", "people": 1, "capacity": 4},
        ]
    )


def room(app) -> None:
    _room(app)
    app.notice("Connected again.")


def scenario_options(app) -> None:
    _room(app)
    app.scenarios.on_state(OPTIONS)


def scenario_speaking(app) -> None:
    _room(app)
    app.scenarios.on_state(SPEAKING)
    panel = app.scenario_panel
    panel.add_line("Alex", "Oh, hello there. I didn't see you come in. Are you here for the reading group?")
    panel.add_line("You", "Hi, is this seat free? I'm Ana.", mine=True)


def scenario_rating(app) -> None:
    _room(app)
    app.scenarios.on_state(RATING)


def coach(app) -> None:
    from client.testing import FakeSession
    from wire import controllers as wc
    from wire import scenario as wsc

    app.session = FakeSession()
    app.session.user = {"role": "peer_specialist", "name": "Pat"}
    _room(app)
    app.coaching.ensure()
    app.coaching.open()
    console = app.coach
    console.on_event(wc.CONTROLLER, {"avatar": 5, "role": "alex", "name": "Alex", "driver": "teleop", "by": "Pat"})
    console.on_event(wsc.SCENARIO_STATE, COACH_STATE)
    console.on_event(wsc.SCENARIO_TYPING, {"run": 7, "text": "Hello, sorry, can I sit"})


def person_menu(app) -> None:
    _room(app)
    app.safety.select(5)
    app.safety.open_person_menu()


def report(app) -> None:
    _room(app)
    app.safety.select(5)
    app.safety.open_report(5, "Robin")


def block(app) -> None:
    _room(app)
    app.safety.select(5)
    app.safety.open_block(5, "Robin")


def crisis(app) -> None:
    _room(app)
    app.safety.show_crisis(
        "You are not alone",
        "If you are in danger now, call 112. You can talk to someone any time: call 116 123 (free, day and night), "
        "or text SHOUT to 85258. A member of the team here has been told and will be with you soon.",
    )


def helpline(app) -> None:
    from client.i18n import t
    from client.ui.helpline import HelpWindow

    _room(app)
    help_line = app.safety.helpline
    help_line.channel = "sample"
    help_line.window = HelpWindow(help_line, t("help.title"), app.settings.text_scale)
    help_line.window.set_status("Jo from the team has joined. Only the two of you can read this.")
    help_line.window.add_line("Jo", "Hi Ana, I'm Jo. I'm here now. What would help most?")
    help_line.window.add_line(t("help.you"), "Thanks. I felt a bit shaky after the role-play.")
    help_line._show_window()


def alert(app) -> None:
    from client.testing import FakeSession

    app.session = FakeSession()
    app.session.user = {"role": "peer_specialist", "name": "Pat"}
    _room(app)
    app.safety.on_alert({"kind": "crisis", "avatar": 6, "name": "Sam", "room": "cafe", "room_name": "Cafe"})


def help_keys(app) -> None:
    _room(app)
    app.open_help()


def settings(app) -> None:
    _room(app)
    app.open_settings()


def avatar(app) -> None:
    _room(app)
    app.looks.open(first_time=True)


def quit_question(app) -> None:
    _room(app)
    app.screens.ask_quit()


def _records(name: str) -> Callable:
    def show(app) -> None:
        made = sample.screens(app, app.settings.text_scale)
        for other, screen in made.items():
            if other != name:
                screen.destroy()
        app.set_screen(made[name])

    show.__name__ = f"records_{name}"
    return show


@dataclass(frozen=True)
class Screen:
    name: str
    caption: str  # one line under its picture in docs/client.md
    show: Callable


SCREENS = [
    Screen("login", "Sign in; text size, contrast and reduced motion can be set here.", login),
    Screen("rooms", "The rooms to join.", rooms),
    Screen("room", "In a room: chat, name tags, your face, what is recorded, Help and Settings.", room),
    Screen(
        "scenario-options",
        "A practice: the part, the options (click or number) and the answer field.",
        scenario_options,
    ),
    Screen(
        "scenario-speaking",
        "A practice while a cast line is owed: who is speaking, the lines so far.",
        scenario_speaking,
    ),
    Screen("scenario-rating", "A role-play has ended: how it ended, and your own 0-10 rating.", scenario_rating),
    Screen("coach", "The coach console (staff), with the review card of an unsure typed answer.", coach),
    Screen("person-menu", "A person chosen (R or a click): report, block, close.", person_menu),
    Screen("report", "Reporting: what is not OK.", report),
    Screen("block", "Blocking asks first.", block),
    Screen("crisis", "The crisis card: where to get help now; it stays until you close it.", crisis),
    Screen("helpline", "The private help line with someone from the team.", helpline),
    Screen("alert", "Staff: a safety alert banner (who and where, never the words).", alert),
    Screen("help", "F1: the keys.", help_keys),
    Screen("settings", "F10: settings.", settings),
    Screen("avatar", "Choosing your avatar, with a preview of your face.", avatar),
    Screen("quit", "Quitting asks first.", quit_question),
    Screen("records-menu", "My records.", _records("menu")),
    Screen("records-questionnaires", "Questionnaires: which are due, and your scores.", _records("questionnaires")),
    Screen("records-question", "A question, answered by number or click.", _records("question")),
    Screen("records-sent", "After sending: your score in plain words.", _records("sent")),
    Screen("records-practice", "My practice: sessions, homework, progress without marks.", _records("practice")),
    Screen("records-data", "My data: what is kept and why, consent, export, delete (asks first).", _records("data")),
]


def show(app, screen: Screen, text_size: str = "medium") -> None:
    """Put the shared app back to a clean state at `text_size`, then show `screen`."""
    from client.testing import reset
    from client.ui.settings import Settings

    reset_size = (app.win.getXSize(), app.win.getYSize())
    reset(app)
    resize_to(app, *reset_size)
    app.apply_settings(Settings(text_size=text_size))
    screen.show(app)
    app.step(2)


def resize_to(app, width: int, height: int) -> None:
    from client.testing import resize

    app.opts.size = (width, height)  # reset() keeps this size
    resize(app, width, height)


def main(argv: list[str] | None = None) -> int:
    from client import theme
    from client.testing import shared_app

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="960x600")
    p.add_argument("--text-size", default="medium", choices=list(theme.TEXT_SIZES))
    p.add_argument("--out", default=str(PICTURES))
    p.add_argument("--only", default="", help="comma-separated screen names (default: all)")
    a = p.parse_args(argv)
    w, h = (int(v) for v in a.size.split("x"))
    only = {n for n in a.only.split(",") if n}
    app = shared_app(size=(w, h))
    resize_to(app, w, h)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for screen in SCREENS:
        if only and screen.name not in only:
            continue
        show(app, screen, a.text_size)
        print(app.save_screenshot(str(out / f"{screen.name}.png")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
