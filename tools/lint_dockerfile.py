"""Check a Dockerfile against the project's rules for a service image (no container runtime needed).

    python tools/lint_dockerfile.py [Dockerfile ...]     # prints FILE:LINE: problem; exit 1 if any

Rules (why in brackets):
- every FROM names a pinned image: a version tag (not `latest`, not none) or a digest [a rebuild gets the same base]
- the final stage runs as a named non-root USER [a hole in the server is not root in the container]
- the final stage has a HEALTHCHECK [the orchestrator restarts a node whose store cannot write]
- no ADD: COPY for files; never a URL [ADD fetches and unpacks implicitly; a URL is unpinned and unchecked]
- ENTRYPOINT and CMD in exec (JSON) form [the server is PID 1 and gets SIGTERM for a clean stop]
- COPY --from names an earlier stage; WORKDIR is absolute; no `sudo`; apt-get install with
  --no-install-recommends; no `curl | sh` [small, predictable images]

The parser follows the Dockerfile reference: comments, line continuations (the escape character, `\\` or a
parser directive's), and JSON or shell forms. Heredocs (`<<EOF` in RUN/COPY) are reported, not parsed.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Instruction:
    line: int  # where it starts (1-based)
    keyword: str  # upper case
    args: str  # the rest, continuation lines joined with spaces


def parse(text: str) -> list[Instruction]:
    lines = text.splitlines()
    escape = "\\"
    out: list[Instruction] = []
    i = 0
    # parser directives: `# escape=`` ` etc. at the very top, before any other line
    while i < len(lines) and (m := re.match(r"#\s*(\w+)\s*=\s*(\S+)\s*$", lines[i])):
        if m.group(1).lower() == "escape":
            escape = m.group(2)
        i += 1
    while i < len(lines):
        raw = lines[i]
        start = i + 1
        i += 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = [raw]
        while parts[-1].rstrip().endswith(escape):
            parts[-1] = parts[-1].rstrip()[: -len(escape)]
            # comment and empty lines inside a continued instruction are skipped, not ends of it
            while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                i += 1
            if i == len(lines):
                break
            parts.append(lines[i])
            i += 1
        joined = " ".join(p.strip() for p in parts if p.strip())
        keyword, _, args = joined.partition(" ")
        out.append(Instruction(start, keyword.upper(), args.strip()))
    return out


PINNED_TAG = re.compile(r":[^/@]*\d[^/@]*$")  # a tag with a version number in it (3.11-slim, 16.4-bookworm)


def _image_problem(image: str, stages: set[str]) -> str | None:
    if image.lower() in stages or image == "scratch":
        return None
    if "@sha256:" in image:
        return None
    name = image.split("@", 1)[0]
    if not re.search(r":[^/]+$", name):
        return f"base image '{image}' has no tag: pin a version tag or a digest"
    if name.endswith(":latest"):
        return f"base image '{image}' uses 'latest': pin a version tag or a digest"
    if not PINNED_TAG.search(name):
        return f"base image '{image}' has a tag without a version: pin a version tag or a digest"
    return None


def _flags(args: str) -> tuple[dict[str, str], str]:
    flags: dict[str, str] = {}
    rest = args
    while rest.startswith("--"):
        word, _, rest = rest.partition(" ")
        key, _, value = word[2:].partition("=")
        flags[key] = value
        rest = rest.lstrip()
    return flags, rest


def _exec_form(args: str) -> bool:
    try:
        value = json.loads(args)
    except ValueError:
        return False
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def lint(text: str) -> list[tuple[int, str]]:
    problems: list[tuple[int, str]] = []
    instructions = parse(text)
    if not instructions or instructions[0].keyword not in ("FROM", "ARG"):
        problems.append((1, "a Dockerfile starts with FROM (or ARG before FROM)"))
    stages: set[str] = set()
    final_user: Instruction | None = None
    final_health: Instruction | None = None
    for ins in instructions:
        kw, args = ins.keyword, ins.args
        if "<<" in args and kw in ("RUN", "COPY"):
            problems.append((ins.line, "heredocs are not checked by this linter: use a script file"))
        if kw == "FROM":
            flags, rest = _flags(args)
            words = rest.split()
            if words:
                problem = _image_problem(words[0], stages)
                if problem:
                    problems.append((ins.line, problem))
            if len(words) == 3 and words[1].upper() == "AS":
                stages.add(words[2].lower())
            final_user, final_health = None, None  # USER and HEALTHCHECK count in the last stage only
        elif kw == "USER":
            final_user = ins
        elif kw == "HEALTHCHECK":
            final_health = ins
        elif kw == "ADD":
            _, rest = _flags(args)
            if re.search(r"(^|\s|\[\")(https?|ftp|git)(://|@)", rest) or "git@" in rest:
                problems.append((ins.line, "ADD of a URL: download in a RUN step with a checksum, or COPY the file"))
            else:
                problems.append(
                    (ins.line, "ADD: use COPY for files (ADD unpacks archives and fetches URLs implicitly)")
                )
        elif kw == "COPY":
            flags, _ = _flags(args)
            source = flags.get("from")
            if source is not None and not source.isdigit() and source.lower() not in stages and ":" not in source:
                problems.append((ins.line, f"COPY --from={source}: no earlier stage has that name"))
        elif kw in ("ENTRYPOINT", "CMD"):
            if not _exec_form(args):
                problems.append((ins.line, f'{kw} in shell form: use the exec form ["program", "arg"] (signals)'))
        elif kw == "WORKDIR":
            if not args.startswith("/") and not args.startswith("$"):
                problems.append((ins.line, f"WORKDIR {args}: use an absolute path"))
        elif kw == "RUN":
            if re.search(r"(^|[;&|]\s*)sudo\s", args):
                problems.append((ins.line, "sudo in RUN: steps run as root until USER; sudo is not needed"))
            if re.search(r"apt-get\s+(-\S+\s+)*install", args) and "--no-install-recommends" not in args:
                problems.append((ins.line, "apt-get install without --no-install-recommends"))
            if re.search(r"(curl|wget)[^|;&]*\|\s*(ba|da)?sh\b", args):
                problems.append((ins.line, "a downloaded script piped into a shell: fetch it, check it, then run it"))
    if final_user is None:
        problems.append((len(text.splitlines()) or 1, "the final stage has no USER: the server would run as root"))
    else:
        name = final_user.args.split(":", 1)[0].strip()
        if name in ("root", "0", ""):
            problems.append((final_user.line, f"USER {final_user.args}: run as a non-root user"))
    if final_health is None:
        problems.append((len(text.splitlines()) or 1, "the final stage has no HEALTHCHECK"))
    elif final_health.args.upper().startswith("NONE"):
        problems.append((final_health.line, "HEALTHCHECK NONE: the final stage needs a health check"))
    return sorted(problems)


def main(argv: list[str] | None = None) -> int:
    paths = argv if argv else ["Dockerfile"]
    failed = False
    for path in paths:
        try:
            text = Path(path).read_text()
        except OSError as e:
            print(f"{path}: cannot read: {e.strerror}", file=sys.stderr)
            failed = True
            continue
        for line, problem in lint(text):
            print(f"{path}:{line}: {problem}")
            failed = True
    if not failed:
        print(f"ok: {', '.join(paths)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
