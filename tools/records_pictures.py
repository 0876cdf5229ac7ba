"""Pictures of the "My records" screens for docs/client.md, drawn offscreen with sample records (no server).

    python tools/records_pictures.py                 # writes docs/images/records-*.png (960x600, medium text)
    python tools/records_pictures.py --size 1280x720 --text-size "extra large" --out out/records

`screens(app, scale)` builds every screen with the sample records; tests/test_client_records_layout.py
checks the same screens' layout at every size.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from client.i18n import t  # noqa: E402
from client.ui import records as R  # noqa: E402

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


def noop(*_):
    return None


def screens(app, scale):
    parent = app.aspect2d
    menu = [("due", t("records.menu.due", title=Q["title"]), noop)] + [
        (name, t(f"records.menu.{name}"), noop) for name in ("questionnaires", "practice", "data")
    ]
    data = R.MyDataScreen(parent, scale, DATA, {"consent": noop, "export": noop, "delete": noop}, noop)
    data.delete()  # the warning shown too
    saved = R.MyDataScreen(parent, scale, {**DATA, "recording": False}, {"consent": noop, "export": noop}, noop)
    saved.set_status(t("records.data.exported", path="/home/ana/Downloads/peerspace-my-records-20261130-140500.json"))
    result = R.QuestionnaireScreen(parent, scale, Q, "post", noop, noop)
    result.show_result(Q, 3.75)
    at_end = R.QuestionnaireScreen(parent, scale, Q, "pre", noop, noop)
    at_end.skip()
    return {
        "menu": R.MenuScreen(parent, scale, menu, noop),
        "questionnaires": R.QuestionnaireListScreen(parent, scale, [Q, {**Q, "due": "pre"}] * 2, noop, noop),
        "question": R.QuestionnaireScreen(parent, scale, Q, "pre", noop, noop),
        "sent": result,
        "ready": at_end,
        "practice": R.PracticeScreen(parent, scale, PRACTICE, noop, noop),
        "data": data,
        "data-saved": saved,
    }


def main(argv: list[str] | None = None) -> int:
    from client import theme
    from client.testing import resize, shared_app

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="960x600")
    p.add_argument("--text-size", default="medium", choices=list(theme.TEXT_SIZES))
    p.add_argument("--out", default=str(ROOT / "docs" / "images"))
    a = p.parse_args(argv)
    w, h = (int(v) for v in a.size.split("x"))
    app = shared_app()
    resize(app, w, h)
    made = screens(app, theme.TEXT_SIZES[a.text_size])
    out = Path(a.out)
    for name, screen in made.items():
        for other in made.values():
            other.root.hide()
        screen.root.show()
        print(app.save_screenshot(str(out / f"records-{name}.png")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
