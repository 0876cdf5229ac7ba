"""`peerspace scenario lint|schema|play`.

server/cli.py calls `add_subcommands(subparsers)`; `python -m server.scenarios`
offers the same commands on its own.
"""

from __future__ import annotations

import argparse
import json
import sys

from .loader import ScenarioError, lint, load_file
from .schema import json_schema


def cmd_lint(args: argparse.Namespace) -> int:
    problems = lint(args.paths)
    errors = [p for p in problems if p.severity == "error"]
    for p in problems:
        print(p, file=sys.stderr if p.severity == "error" else sys.stdout)
    if errors:
        print(f"{len(errors)} error(s)", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"ok ({sum(1 for p in problems if p.severity == 'warning')} warning(s))")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    text = json.dumps(json_schema(), indent=2)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        print(text)
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    from .player import Player, script_lines

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
    pp.set_defaults(func=cmd_play)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.scenarios")
    subs = parser.add_subparsers(dest="command", required=True)
    add_subcommands(subs)
    args = parser.parse_args(["scenario", *(sys.argv[1:] if argv is None else argv)])
    code: int = args.func(args)
    return code
