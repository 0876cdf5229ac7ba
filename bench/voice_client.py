"""The client's own voice work, timed on this machine: what a participant's or specialist's CPU pays.

    python bench/voice_client.py            # a few seconds; prints one JSON line per measurement

- the voice transform (client/voice/transform.py) per 20 ms frame of espeak-ng speech, p50 / p99 / max:
  it runs on every frame a specialist voicing a character sends, so it must stay far under 20 ms;
- text to speech (client/voice/tts.py): espeak-ng's time for a role-play line (the line is heard this much
  after it arrives);
- a spoken answer (client/voice/recognise.py): building the recogniser for a step's options, and
  recognising a few seconds of speech (the words appear in the answer field this long after Ctrl+T).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from client.voice import recognise, transform, tts  # noqa: E402

LINE = "Hello, it is nice to meet you. Shall we practise a conversation about your week?"
OPTIONS = [
    "Excuse me, do you have a moment?",
    "(You stand near the desk and wait to be noticed.)",
    "(You leave. You'll try the form on your own.)",
]


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3)


def main() -> None:
    speech = tts.synthesise(LINE, tts.TtsVoice("en+m3", 40, 150))
    vt = transform.VoiceTransform(pitch=5, formant=1.15)
    per_frame = []
    for _ in range(3):
        for i in range(0, len(speech) - transform.FRAME + 1, transform.FRAME):
            frame = speech[i : i + transform.FRAME]
            started = time.perf_counter()
            vt(frame)
            per_frame.append((time.perf_counter() - started) * 1000)
    print(
        json.dumps(
            {
                "what": "voice transform, ms per 20 ms frame",
                "frames": len(per_frame),
                "p50": pct(per_frame, 50),
                "p99": pct(per_frame, 99),
                "max": round(max(per_frame), 3),
            }
        )
    )
    times = []
    for _ in range(5):
        started = time.perf_counter()
        tts.synthesise(LINE, tts.voice_for("partner", {"kind": "partner"}))
        times.append((time.perf_counter() - started) * 1000)
    print(json.dumps({"what": "text to speech of a 14-word line, ms", "p50": pct(times, 50), "max": round(max(times))}))
    said = tts.synthesise(OPTIONS[0], tts.TtsVoice("en-us", 50, 130))
    builds, runs = [], []
    for _ in range(3):
        started = time.perf_counter()
        rec = recognise.Recogniser(OPTIONS)
        builds.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        heard = rec.recognise(said)
        runs.append((time.perf_counter() - started) * 1000)
    print(
        json.dumps(
            {
                "what": "spoken answer: build the recogniser for 3 options / recognise, ms",
                "seconds_of_speech": round(len(said) / tts.RATE, 2),
                "build_first": round(builds[0], 1),  # reads the shipped dictionary once
                "build_p50": pct(builds, 50),
                "recognise_p50": pct(runs, 50),
                "heard": heard.text,
                "confidence": heard.confidence,
            }
        )
    )


if __name__ == "__main__":
    main()
