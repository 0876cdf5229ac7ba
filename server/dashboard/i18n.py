"""The dashboard in the staff member's language: gettext catalogs (domain `dashboard`) in locale/.

The language of a request is the `ps_lang` cookie, set by the language form on every page, else the best match
of the browser's Accept-Language, else English. A middleware puts that language's translations in a context
variable for the request's handler: `_()` and `ngettext()` in Python and `_()`/`{% trans %}` in the templates
all read it, so a message raised as a WireError deep in a handler comes out in the same language as the page.

The message ids are the English texts. To add or change a text: write it in English through `_()` (Python) or
`{{ _("...") }}` / `{% trans %}` (templates), then extract and update the catalogs (see docs/dashboard.md,
"Languages"), translate the new entries in locale/<lang>/LC_MESSAGES/dashboard.po, and `make catalogs`.
"""

from __future__ import annotations

import gettext
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from pathlib import Path

from aiohttp import web

DOMAIN = "dashboard"
LOCALE_DIR = Path(__file__).parent / "locale"
LANG_COOKIE = "ps_lang"
DEFAULT = "en"
# the languages a staff member can choose, each named in itself
LANGUAGES = {"en": "English", "es": "Español"}

_TRANSLATIONS: dict[str, gettext.NullTranslations] = {}
_current: ContextVar[str] = ContextVar("dashboard_language", default=DEFAULT)


def load() -> None:
    """Read every language's compiled catalog, once, at assembly (never a file read on the event loop).
    A language whose .mo is missing (catalogs not compiled) shows English rather than failing."""
    for lang in LANGUAGES:
        if lang not in _TRANSLATIONS:
            _TRANSLATIONS[lang] = gettext.translation(DOMAIN, LOCALE_DIR, [lang], fallback=True)


def translations(lang: str | None = None) -> gettext.NullTranslations:
    return _TRANSLATIONS.get(lang or _current.get()) or gettext.NullTranslations()


def current() -> str:
    return _current.get()


def _(message: str) -> str:
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a text for extraction where it is defined; it is translated where it is shown (with `_()`)."""
    return message


def accepted(header: str) -> str | None:
    """The best language of an Accept-Language header that the dashboard has (by q, then order), or None."""
    best: tuple[float, int, str] | None = None
    for i, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        q = 1.0
        for param in params.split(";"):
            key, _eq, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if lang in LANGUAGES and q > 0 and (best is None or (q, -i) > (best[0], best[1])):
            best = (q, -i, lang)
    return best[2] if best else None


def language_of(request: web.Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return accepted(request.headers.get("Accept-Language", "")) or DEFAULT


@web.middleware
async def language_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if not request.path.startswith("/dashboard"):
        return await handler(request)
    token = _current.set(language_of(request))
    try:
        return await handler(request)
    finally:
        _current.reset(token)  # a keep-alive connection's next request starts clean
