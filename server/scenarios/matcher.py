"""Match a participant's own words to one of a node's options.

Every option contributes its text and example phrases as small documents.
Documents and the query become TF-IDF vectors over word unigrams, word
bigrams and character trigrams (the trigrams tolerate typos such as
"helo"); the option whose best document is most similar (cosine) wins if
the similarity clears a threshold, otherwise nothing matches and the
partner asks again. numpy only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"[a-z0-9']+")
DEFAULT_THRESHOLD = 0.4
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


@dataclass(frozen=True)
class Match:
    option: str | None
    score: float
    runner_up: str | None = None
    runner_up_score: float = 0.0


class IntentMatcher:
    """TF-IDF + cosine nearest option. `phrases` maps option id -> phrases."""

    def __init__(self, phrases: dict[str, list[str]], threshold: float = DEFAULT_THRESHOLD):
        self.threshold = threshold
        self.labels: list[str] = []
        docs: list[dict[str, float]] = []
        for option, texts in phrases.items():
            for t in texts:
                f = _features(t)
                if f:
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
        if score < self.threshold:
            return Match(None, score, top, score)
        return Match(top, score, second[0], second[1])
