"""A role-play's flow as a picture: its nodes as boxes, its options as arrows, laid out on the server.

`flow_graph` only does the arithmetic, like svg.py: it returns a `Flow` of boxes, arrows and already-formatted
numbers, and templates/_flow.html draws it as SVG. Node ids, option ids and ending titles stay plain strings,
so the template's autoescaping covers them like any other text on the page.

Layout: the start node in the first column, then each node in the column of its shortest distance from the
start (over every difficulty's options); nodes no option reaches go in a last column, marked "unreachable".
An arrow that goes back to an earlier column (a loop) bends under the boxes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..scenarios.model import Scenario, pick

BOX_W, BOX_H = 150, 46
COL_GAP, ROW_GAP = 90, 34
PAD = 20


@dataclass
class Box:
    id: str
    x: int
    y: int
    cast: str
    ending: str = ""  # the ending's title, for an ending node
    start: bool = False
    unreachable: bool = False
    missing: bool = False  # named by an option's next: but not in the file

    @property
    def kind(self) -> str:
        if self.missing:
            return "missing"
        if self.unreachable:
            return "unreachable"
        return "ending" if self.ending else "start" if self.start else "node"


@dataclass
class Arrow:
    option: str
    source: str
    target: str
    path: str  # an SVG path
    label_x: str
    label_y: str
    only: str = ""  # the difficulties the option is offered at, when not all


@dataclass
class Flow:
    phase: str
    title: str
    width: int
    height: int
    boxes: list[Box] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)

    def box(self, node_id: str) -> Box | None:
        return next((b for b in self.boxes if b.id == node_id), None)


def _targets(scenario: Scenario, node: dict[str, Any]) -> list[tuple[dict[str, Any], list[str]]]:
    """Each option of a node with the nodes it leads to (its next: may differ by difficulty)."""
    out = []
    for o in node.get("options") or []:
        nxt = o.get("next")
        found = {str(pick(nxt, d)) for d in scenario.difficulties if pick(nxt, d) is not None}
        out.append((o, sorted(found)))
    return out


def flow_graph(scenario: Scenario, phase: dict[str, Any]) -> Flow:
    nodes: dict[str, dict[str, Any]] = phase.get("nodes") or {}
    start = str(phase.get("start") or "")
    endings = scenario.data.get("endings") or {}
    edges = {nid: _targets(scenario, n) for nid, n in nodes.items()}
    depth: dict[str, int] = {}
    if start in nodes:
        depth[start] = 0
        queue = deque([start])
        while queue:
            nid = queue.popleft()
            for _, targets in edges.get(nid, []):
                for t in targets:
                    if t in nodes and t not in depth:
                        depth[t] = depth[nid] + 1
                        queue.append(t)
    missing = sorted({t for outs in edges.values() for _, ts in outs for t in ts if t not in nodes})
    last = max(depth.values(), default=-1) + 1
    columns: dict[int, list[str]] = {}
    for nid in nodes:  # file order within a column
        columns.setdefault(depth.get(nid, last), []).append(nid)
    if missing:
        columns.setdefault(last + (1 if last in columns else 0), []).extend(missing)
    rows = max((len(c) for c in columns.values()), default=1)
    flow = Flow(
        phase=str(phase.get("id") or ""),
        title=str(phase.get("title") or phase.get("id") or "role-play"),
        width=PAD * 2 + len(columns) * BOX_W + max(0, len(columns) - 1) * COL_GAP,
        height=PAD * 2 + rows * BOX_H + max(0, rows - 1) * ROW_GAP + 40,  # room under the boxes for loops
    )
    for ci, col in enumerate(sorted(columns)):
        for ri, nid in enumerate(columns[col]):
            node = nodes.get(nid)
            end = str(node.get("end") or "") if node else ""
            flow.boxes.append(
                Box(
                    id=nid,
                    x=PAD + ci * (BOX_W + COL_GAP),
                    y=PAD + ri * (BOX_H + ROW_GAP),
                    cast=str(node.get("cast") or "") if node else "",
                    ending=str((endings.get(end) or {}).get("title") or end) if end else "",
                    start=nid == start,
                    unreachable=node is not None and nid not in depth,
                    missing=node is None,
                )
            )
    for nid, outs in edges.items():
        src = flow.box(nid)
        assert src is not None
        for option, targets in outs:
            for t in targets:
                dst = flow.box(t)
                assert dst is not None
                only = option.get("only") or []
                flow.arrows.append(_arrow(option["id"], src, dst, flow.height, ", ".join(only)))
    return flow


def _arrow(option: str, src: Box, dst: Box, height: int, only: str) -> Arrow:
    if dst.x > src.x:  # forwards: right edge to left edge, a gentle curve
        x1, y1, x2, y2 = float(src.x + BOX_W), src.y + BOX_H / 2, dst.x - 4.0, dst.y + BOX_H / 2
        mx = (x1 + x2) / 2
        path = f"M{x1:.0f},{y1:.0f} C{mx:.0f},{y1:.0f} {mx:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        return Arrow(option, src.id, dst.id, path, f"{mx:.0f}", f"{(y1 + y2) / 2 - 4:.0f}", only)
    # back (a loop) or within a column: bottom to bottom, bending below the boxes
    x1, y1 = src.x + BOX_W / 2 + 10, float(src.y + BOX_H)
    x2, y2 = dst.x + BOX_W / 2 - 10, float(dst.y + BOX_H + 4)
    low = height - 12
    path = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{low} {x2:.0f},{low} {x2:.0f},{y2:.0f}"
    return Arrow(option, src.id, dst.id, path, f"{(x1 + x2) / 2:.0f}", f"{low - 6}", only)


def flows(scenario: Scenario) -> list[Flow]:
    """One flow per role_play phase (a repeat_role_play plays the same nodes again)."""
    return [flow_graph(scenario, p) for p in scenario.phases if p["kind"] == "role_play"]
