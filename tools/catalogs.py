"""The translation catalogs: `.po` files are the source, gettext reads the `.mo` files compiled from them.

    python tools/catalogs.py compile                  # compile every catalog whose .mo is missing or older
    python tools/catalogs.py check                    # every language has exactly English's ids and placeholders
    python tools/catalogs.py from-dict LANG FILE [NAME]   # add a Python dict's keys to client/locale/LANG/client.po

`make` compiles them at install (the Makefile's `catalogs` target); the test session calls `compile_stale`
too, so a `.po` edited since the last `make` is never tested in its stale form. The `.mo` files are build
output and never committed. `make lint` runs `check`.

`from-dict` moves strings written as a dict literal (`EN = {"area.key": "Text {name}", ...}`, the form
client/i18n.py had before the catalogs) into a `.po`: keys already there are kept as they are, new ones are
appended; a value that is a pair (singular, plural) becomes a plural entry. NAME is the dict's name (EN).
"""

from __future__ import annotations

import ast
import string
import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
# one folder of catalogs per side: client/ and server/ never import each other, so neither shares the other's
LOCALE_DIRS = (ROOT / "client" / "locale", ROOT / "server" / "dashboard" / "locale")
CLIENT_LOCALE = ROOT / "client" / "locale"
SOURCE_LANGUAGE = "en"  # every other language must have exactly its message ids


def catalogs() -> list[Path]:
    return sorted(po for folder in LOCALE_DIRS for po in folder.glob("*/LC_MESSAGES/*.po"))


def load(po: Path) -> Catalog:
    with po.open("rb") as source:
        return read_po(source, locale=po.parent.parent.name, domain=po.stem)


def compile_catalog(po: Path) -> Path:
    mo = po.with_suffix(".mo")
    catalog = load(po)
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


# --- check -------------------------------------------------------------------------------------------
def placeholders(text: str) -> set[str]:
    """The `{name}` fields of a python-brace-format string (format specs aside: `{score:.1f}` is `score`)."""
    try:
        return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(text) if field}
    except ValueError:
        return {"<unparsable>"}


def _texts(message: Message) -> list[str]:
    return [s for s in message.string if s] if isinstance(message.string, (list, tuple)) else [message.string]


def problems(catalog_files: list[Path] | None = None) -> list[str]:
    """What keeps the catalogs from matching: per domain, every language has English's message ids, each
    translated (not empty, not fuzzy), plural where English is plural, with the same placeholders."""
    found: list[str] = []
    files = catalogs() if catalog_files is None else catalog_files
    by_domain: dict[tuple[Path, str], dict[str, Path]] = {}
    for po in files:
        by_domain.setdefault((po.parent.parent.parent, po.stem), {})[po.parent.parent.name] = po
    for (folder, domain), languages in sorted(by_domain.items()):
        if SOURCE_LANGUAGE not in languages:
            found.append(f"{folder}: domain {domain} has no {SOURCE_LANGUAGE} catalog")
            continue
        source = {m.id if isinstance(m.id, str) else m.id[0]: m for m in load(languages[SOURCE_LANGUAGE]) if m.id}
        for _language, po in sorted(languages.items()):
            where = po.relative_to(ROOT) if po.is_relative_to(ROOT) else po
            loaded = load(po)
            catalog = {m.id if isinstance(m.id, str) else m.id[0]: m for m in loaded if m.id}
            for key in sorted(source.keys() - catalog.keys()):
                found.append(f"{where}: missing {key!r}")
            for key in sorted(catalog.keys() - source.keys()):
                found.append(f"{where}: {key!r} is not in the {SOURCE_LANGUAGE} catalog")
            for key in sorted(source.keys() & catalog.keys()):
                ours, theirs = catalog[key], source[key]
                if ours.pluralizable != theirs.pluralizable:
                    found.append(f"{where}: {key!r} must be {'plural' if theirs.pluralizable else 'singular'}")
                    continue
                texts = _texts(ours)
                if ours.pluralizable and len(ours.string) != loaded.num_plurals:
                    found.append(f"{where}: {key!r} needs {loaded.num_plurals} plural forms (the Plural-Forms header)")
                    continue
                if _language == SOURCE_LANGUAGE and not any(texts) and not ours.fuzzy:
                    continue  # the dashboard's ids are its English text (docs/dashboard.md, "Languages")
                if not texts or not all(texts) or ours.fuzzy:
                    found.append(f"{where}: {key!r} is not translated")
                    continue
                wanted = set().union(*(placeholders(s) for s in _texts(theirs)))
                for text in texts:
                    if placeholders(text) - wanted or (not ours.pluralizable and placeholders(text) != wanted):
                        found.append(
                            f"{where}: {key!r} has placeholders {sorted(placeholders(text))}, "
                            f"{SOURCE_LANGUAGE} has {sorted(wanted)}"
                        )
    return found


