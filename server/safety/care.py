"""The care data file: hours of cover, out-of-hours resources, and the wording of the care protocol.

Each service fills in `<scenarios_dir>/safety/care.yaml` (beside the crisis phrase list): when the team is
usually on duty (hours per weekday, in the service's time zone), the emergency number and local helplines
a participant is given when no one is on duty, what participants are told about who is on duty, what
they are told when someone has seen their alert, and the short list of things staff record when they
handle an alert. Nothing of that text is in the code.

The file is checked when the server starts. An error names the file, the line and what to write there,
so a service can fix it without reading code.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .. import languages, yamltext

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
# The texts the file must have, by section (each a short text; {placeholders} as the file's comments say).
DUTY_TEXTS = ("one", "many", "nobody", "hours", "no_hours")
OUT_OF_HOURS_TEXTS = ("intro", "emergency")
SEEN_TEXTS = ("crisis", "report")
# How the hours are written in words (the optional `words:` section, so that a translation can say them too).
WORDS = {"and": "and", **{day: day.capitalize() for day in WEEKDAYS}}


class CareFileError(ValueError):
    pass


@dataclass
class Helpline:
    name: str
    contact: str
    when: str = ""


@dataclass
class Care:
    timezone: str
    hours: dict[str, list[tuple[int, int]]]  # weekday -> [(start minute, end minute)] in local time
    emergency_number: str
    helplines: list[Helpline]
    roles: dict[str, str]  # role -> how participants read it ("peer specialist")
    duty: dict[str, str]
    out_of_hours: dict[str, str]
    seen: dict[str, str]
    actions: dict[str, str]  # handling action id -> its text
    path: str = ""
    words: dict[str, str] = field(default_factory=lambda: dict(WORDS))
    # the same care data with a translation's texts (`translations:`), by language (server/languages.py)
    languages: dict[str, Care] = field(default_factory=dict)
    _zone: ZoneInfo = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._zone = ZoneInfo(self.timezone)

    def in_language(self, language: str) -> Care:
        """What a participant reading `language` is told (English where the file has no such translation)."""
        return self.languages.get(language, self)

    # --- hours of cover ---------------------------------------------------------------------------------
    def in_hours(self, now: float) -> bool:
        """Is `now` (Unix seconds) within the hours of cover?"""
        local = dt.datetime.fromtimestamp(now, self._zone)
        minute = local.hour * 60 + local.minute
        return any(a <= minute < b for a, b in self.hours.get(WEEKDAYS[local.weekday()], []))

    def hours_text(self) -> str:
        """The hours of cover in words, from the file's `duty.hours` (or `duty.no_hours` when none are set)."""
        days = []
        for day in WEEKDAYS:
            spans = self.hours.get(day) or []
            if spans:
                times = f" {self.words['and']} ".join(f"{_hhmm(a)}–{_hhmm(b)}" for a, b in spans)
                days.append(f"{self.words[day]} {times}")
        if not days:
            return self.duty["no_hours"]
        return self.duty["hours"].format(hours="; ".join(days), timezone=self.timezone)

    # --- what participants read -----------------------------------------------------------------------------
    def role_name(self, role: str) -> str:
        return self.roles.get(role) or role.replace("_", " ")

    def duty_text(self, people: list[dict[str, str]]) -> str:
        """ "Sam, peer specialist, is here today." / "No one from the team is online right now. ..." """
        if not people:
            return f"{self.duty['nobody']} {self.hours_text()}"
        named = [f"{p['name']}, {self.role_name(p['role'])}," for p in people]
        if len(named) == 1:
            return self.duty["one"].format(people=named[0])
        listed = ", ".join(named[:-1]) + f" {self.words['and']} " + named[-1]
        return self.duty["many"].format(people=listed)

    def resources_text(self) -> str:
        """The out-of-hours resources: the file's intro, each helpline, the emergency number, the hours."""
        lines = [self.out_of_hours["intro"]]
        for h in self.helplines:
            lines.append(f"{h.name}: {h.contact}" + (f" ({h.when})" if h.when else "") + ".")
        lines.append(self.out_of_hours["emergency"].format(emergency_number=self.emergency_number))
        lines.append(self.hours_text())
        return " ".join(lines)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class _Checker:
    """Reports a problem with the file's name, the line it is on, and what to write there."""

    def __init__(self, path: Path, root: yaml.Node):
        self.path, self.root = path, root

    def node(self, *keys: str | int) -> yaml.Node | None:
        node: yaml.Node | None = self.root
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if k.value == key), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
            else:
                return None
        return node

    def fail(self, keys: tuple[str | int, ...], what: str) -> CareFileError:
        # the line of the deepest part of the path that is there (the parent of a missing key)
        line = 1
        for n in range(len(keys), -1, -1):
            found = self.node(*keys[:n])
            if found is not None:
                line = found.start_mark.line + 1
                break
        where = ".".join(str(k) for k in keys) or "the top level"
        return CareFileError(f"{self.path}:{line}: {where}: {what}")


