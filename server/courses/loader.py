"""Course files: read, check (the scenario schema's machinery: file:line, what is allowed, what to write), load.

A course names scenarios by id; the check looks them up among the scenarios the service loads (the shipped
folder and its own, layered as server/config.py scenario_folders says) and checks each session's starting
difficulty is one its scenarios offer."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import yamltext
from ..config import Config, course_folders, playable_folders
from ..scenarios.loader import _syntax_problem, load_folders
from ..scenarios.model import Scenario
from ..scenarios.schema import Ctx, Problem, YamlPath
from . import schema as S

log = logging.getLogger("peerspace.courses")


@dataclass
class Course:
    data: dict[str, Any]
    file: str
    lines: dict[YamlPath, int]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def title(self) -> str:
        return str(self.data["title"])

    @property
    def sessions(self) -> list[dict[str, Any]]:
        sessions: list[dict[str, Any]] = self.data["sessions"]
        return sessions

    @property
    def progression(self) -> dict[str, Any]:
        rule: dict[str, Any] = self.data["progression"]
        return rule

    def line_of(self, *path: str | int) -> int:
        key: YamlPath = tuple(path)
        while key and key not in self.lines:
            key = key[:-1]
        return self.lines.get(key, 1)


def parse(
    text: str, file: str = "<course>", scenarios: Mapping[str, Scenario] | None = None
) -> tuple[Course | None, list[Problem]]:
    """Check a course file's text; return (course or None, problems). `scenarios`: those it may name (None: the
    scenario ids are not checked)."""
    ctx = Ctx(file)
    try:
        docs = yamltext.documents(text)
    except yaml.MarkedYAMLError as exc:
        ctx.error(*_syntax_problem(text, exc))
        return None, ctx.problems
    except yaml.YAMLError as exc:  # pragma: no cover - reader errors (bad bytes)
        ctx.error(1, f"YAML: {exc}")
        return None, ctx.problems
    if len(docs) != 1:
        line = docs[1].start_mark.line + 1 if docs else 1
        what = "the file is empty" if not docs else "more than one YAML document ('---') in one file"
        ctx.error(line, what, "one course map per file", f"peerspace_course: {S.FORMAT_VERSION}")
        return None, ctx.problems
    root = docs[0]
    ctx.lines[()] = root.start_mark.line + 1
    data = S.COURSE.check(root, ctx, ())
    if data is None or any(p.severity == "error" for p in ctx.problems):
        return None, ctx.problems
    course = Course(data, file, ctx.lines)
    _cross_check(course, ctx, scenarios)
    if any(p.severity == "error" for p in ctx.problems):
        return None, ctx.problems
    return course, ctx.problems


def _cross_check(course: Course, ctx: Ctx, scenarios: Mapping[str, Scenario] | None) -> None:
    d = course.data
    planned = d["weeks"] * d["sessions_per_week"]
    if planned != len(course.sessions):
        ctx.error(
            course.line_of("sessions"),
            f"the course runs {d['weeks']} week(s) x {d['sessions_per_week']} session(s) = {planned} session(s), "
            f"but lists {len(course.sessions)}",
            "as many sessions as weeks x sessions_per_week",
            f"weeks: {max(1, -(-len(course.sessions) // d['sessions_per_week']))}, or add or remove sessions",
            severity="warning",
        )
    if course.sessions and course.sessions[0]["review"]:
        ctx.error(
            course.line_of("sessions", 0, "review"),
            "session 1 is a review session, but nothing was practised before it",
            "review: true on a session after the skills it reviews",
            "review: false",
        )
    if scenarios is None:
        return
    for i, session in enumerate(course.sessions):
        for j, sid in enumerate(session["scenarios"]):
            scenario = scenarios.get(sid)
            if scenario is None:
                close = difflib.get_close_matches(sid, list(scenarios), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                ctx.error(
                    course.line_of("sessions", i, "scenarios", j),
                    f"session {i + 1} > scenario {j + 1}: there is no scenario '{sid}'{hint}",
                    "one of " + ", ".join(sorted(scenarios)),
                    f"scenarios: [{close[0] if close else next(iter(sorted(scenarios)), 'starting_a_conversation')}]",
                )
                continue
            if session["difficulty"] not in scenario.difficulties:
                ctx.error(
                    course.line_of("sessions", i, "difficulty"),
                    f"session {i + 1}: scenario '{sid}' has no difficulty '{session['difficulty']}'",
                    "one of " + ", ".join(scenario.difficulties),
                    f"difficulty: {scenario.difficulties[0]}",
                )


def course_files(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml") and q.is_file()))
        else:
            out.append(p)
    return out


def lint_report(
    paths: Sequence[str | Path], scenarios: Mapping[str, Scenario] | None
) -> tuple[list[Problem], list[Path]]:
    """(every problem, every file checked), with course ids used twice."""
    problems: list[Problem] = []
    ids: dict[str, str] = {}
    files = course_files(paths)
    if not files:
        problems.append(
            Problem(" ".join(map(str, paths)) or ".", 1, "no course files found", "files ending in .yaml or .yml")
        )
    checked: list[Path] = []
    for f in files:
        try:
            text = f.read_text(encoding="utf-8")
        except FileNotFoundError:
            problems.append(Problem(str(f), 1, "no such file", "a path to a .yaml file or a directory"))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(f), 1, f"cannot read the file: {exc.__class__.__name__}", "a UTF-8 text file"))
            continue
        checked.append(f)
        course, found = parse(text, str(f), scenarios)
        problems.extend(found)
        if course is not None:
            if course.id in ids:
                problems.append(
                    Problem(
                        str(f),
                        course.line_of("id"),
                        f"course id '{course.id}' is also used by {ids[course.id]}",
                        "an id unique across all course files",
                    )
                )
            ids.setdefault(course.id, str(f))
    return problems, checked


def load_courses(folders: Sequence[Path], scenarios: Mapping[str, Scenario]) -> dict[str, Course]:
    """The courses of several folders by id, in order (a later folder's course replaces an earlier one's). A broken
    file is logged with its problems and skipped."""
    courses: dict[str, Course] = {}
    for folder in folders:
        for f in course_files([folder]) if folder.is_dir() else []:
            try:
                text = f.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                log.error("%s: cannot read the course file: %s", f, exc.__class__.__name__)
                continue
            course, problems = parse(text, str(f), scenarios)
            for p in problems:
                (log.error if p.severity == "error" else log.warning)("course: %s", p)
            if course is not None:
                courses[course.id] = course
    if courses:
        log.info("courses loaded: %s", ", ".join(sorted(courses)))
    return courses


def load_for(cfg: Config) -> tuple[dict[str, Course], dict[str, Scenario]]:
    """The service's courses, checked against its scenarios (blocking: file reads; call off the event loop)."""
    scenarios = load_folders(playable_folders(cfg))
    return load_courses(course_folders(cfg), scenarios), scenarios
