"""What counts as visible text: a chat line must show something to the people it is sent to.

A line made only of spaces, format characters (zero-width space and joiners, soft hyphen, byte-order mark,
bidi marks, tag characters), control characters, unassigned code points, lone combining marks or the
"blank" letters below draws nothing, so it would be an invisible message: the schema refuses it.
"""

from __future__ import annotations

import unicodedata

# Letters and symbols that fonts draw as nothing: Hangul fillers and the braille blank.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Categories that draw nothing on their own: format, control, unassigned, separators, combining marks.
INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})


def invisible(ch: str) -> bool:
    return ch.isspace() or ch in BLANK_LETTERS or unicodedata.category(ch) in INVISIBLE_CATEGORIES


def has_visible(text: str) -> bool:
    """True when at least one character of `text` draws something."""
    return any(not invisible(ch) for ch in text)
