"""Enumerate the ways through a scenario, for tests and for facilitators' checks.

`role_play_paths(scenario, phase, difficulty)` lists every simple path (no node
visited twice) from a role-play's start to one of its endings, as the option
ids chosen. `walk(...)` lists the same paths and also every dead end (a node that
offers nothing at that difficulty, an option to a node that does not exist, a
node from which no ending can be reached); `peerspace scenario play --all-paths`
prints them. `full_run_inputs(...)` turns one path into the complete list of
`(method, argument)` inputs that plays a whole run, phase by phase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import Scenario, pick
from .phases import kind_of


@dataclass
class Path:
    """One way through a role-play: the option ids chosen, and the ending reached or why it is stuck."""

    choices: list[str]
    ending: str | None = None
    dead_end: str = ""  # why this path cannot go on (empty when it reaches an ending)


def walk(scenario: Scenario, phase: dict[str, Any], difficulty: str, limit: int = 10_000) -> list[Path]:
    """Every simple path from the start to an ending, and every dead end, at one difficulty.

    Works on a scenario whose cross-references the linter refused too (a `next:` to a missing node is a dead
    end here), so that a facilitator sees where a path stops."""
    nodes = scenario.nodes(phase)
    out: list[Path] = []

    def targets(nid: str) -> list[tuple[str, str]]:
        return [(o["id"], pick(o["next"], difficulty)) for o in scenario.options(nodes[nid], difficulty)]

    # nodes from which some ending can be reached (a path that loops back from one of them is not stuck)
    can_end = {nid for nid, n in nodes.items() if n.get("end")}
    changed = True
    while changed:
        changed = False
        for nid in nodes.keys() - can_end:
            if any(t in can_end for _, t in targets(nid)):
                can_end.add(nid)
                changed = True

    def go(nid: str, seen: set[str], chosen: list[str]) -> None:
        if len(out) >= limit:
            return
        node = nodes[nid]
        if node.get("end"):
            out.append(Path(list(chosen), node["end"]))
            return
        options = targets(nid)
        if not options:
            out.append(Path(list(chosen), dead_end=f"node '{nid}' offers no options at {difficulty}"))
            return
        if nid not in can_end:
            out.append(Path(list(chosen), dead_end=f"no ending can be reached from node '{nid}'"))
            return
        for oid, target in options:
            if target not in nodes:
                out.append(
                    Path(chosen + [oid], dead_end=f"option '{oid}' leads to node '{target}', which does not exist")
                )
            elif target not in seen:
                go(target, seen | {target}, chosen + [oid])

    start = scenario.start(phase)
    if start not in nodes:
        return [Path([], dead_end=f"the start node '{start}' does not exist")]
    go(start, {start}, [])
    return out


def role_play_paths(
    scenario: Scenario, phase: dict[str, Any], difficulty: str, limit: int = 10_000
) -> list[tuple[list[str], str]]:
    """Every simple path (no node visited twice) from the start to an ending: (option ids, ending)."""
    return [(p.choices, p.ending) for p in walk(scenario, phase, difficulty, limit) if p.ending is not None]


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


def inputs_until(
    scenario: Scenario,
    difficulty: str,
    phase_id: str,
    role_play_choices: dict[str, list[str]] | None = None,
    emotion_answers: str = "right",
) -> list[tuple[str, str]]:
    """The inputs of a whole run (full_run_inputs) that reach the phase `phase_id`: every phase before it,
    one 'continue' per beat. For tests and checks that start at a later phase without counting beats by hand."""
    role_play_choices = role_play_choices or {}
    inputs: list[tuple[str, str]] = []
    for phase in scenario.phases:
        if phase["id"] == phase_id:
            return inputs
        inputs.extend(
            kind_of(phase).inputs(scenario, phase, difficulty, role_play_choices.get(phase["id"]), emotion_answers)
        )
    raise KeyError(f"no phase '{phase_id}' in scenario '{scenario.id}'")
