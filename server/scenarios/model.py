"""A loaded, validated scenario: read-only accessors over the checked data."""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import Any

from .. import languages
from .matcher import IntentMatcher
from .schema import DIFFICULTIES, YamlPath


def pick(value: Any, difficulty: str) -> Any:
    """Resolve a value that may vary by difficulty ({easy:..., default:...})."""
    if isinstance(value, dict) and value and set(value) <= set(DIFFICULTIES) | {"default"}:
        return value.get(difficulty, value.get("default"))
    return value


def applies(entry: dict[str, Any], difficulty: str) -> bool:
    only = entry.get("only")
    return not only or difficulty in only


class Scenario:
    def __init__(self, data: dict[str, Any], file: str = "<scenario>", lines: dict[YamlPath, int] | None = None):
        self.data = data
        self.file = file
        self.lines = lines or {}
        self._matchers: dict[tuple[str, str, str], IntentMatcher] = {}  # (phase id, node id, difficulty)
        # the world scene the run is played in: the scene itself, or what a service's own scene looks like
        self.looks_like: str = str(data.get("scene") or "cafe")
        self.language = languages.SOURCE  # the language of its texts (localized() gives the others)
        self.text_keys: set[str] = set()  # the keys of its translatable texts (set by the loader)
        self._localized: dict[str, Scenario] = {}

    def localized(self, language: str) -> Scenario:
        """This scenario with its texts in `language` where the file translates them, English where it does
        not (or itself, when the file has no text in that language). The same version: same id, same content
        hash, so records, replays and a resumed run know it as the file it came from."""
        texts = (self.data.get("translations") or {}).get(language)
        if language == self.language or not texts:
            return self
        if language not in self._localized:
            source = {k: v for k, v in self.data.items() if k != "translations"}
            other = Scenario(languages.localized(source, texts, self.text_keys), self.file, self.lines)
            other.looks_like, other.text_keys, other.language = self.looks_like, self.text_keys, language
            other.__dict__["content_hash"] = self.content_hash  # cached_property: the version it is
            self._localized[language] = other
        return self._localized[language]

    # --- identity -----------------------------------------------------------------
    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def title(self) -> str:
        return str(self.data["title"])

    @property
    def difficulties(self) -> list[str]:
        return [d for d in DIFFICULTIES if d in self.data["difficulty"]]

    @cached_property
    def content_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.data, sort_keys=True).encode()).hexdigest()[:16]

    def listing(self) -> dict[str, Any]:
        """What a client's scenario list shows."""
        return {
            "id": self.id,
            "title": self.title,
            "topic": self.data["topic"],
            "summary": self.data["summary"],
            "scene": self.looks_like,  # clients know the world's scenes only
            "difficulties": [
                {
                    "id": d,
                    "label": self.data["difficulty"][d]["label"],
                    "description": self.data["difficulty"][d].get("description") or "",
                }
                for d in self.difficulties
            ],
        }

    # --- cast ---------------------------------------------------------------------------
    @property
    def cast(self) -> dict[str, dict[str, Any]]:
        cast: dict[str, dict[str, Any]] = self.data["cast"]
        return cast

    def cast_of_kind(self, kind: str) -> list[str]:
        return [r for r, c in self.cast.items() if c["kind"] == kind]

    @property
    def participant_role(self) -> str:
        return self.cast_of_kind("participant")[0]

    @property
    def coach_role(self) -> str | None:
        coaches = self.cast_of_kind("coach")
        return coaches[0] if coaches else None

    # --- skill ----------------------------------------------------------------------------
    @property
    def steps(self) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = self.data["skill"]["steps"]
        return steps

    def step(self, step_id: str) -> dict[str, Any] | None:
        return next((s for s in self.steps if s["id"] == step_id), None)

    def step_texts(self) -> dict[str, str]:
        """{step id: the step's text}, in skill order: what summaries show people instead of the ids."""
        return {s["id"]: s["text"] for s in self.steps}

    # --- phases --------------------------------------------------------------------------
    @property
    def phases(self) -> list[dict[str, Any]]:
        phases: list[dict[str, Any]] = self.data["phases"]
        return phases

    def phase(self, phase_id: str) -> dict[str, Any] | None:
        return next((p for p in self.phases if p["id"] == phase_id), None)

    def role_play_source(self, phase: dict[str, Any]) -> dict[str, Any]:
        """The role_play phase whose nodes a (repeat_)role_play phase uses."""
        if phase["kind"] == "repeat_role_play":
            source = self.phase(phase["repeat"])
            # the loader rejects a repeat_role_play whose 'repeat:' names no earlier role_play phase
            assert source is not None
            return source
        return phase

    def nodes(self, phase: dict[str, Any]) -> dict[str, dict[str, Any]]:
        nodes: dict[str, dict[str, Any]] = self.role_play_source(phase)["nodes"]
        return nodes

    def start(self, phase: dict[str, Any]) -> str:
        return str(self.role_play_source(phase)["start"])

    def options(self, node: dict[str, Any], difficulty: str) -> list[dict[str, Any]]:
        return [o for o in node.get("options") or [] if applies(o, difficulty)]

    def items(self, phase: dict[str, Any], difficulty: str) -> list[dict[str, Any]]:
        return [i for i in phase["items"] if applies(i, difficulty)]

    def matcher(self, phase: dict[str, Any], node_id: str, difficulty: str) -> IntentMatcher:
        source = self.role_play_source(phase)["id"]
        key = (source, node_id, difficulty)
        if key not in self._matchers:
            node = self.nodes(phase)[node_id]
            self._matchers[key] = IntentMatcher(
                {o["id"]: [o["text"], *o["examples"]] for o in self.options(node, difficulty)}
            )
        return self._matchers[key]

    def endings_of(self, phase: dict[str, Any]) -> set[str]:
        return {n["end"] for n in self.nodes(phase).values() if n.get("end")}

    def line_of(self, *path: str | int) -> int:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1
