"""Load scenario YAML files with clear, line-numbered errors.

`load_file(path)` returns a `Scenario` or raises `ScenarioError` whose
`problems` each read `file:line: what is wrong; allowed: ...; write e.g. ...`.
`lint(paths)` returns every problem in every file (a directory means the
*.yaml / *.yml files directly in it).
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wire import events

from .. import yamltext
from ..config import SHIPPED_SCENARIOS
from ..languages import CONTENT_FILES, file_warnings, missing_translations, text_key
from . import schema as S
from .model import Scenario, applies, pick
from .schema import Ctx, Problem, YamlPath, _where

log = logging.getLogger("peerspace.scenarios")


class ScenarioError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# --- YAML -> checked data ---------------------------------------------------------------


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _syntax_problem(text: str, exc: yaml.MarkedYAMLError) -> tuple[int, str, str, str]:
    """(line, message, allowed, example) for a YAML syntax error, in plain words with its likely cause.

    The parser names what it expected ('<block end>', 'simple key'); a person needs to know which line is off
    and how: a tab, a line indented too far or not far enough, text that needed quotes."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    lines = text.splitlines()
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    above_no = next(
        (n for n in range(line - 1, 0, -1) if lines[n - 1].strip() and not lines[n - 1].lstrip().startswith("#")), 0
    )
    above = lines[above_no - 1] if above_no else ""
    problem = exc.problem or ""
    context = exc.context or ""
    layout = "'key: value' lines; the keys of one map line up, nested keys two spaces further in"
    if "\t" in problem or "\t" in here[: _indent(here) + 1]:
        return line, "use spaces, not tabs, to indent (this line has a tab)", layout, "two spaces per level"
    if "expected <block end>" in problem or "expected <block end>" in context:
        depth = "one level deeper than its siblings" if _indent(here) > _indent(above) else "less than its siblings"
        return (
            line,
            f"this line is indented {depth} (it has {_indent(here)} spaces, line {above_no} has {_indent(above)})",
            layout,
            f"{_indent(above)} spaces before '{here.strip()[:30]}', as on line {above_no}",
        )
    if "mapping values are not allowed" in problem:
        _, colon, value = above.partition(": ")
        if _indent(here) > _indent(above) and colon and value.strip():  # the line above is a key with its value
            return (
                line,
                "this line is indented one level deeper than its siblings (the line above already has its value)",
                layout,
                "line it up with the key above",
            )
        return line, "text that contains ': ' must be quoted", "quoted text", "say: 'Well: hello.'"
    if "could not find expected ':'" in problem or "could not find expected ':'" in context:
        return (
            line,
            "a 'key: value' line is missing its ':' (or a text runs on to the next line)",
            layout,
            "say: Hello.",
        )
    if "did not find expected key" in problem:
        return (
            line,
            "this line does not line up with the keys around it (or a quoted text is not closed)",
            layout,
            "line it up with its siblings, and close every quote you open",
        )
    said = f"{context} {problem}"
    if "expected ',' or '}'" in said or "expected ',' or ']'" in said:
        closing = "}" if "'}'" in said else "]"
        opened = f"on line {exc.context_mark.line + 1} " if exc.context_mark else ""
        return (
            line,
            f"the '{'{' if closing == '}' else '['}' opened {opened}is not closed with '{closing}' "
            "or a text inside it needs quotes (one with a comma, ': ', '{' or a quote in it)",
            "{key: value, key: value} or [item, item] on one line",
            "you: {kind: participant, name: You}",
        )
    if "found unexpected end of stream" in problem or "unexpected end of stream" in context:
        return line, "a quote is opened but never closed", "text between matching quotes", "say: 'Hello.'"
    if "found undefined alias" in problem:
        return line, "'*' starts a YAML reference here: put text that starts with '*' in quotes", "", "say: '*waves*'"
    if "found character" in problem and "cannot start any token" in problem:
        return line, f"text cannot start with {problem.split()[2]}: put it in quotes", "quoted text", "say: '@home'"
    what = f"{context}, {problem}" if context else problem or "cannot read the file"
    return (
        line,
        f"YAML syntax: {what}",
        layout,
        "put text that contains ': ' or starts with a quote in quotes: say: 'Well: hello.'",
    )


