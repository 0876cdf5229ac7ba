"""A participant's course progress from their run events, and the progression rule's suggested difficulty.

Role-plays are the `ending` events (their step scores), each with the participant's `self_rating` for that
phase of that run where they gave one; homework is the `homework_review` events. Fidelity of delivery is not
read here: progress is about the participant, never about who delivered the session (server/courses/fidelity.py).
"""

from __future__ import annotations

from typing import Any

from ..scenarios.schema import DIFFICULTIES, MAX_SCORE

PROGRESS_KINDS = ("ending", "self_rating", "homework_review")


def role_plays(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per role-play ending, oldest first: {run, ts, scenario, difficulty, phase, scores, share,
    all_done, rating}. `share`: the mean step score as a share of the best; `all_done`: no step left at 0."""
    ratings: dict[tuple[int, str], int] = {}
    for e in events:
        if e["kind"] == "self_rating":
            ratings[(e["run_id"], e["data"].get("phase"))] = e["data"].get("rating")
    out = []
    for e in events:
        if e["kind"] != "ending" or e["data"].get("played_by") is not None:
            continue  # a reversed group turn: someone else played the learner (server/courses/group.py)
        scores = e["data"].get("scores") or {}
        values = [float(v) for v in scores.values()]
        out.append(
            {
                "run": e["run_id"],
                "ts": e["ts"],
                "participant": e.get("participant"),
                "scenario": e.get("scenario_id"),
                "difficulty": e.get("difficulty"),
                "phase": e["data"].get("phase"),
                "scores": scores,
                "share": round(sum(values) / (len(values) * MAX_SCORE), 3) if values else None,
                "all_done": bool(values) and all(v > 0 for v in values),
                "rating": ratings.get((e["run_id"], e["data"].get("phase"))),
            }
        )
    return out


def hard(play: dict[str, Any], rule: dict[str, Any]) -> bool:
    """A role-play that went hard: a low mean step score, or the participant rated it low."""
    low_score = play["share"] is not None and play["share"] < rule["hard_below"]
    low_rating = play["rating"] is not None and play["rating"] <= rule["hard_rating"]
    return low_score or low_rating


def suggest(plays: list[dict[str, Any]], start: str, rule: dict[str, Any]) -> dict[str, Any]:
    """The suggested difficulty for the next role-play of one scenario, from that scenario's role-plays (oldest
    first): the level of the last one (or `start`), one up after `step_up_after` in a row at that level with every
    step done and none hard, one down after `step_down_after` hard ones in a row. {difficulty, from, reason}."""
    current = plays[-1]["difficulty"] if plays and plays[-1]["difficulty"] in DIFFICULTIES else start
    at_level = []
    for p in reversed(plays):
        if p["difficulty"] != current:
            break
        at_level.append(p)
    level = DIFFICULTIES.index(current)
    up, down = rule["step_up_after"], rule["step_down_after"]
    if len(at_level) >= up and all(p["all_done"] and not hard(p, rule) for p in at_level[:up]):
        if level + 1 < len(DIFFICULTIES):
            return {
                "difficulty": DIFFICULTIES[level + 1],
                "from": current,
                "reason": f"{up} role-plays in a row with every step done: try the next level",
            }
        return {"difficulty": current, "from": current, "reason": "every step done at the hardest level: keep going"}
    if len(at_level) >= down and all(hard(p, rule) for p in at_level[:down]):
        if level > 0:
            return {
                "difficulty": DIFFICULTIES[level - 1],
                "from": current,
                "reason": f"{down} hard role-plays in a row: one level easier for now",
            }
        return {"difficulty": current, "from": current, "reason": "the easiest level: practise it again"}
    if not plays:
        return {"difficulty": start, "from": start, "reason": "the session's starting level"}
    return {"difficulty": current, "from": current, "reason": "stay at this level until it feels easier"}


def homework(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Homework completion from the reviews: counts by status, and each review {run, ts, status, homework_run}."""
    reviews = [
        {
            "run": e["run_id"],
            "ts": e["ts"],
            "status": e["data"].get("status"),
            "homework_run": e["data"].get("homework_run"),
        }
        for e in events
        if e["kind"] == "homework_review"
    ]
    counts = {s: sum(1 for r in reviews if r["status"] == s) for s in ("done", "partly", "not_yet")}
    return {"reviews": reviews, "counts": counts}
