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
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from client.i18n import t  # noqa: E402
from client.ui import records as R  # noqa: E402

PICTURES = ROOT / "docs" / "pictures"

# --- sample records: a questionnaire, three past sessions, what is kept (no server) -------------------------------

Q = {
    "id": "confidence",
    "title": "Confidence in everyday conversations",
    "intro": "How sure do you feel that you can do these things? Think about the last two weeks.",
    "when": ["pre", "post"],
    "scale": {
        "min": 1,
        "max": 5,
        "labels": {"1": "Not at all", "2": "A little", "3": "Somewhat", "4": "Quite a lot", "5": "Very much"},
    },
    "lower_is_better": False,
    "items": [{"id": "a", "text": "I can tell someone calmly how I feel, even when the conversation is hard for me."}],
    "pre": 2.5,
    "post": 3.75,
    "due": None,
}
DAY = 86400.0
WHEN = time.mktime((2026, 11, 30, 14, 5, 0, 0, 0, -1))  # fixed, so the pictures do not change from day to day
SESSION = {
    "run": 3,
    "scenario": "starting_a_conversation",
    "title": "Starting a conversation",
    "started": WHEN,
    "status": "finished",
    "parts_done": 9,
    "parts": 9,
    "went_well": ["Greet them and say who you are", "Make small talk or ask a simple question"],
    "positive_feedback": 2,
    "feelings_recognised": {"correct": 3, "total": 4},
    "homework": "Say hello to one new person this week, and notice how they answer.",
    "replay": True,
    "scene": "cafe",
}
SESSIONS = [
    SESSION,
    {
        **SESSION,
        "run": 2,
        "title": "Refusing a request",
        "started": WHEN - 3 * DAY,
        "status": "stopped",
        "parts_done": 3,
        "went_well": [],
        "positive_feedback": 0,
        "feelings_recognised": {"correct": 0, "total": 0},
        "homework": None,
        "replay": False,
    },
    {
        **SESSION,
        "run": 1,
        "title": "A job interview",
        "started": WHEN - 7 * DAY,
        "went_well": ["Answer the question you were asked", "Ask one question about the job"],
        "homework": "Write down two questions you would like to ask at an interview.",
    },
]
PRACTICE = {
    "sessions": SESSIONS,
    "homework": [
        {"run": s["run"], "text": s["homework"], "set": s["started"], "scenario": s["title"], "done": None}
        for s in SESSIONS
        if s["homework"]
    ],
    "progress": {"sessions": 3, "finished": 2, "scenarios": 3, "skills_went_well": 4},
}
NOTICE = (
    "To keep this space safe, the server looks for a short list of phrases about being in danger or wanting to "
    "hurt yourself. If one appears in what you say, the team members on duty are told at once, and you are shown "
    "where to get help right away (and told if no one from the team is online). Nothing else you say is checked, "
    "and your words are only kept if you agreed to recording. Staff can mute or remove people, and you can block "
    "someone, report something, or pause in a calm room at any time. When a peer specialist follows your practice, "
    "they see your typed answer as you write it, so they can help; it is not kept."
)
DATA = {
    "name": "Ana",
    "monitoring": NOTICE,
    "recording": True,
    "recording_text": {
        "on": "Your lines and movements in sessions are now recorded for your own progress and for "
        "your peer specialist's supervision. You can turn this off at any time.",
        "off": "",
    },
    "kept": {"sessions": 12, "lines": 140, "questionnaires": 6, "replays": 4},
}
COURSE = {  # `my_course` as the server answers it (server/courses/book.py)
    "course": {"id": "social_skills_8_weeks", "title": "Social skills: eight weeks"},
    "group": {"id": 1, "name": "Tuesday evening group"},
    "timezone": "Europe/London",
    "position": {"held": 3, "total": 16, "next": 4},
    "next": {
        "number": 4,
        "title": "Asking for help",
        "review": True,
        "starts": "2030-01-17T18:00:00+00:00",
        "ends": "2030-01-17T19:30:00+00:00",
        "minutes": 90,
        "scenarios": [
            {"id": "homework_review", "title": "Last session's homework", "difficulty": "easy"},
            {
                "id": "asking_for_help",
                "title": "Asking for help",
                "difficulty": "easy",
                "suggested": {
                    "difficulty": "medium",
                    "from": "easy",
                    "reason": "2 role-plays in a row with every step done: try the next level",
                },
            },
        ],
    },
    "homework": {"text": "Ask a shop assistant where something is, and notice how it went.", "run": 7},
}
CALENDAR = "/home/ana/.local/share/peerspace/peerspace-course.ics"  # where My course saves the group's sessions


