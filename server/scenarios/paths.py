"""Enumerate the ways through a scenario, for tests and for facilitators' checks.

`role_play_paths(scenario, phase, difficulty)` lists every simple path (no node
visited twice) from a role-play's start to one of its endings, as the option
ids chosen. `full_run_inputs(...)` turns one path into the complete list of
`(method, argument)` inputs that plays a whole run, phase by phase.
"""

from __future__ import annotations

from typing import Any

from .model import Scenario, pick
from .phases import kind_of


def role_play_paths(
    scenario: Scenario, phase: dict[str, Any], difficulty: str, limit: int = 10_000
) -> list[tuple[list[str], str]]:
    nodes = scenario.nodes(phase)
    out: list[tuple[list[str], str]] = []

    def walk(nid: str, seen: set[str], chosen: list[str]) -> None:

        if len(out) >= limit:
            return
        node = nodes[nid]
        if node.get("end"):
            out.append((list(chosen), node["end"]))
            return
        for opt in scenario.options(node, difficulty):
            target = pick(opt["next"], difficulty)
            if target not in seen:
                walk(target, seen | {target}, chosen + [opt["id"]])

    start = scenario.start(phase)
    walk(start, {start}, [])
    return out


def endings_by_difficulty(scenario: Scenario) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for d in scenario.difficulties:
        found[d] = {
            end for p in scenario.phases if p["kind"] == "role_play" for _, end in role_play_paths(scenario, p, d)
        }
    return found


def full_run_inputs(
    scenario: Scenario,
    difficulty: str,
    role_play_choices: dict[str, list[str]] | None = None,
    emotion_answers: str = "right",
) -> list[tuple[str, str]]:
    """Inputs for a whole run. role_play_choices: phase id -> option ids (default: the first path).

    emotion_answers: 'right' names every face correctly, 'wrong' names another emotion.
    """
    role_play_choices = role_play_choices or {}
    inputs: list[tuple[str, str]] = []
    for phase in scenario.phases:
        inputs.extend(
            kind_of(phase).inputs(scenario, phase, difficulty, role_play_choices.get(phase["id"]), emotion_answers)
        )
    return inputs
