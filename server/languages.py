"""Content in the participant's language: scenario, questionnaire and care/crisis files with per-language text.

A file is written in English (the source: every text in its place, as before) and may declare more languages
with a `translations:` block at its end, one map per language from a text's *key* to that text:

    languages: [en, es]
    translations:
      es:
        title: Iniciar una conversación
        skill.steps.greet.text: Saluda y di quién eres.
        phases.practice.nodes.moment.options.wait.text: Esperaré a que Alex termine la llamada.
        phases.rationale.lines.1.text: Empezar una conversación puede parecer un gran paso...

A key is the text's place in the file: the map keys on the way down, joined with dots; an entry of a list is
named by its `id:` where it has one, else by its number (from 1). So the English file stays as it was and
reads as before, a translator works in one block with the English a few lines up, and a file can be
translated a part at a time: a text with no translation is shown in English. Lint warns (never errors) about
a text a declared language lacks and about a key that names no text (the English was moved or removed).

The participant's language is the optional `language` of the Socket.IO connect auth (wire/session.py),
kept on their Connection; `chosen()` keeps only the languages shipped here and falls back to English.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from . import yamltext

SOURCE = "en"  # the language every content file is written in
# The languages the project ships (the client's and the dashboard's catalogs, and the shipped content).
LANGUAGES = ("en", "es")
NAMES = {"en": "English", "es": "Spanish"}
_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")

Path_ = tuple[str | int, ...]


def chosen(value: object) -> str:
    """The content language for what a client asked for: a shipped language (a tag like 'es-MX' counts as
    'es'), else English. Anything else (not text, an unknown language) is English, never an error: a client
    in a language we lack still gets a session."""
    if isinstance(value, str) and len(value) <= 35:
        m = _TAG.match(value.split(",")[0].split(";")[0].strip())  # an Accept-Language header: its first
        if m and m.group(1).lower() in LANGUAGES:
            return m.group(1).lower()
    return SOURCE


def text_key(data: Any, path: Path_) -> str:
    """The key of the text at `path` in the loaded data (list entries by their id, else their number)."""
    parts: list[str] = []
    node = data
    for step in path:
        if isinstance(step, int) and isinstance(node, list):
            item = node[step] if 0 <= step < len(node) else None
            named = isinstance(item, dict) and isinstance(item.get("id"), str)
            parts.append(str(item["id"]) if named else str(step + 1))  # type: ignore[index]
            node = item
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts)


def _place(data: Any, key: str) -> tuple[Any, str | int] | None:
    """(the map or list holding the text named by `key`, its key or index there), or None."""
    node, parts = data, key.split(".")
    for i, part in enumerate(parts):
        where: str | int
        if isinstance(node, dict) and part in node:
            where = part
        elif isinstance(node, dict) and part.lstrip("-").isdigit() and int(part) in node:
            where = int(part)  # a map with number keys (a questionnaire's scale labels)
        elif isinstance(node, list):
            found = next((n for n, x in enumerate(node) if isinstance(x, dict) and x.get("id") == part), None)
            if found is None and part.isdigit() and 1 <= int(part) <= len(node):
                found = int(part) - 1
            if found is None:
                return None
            where = found
        else:
            return None
        if i == len(parts) - 1:
            return node, where
        node = node[where]
    return None


def localized(data: Any, texts: Mapping[str, str] | None, keys: set[str]) -> Any:
    """A copy of `data` with each text `texts` names put in place; texts it does not name stay English, and
    only the texts in `keys` (the file's translatable texts: never an id, a scene or a number) are replaced."""
    out = copy.deepcopy(data)
    for key, text in (texts or {}).items():
        place = _place(out, key) if key in keys else None
        if place is not None and isinstance(place[0][place[1]], str) and isinstance(text, str):
            place[0][place[1]] = text
    return out


def scalars(node: yaml.Node | None, path: Path_ = ()) -> Iterator[tuple[Path_, yaml.ScalarNode]]:
    """Every scalar value of a composed YAML document, with its path (keys and list positions)."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                key: str | int = k.value
                if k.tag.endswith(":int"):
                    key = int(k.value)
                if isinstance(v, yaml.ScalarNode):
                    yield (*path, key), v
                else:
                    yield from scalars(v, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            if isinstance(v, yaml.ScalarNode):
                yield (*path, i), v
            else:
                yield from scalars(v, (*path, i))


def missing_translations(
    data: Any,
    texts: Mapping[Path_, int],
    languages: list[str],
    translations: Mapping[str, Mapping[str, Any]],
    key_lines: Mapping[tuple[str, str], int],
) -> list[tuple[int, str, str]]:
    """(line, message, example) for each warning about a file's translations: a text (`texts`: its path and
    line) that a declared language has no translation of, a key of `translations` that names no text, and a
    language translated but not declared. `key_lines`: (language, key) -> the line of that translation."""
    out: list[tuple[int, str, str]] = []
    keys = {text_key(data, path): line for path, line in texts.items()}
    for lang in languages:
        if lang == SOURCE:
            continue
        mine = translations.get(lang) or {}
        for key, line in keys.items():
            if key not in mine:
                out.append(
                    (
                        line,
                        f"no {NAMES.get(lang, lang)} ({lang}) text for '{key}': it is shown in English",
                        f"under translations: {lang}:, write {key}: ...",
                    )
                )
    for lang, mine in translations.items():
        if lang not in languages:
            out.append((key_lines.get((lang, ""), 1), f"translations for '{lang}', which languages: does not list", ""))
        for key in mine:
            if key not in keys:
                out.append(
                    (
                        key_lines.get((lang, key), 1),
                        f"translations: {lang}: '{key}' names no text in this file (moved or renamed?)",
                        "a key of a text above, e.g. title",
                    )
                )
    return out


def language_of(world: Any, user_id: int | None) -> str:
    """The content language of a person now: that of their newest connection (English when none)."""
    if user_id is None:
        return SOURCE
    sids = world.sids_of(user_id)
    conns = [world.conns[s] for s in sids if s in world.conns]
    return str(conns[-1].language) if conns else SOURCE


# --- files other than scenarios: which of their texts can be translated -------------------------------------------
# Keys with `*` standing for one part (a map key, or a list entry's id or number). The scenario files say it in
# their schema (server/scenarios/schema.py, Text); these plain files say it here, in one place for the loaders
# and for lint (`peerspace scenario lint scenarios/` checks the questionnaires/ and safety/ files beside them).
QUESTIONNAIRE_TEXTS = ("title", "intro", "scale.labels.*", "items.*.text")
CRISIS_TEXTS: tuple[str, ...] = ("monitoring_notice", "resources.*", "told.*", "safe_room.text", "safe_room.back")
CRISIS_TEXTS += ("scene_pause.*", "recording.*")
CARE_TEXTS = ("helplines.*.contact", "helplines.*.when", "roles.*", "duty.*", "out_of_hours.*", "seen.*", "words.*")
HELPLINE_TEXTS = ("consent", "staff_told", "nobody", "joined", "staff_left", "closed")
CONTENT_FILES = {
    "questionnaires/*.yaml": QUESTIONNAIRE_TEXTS,
    "questionnaires/*.yml": QUESTIONNAIRE_TEXTS,
    "safety/crisis_phrases.yaml": CRISIS_TEXTS,
    "safety/care.yaml": CARE_TEXTS,
    "safety/helpline.yaml": HELPLINE_TEXTS,
}


def _matches(key: str, patterns: tuple[str, ...]) -> bool:
    parts = key.split(".")
    for pattern in patterns:
        want = pattern.split(".")
        if len(want) == len(parts) and all(w in ("*", p) for w, p in zip(want, parts, strict=True)):
            return True
    return False


def text_keys(data: Any, patterns: tuple[str, ...]) -> set[str]:
    """The keys of a plain file's translatable texts (those of its strings that `patterns` name)."""
    out: set[str] = set()

    def walk(node: Any, path: Path_) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*path, i))
        elif isinstance(node, str) and path and path[0] not in ("translations", "languages"):
            key = text_key(data, path)
            if _matches(key, patterns):
                out.add(key)

    walk(data, ())
    return out