def _compose(text: str, ctx: Ctx) -> yaml.Node | None:
    try:
        docs = yamltext.documents(text)
    except yaml.MarkedYAMLError as exc:
        ctx.error(*_syntax_problem(text, exc))
        return None
    except yaml.YAMLError as exc:  # pragma: no cover - reader errors (bad bytes)
        ctx.error(1, f"YAML: {exc}")
        return None
    if not docs:
        ctx.error(1, "the file is empty", "one scenario map", f"peerspace_scenario: {S.FORMAT_VERSION}")
        return None
    if len(docs) > 1:
        ctx.error(
            docs[1].start_mark.line + 1, "more than one YAML document ('---') in one file", "one scenario per file"
        )
        return None
    return docs[0]


@dataclass
class Catalog:
    """The topics and scenes scenarios may name: the project's own, plus those of the catalog files read."""

    names: dict[str, list[str]] = field(
        default_factory=lambda: {"topics": list(S.TOPICS), "scenes": list(events.SCENES)}
    )
    looks_like: dict[str, str] = field(default_factory=lambda: {s: s for s in events.SCENES})
    files: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def vocabulary(self) -> dict[str, tuple[str, ...]]:
        return {k: tuple(v) for k, v in self.names.items()}


def read_catalog(folder: Path | None = None) -> Catalog:
    """The catalog for scenario files in `folder`: the shipped catalog/topics.yaml, then the folder's own (each adds
    names; a broken entry is a problem and adds nothing)."""
    catalog = Catalog()
    candidates = [SHIPPED_SCENARIOS / S.CATALOG_FILE] + ([Path(folder) / S.CATALOG_FILE] if folder else [])
    seen: set[Path] = set()
    for f in candidates:
        if not f.is_file() or f.resolve() in seen:
            continue
        seen.add(f.resolve())
        catalog.files.append(f)
        ctx = Ctx(str(f))
        try:
            root = _compose(f.read_text(encoding="utf-8"), ctx)
        except (OSError, UnicodeDecodeError) as exc:
            ctx.error(1, f"cannot read the file: {exc.__class__.__name__}", "a UTF-8 text file")
            root = None
        data = S.CATALOG.check(root, ctx, ()) if root is not None else None
        for scene, value in ((data or {}).get("scenes") or {}).items():
            if scene in events.SCENES:
                ctx.error(
                    ctx.line_of(("scenes", scene)), f"'{scene}' is one of the world's scenes already", "a new name"
                )
            elif value is not None and value.get("looks_like") is not None and value.get("title") is not None:
                catalog.names["scenes"].append(scene)
                catalog.looks_like[scene] = value["looks_like"]
        for topic, title in ((data or {}).get("topics") or {}).items():
            if title is not None and topic not in catalog.names["topics"]:
                catalog.names["topics"].append(topic)
        catalog.problems += ctx.problems
    return catalog


def _declared_difficulties(root: yaml.Node) -> tuple[str, ...]:
    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "difficulty" and isinstance(v, yaml.MappingNode):
                found = tuple(
                    d
                    for d in S.DIFFICULTIES
                    if any(isinstance(kk, yaml.ScalarNode) and kk.value == d for kk, _ in v.value)
                )
                if found:
                    return found
    return S.DIFFICULTIES


