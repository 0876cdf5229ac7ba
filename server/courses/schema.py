"""The course-file schema, written with the scenario schema's types (server/scenarios/schema.py), so a course file
gets the same checks and messages (file:line, what is allowed, what to write) and a JSON Schema
(docs/course.schema.json, `python -m server.courses schema`)."""

from __future__ import annotations

from typing import Any

from ..scenarios.schema import DIFFICULTIES, ID_HINT, ID_RE, Bool, F, List, Num, Obj, Str

FORMAT_VERSION = 1
MAX_PARTICIPANTS = 8  # a group is a small group (Bellack et al.: up to eight)
MAX_SESSIONS = 60
# the progression rule when a course file gives none (VR-JIT's easy -> medium -> hard, Bellack's "until adequate")
DEFAULT_PROGRESSION = {"step_up_after": 2, "step_down_after": 2, "hard_below": 0.5, "hard_rating": 3}


def _id(description: str, example: str) -> Str:
    return Str(description, example, pattern=ID_RE, pattern_hint=ID_HINT)


def _text(description: str, example: str = "", max_len: int = 400) -> Str:
    return Str(description, example, max_len=max_len)


SESSION = Obj(
    "session",
    {
        "title": F(_text("the session's title, shown to the group", "'Starting a conversation'", 80), True),
        "scenarios": F(
            List(
                _id("a scenario id (the `id:` of a scenario file)", "starting_a_conversation"),
                "the scenarios practised in this session, in order",
                "[homework_review, starting_a_conversation]",
                min_items=1,
                max_items=6,
            ),
            True,
            example="scenarios: [starting_a_conversation]",
        ),
        "difficulty": F(
            Str("the starting difficulty of this session's role-plays", "easy", choices=DIFFICULTIES),
            True,
            example="difficulty: easy",
        ),
        "review": F(Bool("a review session: earlier skills practised again", "true"), default=False),
        "note": F(_text("a note for the peer specialists leading the session")),
    },
    "one session of the course",
    "{title: 'Starting a conversation', scenarios: [starting_a_conversation], difficulty: easy}",
)

PROGRESSION = Obj(
    "progression",
    {
        "step_up_after": F(
            Num(
                1,
                10,
                "suggest the next difficulty after this many role-plays in a row with every step done",
                "2",
                integer=True,
            ),
            default=DEFAULT_PROGRESSION["step_up_after"],
        ),
        "step_down_after": F(
            Num(1, 10, "suggest the difficulty below after this many hard role-plays in a row", "2", integer=True),
            default=DEFAULT_PROGRESSION["step_down_after"],
        ),
        "hard_below": F(
            Num(0, 1, "a role-play was hard when its mean step score was below this share of the best score", "0.5"),
            default=DEFAULT_PROGRESSION["hard_below"],
        ),
        "hard_rating": F(
            Num(0, 10, "... or when the participant rated it at most this (0-10)", "3", integer=True),
            default=DEFAULT_PROGRESSION["hard_rating"],
        ),
    },
    "how the suggested difficulty moves; the participant and the peer specialist can always choose another",
    "{step_up_after: 2, step_down_after: 2}",
)

COURSE = Obj(
    "course",
    {
        "peerspace_course": F(
            Num(FORMAT_VERSION, FORMAT_VERSION, "file format version", str(FORMAT_VERSION), integer=True),
            True,
            example=f"peerspace_course: {FORMAT_VERSION}",
        ),
        "id": F(_id("course id, unique across the course files", "social_skills_8_weeks"), True),
        "title": F(_text("title", "'Social skills: eight weeks'", 80), True),
        "summary": F(_text("one or two sentences for facilitators", "'Sixteen group sessions ...'"), True),
        "weeks": F(Num(1, 52, "how many weeks the course runs", "8", integer=True), True, example="weeks: 8"),
        "sessions_per_week": F(Num(1, 7, "sessions a week", "2", integer=True), True, example="sessions_per_week: 2"),
        "minutes": F(Num(15, 240, "how long a session lasts, in minutes", "90", integer=True), default=90),
        "max_participants": F(
            Num(1, MAX_PARTICIPANTS, f"participants in one group (at most {MAX_PARTICIPANTS})", "8", integer=True),
            default=MAX_PARTICIPANTS,
        ),
        "progression": F(PROGRESSION, default=lambda: dict(DEFAULT_PROGRESSION)),
        "sessions": F(
            List(SESSION, "the sessions, in order", min_items=1, max_items=MAX_SESSIONS),
            True,
            example="sessions: [{title: 'Starting a conversation', scenarios: [starting_a_conversation], "
            "difficulty: easy}]",
        ),
    },
    "a peerspace course file",
)


def json_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://peerspace.invalid/schema/course-v1.json",
        "title": "peerspace course",
        **COURSE.json(),
    }