def noop(*_):
    return None


def records_screens(app, scale):
    """The "My records" screens with the sample records, by name (all built at once; show one at a time)."""
    parent = app.aspect2d
    menu = [("due", t("records.menu.due", title=Q["title"]), noop)] + [
        (name, t(f"records.menu.{name}"), noop) for name in ("questionnaires", "practice", "data", "course")
    ]
    data = R.MyDataScreen(parent, scale, DATA, {"consent": noop, "export": noop, "delete": noop}, noop)
    data.delete()  # the warning shown too
    saved = R.MyDataScreen(parent, scale, {**DATA, "recording": False}, {"consent": noop, "export": noop}, noop)
    saved.set_status(t("records.data.exported", path="/home/ana/Downloads/peerspace-my-records-20261130-140500.json"))
    result = R.QuestionnaireScreen(parent, scale, Q, "post", noop, noop)
    result.show_result(Q, 3.75)
    at_end = R.QuestionnaireScreen(parent, scale, Q, "pre", noop, noop)
    at_end.skip()
    course = R.CourseScreen(parent, scale, COURSE, noop, noop)
    course.set_status(t("course.saved", path=CALENDAR))  # S pressed: the sessions to come are in a calendar file
    return {
        "menu": R.MenuScreen(parent, scale, menu, noop),
        "questionnaires": R.QuestionnaireListScreen(parent, scale, [Q, {**Q, "due": "pre"}] * 2, noop, noop),
        "question": R.QuestionnaireScreen(parent, scale, Q, "pre", noop, noop),
        "sent": result,
        "ready": at_end,
        "practice": R.PracticeScreen(parent, scale, PRACTICE, noop, noop),
        "data": data,
        "data-saved": saved,
        "course": course,
    }


# --- a sample room and practice ------------------------------------------------------------------------------------


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


def first_start(app) -> None:
    """The installed client's first start (no --server, none in the settings file): which service? An address
    typed wrongly has been sent, so the field, what is wrong with it and the buttons all show."""
    installed = app.opts.server
    app.opts.server = None  # as at a first start; the sample login screen and the other tests keep theirs
    try:
        app.screens.show_server()
    finally:
        app.opts.server = installed
    for ch in "peerspace example org":
        app.screen.on_char(ch)
    app.screen.on_key("enter")


def rooms(app) -> None:
    app.show_rooms()
    app.screens.screen.set_rooms(
        [
            {"id": "cafe", "name": "Cafe", "scene": "cafe", "people": 3, "capacity": 12},
            {"id": "office", "name": "Interview practice", "scene": "office", "people": 0, "capacity": 6},
            {"id": "park", "name": "Park bench (quiet)", "scene": "park", "people": 1, "capacity": 4},
        ]
    )


# the longest duty line a participant sees: nobody on duty, and when the team is usually there (care.yaml)
NOBODY_ON_DUTY = (
    "No one from the team is online right now. The team is usually here Monday 10:00-16:00; Tuesday 10:00-16:00 "
    "and 18:00-20:00; Wednesday 10:00-16:00; Thursday 10:00-16:00; Friday 10:00-16:00 (Europe/London)."
)


def room(app) -> None:
    _room(app)
    app.safety.helpline.on_duty_status({"text": NOBODY_ON_DUTY})
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