def parse(
    text: str, file: str = "<scenario>", draft: bool = False, catalog: Catalog | None = None
) -> tuple[Scenario | None, list[Problem]]:
    """Check text; return (scenario or None, problems). Warnings alone still give a scenario.

    draft: also give the scenario when only the cross-reference checks found errors (a `next:` to a missing
    node, a node without an ending...), for tools that show where a draft goes wrong (`play --all-paths`).
    catalog: the topics and scenes it may name (default: the project's, and the shipped catalog file's)."""
    catalog = catalog or read_catalog()
    ctx = Ctx(file)
    ctx.vocabulary = catalog.vocabulary()
    root = _compose(text, ctx)
    if root is None:
        return None, ctx.problems
    ctx.difficulties = _declared_difficulties(root)
    ctx.lines[()] = root.start_mark.line + 1
    data = S.SCENARIO.check(root, ctx, ())
    if data is None or any(p.severity == "error" for p in ctx.problems):
        return None, ctx.problems
    scenario = Scenario(data, file, ctx.lines)
    scenario.looks_like = catalog.looks_like.get(scenario.data["scene"], scenario.data["scene"])
    _Checker(scenario, ctx).run()
    _check_translations(scenario, ctx)
    if any(p.severity == "error" for p in ctx.problems) and not draft:
        return None, ctx.problems
    return scenario, ctx.problems


def _check_translations(scenario: Scenario, ctx: Ctx) -> None:
    """Which texts can be translated, and a warning (never an error) for each one a declared language lacks
    and each translation that names no text (server/languages.py)."""
    data = scenario.data
    scenario.text_keys = {text_key(data, path) for path in ctx.texts}
    key_lines = {
        (str(path[1]), str(path[2]) if len(path) > 2 else ""): line
        for path, line in ctx.lines.items()
        if len(path) in (2, 3) and path[0] == "translations"
    }
    for line, message, example in missing_translations(
        data, ctx.texts, data["languages"], data["translations"], key_lines
    ):
        ctx.error(line, message, "", example, severity="warning")


def load_file(path: str | Path, catalog: Catalog | None = None) -> Scenario:
    path = Path(path)
    catalog = catalog or read_catalog(path.parent)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            [Problem(str(path), 1, f"cannot read the file: {exc.__class__.__name__}", "a UTF-8 text file")]
        ) from None
    scenario, problems = parse(text, str(path), catalog=catalog)
    if scenario is None:
        raise ScenarioError([p for p in problems if p.severity == "error"])
    return scenario


def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            # scenario files sit directly in the directory; sub-directories hold other data
            # (questionnaires/, safety/) and are not scenarios
            out.extend(sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml") and q.is_file()))
        else:
            out.append(p)
    return out


def lint(paths: Sequence[str | Path]) -> list[Problem]:
    """Every problem in the given files/directories, including duplicate scenario ids."""
    return lint_report(paths)[0]


def lint_report(paths: Sequence[str | Path]) -> tuple[list[Problem], list[Path]]:
    """(every problem, every file checked): the scenario files and the catalog files they name topics from."""
    problems: list[Problem] = []
    ids: dict[str, str] = {}
    files = scenario_files(paths)
    catalogs: dict[Path, Catalog] = {}
    checked: list[Path] = []
    if not files:
        problems.append(
            Problem(" ".join(map(str, paths)) or ".", 1, "no scenario files found", "files ending in .yaml or .yml")
        )
    for f in files:
        if not f.exists():
            problems.append(Problem(str(f), 1, "no such file", "a path to a .yaml file or a directory"))
            continue
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(f), 1, f"cannot read the file: {exc.__class__.__name__}", "a UTF-8 text file"))
            continue
        if f.parent not in catalogs:
            catalogs[f.parent] = catalog = read_catalog(f.parent)
            for c in catalog.files:
                if c not in checked:
                    checked.append(c)
            problems.extend(p for p in catalog.problems if p not in problems)
        checked.append(f)
        scenario, found = parse(text, str(f), catalog=catalogs[f.parent])
        problems.extend(found)
        if scenario is not None:
            if scenario.id in ids:
                problems.append(
                    Problem(
                        str(f),
                        scenario.line_of("id"),
                        f"scenario id '{scenario.id}' is also used by {ids[scenario.id]}",
                        "an id unique across all scenario files",
                    )
                )
            ids.setdefault(scenario.id, str(f))
    for folder in (Path(p) for p in paths if Path(p).is_dir()):
        # the questionnaires and the care and crisis files beside the scenarios: only their translations here
        # (their loaders check the rest when the server starts), so they are not listed as checked files
        for pattern, texts in CONTENT_FILES.items():
            for f in sorted(folder.glob(pattern)):
                for line, message, example in file_warnings(f.read_text(encoding="utf-8"), texts):
                    problems.append(Problem(str(f), line, message, "", example, severity="warning"))
    return problems, checked


