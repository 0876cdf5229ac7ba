"""Speaking an answer: recognised on this machine, never sent anywhere as sound.

pocketsphinx (its English acoustic model and pronouncing dictionary ship inside the package; nothing is
downloaded) turns a short recording into words. What a participant says in a role-play is close to the
answers the step offers, so the language model is built from those (the options' text, with a few words
people add around them), with a pronouncing dictionary cut down to its words: the recogniser starts in
well under a second and mistakes are far fewer than with a general model. The result comes with a
confidence (the mean posterior probability of its words, 0..1); the text is shown for the person to
confirm or edit, then sent as the normal text answer with that confidence (client/scenarios.py), and the
server sends an answer heard with low confidence to a person (server/scenarios/phases.py).
"""

from __future__ import annotations

import importlib.util
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

RATE = 48_000  # the voice path's rate (client/voice/codec.py)
ASR_RATE = 16_000  # the acoustic model's
MAX_SECONDS = 15.0  # an answer longer than this is cut (the rest is not recognised)
# words people say around an answer; in the language model with the step's own options
COMMON = " ".join(  # the recogniser's English vocabulary, never shown
    (
        "yes no maybe okay ok sure thanks thank you please sorry",  # i18n: not shown
        "i i'm you we it that this is am are not don't do would like",  # i18n: not shown
        "to go want can could be a the and but so well um er hello hi",  # i18n: not shown
    )
)
_WORD = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class Recognition:
    text: str  # what was heard ('' when nothing was)
    confidence: float  # 0..1: how sure the recogniser is of those words


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def available() -> bool:
    """Whether this installation has the recogniser (the installed client leaves pocketsphinx and its ~37 MB model
    out, docs/deploy.md): asked before listening, so nobody speaks a whole answer only to be told afterwards."""
    return importlib.util.find_spec("pocketsphinx") is not None


def model_dir() -> Path:
    from pocketsphinx import get_model_path

    return Path(get_model_path())


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, list[str]]:
    """The shipped pronouncing dictionary: word -> its lines (alternative pronunciations included)."""
    entries: dict[str, list[str]] = {}
    with open(model_dir() / "en-us" / "cmudict-en-us.dict", encoding="utf-8") as f:
        for line in f:
            head = line.split(" ", 1)[0]
            base = head.split("(", 1)[0]
            entries.setdefault(base, []).append(line.rstrip("\n"))
    return entries


def resample_to_asr(pcm: np.ndarray, src: int = RATE) -> np.ndarray:
    """int16 at `src` Hz -> 16 kHz, band-limited (an FFT resample: nothing above 8 kHz folds down into
    the band the recogniser listens to)."""
    x = np.asarray(pcm, dtype=np.float64)
    n = len(x)
    if n == 0 or src == ASR_RATE:
        return np.asarray(pcm, dtype=np.int16)
    m = int(round(n * ASR_RATE / src))
    spec = np.fft.rfft(x)
    keep = m // 2 + 1
    out_spec = np.zeros(keep, dtype=complex)
    c = min(keep, len(spec))
    out_spec[:c] = spec[:c]
    y = np.fft.irfft(out_spec, m) * (m / n)
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


class Recogniser:
    """An offline recogniser for the answers of one step: `phrases` are what the step offers."""

    def __init__(self, phrases: list[str]):
        from pocketsphinx import Decoder
        from pocketsphinx.lm import ArpaBoLM

        entries = _dictionary()
        corpus = [" ".join(w for w in words(p) if w in entries) for p in [*phrases, COMMON]]
        corpus = [line for line in corpus if line]
        vocab = sorted({w for line in corpus for w in line.split()})
        self.vocabulary = set(vocab)
        with tempfile.TemporaryDirectory(prefix="peerspace-asr-") as tmp:
            dict_path, lm_path = os.path.join(tmp, "answers.dict"), os.path.join(tmp, "answers.arpa")
            with open(dict_path, "w", encoding="utf-8") as f:
                for w in vocab:
                    f.write("\n".join(entries[w]) + "\n")
            lm = ArpaBoLM(text="\n".join(corpus) + "\n", add_start=True)
            lm.compute()
            with open(lm_path, "w", encoding="utf-8") as f:
                lm.write(f)
            self._decoder = Decoder(
                hmm=str(model_dir() / "en-us" / "en-us"),
                dict=dict_path,
                lm=lm_path,
                samprate=ASR_RATE,
                loglevel="FATAL",
            )

    def recognise(self, pcm: np.ndarray, rate: int = RATE) -> Recognition:
        """The words in a recording (int16 mono at `rate`) and how sure the recogniser is of them."""
        audio = resample_to_asr(np.asarray(pcm)[: int(MAX_SECONDS * rate)], rate)
        if len(audio) < ASR_RATE // 10:  # under 0.1 s: nothing was said (and the decoder needs some audio)
            return Recognition("", 0.0)
        d = self._decoder
        d.start_utt()
        d.process_raw(audio.tobytes(), full_utt=True)
        d.end_utt()
        hyp = d.hyp()
        if hyp is None or not hyp.hypstr.strip():
            return Recognition("", 0.0)
        probs = [s.prob for s in d.seg() if not s.word.startswith(("<", "["))]
        confidence = float(np.clip(np.mean(probs), 0.0, 1.0)) if probs else 0.0
        return Recognition(hyp.hypstr.strip(), round(confidence, 3))


def recognise(pcm: np.ndarray, phrases: list[str], rate: int = RATE) -> Recognition:
    """One recording against one step's phrases (blocking: run it off the client's loop)."""
    return Recogniser(phrases).recognise(pcm, rate)
