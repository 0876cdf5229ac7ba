"""The translation catalogs: `.po` files are the source, gettext reads the `.mo` files compiled from them.

    python tools/catalogs.py compile     # compile every catalog whose .mo is missing or older than its .po

`make` compiles them at install (the Makefile's `catalogs` target); the test session calls `compile_stale`
too, so a `.po` edited since the last `make` is never tested in its stale form. The `.mo` files are build
output and never committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
# one folder of catalogs per side: client/ and server/ never import each other, so neither shares the other's
LOCALE_DIRS = (ROOT / "client" / "locale", ROOT / "server" / "dashboard" / "locale")


def catalogs() -> list[Path]:
    return sorted(po for folder in LOCALE_DIRS for po in folder.glob("*/LC_MESSAGES/*.po"))


def compile_catalog(po: Path) -> Path:
    mo = po.with_suffix(".mo")
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name, domain=po.stem)
    with mo.open("wb") as target:
        write_mo(target, catalog, use_fuzzy=False)
    return mo


def compile_stale() -> list[Path]:
    """Compile the catalogs whose .mo is missing or older than the .po; returns the .mo files written."""
    written = []
    for po in catalogs():
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            written.append(compile_catalog(po))
    return written


def main(argv: list[str]) -> int:
    if argv != ["compile"]:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    for mo in compile_stale():
        print(f"compiled {mo.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
