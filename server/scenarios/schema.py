"""The one scenario-file schema.

The schema is written once, as a small tree of type objects. The same tree
  * checks a composed YAML document node by node, so every problem carries the
    file line it was found on, what is allowed there and an example, and
  * exports itself as JSON Schema (`json_schema()`) for editor autocompletion.

Cross-references (a `next:` that names a node, a `cast:` that names a cast
role, reachability of endings...) are checked afterwards in `validate.py`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from wire import events

from ..languages import LANGUAGES

FORMAT_VERSION = 1
DIFFICULTIES = ("easy", "medium", "hard")
PARTNER_STYLES = ("friendly", "neutral", "impatient")
HINT_POLICIES = ("shown", "after_miss", "off")
CAST_KINDS = ("participant", "coach", "partner")
TOPICS = (
    "starting_a_conversation",
    "job_interview",
    "asking_for_help",
    "expressing_unpleasant_feeling",
    "refusing_a_request",
    "emotion_recognition",
    "other",
)
# The SST session protocol (Bellack et al.), plus two exercise kinds; what each does is in phases.py
# (one PhaseKind class per kind), its fields are in PHASE below.
PHASE_KINDS = (
    "rationale",
    "skill_steps",
    "modelling",
    "role_play",
    "feedback",
    "repeat_role_play",
    "homework",
    "emotion_recognition",
    "reflection",
    "homework_review",
)
SST_ORDER = (
    "rationale",
    "skill_steps",
    "modelling",
    "role_play",
    "feedback",
    "repeat_role_play",
    "feedback",
    "homework",
)
CATALOG_FILE = "catalog/topics.yaml"  # beside the scenario files: the service's own topics and scenes
MAX_SCORE = 2  # skill-step ratings: 0 not done, 1 partly, 2 done well
# the reading pace of a scenario without a `pace:` block (the autonomous cast waits this long before a line)
DEFAULT_PACE = {"wpm": 160, "min_seconds": 1.5, "max_seconds": 8.0}
DEFAULT_CUE_SECONDS = 30.0  # how long a person or agent driving a cast role has to say a cued line
ID_RE = r"^[a-z][a-z0-9_]{0,47}$"
ID_HINT = "lower-case letters, digits and _, starting with a letter"

# Where a value sits in a document: map keys and list indexes from the top, e.g. ("phases", 2, "nodes", "hello").
YamlPath: TypeAlias = tuple[str | int, ...]


# --- problems ---------------------------------------------------------------------


@dataclass
class Problem:
    file: str
    line: int
    message: str
    allowed: str = ""
    example: str = ""
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {'warning: ' if self.severity == 'warning' else ''}{self.message}"
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        if self.example:
            text += f"; write e.g. {self.example}"
        return text


class Ctx:
    """Collects problems and the line of every checked path while walking a document."""

    def __init__(self, file: str, difficulties: tuple[str, ...] = DIFFICULTIES):
        self.file = file
        self.problems: list[Problem] = []
        self.lines: dict[YamlPath, int] = {}
        # (path, the difficulty keys written there, line, example) of every per-difficulty map
        self.varied: list[tuple[YamlPath, set[str], int, str]] = []
        self.difficulties = difficulties
        # names a service can add to (catalog/topics.yaml): "topics", "scenes" -> every allowed name
        self.vocabulary: dict[str, tuple[str, ...]] = {}
        self._constructor = SafeConstructor()
        # the maps being checked, outermost first: an unknown key may belong to the one around it
        self.stack: list[tuple[T, YamlPath]] = []
        # (path of a map, key) found one level too deep: the map's own "needs 'key'" would repeat that problem
        self.misplaced: set[tuple[YamlPath, str]] = set()
        # the line of every text a person reads (a Text checked with translate=True): what a translation covers
        self.texts: dict[YamlPath, int] = {}

    def error(
        self, node_or_line: yaml.Node | int, message: str, allowed: str = "", example: str = "", severity: str = "error"
    ) -> None:
        line = node_or_line if isinstance(node_or_line, int) else node_or_line.start_mark.line + 1
        problem = Problem(self.file, line, message, allowed, example, severity)
        if problem not in self.problems:  # a follow-on error that repeats one already found is left out
            self.problems.append(problem)

    def scalar(self, node: yaml.ScalarNode) -> Any:
        try:
            return self._constructor.construct_object(node, deep=True)
        except ConstructorError as exc:
            self.error(node, f"cannot read value: {exc.problem}")
            return None

    def line_of(self, path: YamlPath, default: int = 1) -> int:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), default)


# How a person names one entry of a list or a map, for messages: ("phases", 3) reads "phase 4".
_ENTRY = {
    "phases": "phase",
    "lines": "line",
    "options": "option",
    "examples": "example",
    "items": "item",
    "steps": "step",
    "prompts": "prompt",
    "alternatives": "alternative",
    "accept": "word",
    "only": "difficulty",
    "nodes": "node",
    "cast": "cast member",
    "endings": "ending",
    "emotions": "emotion",
    "score": "score",
    "topics": "topic",
    "scenes": "scene",
    "sessions": "session",
    "scenarios": "scenario",
}


def _where(path: YamlPath) -> str:
    """A path as a person reads it, counting from 1: ("phases", 3, "nodes", "hi") reads "phase 4 > node 'hi'"."""
    if not path:
        return "the top level"
    parts: list[str] = []
    for i, key in enumerate(path):
        parent = path[i - 1] if i else None
        entry = _ENTRY.get(parent) if isinstance(parent, str) else None
        if isinstance(key, int):
            if entry:
                parts[-1:] = [f"{entry} {key + 1}"]
            else:
                parts.append(f"entry {key + 1}")
        elif entry:
            parts[-1:] = [f"{entry} '{key}'"]
        else:
            parts.append(str(key))
    return " > ".join(parts)


def _kind_of(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a map (key: value lines)"
    if isinstance(node, yaml.SequenceNode):
        return "a list (- item lines)"
    if node.tag.endswith(":null"):
        return "nothing (empty)"
    return f"'{str(node.value)[:40]}'"


def _suggest(word: object, choices: Iterable[object]) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _is_empty(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null") and node.value in ("", "~", "null")


def _flow_comma(node: yaml.MappingNode, key: str, key_node: yaml.Node, value_node: yaml.Node) -> str | None:
    """The example fix when `key` is the end of a text cut by an unquoted comma in a `{...}` map, else None.

    In `{name: Pat, description: A receptionist, busy today}` YAML reads 'busy today' as a key of its own."""
    if not node.flow_style or not _is_empty(value_node):
        return None
    before = None
    for k, v in node.value:
        if k is key_node:
            break
        before = (k, v)
    if before is None or not isinstance(before[1], yaml.ScalarNode) or _is_empty(before[1]):
        return None
    text = f"{before[1].value}, {key}".replace("'", "''")
    return f"{before[0].value}: '{text}'"


def _comma_message(key: str, where: str, example: str) -> tuple[str, str, str]:
    return (
        f"text with a comma inside {{…}} must be quoted: '{key[:40]}' in {where} is the end of the text before it, "
        "cut off by its comma",
        "text in quotes when it contains a comma, e.g. '...' or \"...\"",
        example,
    )


# --- types ------------------------------------------------------------------------------


class T:
    description = ""
    example = ""

    def allowed(self) -> str:
        raise NotImplementedError

    def check(self, node: yaml.Node, ctx: Ctx, path: YamlPath) -> Any:
        raise NotImplementedError

    def json(self) -> dict[str, Any]:
        raise NotImplementedError

    def _wrong(self, node: yaml.Node, ctx: Ctx, path: YamlPath, what: str = "") -> None:
        ctx.error(node, what or f"{_where(path)} is {_kind_of(node)}", self.allowed(), self.example)


class Str(T):
    def __init__(
        self,
        description: str = "",
        example: str = "",
        *,
        max_len: int = 2000,
        pattern: str | None = None,
        pattern_hint: str = "",
        choices: tuple[str, ...] | None = None,
    ):
        self.description, self.example = description, example
        self.max_len, self.pattern, self.pattern_hint, self.choices = max_len, pattern, pattern_hint, choices

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.pattern:
            return f"a name of {self.pattern_hint}"
        return f"text of at most {self.max_len} characters"

    def check(self, node: yaml.Node, ctx: Ctx, path: YamlPath) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null"):
            self._wrong(node, ctx, path)
            return None
        value = str(node.value)  # the words as written (yes/no/12 stay text)
        if self.choices is not None and value not in self.choices:
            ctx.error(
                node,
                f"{_where(path)}: '{value[:40]}' is not allowed{_suggest(value, self.choices)}",
                self.allowed(),
                self.example,
            )
            return None
        if self.pattern and not re.match(self.pattern, value):
            ctx.error(node, f"{_where(path)}: '{value[:40]}' is not a valid name", self.allowed(), self.example)
            return None
        if not value.strip():
            ctx.error(node, f"{_where(path)} is empty", self.allowed(), self.example)
            return None
        if len(value) > self.max_len:
            ctx.error(node, f"{_where(path)} is too long ({len(value)} characters)", self.allowed(), self.example)
            return None
        return value

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string"}
        if self.choices:
            out["enum"] = list(self.choices)
        if self.pattern:
            out["pattern"] = self.pattern
        else:
            out["maxLength"] = self.max_len
            out["minLength"] = 1
        if self.description:
            out["description"] = self.description
        return out


class Named(Str):
    """A name from a list the service can extend: the project's own names plus those in catalog/topics.yaml."""

    def __init__(self, kind: str, builtin: tuple[str, ...], description: str, example: str):
        super().__init__(description, example, choices=builtin)
        self.kind = kind

    def check(self, node: yaml.Node, ctx: Ctx, path: YamlPath) -> str | None:
        names = ctx.vocabulary.get(self.kind, self.choices)
        example = f"{self.example}, or add a new one to {CATALOG_FILE} beside the scenario files"
        return Str(self.description, example, choices=names).check(node, ctx, path)

    def json(self) -> dict[str, Any]:
        return {
            "type": "string",
            "pattern": ID_RE,
            "examples": list(self.choices or ()),
            "description": f"{self.description}: one of {', '.join(self.choices or ())}, "
            f"or one of the {self.kind} a service adds in {CATALOG_FILE}",
        }


