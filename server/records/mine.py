"""A participant's own records, read for the participant themself (the client's "My records" screens).

Everything here runs on the store thread (`store.aio.apply`) and answers in plain facts a person can
read, never in marks: what was practised and when, how far it went, what went well, the homework set,
whether a replay exists; the questionnaire scores the dashboard shows, and which questionnaire is due.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .questionnaires import Questionnaires

if TYPE_CHECKING:
    from ..scenarios.intents import ScenarioRooms
    from ..storage.interfaces import Storage

# a skill step whose mean rating reaches this share of the most points went well (ratings are 0..2)
WENT_WELL = 0.75
MAX_POINTS = 2


def _went_well(state: dict[str, Any], step_texts: dict[str, str]) -> list[str]:
    """The skill steps that went well in any role-play, as their texts, in skill order."""
    good: set[str] = set()
    for steps in (state.get("ratings") or {}).values():
        for step, ratings in steps.items():
            if ratings and sum(ratings) / len(ratings) >= WENT_WELL * MAX_POINTS:
                good.add(step)
    order = list(step_texts)
    ranked = sorted(good, key=lambda s: (order.index(s) if s in order else len(order), s))
    return [step_texts.get(s, s.replace("_", " ")).rstrip(".") for s in ranked]  # joined into one sentence


def session(store: Storage, run: dict[str, Any], scenarios: ScenarioRooms | None) -> dict[str, Any]:
    state = run.get("state") or {}
    scenario = scenarios.scenarios.get(run["scenario_id"]) if scenarios is not None else None
    texts = scenario.step_texts() if scenario is not None else {}
    emotion = state.get("emotion") or {}
    room = store.get_room(run["room_id"])
    return {
        "run": run["id"],
        "scenario": run["scenario_id"],
        "title": scenario.title if scenario is not None else run["scenario_id"].replace("_", " "),
        "started": run["started"],
        "status": run["status"],
        "parts_done": len(state.get("phases_done") or []),
        "parts": len(scenario.phases) if scenario is not None else None,
        "went_well": _went_well(state, texts),
        "positive_feedback": int((state.get("feedback") or {}).get("positive", 0)),
        "feelings_recognised": {"correct": int(emotion.get("correct", 0)), "total": int(emotion.get("total", 0))},
        "homework": state.get("homework"),
        "replay": store.pose_frame_count(run["id"]) > 0,
        "scene": room["scene"] if room is not None else None,  # where the replay is drawn
    }


def practice(store: Storage, user_id: int, scenarios: ScenarioRooms | None) -> dict[str, Any]:
    """The person's sessions (newest first), the homework set in them, and progress told without marks."""
    sessions = [session(store, r, scenarios) for r in reversed(store.runs(user_id))]
    homework = [
        {"run": s["run"], "text": s["homework"], "set": s["started"], "scenario": s["title"], "done": None}
        for s in sessions
        if s["homework"]
    ]
    return {
        "sessions": sessions,
        "homework": homework,
        "progress": {
            "sessions": len(sessions),
            "finished": sum(1 for s in sessions if s["status"] == "finished"),
            "scenarios": len({s["scenario"] for s in sessions}),
            "skills_went_well": len({w for s in sessions for w in s["went_well"]}),
        },
    }


def questionnaires(qs: Questionnaires, user_id: int, language: str = "en") -> list[dict[str, Any]]:
    """Each questionnaire with this person's scores as the dashboard shows them (the first `pre`, the latest
    `post`), and which answer is due: `pre` until one is given, then `post` after each new `pre` (one asked only
    before, or only after, a practice is due each time)."""
    answers = qs.of_user(user_id)
    out = []
    for d in qs.public(language):  # the texts in the person's language, where the file has them
        mine = [a for a in answers if a["questionnaire"] == d["id"]]
        pre = next((a["score"] for a in mine if a["phase"] == "pre"), None)
        post = next((a["score"] for a in reversed(mine) if a["phase"] == "post"), None)
        last = mine[-1]["phase"] if mine else None
        if d["when"] == ["post"] or d["when"] == ["pre"]:
            due = d["when"][0]  # asked at one time only: offered each time that comes
        else:
            due = "pre" if pre is None else ("post" if last == "pre" else None)
        out.append({**d, "pre": pre, "post": post, "due": due, "answered": len(mine)})
    return out