def load_dir(directory: str | Path) -> dict[str, Scenario]:
    """All scenarios directly in a directory (not its sub-directories) by id; raises ScenarioError listing every
    problem."""
    problems = [p for p in lint([directory]) if p.severity == "error"]
    if problems:
        raise ScenarioError(problems)
    out: dict[str, Scenario] = {}
    for f in scenario_files([directory]):
        s = load_file(f)
        out[s.id] = s
    return out


def load_folders(folders: Sequence[Path]) -> dict[str, Scenario]:
    """The scenarios of several folders by id, in order: a later folder's scenario replaces an earlier one's with the
    same id. A broken file is logged with its problems and skipped (the others still load); what was loaded is
    logged by id and file name (never the content)."""
    scenarios: dict[str, Scenario] = {}
    for folder in folders:
        loaded = []
        catalog = read_catalog(folder)
        for p in catalog.problems:
            log.error("topics and scenes: %s", p)
        for f in scenario_files([folder]) if folder.is_dir() else []:
            try:
                s = load_file(f, catalog)
            except ScenarioError as e:
                log.error("scenario file %s not loaded:\n%s", f, e)
                continue
            if s.id in scenarios:
                log.info("scenario %s from %s replaces the one from %s", s.id, f, scenarios[s.id].file)
            scenarios[s.id] = s
            loaded.append(f"{s.id} ({f.name})")
        if not folder.is_dir():
            log.warning("scenario folder %s does not exist", folder)
        log.info("scenarios loaded from %s: %d: %s", folder, len(loaded), ", ".join(loaded) or "none")
    log.info("scenarios offered: %d", len(scenarios))
    return scenarios


# --- cross-reference checks -----------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(\w*)\}")
# What the server fills in (phases.py `fill`, runner.text): the participant's name in what the cast says and in
# the options; the feedback and emotion lead-ins get their own. Every other text is shown as written.
_FILLED = {
    "positive": {"praise"},
    "corrective": {"tip"},
    "right": {"answer"},
    "wrong": {"answer", "given"},
    "text": {"name"},  # a line's and an option's text
    "say": {"name"},  # a node's, a no_match's and an emotion item's
    "stretch": {"name"},
    "alternatives": {"name"},
    "ask": {"homework", "name"},  # a homework_review's question
    "no_homework": {"name"},
    "words": {"name"},
}


def placeholders_allowed(path: YamlPath) -> set[str]:
    """The placeholders filled in at `path` of a scenario's data (empty: the text is shown as written)."""
    if not path or path[0] != "phases":
        return set()  # titles, summary, skill steps, endings
    field = next((k for k in reversed(path) if isinstance(k, str) and k not in S.DIFFICULTIES + ("default",)), "")
    return set(_FILLED.get(field, set()))


