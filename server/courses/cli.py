"""`python -m server.courses lint|schema` (also `peerspace course lint|schema`)."""

from __future__ import annotations

import argparse
import sys

from ..config import Config, course_folders, playable_folders
from ..scenarios.cli import report, write_json
from ..scenarios.loader import load_folders
from .loader import lint_report
from .schema import json_schema


def cmd_lint(args: argparse.Namespace) -> int:
    cfg = Config.from_env(**({"scenarios_dir": args.scenarios} if args.scenarios else {}))
    scenarios = load_folders(playable_folders(cfg))
    paths = args.paths or [str(f) for f in course_folders(cfg) if f.is_dir()]
    problems, files = lint_report(paths, scenarios)
    return report(problems, files, args.quiet)


def cmd_schema(args: argparse.Namespace) -> int:
    return write_json(json_schema(), args.out)


def add_subcommands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser("course", help="check and describe course files")
    sub = p.add_subparsers(dest="course_command", required=True)
    lp = sub.add_parser("lint", help="check course files against the scenarios they name; exit 1 on any error")
    lp.add_argument("paths", nargs="*", help="files or directories (default: the courses/ folders in use)")
    lp.add_argument("--scenarios", help="the service's own scenario folder (default: PEERSPACE_SCENARIOS_DIR)")
    lp.add_argument("-q", "--quiet", action="store_true")
    lp.set_defaults(func=cmd_lint)
    sp = sub.add_parser("schema", help="print the JSON Schema of course files (for editors)")
    sp.add_argument("-o", "--out", help="write to this file instead of stdout")
    sp.set_defaults(func=cmd_schema)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.courses")
    subs = parser.add_subparsers(dest="command", required=True)
    add_subcommands(subs)
    args = parser.parse_args(["course", *(sys.argv[1:] if argv is None else argv)])
    code: int = args.func(args)
    return code