class Num(T):
    def __init__(self, lo: float, hi: float, description: str = "", example: str = "", integer: bool = False):
        self.lo, self.hi, self.integer = lo, hi, integer
        self.description, self.example = description, example

    def allowed(self) -> str:
        return f"{'a whole number' if self.integer else 'a number'} from {self.lo} to {self.hi}"

    def check(self, node: yaml.Node, ctx: Ctx, path: YamlPath) -> int | float | None:
        value = ctx.scalar(node) if isinstance(node, yaml.ScalarNode) else None
        kinds = (int,) if self.integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not (self.lo <= value <= self.hi):
            self._wrong(node, ctx, path, f"{_where(path)}: {_kind_of(node)} is not allowed")
            return None
        return value

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer" if self.integer else "number", "minimum": self.lo, "maximum": self.hi}
        if self.description:
            out["description"] = self.description
        return out


class Bool(T):
    def __init__(self, description: str = "", example: str = ""):
        self.description, self.example = description, example

    def allowed(self) -> str:
        return "true or false"

    def check(self, node: yaml.Node, ctx: Ctx, path: YamlPath) -> bool | None:
        value = ctx.scalar(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(value, bool):
            self._wrong(node, ctx, path)
            return None
        return value

    def json(self) -> dict[str, Any]:
        return {"type": "boolean", "description": self.description}


class List(T):
    def __init__(self, item: T, description: str = "", example: str = "", min_items: int = 0, max_items: int = 500):
        self.item, self.min_items, self.max_items = item, min_items, max_items
        self.description, self.example = description, example

    def allowed(self) -> str:
        return f"a list (- item lines) of {self.item.allowed()}"

    def check(self, node: yaml.Node, ctx: Ctx, path: YamlPath) -> list[Any] | None:
        if not isinstance(node, yaml.SequenceNode):
            self._wrong(node, ctx, path)
            return None
        if len(node.value) < self.min_items:
            ctx.error(node, f"{_where(path)} needs at least {self.min_items} item(s)", self.allowed(), self.example)
        if len(node.value) > self.max_items:
            ctx.error(node, f"{_where(path)} has more than {self.max_items} items", self.allowed(), self.example)
        out: list[Any] = []
        for i, child in enumerate(node.value):
            ctx.lines[path + (i,)] = child.start_mark.line + 1
            out.append(self.item.check(child, ctx, path + (i,)))
        return out

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.json(), "minItems": self.min_items}
        if self.description:
            out["description"] = self.description
        return out


