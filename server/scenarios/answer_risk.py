"""Risk signals in a participant's own words: what the option matcher cannot hear.

TF-IDF similarity (matcher.py) sees shared words, not tone or a "not": "I don't want an appointment,
I'm calling to cancel one" shares most of its words with a request for one. An answer that shows a
signal is never scored on its own (docs/scenarios.md, "Confidence and review"):

  negation    a negating phrase the nearest option's own words do not have ("don't want", "cancel")
  sarcasm     a sarcasm marker ("oh great", "thanks for nothing", "genius", "yeah right")
  dismissive  an opting-out phrase ("whatever", "don't care")
  abuse       an insult or abuse ("you useless idiot")
  crisis      a crisis phrase, found by the safety list (server/safety/crisis.py) passed in as `crisis`

The phrase lists and the texts people see live in a data file maintained by facilitators,
`<scenarios_dir>/matching/answer_risk.yaml`; nothing of that text is here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from .. import yamltext
from .matcher import Match, normalise

DATA_FILE = Path("matching") / "answer_risk.yaml"
SIGNALS = ("negation", "sarcasm", "dismissive", "abuse", "crisis")
# a rude or sarcastic answer: the partner answers the tone, and nothing is scored
RUDE = frozenset({"sarcasm", "dismissive", "abuse"})
# A spoken answer (client/voice/recognise.py) comes with the recogniser's confidence, 0..1. Below HEARD_SURE
# the words may not be what was said: like an unsure match, a person decides (the signal UNSURE_HEARING).
# Measured on espeak-ng speech: a sentence the step offers is heard at ~0.75-0.8, one it does not at ~0.3-0.5.
HEARD_SURE = 0.6
UNSURE_HEARING = "unsure_hearing"
TEXTS = ("review_wait", "did_you_mean", "say_again", "rude_reply", "again")


class RiskFileError(ValueError):
    pass


def _plain(text: str) -> str:
    """Words only, apostrophes dropped, so "don't" and "dont" read the same."""
    return normalise(text).replace("'", "")


def _pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    alts = sorted({p for p in map(_plain, phrases) if p}, key=len, reverse=True)
    if not alts:
        return None
    return re.compile(r"(?<!\S)(?:" + "|".join(re.escape(a) for a in alts) + r")(?!\S)")


@dataclass
class AnswerRisk:
    words: dict[str, list[str]]
    exceptions: dict[str, list[str]]
    texts: dict[str, str]
    path: str = ""
    _patterns: dict[str, re.Pattern[str] | None] = field(default_factory=dict, repr=False)
    _except: dict[str, re.Pattern[str] | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._patterns = {k: _pattern(v) for k, v in self.words.items()}
        self._except = {k: _pattern(v) for k, v in self.exceptions.items()}

    def _found(self, kind: str, plain: str) -> set[str]:
        pattern, exceptions = self._patterns.get(kind), self._except.get(kind)
        if pattern is None:
            return set()
        if exceptions is not None:
            plain = exceptions.sub(" ", plain)
        return {m.group() for m in pattern.finditer(plain)}

    def signals(
        self, text: str, option_texts: Iterable[str] = (), crisis: Callable[[str], bool] | None = None
    ) -> list[str]:
        """The signals `text` shows, in SIGNALS order. `option_texts`: the nearest option's text and
        examples (a negation they share is the option's meaning, not a signal)."""
        plain = f" {_plain(text)} "
        found = []
        negations = self._found("negation", plain)
        if negations:
            own: set[str] = set()
            for t in option_texts:
                own |= self._found("negation", f" {_plain(t)} ")
            if not own:  # the option says nothing negative: any "not" in the answer turns it round
                found.append("negation")
        for kind in ("sarcasm", "dismissive", "abuse"):
            if self._found(kind, plain):
                found.append(kind)
        if crisis is not None and crisis(text):
            found.append("crisis")
        return found

    def text(self, key: str) -> str:
        return self.texts[key]


def route(match: Match, signals: list[str]) -> str:
    """What happens to a typed answer: 'auto' (scored on its own), 'crisis' (never scored: the scene stops),
    'rude' (never scored: sarcasm, dismissal or abuse, the partner answers the tone), 'far' (nothing near:
    the partner asks again) or 'unsure' (a person decides: the specialist in the room, else the participant)."""
    if "crisis" in signals:
        return "crisis"
    if RUDE.intersection(signals):
        return "rude"
    if match.sure and not signals:
        return "auto"
    if not match.near and not signals:
        return "far"
    return "unsure"


def load(path: str | Path) -> AnswerRisk:
    path = Path(path)
    try:
        data = yamltext.data(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise RiskFileError(f"{path}: cannot read the answer risk lists ({e.__class__.__name__})") from None

    def need(cond: object, what: str) -> None:
        if not cond:
            raise RiskFileError(f"{path}: {what}")

    need(isinstance(data, dict), "must be a map with signals and texts")
    signals = data.get("signals")
    need(isinstance(signals, dict), "signals must be a map of {name: {words: [...], except?: [...]}}")
    words: dict[str, list[str]] = {}
    exceptions: dict[str, list[str]] = {}
    for name in ("negation", "sarcasm", "dismissive", "abuse"):
        entry = signals.get(name)
        need(
            isinstance(entry, dict)
            and isinstance(entry.get("words"), list)
            and all(isinstance(w, str) for w in entry["words"] + list(entry.get("except") or [])),
            f"signals.{name} must be {{words: [phrase, ...], except?: [phrase, ...]}}",
        )
        words[name] = list(entry["words"])
        exceptions[name] = list(entry.get("except") or [])
    texts = data.get("texts")
    missing = [k for k in TEXTS if not (isinstance(texts, dict) and str(texts.get(k) or "").strip())]
    need(not missing, f"texts must be a map with {', '.join(TEXTS)} (missing: {missing})")
    assert isinstance(texts, dict)
    return AnswerRisk(words, exceptions, {k: " ".join(str(texts[k]).split()) for k in TEXTS}, str(path))


def find(scenarios_dir: str | Path | None = None) -> Path:
    """The data file under `scenarios_dir`, else the one shipped with the project."""
    if scenarios_dir is not None:
        candidate = Path(scenarios_dir) / DATA_FILE
        if candidate.is_file():
            return candidate
    return Path(__file__).resolve().parents[2] / "scenarios" / DATA_FILE


@cache
def shipped() -> AnswerRisk:
    """The project's own lists: what a run uses unless the server loaded the deployment's file."""
    return load(find())
