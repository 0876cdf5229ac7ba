"""Crisis-language detection over a facilitator-maintained phrase list.

The list, the support message shown to the participant and the notice that
tells participants what is monitored all live in
`<scenarios_dir>/safety/crisis_phrases.yaml`; nothing of that text is here.

Matching: both the line and each phrase are normalised the same way
(Unicode NFKC, case-folded, apostrophes dropped so "can't" == "cant", every
other non-letter/digit run becomes one space); a phrase matches only on
whole-word boundaries, so "skill myself" does not match "kill myself".
One compiled regular expression per list; a match returns the list entry's
id (its category), never the words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`\u00b4]")
_NON_WORD = re.compile(r"[^\w]+|_+")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _APOSTROPHES.sub("", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


class PhraseFileError(ValueError):
    pass


@dataclass
class CrisisList:
    monitoring_notice: str
    resources_title: str
    resources_text: str
    categories: list[tuple[str, list[str]]]
    path: str = ""
    texts: dict | None = None     # other participant-facing text from the same file (safe_room, recording)

    def __post_init__(self):
        self._patterns: list[tuple[str, re.Pattern]] = []
        for cat, words in self.categories:
            alts = sorted({normalise(w) for w in words if normalise(w)}, key=len, reverse=True)
            if alts:
                body = "|".join(re.escape(a).replace(r"\ ", " ") for a in alts)
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
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise PhraseFileError(f"{path}: cannot read the crisis phrase list ({e.__class__.__name__})") from None

    def need(cond, what):
        if not cond:
            raise PhraseFileError(f"{path}: {what}")
    need(isinstance(data, dict), "must be a map with monitoring_notice, resources and phrases")
    need(isinstance(data.get("monitoring_notice"), str) and data["monitoring_notice"].strip(),
         "monitoring_notice must be the text that tells participants what is monitored")
    res = data.get("resources")
    need(isinstance(res, dict) and isinstance(res.get("text"), str) and res["text"].strip(),
         "resources must be a map with title and text (shown to the participant)")
    phrases = data.get("phrases")
    need(isinstance(phrases, list) and phrases, "phrases must be a list of {id, words}")
    cats = []
    for i, entry in enumerate(phrases):
        need(isinstance(entry, dict) and isinstance(entry.get("id"), str)
             and isinstance(entry.get("words"), list) and all(isinstance(w, str) for w in entry["words"]),
             f"phrases[{i}] must be {{id: a_word, words: [phrase, ...]}}")
        cats.append((entry["id"], [w for w in entry["words"] if w.strip()]))
    texts = {}
    for section in ("safe_room", "recording"):
        value = data.get(section) or {}
        need(isinstance(value, dict) and all(isinstance(v, str) for v in value.values()),
             f"{section} must be a map of short texts")
        texts.update({f"{section}.{k}": " ".join(v.split()) for k, v in value.items()})
    return CrisisList(data["monitoring_notice"].strip(), str(res.get("title") or "").strip(),
                      res["text"].strip(), cats, str(path), texts)