def per_language(data: Any, patterns: tuple[str, ...]) -> dict[str, Any]:
    """{language: the file's data with that language's texts in place} for each language it translates."""
    translations = data.get("translations") if isinstance(data, dict) else None
    if not isinstance(translations, dict):
        return {}
    keys = text_keys(data, patterns)
    source = {k: v for k, v in data.items() if k not in ("translations", "languages")}
    return {
        str(lang): localized(source, {str(k): str(v) for k, v in texts.items()}, keys)
        for lang, texts in translations.items()
        if lang in LANGUAGES and lang != SOURCE and isinstance(texts, dict)
    }


def file_warnings(text: str, patterns: tuple[str, ...]) -> list[tuple[int, str, str]]:
    """Lint of a plain content file's translations, as (line, message, example): each text a language the file
    declares (`languages:`) lacks, each translation that names no text, each language translated undeclared.
    A file YAML cannot read gives nothing here (its loader reports that when the server starts)."""
    try:
        root = yamltext.node(text)
        data = yamltext.data(text)
    except yaml.YAMLError:
        return []
    if not isinstance(data, dict):
        return []
    keys = text_keys(data, patterns)
    texts: dict[Path_, int] = {}
    key_lines: dict[tuple[str, str], int] = {}
    for path, node in scalars(root):
        if path and path[0] == "translations" and len(path) == 3:
            key_lines[(str(path[1]), str(path[2]))] = node.start_mark.line + 1
        elif text_key(data, path) in keys:
            texts[path] = node.start_mark.line + 1
    declared = data.get("languages") or [SOURCE]
    translations = data.get("translations") or {}
    if not isinstance(declared, list) or not isinstance(translations, dict):
        return [(1, "languages: must be a list of languages and translations: a map of them", "languages: [en, es]")]
    return missing_translations(data, texts, [str(x) for x in declared], translations, key_lines)
