"""Courses (issue #16): course files (schema, lint, loading), a group's course run and its schedule, the
participant's next session and its iCalendar export, homework follow-up, self-ratings and the progression rule,
and fidelity of delivery kept apart from progress.

`setup(app)` loads the course files (checked against the scenarios the rooms run), adds the HTTP routes and the
dashboard's course pages; importing the package registers the `my_course` intent."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from aiohttp import web

from ..appkeys import CFG, WORLD
from ..config import course_folders
from . import group, intents  # noqa: F401  (registers the intents)
from .book import CourseBook, attach
from .loader import load_courses

log = logging.getLogger("peerspace.courses")


def setup(app: web.Application) -> None:
    from . import dashboard, http

    world = app[WORLD]
    scenarios = dict(world.scenarios.scenarios) if world.scenarios is not None else {}
    book = CourseBook(load_courses(course_folders(app[CFG]), scenarios), scenarios)
    attach(world, book)
    group.attach(world)
    if world.scenarios is not None:

        async def suggest(user_id: int, scenario_id: str) -> dict[str, Any] | None:
            found: dict[str, Any] | None = await world.store.aio.apply(
                book.suggestion, world.store, user_id, scenario_id, dt.datetime.now(dt.UTC)
            )
            return found

        world.scenarios.suggest = suggest
    http.add_routes(app)
    dashboard.add_routes(app)