@dataclass
class F:
    """A field of an object."""

    type: T
    required: bool = False
    default: Any = None
    example: str = ""


def _mapping_items(node: yaml.MappingNode, ctx: Ctx, path: YamlPath) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
    """(key, key_node, value_node) for a mapping node; reports duplicate and non-text keys."""
    try:
        ctx._constructor.flatten_mapping(node)  # YAML merge keys (<<: *anchor)
    except ConstructorError as exc:
        ctx.error(node, f"cannot merge: {exc.problem}")
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            ctx.error(key_node, f"{_where(path)}: a key must be a plain word, not {_kind_of(key_node)}")
            continue
        key = str(key_node.value)
        if key in seen:
            ctx.error(key_node, f"{_where(path)}: '{key}' appears twice (first on line {seen[key]})", "each key once")
            continue
        seen[key] = key_node.start_mark.line + 1
        yield key, key_node, value_node


class Obj(T):
    def __init__(self, name: str, fields: dict[str, F], description: str = "", example: str = ""):
        self.name, self.fields = name, fields
        self.description, self.example = description, example

    def allowed(self) -> str:
        return f"a map with keys: {', '.join(self.fields)}"

    def check(self, node: yaml.Node, ctx: Ctx, path: YamlPath, skip: tuple[str, ...] = ()) -> dict[str, Any] | None:
        if not isinstance(node, yaml.MappingNode):
            self._wrong(node, ctx, path, f"{_where(path)} must be {self.name} (a map), not {_kind_of(node)}")
            return None
        out: dict[str, Any] = {}
        meant: set[str] = set()  # required keys an unknown key was probably meant as (a typo)
        ctx.stack.append((self, path))
        for key, key_node, value_node in _mapping_items(node, ctx, path):
            if key in skip:
                continue
            spec = self.fields.get(key)
            if spec is None:
                self._unknown(node, key, key_node, value_node, ctx, path)
                meant.update(difflib.get_close_matches(key, list(self.fields), n=1, cutoff=0.6))
                continue
            ctx.lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = spec.type.check(value_node, ctx, path + (key,))
        ctx.stack.pop()
        for key, spec in self.fields.items():
            if key in out or key in skip:
                continue
            if spec.required and (key in meant or (path, key) in ctx.misplaced):
                continue  # already reported as the unknown key it was written as
            if spec.required:
                ctx.error(
                    node,
                    f"{self.name} at {_where(path)} needs '{key}'",
                    spec.type.allowed(),
                    spec.example or (f"{key}: {spec.type.example}" if spec.type.example else ""),
                )
            else:
                out[key] = spec.default() if callable(spec.default) else spec.default
        return out

    def _unknown(
        self, node: yaml.MappingNode, key: str, key_node: yaml.Node, value_node: yaml.Node, ctx: Ctx, path: YamlPath
    ) -> None:
        """Report an unknown key with its likely cause: a cut-off text, a line indented too deep, or a typo."""
        fix = _flow_comma(node, key, key_node, value_node)
        if fix is not None:
            ctx.error(key_node, *_comma_message(key, f"this {self.name}", fix))
            return
        outer, outer_path = ctx.stack[-2] if len(ctx.stack) >= 2 else (None, ())
        sibling = f"'{path[-1]}'" if path and isinstance(path[-1], str) else "the keys above it"
        deeper = (
            f"unknown key '{key}' in {self.name} at {_where(path)}: "
            f"this line is indented one level deeper than its siblings (line it up with {sibling})"
        )
        block = not node.flow_style  # indentation means nothing inside {...}
        if block and isinstance(outer, Obj) and key in outer.fields and len(path) == len(outer_path) + 1:
            ctx.misplaced.add((outer_path, key))
            ctx.error(key_node, deeper, f"keys of the {outer.name} all at one indentation", outer._field_example(key))
            return
        if (
            block
            and isinstance(outer, MapOf)
            and isinstance(value_node, yaml.MappingNode)
            and not value_node.flow_style
            and len(path) == len(outer_path) + 1
            and outer.key.pattern
            and re.match(outer.key.pattern, key)
            and not _suggest(key, self.fields)
        ):
            entry = _ENTRY.get(str(outer_path[-1]), "entry") if outer_path else "entry"
            ctx.error(
                key_node,
                deeper.replace("this line", f"if '{key}' is meant as another {entry}, this line"),
                f"every {entry} of {_where(outer_path[:-1])} at one indentation",
            )
            return
        ctx.error(
            key_node,
            f"unknown key '{key}' in {self.name}{_suggest(key, self.fields)}",
            ", ".join(self.fields),
            self._field_example(key),
        )

    def _field_example(self, key: str) -> str:
        close = difflib.get_close_matches(key, list(self.fields), n=1, cutoff=0.6)
        if close:
            spec = self.fields[close[0]]
            return spec.example or f"{close[0]}: {spec.type.example}"
        return self.example

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "object",
            "properties": {
                k: {
                    **f.type.json(),
                    **({"default": f.default} if f.default is not None and not callable(f.default) else {}),
                }
                for k, f in self.fields.items()
            },
            "required": [k for k, f in self.fields.items() if f.required],
            "additionalProperties": False,
        }
        if self.description:
            out["description"] = self.description
        return out