SCENARIOS = [
    {
        "id": sid,
        "title": title,
        "topic": topic,
        "summary": summary,
        "scene": scene,
        "difficulties": [
            {"id": "easy", "label": "Easy", "description": "The other person is friendly and patient."},
            {"id": "medium", "label": "Medium", "description": "The other person is busy; you may need to ask twice."},
            {"id": "hard", "label": "Hard", "description": "The other person is short with you; stay calm and kind."},
        ],
    }
    for sid, title, topic, summary, scene in (
        ("starting_a_conversation", "Starting a conversation", "Small talk", "Say hello to someone new.", "cafe"),
        ("refusing_a_request", "Refusing a request", "Assertiveness", "Say no kindly and clearly.", "office"),
        ("a_job_interview", "A job interview", "Work", "Answer questions about yourself.", "office"),
    )
]
SUMMARY = {
    "phases": [{"id": f"p{i}"} for i in range(9)],
    "endings": [{"ending": "friendly"}],
    "scores": {"your_turn": {"greet": 2.0, "name": 2.0, "question": 1.0, "eye": 0.0}},
    "steps": {
        "greet": "Greet them",
        "name": "Say who you are",
        "question": "Ask a simple question",
        "eye": "Look at the person as you speak",
    },
    "emotion": {"correct": 3, "total": 4},
    "homework": "Say hello to one new person this week, and notice how they answer.",
}


def scenario_picker(app) -> None:
    _room(app)
    app.scenarios.open_picker()
    app.scenarios.picker.set_scenarios(SCENARIOS)


def scenario_summary(app) -> None:
    _room(app)
    app.scenarios.on_state({**RATING, "self_rating": None})
    app.scenarios.on_ended({"run": RUN["run"], "status": "finished", "summary": SUMMARY})


# a group practice: Ana (1) watched Robin's turn; Sam is next (wire/courses.py `group_turn`)
ANA, ROBIN, SAM = ({"id": i, "name": NAMES[a]} for i, a in ((1, 0), (2, 5), (3, 6)))
GROUP_FEEDBACK = {
    "room": "cafe",
    "scenario": "starting_a_conversation",
    "title": "Starting a conversation",
    "stage": "feedback",
    "turn": {"number": 2, "learner": ROBIN, "player": ROBIN, "reversed": False, "run": 8},
    "order": [{**ANA, "status": "done"}, {**ROBIN, "status": "now"}, {**SAM, "status": "next"}],
    "ask": {
        "learner": ROBIN,
        "steps": [
            {"id": "choose_moment", "text": "Choose a good time and person."},
            {"id": "greet", "text": "Greet them and say who you are."},
            {"id": "ask_question", "text": "Make small talk or ask a simple question."},
            {"id": "read_interest", "text": "Notice whether the other person is interested."},
            {"id": "end_politely", "text": "End the conversation politely."},
        ],
    },
}


def group_feedback(app) -> None:
    """Robin's turn has ended: the banner says the others are saying what went well, and who is next; Ana, who
    watched, is asked what went well (she has picked a step and begun to type). A notice goes below the banner."""
    _room(app)
    app.session.user["id"] = ANA["id"]
    app.group.on_turn(GROUP_FEEDBACK)
    app.notice("Connected again.")
    prompt = app.group.prompt
    prompt.pick(1)
    for ch in "Such a warm hello":
        prompt.on_char(ch)


def monitoring(app) -> None:
    _room(app)
    app.safety.on_monitoring({"text": NOTICE, "recording": False})


def quiet_room(app) -> None:
    _room(app)
    app.safety.on_paused({"paused": True, "text": ""})


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
        made = records_screens(app, app.settings.text_scale)
        for other, screen in made.items():
            if other != name:
                screen.destroy()
        app.set_screen(made[name])

    show.__name__ = f"records_{name}"
    return show


