"""A role-play's flow as a picture: its nodes as boxes, its options as arrows, laid out on the server.

`flow_graph` only does the arithmetic, like svg.py: it returns a `Flow` of boxes, arrows and already-formatted
numbers, and templates/_flow.html draws it as SVG. Node ids, option ids and ending titles stay plain strings,
so the template's autoescaping covers them like any other text on the page.

Layout: the start node in the first column, then each node in the column of its shortest distance from the
start (over every difficulty's options); nodes no option reaches go in a last column, marked "unreachable".
Within a column, nodes are ordered by the rows of the nodes leading to them (fewer crossings). Options from
one node to the same next node share one arrow. An arrow back to an earlier column (a loop) is dashed and runs
in a lane of its own under the boxes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..scenarios.model import Scenario, pick

BOX_W, BOX_H = 150, 46
COL_GAP, ROW_GAP = 110, 34
PAD = 20
BACK_BAND = 16  # the height of each loop's own lane under the boxes


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
    option: str  # the option ids that take this way, space-separated
    source: str
    target: str
    path: str  # an SVG path
    label_x: str
    label_y: str
    only: str = ""  # the difficulties the options are offered at, when not all
    back: bool = False  # to an earlier column or the same one: a loop

    @property
    def label(self) -> str:
        return self.option.replace(" ", ", ")


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


def _nexts(edges: dict[str, list[tuple[dict[str, Any], list[str]]]], nid: str, nodes: dict[str, Any]) -> list[str]:
    """The nodes (that exist) a node's options lead to, in order, once each."""
    return list(dict.fromkeys(t for _, ts in edges.get(nid, []) for t in ts if t in nodes))


def _short(text: str, n: int = 20) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def flow_graph(scenario: Scenario, phase: dict[str, Any]) -> Flow:
    nodes: dict[str, dict[str, Any]] = phase.get("nodes") or {}
    start = str(phase.get("start") or "")
    endings = scenario.data.get("endings") or {}
    edges = {nid: _targets(scenario, n) for nid, n in nodes.items()}
    # Columns: the longest way from the start without going round a loop, so that every option that does
    # not go back leads rightwards (an ending sits to the right of every node that leads to it).
    depth: dict[str, int] = {}
    loops: set[tuple[str, str]] = set()  # (node, next node) that goes back to a node on the way here
    if start in nodes:
        done: set[str] = set()
        finished: list[str] = []
        on_way: set[str] = set()
        stack: list[tuple[str, list[str]]] = [(start, _nexts(edges, start, nodes))]
        on_way.add(start)
        while stack:
            nid, todo = stack[-1]
            if not todo:
                stack.pop()
                on_way.discard(nid)
                done.add(nid)
                finished.append(nid)
                continue
            t = todo.pop(0)
            if t in on_way:
                loops.add((nid, t))
            elif t not in done:
                on_way.add(t)
                stack.append((t, _nexts(edges, t, nodes)))
        depth[start] = 0
        for nid in reversed(finished):  # a topological order of the graph without its loops
            for t in _nexts(edges, nid, nodes):
                if (nid, t) not in loops and nid in depth:
                    depth[t] = max(depth.get(t, 0), depth[nid] + 1)
    missing = sorted({t for outs in edges.values() for _, ts in outs for t in ts if t not in nodes})
    last = max(depth.values(), default=-1) + 1
    columns: dict[int, list[str]] = {}
    for nid in nodes:  # file order within a column
        columns.setdefault(depth.get(nid, last), []).append(nid)
    if missing:
        columns.setdefault(last + (1 if last in columns else 0), []).extend(missing)
    # Fewer crossings: each column in the mean row of the nodes that lead to it from earlier columns
    # (one pass, left to right; file order breaks ties and places nodes with no such lead).
    row: dict[str, float] = {}
    order = sorted(columns)
    for ci, col in enumerate(order):
        earlier = {nid for c in order[:ci] for nid in columns[c]}
        mean_lead: dict[str, float] = {}
        for i, nid in enumerate(columns[col]):
            leads = [row[src] for src, outs in edges.items() if src in earlier for _, ts in outs if nid in ts]
            mean_lead[nid] = sum(leads) / len(leads) if leads else float(i)
        columns[col] = sorted(columns[col], key=mean_lead.__getitem__)
        row.update((nid, float(i)) for i, nid in enumerate(columns[col]))
    # one arrow per (node, next node): the options that take it, together
    links: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for nid, outs in edges.items():
        for option, targets in outs:
            for t in targets:
                links.setdefault((nid, t), []).append(option)
    column_of = {nid: i for i, c in enumerate(order) for nid in columns[c]}
    backs = [k for k in links if column_of[k[1]] <= column_of[k[0]]]
    rows = max((len(c) for c in columns.values()), default=1)
    boxes_bottom = PAD + rows * BOX_H + max(0, rows - 1) * ROW_GAP
    flow = Flow(
        phase=str(phase.get("id") or ""),
        title=str(phase.get("title") or phase.get("id") or "role-play"),
        width=PAD * 2 + len(columns) * BOX_W + max(0, len(columns) - 1) * COL_GAP,
        height=boxes_bottom + (len(backs) + 1) * BACK_BAND + PAD,  # a band under the boxes for each loop
    )
    for ci, col in enumerate(order):
        for ri, nid in enumerate(columns[col]):
            node = nodes.get(nid)
            end = str(node.get("end") or "") if node else ""
            flow.boxes.append(
                Box(
                    id=nid,
                    x=PAD + ci * (BOX_W + COL_GAP),
                    y=PAD + ri * (BOX_H + ROW_GAP),
                    cast=str(node.get("cast") or "") if node else "",
                    ending=_short(str((endings.get(end) or {}).get("title") or end)) if end else "",
                    start=nid == start,
                    unreachable=node is not None and nid not in depth,
                    missing=node is None,
                )
            )
    for (nid, t), options in links.items():
        src, dst = flow.box(nid), flow.box(t)
        assert src is not None and dst is not None
        only = sorted({d for o in options if o.get("only") for d in o["only"]})
        band = boxes_bottom + (backs.index((nid, t)) + 1) * BACK_BAND if (nid, t) in backs else 0
        flow.arrows.append(_arrow([o["id"] for o in options], src, dst, band, ", ".join(only)))
    return flow