class MapOf(T):
    """A map from names (checked by `key`) to values of one type."""

    def __init__(self, name: str, key: Str, value: T, description: str = "", example: str = "", min_items: int = 0):
        self.name, self.key, self.value, self.min_items = name, key, value, min_items
        self.description, self.example = description, example

    def allowed(self) -> str:
        return f"a map of {self.key.allowed()} to {self.value.allowed()}"

    def check(self, node: yaml.Node, ctx: Ctx, path: YamlPath) -> dict[str, Any] | None:
        if not isinstance(node, yaml.MappingNode):
            self._wrong(node, ctx, path, f"{_where(path)} must be {self.name} (a map), not {_kind_of(node)}")
            return None
        out: dict[str, Any] = {}
        ctx.stack.append((self, path))
        for key, key_node, value_node in _mapping_items(node, ctx, path):
            fix = _flow_comma(node, key, key_node, value_node)
            if fix is not None:
                ctx.error(key_node, *_comma_message(key, _where(path), fix))
                continue
            if self.key.check(key_node, ctx, path + (key,)) is None:
                continue
            ctx.lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = self.value.check(value_node, ctx, path + (key,))
        ctx.stack.pop()
        if len(out) < self.min_items:
            entries = "entry" if self.min_items == 1 else "entries"
            ctx.error(node, f"{_where(path)} needs at least {self.min_items} {entries}", self.allowed(), self.example)
        return out

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "object",
            "additionalProperties": self.value.json(),
            "minProperties": self.min_items,
        }
        if self.key.choices:
            out["propertyNames"] = {"enum": list(self.key.choices)}
        elif self.key.pattern:
            out["propertyNames"] = {"pattern": self.key.pattern}
        if self.description:
            out["description"] = self.description
        return out