def records_replay(app) -> None:
    """One's own recorded session played back: Ana walks up to Robin and they talk."""
    import numpy as np

    from client.replay import ReplayTrack
    from client.ui.records import ReplayScreen
    from wire import codec

    def poses(ana_x: float) -> bytes:  # side by side to the camera, facing each other
        xy = np.array([[ana_x, 0.0], [0.8, 0.0]], np.float32)
        recs = codec.quantise(np.array([3, 4]), xy, np.array([270.0, 90.0], np.float32), np.zeros(2, np.uint8))
        return codec.encode_poses(recs)

    people = {
        "3": {"name": "Ana", "kind": "person", "role": "participant"},
        "4": {"name": "Robin", "kind": "cast", "role": ""},
    }
    page = {
        "frames": [{"t": WHEN + i, "poses": poses(-2.0 + 0.3 * i)} for i in range(5)],
        "members": [{"t": WHEN, "members": people}],
        "lines": [
            {"t": WHEN + 0.5, "avatar": 3, "name": "Ana", "text": "Hi, is this seat free? I'm Ana."},
            {"t": WHEN + 1.2, "avatar": 4, "name": "Robin", "text": "Oh, hello. Yes, it is free."},
        ],
    }
    title = t("records.replay.title", title=SESSION["title"], date=R.when_text(SESSION["started"]))
    app.set_screen(ReplayScreen(app, ReplayTrack([page]), "cafe", title, noop))


@dataclass(frozen=True)
class Screen:
    name: str
    caption: str  # one line under its picture in docs/client.md
    show: Callable


SCREENS = [
    Screen(
        "login",
        "Sign in; text size, contrast, reduced motion and language can be set here; below, the service's address "
        "and Change server.",
        login,
    ),
    Screen(
        "first-start",
        "The installed client's first start: which peerspace service to connect to (Change server on the sign-in "
        "screen comes back here).",
        first_start,
    ),
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
    Screen("scenario-picker", "P: the practice scenarios, each at three difficulties.", scenario_picker),
    Screen(
        "scenario-summary", "At the end of a practice: what happened, in plain words, without marks.", scenario_summary
    ),
    Screen("coach", "The coach console (staff), with the review card of an unsure typed answer.", coach),
    Screen(
        "group-feedback",
        "Group practice: the turn banner (whose turn, who is next) and, after a turn you watched, what went well.",
        group_feedback,
    ),
    Screen("person-menu", "A person chosen (R or a click): report, block, close.", person_menu),
    Screen("report", "Reporting: what is not OK.", report),
    Screen("block", "Blocking asks first.", block),
    Screen("monitoring", "On joining: what is monitored here (any key closes it; F10 shows it again).", monitoring),
    Screen("quiet-room", "Home: a quiet room to rest in, away from everyone.", quiet_room),
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
    Screen("records-ready", "A questionnaire at its end, ready to send.", _records("ready")),
    Screen("records-practice", "My practice: sessions, homework, progress without marks.", _records("practice")),
    Screen("records-replay", "A replay of one of your own recorded sessions.", records_replay),
    Screen("records-data", "My data: what is kept and why, consent, export, delete (asks first).", _records("data")),
    Screen("records-data-saved", "My data after the export: where the file is.", _records("data-saved")),
    Screen(
        "records-course",
        "My course: the group's next session, its practice, the homework; S saves the sessions to your calendar.",
        _records("course"),
    ),
]


def show(app, screen: Screen, text_size: str = "medium", frames: int = 6) -> None:
    """Put the shared app back to a clean state at `text_size` in the language set now (it stays from screen to
    screen, as a person's language setting does), then show `screen` and let 1.5 s pass in `frames` frames."""
    from client import i18n
    from client.testing import reset
    from client.ui.settings import Settings

    reset_size = (app.win.getXSize(), app.win.getYSize())
    language = i18n.language()  # reset() goes back to the default settings, English among them
    reset(app)
    resize_to(app, *reset_size)
    app.apply_settings(Settings(text_size=text_size, language=language))
    screen.show(app)
    settle(app, frames=frames)


def settle(app, seconds: float = 1.5, frames: int = 6) -> None:
    """Let `seconds` pass in a few frames (a fixed step, not the wall clock), so what glides or fades in
    (the camera framing the stage, a panel's fade) has arrived, however slow the machine."""
    from panda3d.core import ClockObject

    clock = ClockObject.getGlobalClock()
    clock.setMode(ClockObject.MNonRealTime)
    clock.setFrameRate(frames / seconds)
    try:
        app.step(frames)
    finally:
        clock.setMode(ClockObject.MNormal)


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
