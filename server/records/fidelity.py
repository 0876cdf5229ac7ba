"""SST fidelity, emotion-recognition accuracy and skill-step scores, computed from a run's events.

Inputs are rows of the `events` table for one run (server/scenarios/runner.py writes them):
  phase          {phase, kind, index}           a protocol phase was entered
  feedback       {kind: positive|corrective|stretch}  the coach gave feedback; `stretch` (a suggestion to go
                                                further after a run with nothing to correct) is not corrective
  homework       {phase, ...}                   homework was set
  score          {step, points}                 a skill step was rated (0..2)
  emotion_answer {expected, given, correct}     an emotion-recognition answer
  tag            {step}                         a peer specialist tagged a protocol step by hand
  homework_review {status, ...}                 last session's homework was reviewed (a course session's opening)
Nothing here reads what anyone said.
"""

from __future__ import annotations

from typing import Any

from wire.safety import SST_STEPS

LABELS = {
    "rationale": "Rationale: why the skill matters",
    "skill_steps": "Skill steps discussed",
    "modelling": "Modelling by the coach",
    "role_play": "Role-play",
    "positive_feedback": "Positive feedback",
    "corrective_feedback": "Corrective feedback",
    "repeat_role_play": "Role-play again",
    "more_feedback": "More feedback",
    "homework": "Homework set",
    "homework_reviewed": "Homework reviewed",
}
MAX_POINTS = 2


def fidelity(events: list[dict[str, Any]]) -> dict[str, Any]:
    first: dict[str, tuple[int, str, float]] = {}  # step -> (position, source, ts)
    seen_role_play = seen_repeat = False

    def mark(step: str, pos: int, source: str, ts: float) -> None:
        if step not in first:
            first[step] = (pos, source, ts)

    for pos, e in enumerate(events):
        kind, data = e["kind"], e.get("data") or {}
        if kind == "phase":
            pk = data.get("kind")
            if pk in ("rationale", "skill_steps", "modelling", "role_play", "repeat_role_play", "homework"):
                mark(pk, pos, "phase", e["ts"])
            seen_role_play |= pk == "role_play"
            seen_repeat |= pk == "repeat_role_play"
        elif kind == "feedback":
            fk = data.get("kind")
            if seen_repeat:  # any feedback on the second try, a stretch suggestion included
                mark("more_feedback", pos, "feedback", e["ts"])
            elif fk in ("positive", "corrective"):  # so `stretch` is never corrective feedback
                mark(f"{fk}_feedback", pos, "feedback", e["ts"])
        elif kind == "homework":
            mark("homework", pos, "event", e["ts"])
        elif kind == "tag" and data.get("step") in SST_STEPS:
            mark(data["step"], pos, "tag", e["ts"])
    # "Homework reviewed" is on the checklist of a run that opens a course session (a homework_review phase);
    # a single practice session has no homework to review, so its checklist is the nine SST steps.
    checklist: tuple[str, ...] = SST_STEPS
    for pos, e in enumerate(events):
        data = e.get("data") or {}
        if e["kind"] == "phase" and data.get("kind") == "homework_review":
            checklist = ("homework_reviewed", *SST_STEPS)
        elif e["kind"] == "homework_review":
            mark("homework_reviewed", pos, "event", e["ts"])
    steps = []
    for step in checklist:
        hit = first.get(step)
        steps.append(
            {
                "step": step,
                "label": LABELS[step],
                "done": hit is not None,
                "source": hit[1] if hit else None,
                "ts": hit[2] if hit else None,
            }
        )
    done = [(checklist.index(s), first[s][0]) for s in checklist if s in first]
    positions = [p for _, p in sorted(done)]
    return {
        "steps": steps,
        "done": len(done),
        "total": len(checklist),
        "score": len(done) / len(checklist),
        "in_order": positions == sorted(positions),
    }


def emotion_accuracy(events: list[dict[str, Any]]) -> dict[str, Any]:
    answers = [e["data"] for e in events if e["kind"] == "emotion_answer"]
    by: dict[str, list[int]] = {}
    for a in answers:
        expected = a.get("expected") or a.get("shown")
        by.setdefault(str(expected), [0, 0])
        by[str(expected)][0] += int(bool(a.get("correct", a.get("given") == expected)))
        by[str(expected)][1] += 1
    correct = sum(v[0] for v in by.values())
    total = sum(v[1] for v in by.values())
    return {
        "correct": correct,
        "total": total,
        "accuracy": (correct / total) if total else None,
        "by_emotion": {k: {"correct": v[0], "total": v[1]} for k, v in sorted(by.items())},
    }


def skill_scores(events: list[dict[str, Any]]) -> dict[str, Any]:
    per: dict[str, list[float]] = {}
    for e in events:
        if e["kind"] == "score":
            d = e["data"]
            pts = d.get("points", d.get("score"))
            if isinstance(pts, (int, float)) and d.get("step"):
                per.setdefault(str(d["step"]), []).append(float(pts))
    steps = {k: sum(v) / len(v) for k, v in per.items()}
    mean = sum(steps.values()) / len(steps) if steps else None
    return {
        "steps": steps,
        "mean": mean,
        "max": MAX_POINTS,
        "percent": (mean / MAX_POINTS) if mean is not None else None,
    }


def pace_used(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The reading pace the run was played at: the last one set ({wpm, min, max, choice}), with how many times
    the participant changed it (`changes`); None for a run recorded before paces were."""
    paces = [
        e["data"]["pace"] if e["kind"] == "started" else e["data"]
        for e in events
        if (e["kind"] == "started" and isinstance(e["data"].get("pace"), dict)) or e["kind"] == "pace"
    ]
    if not paces:
        return None
    return {**paces[-1], "changes": len(paces) - 1}


def summary(run: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "run": run["id"],
        "scenario": run.get("scenario_id"),
        "difficulty": run.get("difficulty"),
        "started": run.get("started"),
        "status": run.get("status"),
        "fidelity": fidelity(events),
        "emotion": emotion_accuracy(events),
        "skills": skill_scores(events),
        "homework": any(e["kind"] == "homework" for e in events),
        "pace": pace_used(events),
    }


HOMEWORK_SHARE = {"done": 1.0, "partly": 0.5, "not_yet": 0.0}


def self_rating(events: list[dict[str, Any]]) -> float | None:
    """The participant's own ratings of the run's role-plays (0-10; the last per phase), as a share of 10."""
    last: dict[str, float] = {}
    for e in events:
        if e["kind"] == "self_rating" and isinstance(e["data"].get("rating"), int):
            last[str(e["data"].get("phase"))] = e["data"]["rating"] / 10
    return round(sum(last.values()) / len(last), 3) if last else None


def homework_done(events: list[dict[str, Any]]) -> float | None:
    """Last session's homework as reviewed in this run: 1 done, 0.5 partly, 0 not yet; None when not reviewed."""
    answers = [HOMEWORK_SHARE.get(e["data"].get("status"), 0.0) for e in events if e["kind"] == "homework_review"]
    return answers[-1] if answers else None