class Varied(T):
    """One value for every difficulty, or a map `easy: ... medium: ... hard: ...` (or `default:`)."""

    def __init__(self, inner: T):
        self.inner = inner
        self.description = inner.description
        self.example = inner.example

    def allowed(self) -> str:
        return f"{self.inner.allowed()}, or a map of easy/medium/hard (or default) to that"

    def check(self, node: yaml.Node, ctx: Ctx, path: YamlPath) -> Any:
        if not isinstance(node, yaml.MappingNode) or isinstance(self.inner, (Obj, MapOf)):
            return self.inner.check(node, ctx, path)
        out: dict[str, Any] = {}
        keys = DIFFICULTIES + ("default",)
        for key, key_node, value_node in _mapping_items(node, ctx, path):
            fix = _flow_comma(node, key, key_node, value_node) if key not in keys else None
            if fix is not None:
                ctx.error(key_node, *_comma_message(key, _where(path), fix))
                continue
            if key not in keys:
                ctx.error(
                    key_node,
                    f"{_where(path)}: '{key}' is not a difficulty{_suggest(key, keys)}",
                    ", ".join(keys),
                    "{easy: ..., medium: ..., hard: ...}",
                )
                continue
            ctx.lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = self.inner.check(value_node, ctx, path + (key,))
        # which difficulties must be covered depends on where the value is used
        # (a node reached only at easy needs no 'hard:'): checked in loader._Checker
        ctx.varied.append((path, set(out), node.start_mark.line + 1, self.inner.example))
        return out

    def json(self) -> dict[str, Any]:
        inner = self.inner.json()
        return {
            "anyOf": [
                inner,
                {
                    "type": "object",
                    "properties": {d: inner for d in DIFFICULTIES + ("default",)},
                    "additionalProperties": False,
                    "minProperties": 1,
                },
            ],
            "description": (self.description + " " if self.description else "")
            + "(one value, or one per difficulty: easy/medium/hard/default)",
        }


class Tagged(T):
    """A map whose `kind:` key picks which Obj it is (the SST phases)."""

    def __init__(self, name: str, variants: dict[str, Obj], tag: str = "kind", example: str = ""):
        self.name, self.variants, self.tag, self.example = name, variants, tag, example

    def allowed(self) -> str:
        return f"a {self.name} map with '{self.tag}:' one of {', '.join(self.variants)}"

    def check(self, node: yaml.Node, ctx: Ctx, path: YamlPath) -> dict[str, Any] | None:
        if not isinstance(node, yaml.MappingNode):
            self._wrong(node, ctx, path, f"{_where(path)} must be a {self.name} (a map), not {_kind_of(node)}")
            return None
        tag_node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == self.tag), None)
        if tag_node is None:
            ctx.error(
                node,
                f"{self.name} at {_where(path)} needs '{self.tag}'",
                ", ".join(self.variants),
                f"{self.tag}: {next(iter(self.variants))}",
            )
            return None
        kind = tag_node.value if isinstance(tag_node, yaml.ScalarNode) else None
        if kind not in self.variants:
            ctx.error(
                tag_node,
                f"{_where(path)}: unknown {self.name} {self.tag} '{str(kind)[:40]}'{_suggest(kind, self.variants)}",
                ", ".join(self.variants),
                f"{self.tag}: role_play",
            )
            return None
        out = self.variants[kind].check(node, ctx, path, skip=(self.tag,))
        if out is not None:
            out[self.tag] = kind
        return out

    def json(self) -> dict[str, Any]:
        return {
            "oneOf": [
                {
                    **v.json(),
                    "properties": {self.tag: {"const": k}, **v.json()["properties"]},
                    "required": [self.tag] + v.json()["required"],
                }
                for k, v in self.variants.items()
            ]
        }


# --- the scenario schema ---------------------------------------------------------------------


def _id(description: str = "", example: str = "greet") -> Str:
    return Str(description, example, pattern=ID_RE, pattern_hint=ID_HINT)


class Text(Str):
    """Words a person reads or hears: each one may be translated (server/languages.py); the checked ones are
    noted in ctx.texts. Phrases kept for matching a participant's own words are not (translate=False)."""

    def __init__(self, description: str, example: str, max_len: int, translate: bool = True):
        super().__init__(description, example, max_len=max_len)
        self.translate = translate

    def check(self, node: yaml.Node, ctx: Ctx, path: YamlPath) -> str | None:
        value = super().check(node, ctx, path)
        if value is not None and self.translate:
            ctx.texts[path] = node.start_mark.line + 1
        return value


def _text(
    description: str = "", example: str = "'Hello, nice to meet you.'", max_len: int = 600, translate: bool = True
) -> Str:
    return Text(description, example, max_len, translate)


EXPRESSION = Str("facial expression", "happy", choices=events.EXPRESSIONS)
GESTURE = Str("gesture", "nod", choices=events.GESTURES)
ONLY = List(
    Str("difficulty", "hard", choices=DIFFICULTIES),
    "use this only at these difficulties",
    "[medium, hard]",
    min_items=1,
)

