"""The dependency lock (requirements.txt, requirements-dev.txt): check it against pyproject, show what changed.

    python tools/lock.py check               # every requirement in pyproject has a pin in the lock that meets it
    python tools/lock.py diff OLD NEW        # which pins an upgrade changed (`make upgrade` prints this)

`make` installs the lock with `--no-deps` for the project itself, so a dependency added to pyproject but not to
the lock would only show up as an ImportError somewhere in the tests; `check` says it at install time instead.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
# which extras each lock file holds; the Makefile's SERVER_EXTRAS says the same (tests/test_lock.py checks)
LOCKS = {
    # a server: what `pip install peerspace[scale,metrics,postgresql,fast]` needs
    "requirements.txt": ("scale", "metrics", "postgresql", "fast"),
    "requirements-dev.txt": None,  # None: every extra (client, tests, lint)
}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def pins(text: str) -> dict[str, list[str]]:
    """Pinned versions by canonical name (a name may have several, one per environment marker)."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        m = _PIN.match(line)
        if m:
            found.setdefault(canonicalize_name(m.group(1)), []).append(m.group(2))
    return found


def requirements(pyproject: dict[str, object], extras: Iterable[str] | None) -> list[Requirement]:
    project = pyproject["project"]
    assert isinstance(project, dict)
    optional: dict[str, list[str]] = project.get("optional-dependencies", {})
    chosen = optional if extras is None else {e: optional[e] for e in extras}
    return [Requirement(r) for r in project["dependencies"] + [r for rs in chosen.values() for r in rs]]


def problems(pyproject: dict[str, object], lock_name: str, lock_text: str) -> list[str]:
    """What the lock lacks or pins outside pyproject's bounds, one line each; [] when it serves pyproject."""
    locked = pins(lock_text)
    out = []
    for req in requirements(pyproject, LOCKS[lock_name]):
        versions = locked.get(canonicalize_name(req.name))
        if not versions:
            out.append(f"{lock_name} has no pin for {req} (pyproject asks for it)")
        for v in versions or ():
            if not req.specifier.contains(v, prereleases=True):
                out.append(f"{lock_name} pins {req.name}=={v}, outside pyproject's {req}")
    return out


def diff(old: str, new: str) -> list[str]:
    """One line per package whose pins changed: 'name 1.0 -> 1.1', '+ name 2.0' (new), '- name 0.9' (gone)."""
    a, b = pins(old), pins(new)
    lines = []
    for name in sorted(a.keys() | b.keys()):
        was, now = ", ".join(a.get(name, [])), ", ".join(b.get(name, []))
        if name not in a:
            lines.append(f"+ {name} {now}")
        elif name not in b:
            lines.append(f"- {name} {was}")
        elif was != now:
            lines.append(f"  {name} {was} -> {now}")
    return lines


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"]:
        pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
        found = [p for name in LOCKS for p in problems(pyproject, name, (ROOT / name).read_text())]
        for line in found:
            print(line, file=sys.stderr)
        if found:
            print("The lock does not match pyproject.toml: run `make lock` and commit the lock files.", file=sys.stderr)
        return 1 if found else 0
    if argv[:1] == ["diff"] and len(argv) == 3:
        lines = diff(Path(argv[1]).read_text(), Path(argv[2]).read_text())
        print("\n".join(lines) if lines else "no pin changed")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