def load(path: str | Path) -> Care:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        root = yamltext.node(text)
        data = yamltext.data(text)
    except OSError as e:
        raise CareFileError(f"{path}: cannot read the care file ({e.__class__.__name__})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise CareFileError(f"{path}{line}: this is not valid YAML ({getattr(e, 'problem', None) or e})") from None
    if not isinstance(data, dict) or root is None:
        raise CareFileError(f"{path}:1: write a map with timezone, hours, emergency_number, helplines and texts")
    care = _care(data, _Checker(path, root), path)
    for language, translated in languages.per_language(data, languages.CARE_TEXTS).items():
        care.languages[language] = _care(translated, _Checker(path, root), path)
    return care


def _care(data: dict[str, Any], check: _Checker, path: Path) -> Care:
    """The care data of one language (a translation is checked as the English is: the same placeholders)."""

    def text_of(keys: tuple[str | int, ...], example: str) -> str:
        value: Any = data
        for k in keys:
            if isinstance(value, list) and isinstance(k, int):
                value = value[k] if k < len(value) else None
            else:
                value = value.get(k) if isinstance(value, dict) else None
        if not isinstance(value, (str, int)) or not str(value).strip():
            raise check.fail(keys, f"write a short text here, e.g. {example}")
        return " ".join(str(value).split())

    tz = text_of(("timezone",), "timezone: Europe/London")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise check.fail(("timezone",), f"'{tz}' is not a time zone; write one like Europe/London") from None

    hours_in = data.get("hours")
    if not isinstance(hours_in, dict):
        raise check.fail(("hours",), 'write a map of weekdays, e.g. monday: ["09:00-17:00"] (a day left out has none)')
    hours: dict[str, list[tuple[int, int]]] = {}
    for day, spans in hours_in.items():
        if day not in WEEKDAYS:
            raise check.fail(("hours", day), f"'{day}' is not a weekday; write one of {', '.join(WEEKDAYS)}")
        if spans is None:
            spans = []
        if not isinstance(spans, list):
            raise check.fail(("hours", day), 'write a list of times, e.g. ["09:00-17:00"], or [] for none')
        hours[day] = []
        for i, span in enumerate(spans):
            m = _SPAN.match(str(span).replace(" ", ""))
            start = int(m.group(1)) * 60 + int(m.group(2)) if m else 0
            end = int(m.group(3)) * 60 + int(m.group(4)) if m else 0
            if m is None or end <= start or end > 24 * 60:
                raise check.fail(("hours", day, i), f"'{span}' is not a time span; write it as 09:00-17:00")
            hours[day].append((start, end))

    emergency = text_of(("emergency_number",), 'emergency_number: "999"')
    helplines_in = data.get("helplines")
    if not isinstance(helplines_in, list):
        raise check.fail(("helplines",), "write a list of {name, contact, when}, e.g. - name: Samaritans")
    helplines = []
    for i, h in enumerate(helplines_in):
        if not isinstance(h, dict):
            raise check.fail(("helplines", i), "write {name: ..., contact: ..., when: ...}")
        name = text_of(("helplines", i, "name"), "name: Samaritans")
        contact = text_of(("helplines", i, "contact"), "contact: call 116 123")
        when = " ".join(str(h.get("when") or "").split())
        helplines.append(Helpline(name, contact, when))

    roles_in = data.get("roles") or {}
    if not isinstance(roles_in, dict) or not all(isinstance(v, str) for v in roles_in.values()):
        raise check.fail(
            ("roles",), "write a map of role to how participants read it, e.g. peer_specialist: peer specialist"
        )
    sections: dict[str, dict[str, str]] = {}
    for section, keys in (("duty", DUTY_TEXTS), ("out_of_hours", OUT_OF_HOURS_TEXTS), ("seen", SEEN_TEXTS)):
        if not isinstance(data.get(section), dict):
            raise check.fail((section,), f"write a map with the texts {', '.join(keys)}")
        sections[section] = {k: text_of((section, k), "a sentence for participants") for k in keys}
    for key, holder in (("one", "{people}"), ("many", "{people}"), ("hours", "{hours}")):
        if holder not in sections["duty"][key]:
            raise check.fail(("duty", key), f"the text must say where the names go with {holder}")
    if "{emergency_number}" not in sections["out_of_hours"]["emergency"]:
        raise check.fail(("out_of_hours", "emergency"), "the text must say where the number goes: {emergency_number}")

    actions_in = (data.get("handling") or {}).get("actions") if isinstance(data.get("handling"), dict) else None
    if not isinstance(actions_in, dict) or not actions_in:
        raise check.fail(
            ("handling", "actions"), 'write a map of action id to its text, e.g. talked: "Talked with them"'
        )
    actions = {}
    for key in actions_in:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", str(key)):
            raise check.fail(("handling", "actions", key), "an action id is a short word: lowercase letters, digits, _")
        actions[str(key)] = text_of(("handling", "actions", key), '"Talked with them"')
    care = Care(
        tz,
        hours,
        emergency,
        helplines,
        {str(k): " ".join(v.split()) for k, v in roles_in.items()},
        sections["duty"],
        sections["out_of_hours"],
        sections["seen"],
        actions,
        str(path),
        {**WORDS, **{str(k): " ".join(str(v).split()) for k, v in (data.get("words") or {}).items() if k in WORDS}},
    )
    try:  # every text once, so a {placeholder} the code does not fill is found now, not in front of a person
        sample = {"name": "Sam", "role": "peer_specialist"}
        care.duty_text([sample])
        care.duty_text([sample, sample])
        care.duty_text([])
        care.resources_text()
    except (KeyError, IndexError, ValueError) as e:
        raise CareFileError(f"{path}: a text in duty or out_of_hours uses an unknown {{placeholder}} ({e})") from None
    return care