LINE = Obj(
    "line",
    {
        "cast": F(_id("the cast role who says it", "coach"), True),
        "text": F(Varied(_text("what is said")), True),
        "expression": F(Varied(EXPRESSION), default="neutral"),
        "gesture": F(Varied(GESTURE), default="none"),
        "only": F(ONLY),
        "beat_end": F(
            Bool(
                "the beat ends after this line: the participant chooses 'continue' before the next lines "
                "(rationale, skill_steps, modelling and other phases that wait for 'continue')",
                "true",
            ),
            default=False,
        ),
    },
    "a line said by a cast avatar",
    "{cast: coach, text: 'Hello.'}",
)

OPTION = Obj(
    "option",
    {
        "id": F(_id("option name, unique in its node", "greet"), True),
        "text": F(_text("what the participant says when they pick this option"), True),
        "examples": F(
            List(
                _text("a phrase the participant might type", "'hi, I am Sam'", 200, translate=False),
                "phrases matched against the participant's own words",
                "['hello', 'hi there']",
            ),
            default=list,
        ),
        "score": F(
            MapOf(
                "scores",
                _id("skill step id", "greet"),
                Num(0, MAX_SCORE, "0 not done, 1 partly, 2 done well", "2", integer=True),
                "how well this option performs each skill step",
                "{greet: 2}",
            ),
            default=dict,
            example="score: {greet: 2}",
        ),
        "next": F(Varied(_id("the node this leads to", "small_talk")), True, example="next: small_talk"),
        "only": F(ONLY),
    },
    "a participant option",
    "{id: greet, text: 'Hi, I am Sam.', next: small_talk}",
)

NO_MATCH = Obj(
    "no_match",
    {
        "say": F(Varied(_text("what the partner says when the participant's words match no option")), True),
        "expression": F(Varied(EXPRESSION)),
        "gesture": F(Varied(GESTURE)),
    },
    "the partner's reply to words that match no option",
    "{say: 'Sorry, what was that?'}",
)

NODE = Obj(
    "node",
    {
        "cast": F(_id("the cast role who speaks", "partner"), True),
        "say": F(Varied(_text("the partner's line")), True),
        "expression": F(Varied(EXPRESSION), default="neutral"),
        "gesture": F(Varied(GESTURE), default="none"),
        "alternatives": F(List(_text("another way to say the line, for the teleoperator's palette")), default=list),
        "prompt": F(Varied(_text("the question shown to the participant", "'What do you say?'", 200))),
        "hint": F(Varied(_text("a hint for the participant", "'Say your name.'", 300))),
        "options": F(List(OPTION, "what the participant can say", "[{id: greet, text: 'Hi!', next: chat}]")),
        "free_text": F(Bool("may the participant type their own words (matched to options)", "true"), default=True),
        "no_match": F(NO_MATCH),
        "end": F(_id("ends the role-play with this ending", "warm"), example="end: warm"),
    },
    "a dialogue node",
    "{cast: partner, say: 'Hi.', options: [...]}",
)

EMOTION_ITEM = Obj(
    "emotion item",
    {
        "id": F(_id("item name", "face_1"), True),
        "expression": F(EXPRESSION, True),
        "intensity": F(Varied(Num(0.05, 1.0, "how strongly the face shows it", "0.6")), default=1.0),
        "gesture": F(Varied(GESTURE), default="none"),
        "say": F(Varied(_text("an optional line said with the face"))),
        "accept": F(List(_text("another word accepted as the right answer", "glad", 60, False)), default=list),
        "hint": F(Varied(_text("a hint", "'Look at the mouth.'", 300))),
        "explain": F(Varied(_text("what gives the emotion away, said after the answer")), True),
        "only": F(ONLY),
    },
    "one face to recognise",
    "{id: face_1, expression: happy, explain: 'The mouth turns up.'}",
)

_COMMON = {
    "id": F(_id("phase name, unique in the file", "practice")),
    "title": F(_text("a short title shown to the participant", "'Why this matters'", 80)),
    "lines": F(List(LINE, "lines said on entering the phase"), default=list),
}

