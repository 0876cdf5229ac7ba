"""The translation catalog: every string a person reads in the client, by key, per language.

    t("coach.paused")                    -> "Paused."
    t("coach.due", seconds=12)           -> "Line due in 12 s"
    tn("scenario.earlier", 3)            -> "Page Up: 3 earlier lines"  (plural forms; {n} is the count)

The strings live in gettext catalogs, client/locale/<language>/LC_MESSAGES/client.po (domain `client`),
compiled to .mo by `make catalogs`; this module reads the .mo with the standard library's gettext.

Message ids are keys ("coach.due"), not English sentences: the English text is en's msgstr like any other
language's. A key stays the same when the English wording is edited, so a copy edit does not orphan every
translation (with English source ids each edit would silently send Spanish readers back to English), two
places that say the same English words in different situations can be translated differently, and the code
reads as a list of what each string is for.

A key missing from the chosen language falls back to English; a key missing from English is a bug and shows
as the key itself (never a crash in front of a person). Add a language by adding its folder (docs/client.md,
Languages); `LANGUAGES` lists the folders found, `set_language` picks one.
"""

from __future__ import annotations

import gettext
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wire.assets import installed_or

log = logging.getLogger("peerspace.i18n")

# in the installed client (tools/bundle.py) only the compiled .mo files travel, beside the program
LOCALE_DIR = installed_or("client/locale", Path(__file__).resolve().parent / "locale")
DOMAIN = "client"
SOURCE = "en"  # the language every other falls back to


def _shipped() -> tuple[str, ...]:
    found = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.[mp]o")}
    return tuple(sorted(found, key=lambda code: code != SOURCE))  # English first, then by code


LANGUAGES: tuple[str, ...] = _shipped()


def _read(code: str) -> gettext.NullTranslations:
    """One language's catalog, without fallbacks: its .mo, or its .po read directly when the .mo is missing or
    older (a checkout where `make catalogs` has not run since the last edit)."""
    folder = LOCALE_DIR / code / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    try:
        if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
            with mo.open("rb") as f:
                return gettext.GNUTranslations(f)
        if po.exists():
            return _from_po(po)
    except (OSError, ValueError) as e:
        log.warning("cannot read the %s catalog: %s", code, e)
    return gettext.NullTranslations()


def _from_po(po: Path) -> gettext.NullTranslations:
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


_cache: dict[str, gettext.NullTranslations] = {}


def catalog(code: str) -> gettext.NullTranslations:
    """The catalog for `code` with English behind it, and the key itself behind English."""
    if code not in _cache:
        own = _read(code)
        if code != SOURCE:
            own.add_fallback(catalog(SOURCE))
        _cache[code] = own
    return _cache[code]


_language = SOURCE


def set_language(code: str) -> None:
    global _language
    _language = code if code in LANGUAGES else SOURCE


def language() -> str:
    return _language


def language_name(code: str) -> str:
    """A language's name in that language ("Español"), as its own catalog gives it."""
    return catalog(code).gettext("language.name") if code in LANGUAGES else code


def default_language(environ: Mapping[str, str] | None = None) -> str:
    """The first shipped language the OS locale asks for (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), else English."""
    env = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for part in env.get(var, "").split(":"):
            code = part.split(".")[0].split("@")[0].split("_")[0].lower()
            if code in LANGUAGES:
                return code
            if code in ("c", "posix"):
                return SOURCE
    return SOURCE


def _fill(text: str, key: str, values: dict[str, Any], english: str) -> str:
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        log.warning("translation of %s in %s does not fit its values", key, _language)
        try:
            return english.format(**values)
        except (KeyError, IndexError, ValueError):
            return key


def t(key: str, **values: Any) -> str:
    """The string for `key` in the chosen language, with `values` filled in."""
    text = catalog(_language).gettext(key)
    return _fill(text, key, values, catalog(SOURCE).gettext(key)) if values else text


def tn(key: str, n: int, **values: Any) -> str:
    """The string for `key` in the plural form the language uses for a count `n`, with `n` and `values` filled in."""
    text = catalog(_language).ngettext(key, key, n)
    return _fill(text, key, {"n": n, **values}, catalog(SOURCE).ngettext(key, key, n))


def has(key: str) -> bool:
    """Whether the chosen language (or English behind it) has `key`."""
    return catalog(_language).gettext(key) != key


def error_text(code: str, message: str) -> str:
    """What to show for an error the server sent: the client's own words for its `code` in the chosen language
    when the catalog has them (`error.<code>`), else the server's message. The server writes its messages in
    English, often naming the particular thing refused, so an English reader keeps them."""
    if _language != SOURCE and has(f"error.{code}"):
        return t(f"error.{code}")
    return message or t("error.unknown")