class _Checker:
    def __init__(self, scenario: Scenario, ctx: Ctx):
        self.s = scenario
        self.ctx = ctx
        self.diffs = scenario.difficulties
        self.reported: set[tuple[str, str, str]] = set()  # (node id, option id, phrase) already reported
        # (phase index, node id) -> difficulties it is reached at
        self.reach: dict[tuple[str | int, str | int], set[str]] = {}

    def err(self, path: YamlPath, message: str, allowed: str = "", example: str = "", severity: str = "error") -> None:
        self.ctx.error(self.ctx.line_of(path), message, allowed, example, severity)

    def run(self) -> None:
        self.check_cast()
        self.check_steps()
        self.assign_phase_ids()
        reached: set[str] = set()
        for i, phase in enumerate(self.s.phases):
            path = ("phases", i)
            for j, line in enumerate(phase.get("lines") or []):
                self.check_line(line, path + ("lines", j))
            kind = phase["kind"]
            if kind == "role_play":
                reached |= self.check_role_play(phase, path)
            elif kind == "repeat_role_play":
                self.check_repeat(phase, i, path)
            elif kind == "emotion_recognition":
                self.check_emotions(phase, path)
            elif kind == "feedback":
                self.check_speaker(phase, path, "cast")
        self.check_placeholders(self.s.data, ())
        self.check_varied()
        if any(p.severity == "error" for p in self.ctx.problems):
            return  # unreached endings would only be a consequence of the errors above
        for ending in self.s.data["endings"]:
            if ending not in reached:
                self.err(
                    ("endings", ending),
                    f"ending '{ending}' is never reached: no node has 'end: {ending}'",
                    "endings used by a role_play node",
                    f"end: {ending}",
                )

    # cast and speakers
    def check_cast(self) -> None:
        participants = self.s.cast_of_kind("participant")
        if len(participants) != 1:
            self.err(
                ("cast",),
                f"the cast needs exactly one member of kind participant (found {len(participants)})",
                "one 'kind: participant'",
                "you: {kind: participant, name: You}",
            )
        if not self.s.cast_of_kind("coach"):
            self.err(
                ("cast",),
                "the cast needs a coach (kind: coach) to lead the session",
                "at least one 'kind: coach'",
                "coach: {kind: coach, name: Robin}",
            )

    def check_role(self, role: str, path: YamlPath, what: str = "cast") -> None:
        cast = self.s.cast
        speakers = [r for r, c in cast.items() if c["kind"] != "participant"]
        if role not in cast:
            self.err(
                path, f"unknown {what} '{role}'", ", ".join(speakers), f"{what}: {speakers[0] if speakers else 'coach'}"
            )
        elif cast[role]["kind"] == "participant":
            self.err(
                path,
                f"'{role}' is the participant; scripts give lines only to the coach and partners",
                ", ".join(speakers),
            )

    def check_speaker(self, phase: dict[str, Any], path: YamlPath, key: str) -> None:
        if phase.get(key) is not None:
            self.check_role(phase[key], path + (key,), key)

    def check_only(self, entry: dict[str, Any], path: YamlPath) -> None:
        for d in entry.get("only") or []:
            if d not in self.diffs:
                self.err(
                    path + ("only",),
                    f"difficulty '{d}' is not declared in this scenario's 'difficulty:'",
                    ", ".join(self.diffs),
                )

    def check_line(self, line: dict[str, Any], path: YamlPath) -> None:
        self.check_role(line["cast"], path + ("cast",))
        self.check_only(line, path)

    def check_placeholders(self, value: Any, path: YamlPath) -> None:
        """Every text, wherever it is: a '{word}' the server does not fill in would reach participants as written."""
        if isinstance(value, dict):
            for k, v in value.items():
                self.check_placeholders(v, path + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.check_placeholders(v, path + (i,))
        elif isinstance(value, str) and "{" in value:
            # a translation may use the placeholders of the text it translates (its key is that text's place)
            at = path
            if len(path) == 3 and path[0] == "translations":
                at = tuple(int(k) if k.isdigit() else k for k in str(path[2]).split("."))
            allowed = placeholders_allowed(at)
            for name in _PLACEHOLDER.findall(value):
                if name in allowed:
                    continue
                shown = ", ".join("{" + a + "}" for a in sorted(allowed))
                self.err(
                    path,
                    f"unknown placeholder '{{{name}}}' in {_where(path)}"
                    + ("" if allowed else ": this text is shown as written, no placeholder is filled in here"),
                    shown or "none here",
                    f"'{{{sorted(allowed)[0]}}}'" if allowed else "the words themselves",
                )

    def check_steps(self) -> None:
        seen = set()
        for i, step in enumerate(self.s.steps):
            if step["id"] in seen:
                self.err(
                    ("skill", "steps", i, "id"),
                    f"skill step id '{step['id']}' is used twice",
                    "a different id for each step",
                )
            seen.add(step["id"])

    def assign_phase_ids(self) -> None:
        seen: dict[str, int] = {}
        for i, phase in enumerate(self.s.phases):
            if phase.get("id") is None:
                n = sum(1 for p in self.s.phases[:i] if p["kind"] == phase["kind"]) + 1
                phase["id"] = phase["kind"] if n == 1 else f"{phase['kind']}_{n}"
                while phase["id"] in seen or any(p.get("id") == phase["id"] for p in self.s.phases[i + 1 :]):
                    n += 1
                    phase["id"] = f"{phase['kind']}_{n}"
            if phase["id"] in seen:
                self.err(
                    ("phases", i, "id"),
                    f"phase id '{phase['id']}' is used twice (also phase {seen[phase['id']] + 1})",
                    "a different id for each phase",
                )
            seen[phase["id"]] = i

    # role-play graphs
    def check_role_play(self, phase: dict[str, Any], path: YamlPath) -> set[str]:
        nodes = phase["nodes"]
        steps = {s["id"] for s in self.s.steps}
        endings = self.s.data["endings"]
        if phase["start"] not in nodes:
            self.err(
                path + ("start",),
                f"start node '{phase['start']}' does not exist",
                ", ".join(nodes),
                f"start: {next(iter(nodes))}",
            )
            return set()
        for nid, node in nodes.items():
            npath = path + ("nodes", nid)
            self.check_role(node["cast"], npath + ("cast",))
            options = node.get("options") or []
            if node.get("end") and options:
                self.err(
                    npath,
                    f"node '{nid}' has both 'end' and 'options'",
                    "either options (the conversation goes on) or end (it finishes here)",
                )
            if not node.get("end") and not options:
                self.err(
                    npath,
                    f"node '{nid}' has no 'options' and no 'end'",
                    "options (the conversation goes on) or end (it finishes here)",
                    "end: warm",
                )
            if node.get("end") and node["end"] not in endings:
                self.err(
                    npath + ("end",),
                    f"ending '{node['end']}' is not declared under 'endings:'",
                    ", ".join(endings) or "(none declared yet)",
                    f"endings: {{{node['end']}: {{title: ...}}}}",
                )
            ids = set()
            for j, opt in enumerate(options):
                opath = npath + ("options", j)
                if opt["id"] in ids:
                    self.err(
                        opath + ("id",),
                        f"option id '{opt['id']}' is used twice in node '{nid}'",
                        "a different id for each option of a node",
                    )
                ids.add(opt["id"])
                self.check_only(opt, opath)
                targets = opt["next"].values() if isinstance(opt["next"], dict) else [opt["next"]]
                for t in targets:
                    if t not in nodes:
                        self.err(
                            opath + ("next",),
                            f"next node '{t}' does not exist in this role_play",
                            ", ".join(nodes),
                            f"next: {next(iter(nodes))}",
                        )
                for step in opt["score"]:
                    if step not in steps:
                        self.err(opath + ("score", step), f"'{step}' is not a skill step id", ", ".join(sorted(steps)))
        if any(p.severity == "error" for p in self.ctx.problems):
            return set()
        return self.check_graph(phase, path)

    def check_graph(self, phase: dict[str, Any], path: YamlPath) -> set[str]:
        nodes = phase["nodes"]
        reached_any: set[str] = set()
        endings: set[str] = set()
        for d in self.diffs:
            edges = {nid: [pick(o["next"], d) for o in self.s.options(n, d)] for nid, n in nodes.items()}
            seen = {phase["start"]}
            queue = deque([phase["start"]])
            while queue:
                for t in edges[queue.popleft()]:
                    if t not in seen:
                        seen.add(t)
                        queue.append(t)
            reached_any |= seen
            for nid in seen:
                self.reach.setdefault((path[1], nid), set()).add(d)
            for nid in seen:
                node = nodes[nid]
                if not node.get("end") and not edges[nid]:
                    self.err(
                        path + ("nodes", nid),
                        f"at difficulty {d} node '{nid}' offers no options",
                        "at least one option without 'only:', or one whose 'only:' includes " + d,
                    )
            # every reachable node must be able to reach an ending
            can_end = {nid for nid in seen if nodes[nid].get("end")}
            changed = True
            while changed:
                changed = False
                for nid in seen - can_end:
                    if any(t in can_end for t in edges[nid]):
                        can_end.add(nid)
                        changed = True
            for nid in sorted(seen - can_end):
                self.err(
                    path + ("nodes", nid),
                    f"at difficulty {d} there is no way from node '{nid}' to an ending",
                    "every path leads to a node with 'end:'",
                )
            endings |= {nodes[n]["end"] for n in seen if nodes[n].get("end")}
            if not any(nodes[n].get("end") for n in seen):
                self.err(path + ("start",), f"at difficulty {d} this role_play cannot finish", "a node with 'end:'")
            self.check_matchers(phase, path, d, seen)
        for nid in nodes:
            if nid not in reached_any:
                self.err(
                    path + ("nodes", nid),
                    f"node '{nid}' cannot be reached from '{phase['start']}'",
                    "a node that some option's 'next:' leads to",
                )
        return endings

    def check_matchers(self, phase: dict[str, Any], path: YamlPath, d: str, seen: set[str]) -> None:
        """A participant who types an option's own example must get that option."""
        for nid in seen:
            node = phase["nodes"][nid]
            if not node["free_text"]:
                continue
            matcher = self.s.matcher(phase, nid, d)
            for j, opt in enumerate(node.get("options") or []):
                if not applies(opt, d):
                    continue
                for phrase in [opt["text"], *opt["examples"]]:
                    m = matcher.match(phrase)
                    if m.option != opt["id"] and (nid, opt["id"], phrase) not in self.reported:
                        self.reported.add((nid, opt["id"], phrase))
                        self.err(
                            path + ("nodes", nid, "options", j, "examples"),
                            f"the phrase '{phrase[:50]}' of option '{opt['id']}' is matched to "
                            f"{'option ' + repr(m.option) if m.option else 'no option'} at difficulty {d}",
                            "example phrases that are closer to their own option than to the others",
                        )

    def check_varied(self) -> None:
        """A per-difficulty value must have a value for every difficulty it is used at."""
        for path, keys, line, example in self.ctx.varied:
            if "default" in keys:
                continue
            used = set(self.diffs)
            if len(path) >= 4 and path[0] == "phases" and path[2] == "nodes":
                used = self.reach.get((path[1], path[3]), set())
            value: Any = self.s.data
            for key in path:
                if isinstance(value, dict) and value.get("only"):
                    used &= set(value["only"])
                try:
                    value = value[key]
                except (KeyError, IndexError, TypeError):
                    break
            missing = [d for d in self.diffs if d in used and d not in keys]
            if missing:
                self.ctx.error(
                    line,
                    f"{_where(path)} has no value for {', '.join(missing)}, where it is used",
                    "a value for every difficulty it is used at, or a 'default:'",
                    f"{missing[0]}: {example}",
                )

    def check_repeat(self, phase: dict[str, Any], index: int, path: YamlPath) -> None:
        earlier = [p["id"] for p in self.s.phases[:index] if p["kind"] == "role_play"]
        if phase["repeat"] not in earlier:
            self.err(
                path + ("repeat",),
                f"'{phase['repeat']}' is not an earlier role_play phase",
                ", ".join(earlier) or "(no role_play phase comes before this one)",
                f"repeat: {earlier[0] if earlier else 'practice'}",
            )

    def check_emotions(self, phase: dict[str, Any], path: YamlPath) -> None:

        self.check_speaker(phase, path, "cast")
        self.check_speaker(phase, path, "coach")
        ids = set()
        for j, item in enumerate(phase["items"]):
            ipath = path + ("items", j)
            if item["id"] in ids:
                self.err(ipath + ("id",), f"item id '{item['id']}' is used twice", "a different id for each item")
            ids.add(item["id"])
            if item["expression"] not in phase["emotions"]:
                self.err(
                    ipath + ("expression",),
                    f"'{item['expression']}' is not one of this phase's emotions",
                    ", ".join(phase["emotions"]),
                )
            self.check_only(item, ipath)
        for d in self.diffs:
            if not self.s.items(phase, d):
                self.err(path + ("items",), f"no item is used at difficulty {d}", "items without 'only:'")