# --- from-dict -----------------------------------------------------------------------------------------
def dict_literal(source: str, name: str) -> dict[str, str | tuple[str, str]]:
    """The dict literal assigned to `name` in Python source (read, never run)."""
    for node in ast.walk(ast.parse(source)):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign) and node.value is not None
            else []
        )
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            value = ast.literal_eval(node.value)  # type: ignore[union-attr]
            if isinstance(value, dict):
                return {str(k): tuple(v) if isinstance(v, (list, tuple)) else str(v) for k, v in value.items()}
    raise SystemExit(f"no dict literal named {name} found")


def new_catalog(language: str, domain: str) -> Catalog:
    return Catalog(
        locale=language,
        domain=domain,
        project="peerspace",
        version="1",
        charset="utf-8",
        fuzzy=False,
        header_comment=f"# peerspace: the {domain} strings in {language}. Translate msgstr only; keep {{name}} "
        "fields as they are.\n# After editing: make catalogs (python tools/catalogs.py compile).",
        copyright_holder="peerspace contributors",
        last_translator="peerspace contributors",
        language_team="peerspace contributors",
    )


def _flag_brace_fields(catalog: Catalog) -> None:
    """Mark entries with `{name}` fields python-brace-format. Babel infers the flag from the msgid, and with
    keyed ids (`coach.due`) the fields are only in the msgstr, so it would drop the flag on every read."""
    for message in catalog:
        if message.id and any(placeholders(s) for s in _texts(message)):
            message.flags.add("python-brace-format")


def add_strings(po: Path, strings: dict[str, str | tuple[str, str]], domain: str = "client") -> list[str]:
    """Append the keys `po` lacks (created if missing); returns the keys added."""
    language = po.parent.parent.name
    catalog = load(po) if po.exists() else new_catalog(language, domain)
    added = []
    for key, text in strings.items():
        if key in catalog:
            continue
        texts = [text] if isinstance(text, str) else list(text)
        catalog.add(key if isinstance(text, str) else (key, key), text if isinstance(text, str) else tuple(texts))
        added.append(key)
    _flag_brace_fields(catalog)
    po.parent.mkdir(parents=True, exist_ok=True)
    with po.open("wb") as target:
        write_po(target, catalog, width=116, omit_header=False, sort_output=False)
    return added


def main(argv: list[str]) -> int:
    usage = "\n".join(line.strip() for line in __doc__.strip().splitlines()[2:5])
    if argv == ["compile"]:
        for mo in compile_stale():
            print(f"compiled {mo.relative_to(ROOT)}")
        return 0
    if argv == ["check"]:
        found = problems()
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    if len(argv) in (3, 4) and argv[0] == "from-dict":
        language, source = argv[1], Path(argv[2])
        strings = dict_literal(source.read_text(encoding="utf-8"), argv[3] if len(argv) == 4 else "EN")
        po = CLIENT_LOCALE / language / "LC_MESSAGES" / "client.po"
        added = add_strings(po, strings)
        print(f"{po.relative_to(ROOT)}: added {len(added)} of {len(strings)} keys")
        return 0
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
