"""The records screens at every text size and window shape: every text and button inside the panel, none
over another (bounds from the scene graph), without a server."""

from __future__ import annotations

import time

import pytest

from client import theme
from client.testing import resize, shared_app
from client.ui import records as R

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
SESSION = {
    "run": 3,
    "scenario": "starting_a_conversation",
    "title": "Starting a conversation",
    "started": time.time() - 86400,
    "status": "finished",
    "parts_done": 9,
    "parts": 9,
    "went_well": ["Look at the person and smile", "Say hello and introduce yourself", "Ask an open question"],
    "positive_feedback": 2,
    "feelings_recognised": {"correct": 3, "total": 4},
    "homework": "Say hello to one new person this week, and notice how they answer.",
    "replay": True,
}
PRACTICE = {
    "sessions": [SESSION, {**SESSION, "run": 4, "status": "stopped", "parts_done": 3, "replay": False}] * 3,
    "homework": [
        {
            "run": 3,
            "text": SESSION["homework"],
            "set": SESSION["started"],
            "scenario": "Starting a conversation",
            "done": None,
        }
    ]
    * 2,
    "progress": {"sessions": 6, "finished": 3, "scenarios": 2, "skills_went_well": 3},
}
NOTICE = (
    "To keep this space safe, the server looks for a short list of phrases about being in danger or wanting to "
    "hurt yourself. If one appears in what you say, the team members on duty are told at once, and you are shown "
    "where to get help right away (and told if no one from the team is online). Nothing else you say is checked, "
    "and your words are only kept if you agreed to recording. Staff can mute or remove people, and you can block "
    "someone, report something, or pause in a calm room at any time."
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
    menu = [(str(i), f"Row {i}: a long enough label for a menu row", noop) for i in range(4)]
    data = R.MyDataScreen(parent, scale, DATA, {"consent": noop, "export": noop, "delete": noop}, noop)
    data.delete()  # the warning shown too
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
    }


def boxes(app, screen):
    """(name, (x0, x1, z0, z1)) of every shown text and button on the screen, in aspect2d units."""
    out = []
    for np in screen.root.findAllMatches("**/+TextNode"):
        bounds = np.getTightBounds(app.aspect2d) if np.node().getText() and not np.isHidden() else None
        if bounds:
            lo, hi = bounds
            out.append((np.node().getText()[:30], (lo.x, hi.x, lo.z, hi.z)))
    for name, b in screen.buttons.items():
        # the button's frame, and its caption (which must fit on it)
        x0, x1, z0, z1 = b["frameSize"]
        at = b.getPos(app.aspect2d)
        frame = (at.x + x0, at.x + x1, at.z + z0, at.z + z1)
        out.append((f"button {name}", frame))
        text = b.component("text0")
        lo, hi = text.getTightBounds(text.getParent())
        assert x0 <= lo.x and hi.x <= x1, (name, b["text"], "caption wider than its button")
    return out


@pytest.mark.parametrize("size", [(960, 600), (1280, 720)])
def test_records_screens_keep_their_text_inside_and_apart(size):
    app = shared_app()
    resize(app, *size)
    try:
        for text_size, scale in theme.TEXT_SIZES.items():
            made = screens(app, scale)
            try:
                for name, screen in made.items():
                    for other in made.values():
                        other.root.hide()
                    screen.root.show()
                    found = boxes(app, screen)
                    for what, (x0, x1, z0, z1) in found:
                        assert -1.3 <= x0 and x1 <= 1.3 and -0.92 <= z0 and z1 <= 0.92, (text_size, name, what)
                    for i, (a, (ax0, ax1, az0, az1)) in enumerate(found):
                        for b, (bx0, bx1, bz0, bz1) in found[i + 1 :]:
                            apart = ax1 <= bx0 or bx1 <= ax0 or az1 <= bz0 or bz1 <= az0
                            assert apart, (size, text_size, name, a, b)
            finally:
                for screen in made.values():
                    screen.destroy()
    finally:
        resize(app, *app.opts.size)
