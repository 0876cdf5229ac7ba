"""Crisis-language detection over a facilitator-maintained phrase list.

The list, the support message shown to the participant and the notice that
tells participants what is monitored all live in
`<scenarios_dir>/safety/crisis_phrases.yaml`; nothing of that text is here.

Matching: both the line and each phrase are normalised the same way, so that
disguised spellings read as the words they show (`normalise`):

  1. apostrophes dropped, so "can't" == "cant";
  2. Unicode NFKD: full-width and mathematical letters, ligatures and NBSP
     folded (as NFKC would), accents split off their letters;
  3. Cyrillic and Greek letters that look like Latin ones folded to them
     (`CONFUSABLES`, uppercase and lowercase apart: Greek Η is H, η is n);
  4. case-folded;
  5. dropped: format characters (category Cf: zero-width space and joiners,
     soft hyphen, byte-order mark, bidi marks, tag characters), accents and
     other combining marks (Mn, Me), and the blank letters of wire.text
     (Hangul fillers, braille blank);
  6. inside a word that also has letters, digits and symbols used for letters
     become them: 0 o, 3 e, 4 a, 5 s, 7 t, @ a, $ s, and 1 becomes the marker
     `ONE` (a dotless i) that the phrase patterns accept for both "i" and "l"
     ("k1ll", "se1f"); words with no letters ("5", "101", "7:30") and a number
     with an ordinal or time suffix ("1st", "5pm") are left alone;
  7. every other non-letter/digit run becomes one space.

A phrase matches only on whole-word boundaries, so "skill myself" does not
match "kill myself". One compiled regular expression per list; a match
returns the list entry's id (its category), never the words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wire.text import BLANK_LETTERS

from .. import yamltext
from ..languages import CRISIS_TEXTS, per_language

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`\u00b4]")
_NON_WORD = re.compile(r"[^\w]+|_+")
# dropped: format characters (zero-width, soft hyphen, BOM, bidi, tags) and combining marks (accents)
_DROPPED = frozenset({"Cf", "Mn", "Me"})

# Cyrillic and Greek letters drawn like Latin ones (before case-folding, so each case maps to what it shows).
CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "А": "A",
        "а": "a",
        "В": "B",
        "в": "b",
        "Е": "E",
        "е": "e",
        "Ѕ": "S",
        "ѕ": "s",
        "І": "I",
        "і": "i",
        "Ј": "J",
        "ј": "j",
        "К": "K",
        "к": "k",
        "М": "M",
        "м": "m",
        "Н": "H",
        "н": "h",
        "О": "O",
        "о": "o",
        "Р": "P",
        "р": "p",
        "С": "C",
        "с": "c",
        "Т": "T",
        "т": "t",
        "У": "Y",
        "у": "y",
        "Х": "X",
        "х": "x",
        "Һ": "H",
        "һ": "h",
        "Ԁ": "D",
        "ԁ": "d",
        "Ԛ": "Q",
        "ԛ": "q",
        "Ԝ": "W",
        "ԝ": "w",
        "Ӏ": "I",
        "ӏ": "l",
        "Ү": "Y",
        "ү": "y",
        "Ь": "b",
        "ь": "b",
        # Greek
        "Α": "A",
        "α": "a",
        "Β": "B",
        "β": "b",
        "Ε": "E",
        "ε": "e",
        "Ζ": "Z",
        "Η": "H",
        "η": "n",
        "Ι": "I",
        "ι": "i",
        "Κ": "K",
        "κ": "k",
        "Μ": "M",
        "Ν": "N",
        "ν": "v",
        "Ο": "O",
        "ο": "o",
        "Ρ": "P",
        "ρ": "p",
        "Τ": "T",
        "τ": "t",
        "Υ": "Y",
        "υ": "u",
        "Χ": "X",
        "χ": "x",
        "ϲ": "c",
        "Ϲ": "C",
        "ϳ": "j",
    }
)
# Digits and symbols written for letters, inside a word that has letters. "1" is both "i" and "l":
# it becomes ONE, which the phrase patterns accept in place of either.
ONE = "\u0131"
LEET = str.maketrans({"0": "o", "1": ONE, "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
# a whole word (letters, digits, @ and $) with at least one of LEET's keys; linear: no backtracking in a word
_LEET_WORD = re.compile(r"(?<![^\W_])(?<![@$])[^\W_0134357]*[0134357@$](?:[^\W_]|[@$])*")
_NUMBER_WITH_SUFFIX = re.compile(r"\d+(?:st|nd|rd|th|am|pm|s)")


def _drop_invisible(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED and ch not in BLANK_LETTERS)


def _unleet(m: re.Match[str]) -> str:
    word: str = m.group()
    if not any(ch.isalpha() for ch in word) or _NUMBER_WITH_SUFFIX.fullmatch(word):
        return word
    return word.translate(LEET)


def normalise(text: str) -> str:
    text = _APOSTROPHES.sub("", text)
    if text.isascii():  # most lines: nothing to fold but case (ASCII has no format chars, marks or look-alikes)
        text = text.lower()
    else:
        # NFKD: compatibility forms folded and accents split off; look-alikes folded while case still tells
        # them apart; case-folding can bring marks back (İ -> i + dot above), hence NFD before the drop
        text = unicodedata.normalize("NFKD", text).translate(CONFUSABLES).casefold()
        text = _APOSTROPHES.sub("", _drop_invisible(unicodedata.normalize("NFD", text)))
    text = _LEET_WORD.sub(_unleet, text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def _pattern(phrase: str) -> str:
    """A normalised phrase as a regular expression; "i" and "l" also match ONE (a "1" written for either)."""
    classes = {"i": f"[i{ONE}]", "l": f"[l{ONE}]", ONE: f"[il{ONE}]", " ": " "}
    return "".join(classes.get(ch) or re.escape(ch) for ch in phrase)


# What a practice scenario says and offers when a crisis phrase stops it (server/scenarios/intents.py):
# the coach's check-in, what the participant is told while it waits, the two choices, the closing line.
# What the support card says first: who was actually told (staff were online and got the alert), or that no
# one is online and the alert waits for them. Never a promise of someone who is not there.
TOLD_TEXTS = ("staff", "nobody")
SCENE_PAUSE_TEXTS = (
    "check_in",
    "staff_told",
    "no_staff",
    "acknowledged",
    "resume",
    "end",
    "waiting",
    "resume_waits",
    "closing",
)


class PhraseFileError(ValueError):
    pass


@dataclass
class CrisisList:
    monitoring_notice: str
    resources_title: str
    resources_text: str
    categories: list[tuple[str, list[str]]]
    path: str = ""
    texts: dict[str, str] | None = None  # other participant-facing text from the same file (safe_room, recording,
    # scene_pause), as "section.key"
    # the same texts from the file's `translations:`, by language (server/languages.py); the phrases are one list
    languages: dict[str, CrisisList] = field(default_factory=dict)

    def in_language(self, language: str) -> CrisisList:
        """The texts a participant reading `language` is shown (English where the file has no translation)."""
        return self.languages.get(language, self)

    def __post_init__(self) -> None:
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for cat, words in self.categories:
            alts = sorted({normalise(w) for w in words if normalise(w)}, key=len, reverse=True)
            if alts:
                body = "|".join(_pattern(a) for a in alts)
                self._patterns.append((cat, re.compile(rf"(?<!\w)(?:{body})(?!\w)")))

    def match(self, text: str) -> str | None:
        """The category id of the first phrase found in `text`, or None."""
        norm = normalise(text)
        if not norm:
            return None
        for cat, pattern in self._patterns:
            if pattern.search(norm):
                return cat
        return None

    @property
    def size(self) -> int:
        return sum(len(w) for _, w in self.categories)


def load(path: str | Path) -> CrisisList:
    path = Path(path)
    try:
        data = yamltext.data(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise PhraseFileError(f"{path}: cannot read the crisis phrase list ({e.__class__.__name__})") from None
    crisis = _crisis(data, path)
    for language, translated in per_language(data, CRISIS_TEXTS).items():
        crisis.languages[language] = _crisis(translated, path)
    return crisis


def _crisis(data: Any, path: Path) -> CrisisList:

    def need(cond: object, what: str) -> None:
        if not cond:
            raise PhraseFileError(f"{path}: {what}")

    need(isinstance(data, dict), "must be a map with monitoring_notice, resources and phrases")
    need(
        isinstance(data.get("monitoring_notice"), str) and data["monitoring_notice"].strip(),
        "monitoring_notice must be the text that tells participants what is monitored",
    )
    res = data.get("resources")
    need(
        isinstance(res, dict) and isinstance(res.get("text"), str) and res["text"].strip(),
        "resources must be a map with title and text (shown to the participant)",
    )
    phrases = data.get("phrases")
    need(isinstance(phrases, list) and phrases, "phrases must be a list of {id, words}")
    cats = []
    for i, entry in enumerate(phrases):
        need(
            isinstance(entry, dict)
            and isinstance(entry.get("id"), str)
            and isinstance(entry.get("words"), list)
            and all(isinstance(w, str) for w in entry["words"]),
            f"phrases[{i}] must be {{id: a_word, words: [phrase, ...]}}",
        )
        cats.append((entry["id"], [w for w in entry["words"] if w.strip()]))
    texts = {}
    for section in ("safe_room", "recording"):
        value = data.get(section) or {}
        need(
            isinstance(value, dict) and all(isinstance(v, str) for v in value.values()),
            f"{section} must be a map of short texts",
        )
        texts.update({f"{section}.{k}": " ".join(v.split()) for k, v in value.items()})
    for section, keys in (("scene_pause", SCENE_PAUSE_TEXTS), ("told", TOLD_TEXTS)):
        value = data.get(section)
        missing = [k for k in keys if not (isinstance(value, dict) and str(value.get(k) or "").strip())]
        need(not missing, f"{section} must be a map with the texts {', '.join(keys)} (missing: {missing})")
        assert isinstance(value, dict)
        texts.update({f"{section}.{k}": " ".join(str(value[k]).split()) for k in keys})
    return CrisisList(
        data["monitoring_notice"].strip(),
        str(res.get("title") or "").strip(),
        res["text"].strip(),
        cats,
        str(path),
        texts,
    )
