"""Match a participant's own words to one of a node's options.

Every option contributes its text and example phrases as small documents.
Documents and the query become TF-IDF vectors over word unigrams, word
bigrams and character trigrams (the trigrams tolerate typos such as
"helo"); the option whose best document is most similar (cosine) wins if
the similarity clears a threshold, otherwise nothing matches and the
partner asks again. numpy only.

Confidence: similarity alone is not enough to act on. An answer close to two options ("sorry, I can't,
maybe next week" near both a refusal and an offer) is unsure however high its best score, so the
confidence combines the best similarity with its margin over the runner-up:

    confidence = best * (1 - MARGIN_WEIGHT * (1 - min(1, margin / FULL_MARGIN)))

A margin of FULL_MARGIN or more keeps the similarity; no margin halves it. A run scores an answer on its
own only at `confidence >= AUTO_BAND` and with no risk signal (answer_risk.py); below, a person decides
(docs/scenarios.md, "Confidence and review"). The constants are calibrated on the labelled corpus
tests/data/answers.csv by bench/matcher.py (docs/performance.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"[a-z0-9']+")
DEFAULT_THRESHOLD = 0.4
# calibrated on tests/data/answers.csv (bench/matcher.py): auto-scoring precision >= 0.95 there
AUTO_BAND = 0.55
FULL_MARGIN = 0.25
MARGIN_WEIGHT = 0.5
# below this similarity nothing is near: the partner asks again, as before (no options worth offering)
NEAR = 0.2
# Short "no"/"yes" answers carry everything in one word, so keep them matchable.
_CHAR_WEIGHT = 0.5


def normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower().replace("’", "'")))


# English function words: with only a handful of example phrases per node the
# IDF cannot learn that these carry little meaning, so they are down-weighted.
STOPWORDS = frozenset(
    """a an the and or but if so of to in on at by for with from as is are was were be been
am i i'm im me my you you're your it it's its this that these those there here we us our they them their he she
his her do does did have has had will would can could shall should just really very too also then than""".split()
)
_STOP_WEIGHT = 0.15


def _features(text: str) -> dict[str, float]:
    words = normalise(text).split()
    feats: dict[str, float] = {}
    for w in words:
        feats["w:" + w] = feats.get("w:" + w, 0.0) + (_STOP_WEIGHT if w in STOPWORDS else 1.0)
    for a, b in zip(words, words[1:]):
        key = f"b:{a} {b}"
        feats[key] = feats.get(key, 0.0) + (_STOP_WEIGHT if a in STOPWORDS and b in STOPWORDS else 1.0)
    for w in words:
        if w in STOPWORDS or len(w) < 3:  # very short words match by whole word only
            continue
        padded = f" {w} "
        for i in range(len(padded) - 2):
            key = "c:" + padded[i : i + 3]
            feats[key] = feats.get(key, 0.0) + _CHAR_WEIGHT
    return feats


def confidence(best: float, runner_up: float) -> float:
    """How sure a match is: the best similarity, discounted when the runner-up is close (0..1)."""
    margin = min(1.0, max(0.0, best - runner_up) / FULL_MARGIN)
    return max(0.0, best * (1.0 - MARGIN_WEIGHT * (1.0 - margin)))


@dataclass(frozen=True)
class Match:
    """`option`: the best option if its similarity clears the matcher's threshold (the old rule), else None.
    `nearest`: the best option whatever its score; `candidates`: the two nearest (option, confidence)."""

    option: str | None
    score: float
    runner_up: str | None = None
    runner_up_score: float = 0.0
    confidence: float = 0.0
    nearest: str | None = None
    candidates: tuple[tuple[str, float], ...] = ()

    @property
    def sure(self) -> bool:
        """Confident enough to score on its own (risk signals are checked apart: answer_risk.py)."""
        return self.nearest is not None and self.confidence >= AUTO_BAND

    @property
    def near(self) -> bool:
        """Something is near enough to offer (below, the answer is about something else)."""
        return self.nearest is not None and self.score >= NEAR


class IntentMatcher:
    """TF-IDF + cosine nearest option. `phrases` maps option id -> phrases."""

    def __init__(self, phrases: dict[str, list[str]], threshold: float = DEFAULT_THRESHOLD):
        self.threshold = threshold
        self.labels: list[str] = []
        # a phrase's own row: the loader matches every example against its matcher (a server start does it for
        # every scenario), and a phrase it was built from needs no features worked out again
        self._rows: dict[str, int] = {}
        docs: list[dict[str, float]] = []
        for option, texts in phrases.items():
            for t in texts:
                f = _features(t)
                if f:
                    self._rows.setdefault(t, len(docs))
                    self.labels.append(option)
                    docs.append(f)
        vocab: dict[str, int] = {}
        for d in docs:
            for k in d:
                vocab.setdefault(k, len(vocab))
        self.vocab = vocab
        n = len(docs)
        df = np.zeros(len(vocab))
        tf = np.zeros((n, len(vocab)))
        for i, d in enumerate(docs):
            for k, v in d.items():
                tf[i, vocab[k]] = v
                df[vocab[k]] += 1
        # smoothed idf, as is usual for tiny corpora
        self.idf = np.log((1 + n) / (1 + df)) + 1.0
        self.matrix = self._unit(np.log1p(tf) * self.idf) if n else tf

    @staticmethod
    def _unit(m: np.ndarray) -> np.ndarray:
        norms = np.linalg.norm(m, axis=-1, keepdims=True)
        return m / np.where(norms == 0, 1.0, norms)

    def _vector(self, text: str) -> np.ndarray:
        row = self._rows.get(text)
        if row is not None:
            known: np.ndarray = self.matrix[row]
            return known
        v = np.zeros(len(self.vocab))
        for k, x in _features(text).items():
            j = self.vocab.get(k)
            if j is not None:
                v[j] = x
        return self._unit(np.log1p(v) * self.idf)

    def scores(self, text: str) -> dict[str, float]:
        """Best cosine per option."""
        if not self.labels:
            return {}
        sims = self.matrix @ self._vector(text)
        best: dict[str, float] = {}
        for label, s in zip(self.labels, sims):
            if s > best.get(label, -1.0):
                best[label] = float(s)
        return best

    def match(self, text: str) -> Match:
        ranked = sorted(self.scores(text).items(), key=lambda kv: -kv[1])
        if not ranked:
            return Match(None, 0.0)
        top, score = ranked[0]
        second = ranked[1] if len(ranked) > 1 else (None, 0.0)
        sure = confidence(score, second[1])
        candidates = tuple((o, round(confidence(s, score if o != top else second[1]), 3)) for o, s in ranked[:2])
        if score < self.threshold:
            return Match(None, score, top, score, sure, top, candidates)
        return Match(top, score, second[0], second[1], sure, top, candidates)
