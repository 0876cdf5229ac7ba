"""Reading the YAML our content files are written in: libyaml's speed, PyYAML's own error messages.

libyaml's parser (PyYAML's wheels carry it) reads a scenario about 4x faster than PyYAML's pure-Python one,
and every server start reads every scenario, course and care file. A text either parser refuses is read again
by PyYAML's own, so what a facilitator is told about a broken file (scenarios/loader.py's `_syntax_problem`
rewrites those messages) does not depend on whether libyaml is installed. The dashboard editor's write-back
keeps PyYAML's parser: it edits the text at the characters its marks give.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import yaml

T = TypeVar("T")
_FAST: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(parse: Callable[[Any], T]) -> T:
    try:
        return parse(_FAST)
    except yaml.YAMLError:
        if _FAST is yaml.SafeLoader:
            raise
    return parse(yaml.SafeLoader)


def documents(text: str) -> list[yaml.Node]:
    """The text's documents as nodes (with their lines), empty ones left out; raises yaml.YAMLError."""
    return _read(lambda loader: [d for d in yaml.compose_all(text, Loader=loader) if d is not None])


def node(text: str) -> yaml.Node | None:
    """The text's one document as nodes; raises yaml.YAMLError (also for more than one document)."""
    return _read(lambda loader: yaml.compose(text, Loader=loader))


def data(text: str) -> Any:
    """The text's one document as plain data (safe: no Python objects); raises yaml.YAMLError."""
    return _read(lambda loader: yaml.load(text, Loader=loader))