PHASE = Tagged(
    "phase",
    {
        "rationale": Obj("rationale phase", dict(_COMMON)),
        "skill_steps": Obj("skill_steps phase", dict(_COMMON)),
        "modelling": Obj("modelling phase", dict(_COMMON)),
        "role_play": Obj(
            "role_play phase",
            {
                **_COMMON,
                "start": F(_id("the first node", "hello"), True),
                "nodes": F(MapOf("nodes", _id("node name", "hello"), NODE, min_items=1), True),
            },
        ),
        "repeat_role_play": Obj(
            "repeat_role_play phase",
            {
                **_COMMON,
                "repeat": F(_id("the role_play phase to run again", "practice"), True),
            },
        ),
        "feedback": Obj(
            "feedback phase",
            {
                **_COMMON,
                "cast": F(_id("who gives the feedback", "coach")),
                "positive": F(
                    Varied(
                        _text(
                            "lead-in to praise; '{praise}' is replaced by the best step's praise",
                            "'Well done. {praise}'",
                        )
                    )
                ),
                "corrective": F(
                    Varied(
                        _text(
                            "lead-in to one suggestion; '{tip}' is replaced by the weakest step's tip",
                            "'One thing to try: {tip}'",
                        )
                    )
                ),
                "stretch": F(Varied(_text("the suggestion when every step was done well", "'Next time, try medium.'"))),
            },
        ),
        "homework": Obj(
            "homework phase",
            {
                **_COMMON,
                "assignment": F(Varied(_text("a real-world practice task")), True),
            },
        ),
        "emotion_recognition": Obj(
            "emotion_recognition phase",
            {
                **_COMMON,
                "cast": F(_id("whose face shows the emotions", "partner"), True),
                "coach": F(_id("who explains the answers", "coach")),
                "prompt": F(Varied(_text("the question", "'Which feeling does this face show?'", 200))),
                "emotions": F(
                    MapOf(
                        "emotions",
                        Str("emotion", "happy", choices=events.EXPRESSIONS),
                        List(_text("a word that names it", "glad", 60, translate=False)),
                        "emotions offered, each with words that name it",
                        "{happy: [glad], sad: [down]}",
                        min_items=2,
                    ),
                    True,
                ),
                "right": F(Varied(_text("said after a right answer; '{answer}' is the emotion", "'Yes, {answer}.'"))),
                "wrong": F(
                    Varied(_text("said after a wrong answer; '{answer}', '{given}'", "'This one was {answer}.'"))
                ),
                "items": F(List(EMOTION_ITEM, min_items=1), True),
            },
        ),
        "homework_review": Obj(
            "homework_review phase",
            {
                **_COMMON,
                "ask": F(
                    Varied(
                        _text(
                            "the question about last session's homework; '{homework}' is replaced by it",
                            "'Last time your homework was: {homework} Did you do it?'",
                            300,
                        )
                    )
                ),
                "no_homework": F(
                    Varied(
                        _text(
                            "the question when no homework was set last time",
                            "'Did you practise anything since last time?'",
                            300,
                        )
                    )
                ),
                "words": F(
                    Varied(
                        _text(
                            "asked after the answer: what happened, in the participant's own words (or skip)",
                            "'What happened? Tell me in a few words.'",
                            300,
                        )
                    )
                ),
            },
        ),
        "reflection": Obj(
            "reflection phase",
            {
                **_COMMON,
                "prompts": F(List(Varied(_text("a reflection question", "'What went well?'", 300)), min_items=1), True),
            },
        ),
    },
    example="kind: role_play",
)

