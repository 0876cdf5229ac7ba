"""Schemas for every client -> server event, and the one validator.

Each event's payload is a msgpack map. A schema names its fields; anything
else (extra keys, wrong types, out-of-range numbers, over-long text) is
refused with a `WireError` whose message says what to send instead. Domain
modules (`wire.scenario`, `wire.safety`, ...) add their events with `define`.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

from . import errors, events
from .text import has_visible

MAX_TEXT = 500  # characters in one chat line
MAX_NAME = 40
MAX_ID = 64


@dataclass(frozen=True)
class Field:
    kind: type | tuple[type, ...]
    required: bool = True
    max_len: int | None = None  # str/list/bytes
    min_len: int | None = None  # list: at least this many items
    items: Field | None = None  # list: every item must pass this field's checks
    choices: tuple[Any, ...] | None = None
    lo: float | None = None
    hi: float | None = None
    default: Any = None
    visible: bool = False  # str: must show something (not only spaces or invisible characters)

    def describe(self) -> str:
        names = {
            str: "text",
            int: "a whole number",
            float: "a number",
            bool: "true/false",
            list: "a list",
            dict: "a map",
            bytes: "bytes",
        }
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        if set(kinds) == {int, float}:
            kinds = (float,)
        text = " or ".join(names.get(k, k.__name__) for k in kinds)
        if self.choices:
            text += " (one of: " + ", ".join(map(str, self.choices)) + ")"
        if self.lo is not None or self.hi is not None:
            text += f" between {self.lo} and {self.hi}"
        if self.items is not None:
            lo = self.min_len or 0
            count = f"{lo} to {self.max_len}" if self.max_len is not None else f"at least {lo}"
            return f"{text} of {count} items, each {self.items.describe()}"
        if self.max_len is not None:
            text += f" of at most {self.max_len}"
        return text


SCHEMAS: dict[str, dict[str, Field]] = {}
# event -> the wire module that defined it: docs/protocol-events.md (tools/protocol_tables.py) groups by it
DEFINED_IN: dict[str, str] = {}


def define(event: str, **fields: Field) -> None:
    if event in SCHEMAS:
        raise ValueError(f"event {event!r} defined twice")
    SCHEMAS[event] = fields
    DEFINED_IN[event] = sys._getframe(1).f_globals.get("__name__", __name__)


def text(max_len: int = MAX_TEXT, required: bool = True, **kw: Any) -> Field:
    return Field(str, required=required, max_len=max_len, **kw)


def number(lo: float, hi: float, required: bool = True, default: float | None = None) -> Field:
    return Field((int, float), required=required, lo=lo, hi=hi, default=default)


def avatar_ref(required: bool = False) -> Field:
    """The avatar an intent is for; omitted means the sender's own avatar."""
    return Field(int, required=required, lo=0, hi=65535)


def _check(event: str, name: str, spec: Field, value: Any) -> Any:
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    # bool is an int in Python; never accept it where a number is meant.
    if isinstance(value, bool) and bool not in kinds:
        ok = False
    else:
        ok = isinstance(value, kinds)
    if not ok:
        raise errors.WireError(errors.INVALID, f"'{event}': field '{name}' must be {spec.describe()}.")
    if isinstance(value, float) and not math.isfinite(value):
        raise errors.WireError(errors.INVALID, f"'{event}': field '{name}' must be a finite number.")
    if spec.max_len is not None and len(value) > spec.max_len:
        if isinstance(value, list):
            raise errors.WireError(
                errors.TOO_LARGE, f"'{event}': field '{name}' has {len(value)} items; the limit is {spec.max_len}."
            )
        raise errors.WireError(
            errors.TOO_LARGE, f"'{event}': field '{name}' is too long ({len(value)}); the limit is {spec.max_len}."
        )
    if spec.min_len is not None and len(value) < spec.min_len:
        raise errors.WireError(errors.INVALID, f"'{event}': field '{name}' must be {spec.describe()}.")
    if spec.items is not None:
        for i, item in enumerate(value):
            _check(event, f"{name}[{i}]", spec.items, item)
    if spec.visible and not has_visible(value):
        raise errors.WireError(
            errors.INVALID,
            f"'{event}': field '{name}' shows nothing (only spaces or invisible characters). Type something to send.",
        )
    if spec.choices is not None and value not in spec.choices:
        raise errors.WireError(errors.INVALID, f"'{event}': field '{name}' must be {spec.describe()}.")
    if spec.lo is not None and value < spec.lo or spec.hi is not None and value > spec.hi:
        raise errors.WireError(errors.INVALID, f"'{event}': field '{name}' must be {spec.describe()}.")
    return value


def validate(event: Any, payload: Any) -> dict[str, Any]:
    """Return a clean payload dict for `event`, or raise WireError."""
    if not isinstance(event, str) or event not in SCHEMAS:
        shown = event if isinstance(event, str) and len(event) <= MAX_ID else "?"
        raise errors.WireError(errors.UNKNOWN_EVENT, f"Unknown event '{shown}'.")
    schema = SCHEMAS[event]
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise errors.WireError(errors.INVALID, f"'{event}' takes a map of fields: {', '.join(schema) or 'none'}.")
    extra = [k for k in payload if k not in schema]
    if extra:
        shown = ", ".join(str(k)[:MAX_ID] for k in extra[:5])
        raise errors.WireError(
            errors.INVALID, f"'{event}' does not take: {shown}. Allowed fields: {', '.join(schema) or 'none'}."
        )
    clean = {}
    for name, spec in schema.items():
        if name in payload:
            clean[name] = _check(event, name, spec, payload[name])
        elif spec.required:
            raise errors.WireError(errors.INVALID, f"'{event}' needs field '{name}': {spec.describe()}.")
        elif spec.default is not None:
            clean[name] = spec.default
    return clean


# --- core events --------------------------------------------------------------
define(events.HELLO, protocol=Field(int, lo=0, hi=10_000))
define(events.CONSENT, recording=Field(bool))
define(events.LIST_ROOMS)
define(
    events.CREATE_ROOM,
    name=text(MAX_NAME),
    scene=Field(str, choices=events.SCENES, required=False, default="cafe"),
    capacity=Field(int, required=False, lo=1, hi=200, default=12),
)
define(events.JOIN, room=text(MAX_ID))
define(events.LEAVE)
define(
    events.MOVE,
    forward=number(-1, 1),
    strafe=number(-1, 1, required=False, default=0.0),
    turn=number(-1, 1, required=False, default=0.0),
    avatar=avatar_ref(),
)
define(events.LOOK, yaw=number(-360, 360, required=False), at=avatar_ref(), avatar=avatar_ref())
# A line may carry the face and gesture it is said with: one intent against the rate budget, not three.
define(
    events.SAY,
    text=text(visible=True),
    suggestion=text(MAX_ID, required=False),
    avatar=avatar_ref(),
    expression=Field(str, choices=events.EXPRESSIONS, required=False),
    intensity=number(0, 1, required=False),
    gesture=Field(str, choices=events.GESTURES, required=False),
)
define(
    events.EXPRESSION,
    name=Field(str, choices=events.EXPRESSIONS),
    intensity=number(0, 1, required=False, default=1.0),
    avatar=avatar_ref(),
)
define(events.GESTURE, name=Field(str, choices=events.GESTURES), avatar=avatar_ref())
