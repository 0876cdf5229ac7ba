"""`peerspace scenario lint|schema|play`.

server/cli.py calls `add_subcommands(subparsers)`; `python -m server.scenarios`
offers the same commands on its own.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

from .loader import ScenarioError, lint_report, load_file, parse
from .schema import json_schema


def cmd_lint(args: argparse.Namespace) -> int:
    problems, files = lint_report(args.paths)
    return report(problems, files, args.quiet)


def report(problems: Sequence[Any], files: Sequence[object], quiet: bool) -> int:
    """Print a lint's problems (errors to stderr) and, when there are none, which files were checked."""
    errors = [p for p in problems if p.severity == "error"]
    for p in problems:
        print(p, file=sys.stderr if p.severity == "error" else sys.stdout)
    if errors:
        print(f"{len(errors)} error(s)", file=sys.stderr)
        return 1
    if not quiet:
        warnings = sum(1 for p in problems if p.severity == "warning")
        print(f"ok ({warnings} warning(s)) in {len(files)} file(s): {', '.join(map(str, files))}")
    return 0


def write_json(document: object, out: str | None) -> int:
    """A JSON Schema to `out`, or to stdout."""
    text = json.dumps(document, indent=2)
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        print(text)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    return write_json(json_schema(), args.out)


def cmd_all_paths(args: argparse.Namespace) -> int:
    """Every way through each role-play, at each difficulty: the ending each path reaches, and any dead end."""
    from .paths import walk

    try:
        text = open(args.file, encoding="utf-8").read()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{args.file}:1: cannot read the file: {exc.__class__.__name__}", file=sys.stderr)
        return 1
    scenario, problems = parse(text, args.file, draft=True)
    errors = [p for p in problems if p.severity == "error"]
    for p in errors:
        print(p, file=sys.stderr)
    if scenario is None:
        print(f"{len(errors)} error(s): fix these before the paths can be listed", file=sys.stderr)
        return 1
    difficulties = [args.difficulty] if args.difficulty else scenario.difficulties
    dead_ends = 0
    for number, phase in enumerate(scenario.phases, 1):
        if phase["kind"] != "role_play":
            continue
        for d in difficulties:
            paths = walk(scenario, phase, d)
            title = f" '{phase['title']}'" if phase.get("title") else ""
            print(f"phase {number} ({phase['id']}){title} at {d}: {len(paths)} path(s)")
            for path in paths:
                chosen = " > ".join(path.choices) or "(start)"
                if path.ending is not None:
                    ending = scenario.data["endings"].get(path.ending) or {}
                    print(f"  {chosen} -> ending '{path.ending}'" + (f" ({ending['title']})" if ending else ""))
                else:
                    dead_ends += 1
                    print(f"  {chosen} -> DEAD END: {path.dead_end}")
            reached = Counter(p.ending for p in paths if p.ending is not None)
            print("  endings reached: " + (", ".join(f"{e} ({n} path(s))" for e, n in reached.items()) or "none"))
    if dead_ends or errors:
        print(f"{dead_ends} dead end(s), {len(errors)} error(s)", file=sys.stderr)
        return 1
    print("every path reaches an ending")
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    from .player import Player, script_lines

    if args.all_paths:
        return cmd_all_paths(args)
    try:
        scenario = load_file(args.file)
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return 1
    difficulty = args.difficulty or scenario.difficulties[0]
    if difficulty not in scenario.difficulties:
        print(f"difficulty must be one of: {', '.join(scenario.difficulties)}", file=sys.stderr)
        return 2
    if args.script:
        fh = sys.stdin if args.script == "-" else open(args.script, encoding="utf-8")
        feed = script_lines(fh)

        def inputs() -> str | None:
            entry = next(feed, None)
            if entry is not None:
                print(f"> {entry}")
            return entry
    else:

        def inputs() -> str | None:
            try:
                return input("> ")
            except EOFError:
                return None

    run = Player(scenario, difficulty, sys.stdout, name=args.name).play(inputs)
    return 0 if run.status == "finished" else 3


def add_subcommands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register `scenario lint|schema|play` on an argparse subparsers object."""
    p = subparsers.add_parser("scenario", help="check, describe and dry-run scenario files")
    sub = p.add_subparsers(dest="scenario_command", required=True)
    lp = sub.add_parser("lint", help="check scenario files; exit 1 on any error")
    lp.add_argument("paths", nargs="+", help="files or directories (their *.yaml files)")
    lp.add_argument("-q", "--quiet", action="store_true")
    lp.set_defaults(func=cmd_lint)
    sp = sub.add_parser("schema", help="print the JSON Schema of scenario files (for editors)")
    sp.add_argument("-o", "--out", help="write to this file instead of stdout")
    sp.set_defaults(func=cmd_schema)
    pp = sub.add_parser("play", help="a text dry-run of one scenario")
    pp.add_argument("file")
    pp.add_argument("-d", "--difficulty", choices=("easy", "medium", "hard"))
    pp.add_argument("-s", "--script", help="read inputs from this file ('-' for stdin), one per line")
    pp.add_argument("-n", "--name", default="Sam", help="the participant's name in '{name}' (default Sam)")
    pp.add_argument(
        "--all-paths",
        action="store_true",
        help="list every way through each role-play (at each difficulty, or -d) with its ending, and any dead end",
    )
    pp.set_defaults(func=cmd_play)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.scenarios")
    subs = parser.add_subparsers(dest="command", required=True)
    add_subcommands(subs)
    args = parser.parse_args(["scenario", *(sys.argv[1:] if argv is None else argv)])
    code: int = args.func(args)
    return code