def _arrow(options: list[str], src: Box, dst: Box, band: int, only: str) -> Arrow:
    option = " ".join(options)
    if not band:  # forwards: right edge to left edge, a gentle curve; the label near the start
        x1, y1, x2, y2 = float(src.x + BOX_W), src.y + BOX_H / 2, dst.x - 4.0, dst.y + BOX_H / 2
        mx = (x1 + x2) / 2
        path = f"M{x1:.0f},{y1:.0f} C{mx:.0f},{y1:.0f} {mx:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        lx, ly = x1 + (x2 - x1) * 0.3, y1 + (y2 - y1) * 0.3 - 5
        return Arrow(option, src.id, dst.id, path, f"{lx:.0f}", f"{ly:.0f}", only, back=False)
    # back (a loop) or within a column: down from the source, along its own band under the boxes, up into
    # the target; dashed, so that it reads as "again" and not as a way on
    x1, y1 = src.x + BOX_W / 2 + 12, float(src.y + BOX_H)
    x2, y2 = dst.x + BOX_W / 2 - 12, float(dst.y + BOX_H + 4)
    path = f"M{x1:.0f},{y1:.0f} L{x1:.0f},{band - 8} Q{x1:.0f},{band} {x1 - 8 if x2 < x1 else x1 + 8:.0f},{band} "
    path += f"L{x2 + 8 if x2 < x1 else x2 - 8:.0f},{band} Q{x2:.0f},{band} {x2:.0f},{band - 8} L{x2:.0f},{y2:.0f}"
    return Arrow(option, src.id, dst.id, path, f"{(x1 + x2) / 2:.0f}", f"{band - 3}", only, back=True)


def flows(scenario: Scenario) -> list[Flow]:
    """One flow per role_play phase (a repeat_role_play plays the same nodes again)."""
    return [flow_graph(scenario, p) for p in scenario.phases if p["kind"] == "role_play"]
