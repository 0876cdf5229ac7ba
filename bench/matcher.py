"""Auto-scoring of typed role-play answers on the labelled corpus: today's matcher against the new rule.

    .venv/bin/python bench/matcher.py [--corpus tests/data/answers.csv] [--by-tag] [--sweep]

Each corpus row is a typed answer at a role-play node of a shipped scenario, labelled with the option a
careful human scorer would pick, or `none` (not to be scored: off-topic, unclear, negated, sarcastic,
rude, a crisis line). An answer is *auto-scored* when the program takes it as an option with no person
asked:

  old  the option whose similarity clears 0.40 (the matcher before review existed)
  new  confidence >= AUTO_BAND and no risk signal (answer_risk.route == 'auto')

precision = auto-scored answers whose option is the label / auto-scored answers
recall    = auto-scored answers whose option is the label / answers with a label (not `none`)
risky     = negated, sarcastic, rude or crisis answers auto-scored (as anything; "as skilled": the
            option gives a skill step points)
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.safety import crisis as crisis_list  # noqa: E402
from server.scenarios import answer_risk, matcher  # noqa: E402
from server.scenarios.loader import load_file, scenario_files  # noqa: E402
from server.scenarios.model import Scenario  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "answers.csv"
RISKY_TAGS = ("negation", "sarcasm", "rude", "crisis")
DIFFICULTY = "medium"


@dataclass
class Row:
    scenario: str
    phase: str
    node: str
    label: str
    tag: str
    text: str


@dataclass
class Judged:
    row: Row
    old: str | None  # the option today's matcher takes, or None
    new: str | None  # the option the new rule takes on its own, or None
    route: str
    confidence: float
    signals: list[str]
    skilled: dict[str, bool]  # option id -> gives a step points


def read_corpus(path: Path = CORPUS) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as f:
        return [Row(**{k: r[k] for k in Row.__dataclass_fields__}) for r in csv.DictReader(f)]


def scenarios() -> dict[str, Scenario]:
    return {s.id: s for s in map(load_file, scenario_files([ROOT / "scenarios"]))}


def crisis_matcher() -> Callable[[str], bool]:
    phrases = crisis_list.load(ROOT / "scenarios" / "safety" / "crisis_phrases.yaml")
    return lambda text: phrases.match(text) is not None


def judge(rows: list[Row]) -> list[Judged]:
    found, risk, crisis = scenarios(), answer_risk.shipped(), crisis_matcher()
    out = []
    for row in rows:
        sc = found[row.scenario]
        phase = sc.phase(row.phase)
        assert phase is not None, f"no phase {row.phase} in {row.scenario}"
        node = sc.nodes(phase)[row.node]
        options = {o["id"]: o for o in sc.options(node, DIFFICULTY)}
        assert row.label == "none" or row.label in options, f"{row.scenario}/{row.node}: no option {row.label}"
        m = sc.matcher(phase, row.node, DIFFICULTY).match(row.text)
        nearest = options[m.nearest] if m.nearest else None
        signals = risk.signals(row.text, [nearest["text"], *nearest["examples"]] if nearest else [], crisis)
        route = answer_risk.route(m, signals)
        skilled = {oid: any(p > 0 for p in o["score"].values()) for oid, o in options.items()}
        out.append(Judged(row, m.option, m.nearest if route == "auto" else None, route, m.confidence, signals, skilled))
    return out


def figures(judged: list[Judged], which: str) -> dict[str, float]:
    taken = [(j, getattr(j, which)) for j in judged if getattr(j, which) is not None]
    right = sum(1 for j, option in taken if option == j.row.label)
    labelled = sum(1 for j in judged if j.row.label != "none")
    risky = [(j, option) for j, option in taken if j.row.tag in RISKY_TAGS]
    return {
        "answers": len(judged),
        "labelled": labelled,
        "auto": len(taken),
        "right": right,
        "precision": right / len(taken) if taken else 1.0,
        "recall": right / labelled if labelled else 0.0,
        "risky_auto": len(risky),
        "risky_skilled": sum(1 for j, option in risky if j.skilled.get(option or "", False)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--by-tag", action="store_true", help="figures per tag as well")
    ap.add_argument("--sweep", action="store_true", help="precision/recall of the new rule at other bands")
    args = ap.parse_args()
    judged = judge(read_corpus(args.corpus))
    print(f"corpus: {args.corpus.relative_to(ROOT) if args.corpus.is_relative_to(ROOT) else args.corpus}")
    labelled = sum(j.row.label != "none" for j in judged)
    print(f"answers {len(judged)}, labelled {labelled}, tags {dict(Counter(j.row.tag for j in judged))}")
    print()
    print(
        "| matcher | auto-scored | right | precision | recall "
        "| negated/sarcastic/rude/crisis auto-scored (as skilled) |"
    )
    print("|---|---|---|---|---|---|")
    for which, name in (
        ("old", "today's: similarity >= 0.40, no review"),
        ("new", f"new: confidence >= {matcher.AUTO_BAND}, no risk signal"),
    ):
        f = figures(judged, which)
        print(
            f"| {name} | {f['auto']} | {f['right']} | {f['precision']:.3f} | {f['recall']:.3f} "
            f"| {f['risky_auto']} ({f['risky_skilled']}) |"
        )
    print()
    print("new rule, where the answers went:", dict(Counter(j.route for j in judged)))
    if args.by_tag:
        print()
        print("| tag | answers | old auto | old right | new auto | new right |")
        print("|---|---|---|---|---|---|")
        for tag in sorted({j.row.tag for j in judged}):
            sub = [j for j in judged if j.row.tag == tag]
            o, n = figures(sub, "old"), figures(sub, "new")
            print(f"| {tag} | {len(sub)} | {o['auto']} | {o['right']} | {n['auto']} | {n['right']} |")
    if args.sweep:
        print()
        saved = matcher.AUTO_BAND
        for band in (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7):
            matcher.AUTO_BAND = band
            f = figures(judge(read_corpus(args.corpus)), "new")
            print(f"band {band:.2f}: precision {f['precision']:.3f} recall {f['recall']:.3f} auto {f['auto']}")
        matcher.AUTO_BAND = saved
    wrong = [j for j in judged if j.new is not None and j.new != j.row.label]
    if wrong:
        print()
        print("auto-scored wrongly by the new rule:")
        for j in wrong:
            print(
                f"  {j.row.scenario}/{j.row.node}: {j.row.text!r} -> {j.new} (label {j.row.label}, {j.confidence:.2f})"
            )


if __name__ == "__main__":
    main()
