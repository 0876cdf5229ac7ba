"""The course book: the loaded courses, and what a participant or a group's staff see of a course run.

Every store read here runs on the store thread (one `store.aio.apply` per answer), never on the event loop."""

from __future__ import annotations

import datetime as dt
import weakref
from typing import TYPE_CHECKING, Any

from ..scenarios.model import Scenario
from ..scenarios.phases import kind_of
from ..storage.interfaces import Storage
from . import progress, schedule
from .loader import Course

if TYPE_CHECKING:
    from ..world import World

_BOOKS: weakref.WeakKeyDictionary[World, CourseBook] = weakref.WeakKeyDictionary()


class CourseBook:
    def __init__(self, courses: dict[str, Course], scenarios: dict[str, Scenario]):
        self.courses, self.scenarios = courses, scenarios

    def scenario_title(self, sid: str) -> str:
        s = self.scenarios.get(sid)
        return s.title if s else sid

    # --- reads, on the store thread ---------------------------------------------------------------------------
    def participant_view(self, store: Storage, user_id: int, now: dt.datetime) -> dict[str, Any]:
        """my_course: the participant's group, where it is in its course, the next session with its scenarios and
        suggested difficulties, and the homework last set."""
        group_id = store.course_group_of(user_id)
        run = store.course_run(group_id) if group_id is not None else None
        course = self.courses.get(run["course_id"]) if run else None
        if run is None or course is None:
            return {"course": None, "group": None, "next": None, "position": None, "homework": None}
        events = store.course_events([user_id], progress.PROGRESS_KINDS)
        where = schedule.position(run["sessions"], run["timezone"], now)
        session = self.session_view(course, run, where["next"], progress.role_plays(events))
        last = store.last_homework(user_id)
        return {
            "course": {"id": course.id, "title": course.title, "sessions": len(course.sessions)},
            "group": {"id": run["group_id"], "name": run["group_name"]},
            "timezone": run["timezone"],
            "position": where,
            "next": session,
            "homework": {"text": last["text"], "run": last["run"]} if last else None,
            "homework_done": progress.homework(events)["counts"],
        }

    def session_view(
        self, course: Course, run: dict[str, Any], number: int | None, plays: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """A dated session of a run: title, start and end (ISO, with the offset), scenarios with the progression
        rule's suggested difficulty for this participant (`plays`: their role-plays)."""
        dated = next((s for s in run["sessions"] if s["number"] == number), None)
        if dated is None or number is None or number > len(course.sessions):
            return None
        planned = course.sessions[number - 1]
        start = schedule.starts_at(dated["starts"], run["timezone"])
        scenarios = []
        for sid in planned["scenarios"]:
            s = self.scenarios.get(sid)
            rated = s is not None and any(kind_of(p).self_rated for p in s.phases)
            entry: dict[str, Any] = {"id": sid, "title": self.scenario_title(sid), "difficulty": planned["difficulty"]}
            if rated:
                mine = [p for p in plays if p["scenario"] == sid]
                entry["suggested"] = progress.suggest(mine, planned["difficulty"], course.progression)
            scenarios.append(entry)
        return {
            "number": number,
            "title": planned["title"],
            "review": planned["review"],
            "starts": start.isoformat(),
            "ends": (start + dt.timedelta(minutes=dated["minutes"])).isoformat(),
            "minutes": dated["minutes"],
            "scenarios": scenarios,
        }

    def suggestion(self, store: Storage, user_id: int, scenario_id: str, now: dt.datetime) -> dict[str, Any] | None:
        """The progression rule's difficulty for this participant's next role-play of `scenario_id`, starting from
        the level of the next session that lists it (else the first that does); None outside a course or for a
        scenario the course does not name or that has no role-play."""
        group_id = store.course_group_of(user_id)
        run = store.course_run(group_id) if group_id is not None else None
        course = self.courses.get(run["course_id"]) if run else None
        scenario = self.scenarios.get(scenario_id)
        if run is None or course is None or scenario is None or not any(kind_of(p).self_rated for p in scenario.phases):
            return None
        upcoming = schedule.position(run["sessions"], run["timezone"], now)["next"] if run["sessions"] else None
        listing = [n for n, s in enumerate(course.sessions, 1) if scenario_id in s["scenarios"]]
        if not listing:
            return None
        number = next((n for n in listing if upcoming is not None and n >= upcoming), listing[0])
        plays = [
            p
            for p in progress.role_plays(store.course_events([user_id], progress.PROGRESS_KINDS))
            if p["scenario"] == scenario_id
        ]
        return progress.suggest(plays, course.sessions[number - 1]["difficulty"], course.progression)

    def calendar(self, store: Storage, user_id: int, now: dt.datetime) -> str | None:
        """The participant's group's sessions still to come, as an iCalendar file (None: not in a course)."""
        group_id = store.course_group_of(user_id)
        run = store.course_run(group_id) if group_id is not None else None
        course = self.courses.get(run["course_id"]) if run else None
        if run is None or course is None:
            return None
        events = []
        for dated in run["sessions"]:
            start = schedule.starts_at(dated["starts"], run["timezone"])
            if start + dt.timedelta(minutes=dated["minutes"]) <= now or dated["number"] > len(course.sessions):
                continue
            planned = course.sessions[dated["number"] - 1]
            practised = ", ".join(self.scenario_title(s) for s in planned["scenarios"])
            events.append(
                {
                    "uid": f"course-{run['group_id']}-{dated['number']}@peerspace",
                    "start": start,
                    "minutes": dated["minutes"],
                    "summary": f"{course.title}: session {dated['number']}, {planned['title']}",
                    "description": f"Group session {dated['number']} of {len(course.sessions)}. Practising: "
                    f"{practised}.",
                }
            )
        return schedule.ical(events, now, f"{course.title} ({run['group_name']})")


def book_of(world: World) -> CourseBook:
    book = _BOOKS.get(world)
    if book is None:
        raise LookupError("courses are not set up for this world")
    return book


def attach(world: World, book: CourseBook) -> None:
    _BOOKS[world] = book