SCENARIO = Obj(
    "scenario",
    {
        "peerspace_scenario": F(
            Num(FORMAT_VERSION, FORMAT_VERSION, "file format version", str(FORMAT_VERSION), integer=True),
            True,
            example=f"peerspace_scenario: {FORMAT_VERSION}",
        ),
        "id": F(_id("scenario id, unique across scenarios/", "starting_a_conversation"), True),
        "title": F(_text("title", "'Starting a conversation'", 80), True),
        "topic": F(Named("topics", TOPICS, "topic", "job_interview"), True),
        "summary": F(_text("one or two sentences for the scenario list", "'Practise ...'"), True),
        "scene": F(Named("scenes", events.SCENES, "scene", "cafe"), default="cafe"),
        "cast": F(
            MapOf(
                "cast",
                _id("cast role", "partner"),
                Obj(
                    "cast member",
                    {
                        "kind": F(Str("kind", "partner", choices=CAST_KINDS), True),
                        "name": F(_text("the avatar's display name", "Alex", 40), True),
                        "description": F(_text("who they are, for the peer specialist", "'A friendly neighbour.'")),
                        "on_operator_drop": F(
                            Str(
                                "when a teleoperating peer specialist's link drops",
                                "autonomous",
                                choices=("autonomous", "pause"),
                            )
                        ),
                        "cue_seconds": F(
                            Num(
                                1,
                                600,
                                "seconds a peer specialist or agent driving this role has to say a cued line "
                                f"(default {DEFAULT_CUE_SECONDS:g}); after that on_operator_drop applies",
                                "30",
                            )
                        ),
                        "voice": F(
                            Obj(
                                "voice transform",
                                {
                                    "pitch": F(
                                        Num(-12, 12, "semitones to shift the voice (negative: lower)", "-3"),
                                        default=0,
                                    ),
                                    "formant": F(
                                        Num(
                                            0.7,
                                            1.4,
                                            "scale of the voice's formants (below 1: a bigger-sounding speaker)",
                                            "0.9",
                                        ),
                                        default=1.0,
                                    ),
                                },
                                description="how the client of a peer specialist voicing this role transforms "
                                "their voice, so one specialist can voice different characters",
                                example="{pitch: -3, formant: 0.9}",
                            )
                        ),
                    },
                    example="{kind: partner, name: Alex}",
                ),
                min_items=2,
            ),
            True,
        ),
        "difficulty": F(
            MapOf(
                "difficulty",
                Str("difficulty", "easy", choices=DIFFICULTIES),
                Obj(
                    "difficulty level",
                    {
                        "label": F(_text("label", "'Friendly partner'", 60), True),
                        "partner": F(Str("partner style", "friendly", choices=PARTNER_STYLES), True),
                        "hints": F(
                            Str("when hints are shown", "after_miss", choices=HINT_POLICIES), default="after_miss"
                        ),
                        "description": F(_text("what to expect")),
                    },
                    example="{label: 'Friendly partner', partner: friendly}",
                ),
                min_items=1,
            ),
            True,
        ),
        "skill": F(
            Obj(
                "skill",
                {
                    "name": F(_text("skill name", "'Starting a conversation'", 80), True),
                    "steps": F(
                        List(
                            Obj(
                                "skill step",
                                {
                                    "id": F(_id("step id", "greet"), True),
                                    "text": F(_text("the step", "'Greet and say your name.'", 200), True),
                                    "praise": F(
                                        _text("specific praise when the step went well", "'You greeted clearly.'")
                                    ),
                                    "tip": F(
                                        _text("a specific suggestion when it did not", "'Try saying your name too.'")
                                    ),
                                },
                                example="{id: greet, text: 'Say hello.'}",
                            ),
                            min_items=1,
                            max_items=8,
                        ),
                        True,
                    ),
                },
            ),
            True,
        ),
        "endings": F(
            MapOf(
                "endings",
                _id("ending id", "warm"),
                Obj(
                    "ending",
                    {
                        "title": F(_text("title", "'A warm chat'", 80), True),
                        "text": F(_text("what happened, for the participant")),
                    },
                    example="{title: 'A warm chat'}",
                ),
            ),
            default=dict,
        ),
        "pace": F(
            Obj(
                "pace",
                {
                    "wpm": F(Num(40, 600, "reading speed in words per minute", "160"), default=DEFAULT_PACE["wpm"]),
                    "min_seconds": F(
                        Num(0, 30, "the shortest wait before the next line", "1.5"), default=DEFAULT_PACE["min_seconds"]
                    ),
                    "max_seconds": F(
                        Num(0, 60, "the longest wait before the next line", "8"), default=DEFAULT_PACE["max_seconds"]
                    ),
                },
                "how long the autonomous cast waits before a line, so the line before it can be read",
                "{wpm: 160, min_seconds: 1.5, max_seconds: 8}",
            ),
            default=lambda: dict(DEFAULT_PACE),
        ),
        "phases": F(List(PHASE, "the session, in order", min_items=1), True),
        "languages": F(
            List(
                Str("language", "es", choices=LANGUAGES),
                "the languages this file has text in (English first, as the file is written in it); lint warns "
                "about each text a listed language has no translation of",
                "[en, es]",
                min_items=1,
            ),
            default=lambda: ["en"],
        ),
        "translations": F(
            MapOf(
                "translations",
                Str("language", "es", choices=LANGUAGES),
                MapOf(
                    "translations of texts",
                    Str(
                        "a text's key: its place in the file, list entries by id or number",
                        "skill.steps.greet.text",
                        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
                        pattern_hint="keys and ids joined with dots, e.g. phases.practice.nodes.hello.say",
                    ),
                    Str("the text in that language", "'Hola, encantada de conocerte.'", max_len=2000),
                ),
                "per language, a text's key and its translation (docs/scenarios.md, Languages)",
                "{es: {title: 'Iniciar una conversación'}}",
            ),
            default=dict,
        ),
    },
    "a peerspace scenario file",
)


# The service's topics and scenes (CATALOG_FILE), added to the project's own: a scene is drawn as one of the
# world's scenes (looks_like), as the clients know only those.
CATALOG = Obj(
    "topics file",
    {
        "topics": F(
            MapOf("topics", _id("topic id", "phone_calls"), _text("the topic's title", "'Phone calls'", 80)),
            default=dict,
            example="topics: {phone_calls: 'Phone calls'}",
        ),
        "scenes": F(
            MapOf(
                "scenes",
                _id("scene id", "gp_reception"),
                Obj(
                    "scene",
                    {
                        "title": F(_text("the scene's title", "'A GP reception'", 80), True),
                        "looks_like": F(Str("the world scene it is played in", "office", choices=events.SCENES), True),
                    },
                    example="{title: 'A GP reception', looks_like: office}",
                ),
            ),
            default=dict,
            example="scenes: {gp_reception: {title: 'A GP reception', looks_like: office}}",
        ),
    },
    "a service's own topics and scenes, added to the project's",
)


def json_schema() -> dict[str, Any]:

    out = SCENARIO.json()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://peerspace.invalid/schema/scenario-v1.json",
        "title": "peerspace scenario",
        **out,
    }
