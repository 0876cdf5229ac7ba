"""The facilitator dashboard: server-rendered HTML under /dashboard (aiohttp, no JavaScript).

Login is a plain form that sets the `ps_token` cookie (HttpOnly, SameSite=Strict);
every page re-checks the user and role (server/records/access.py):
facilitators and admins see everything, peer specialists their own rooms and
sessions, participants and agents nothing. Every form that changes something
carries a CSRF field derived from the session token. See docs/dashboard.md.

Pages are Jinja2 templates in templates/ (a base layout and one per page), rendered with
aiohttp-jinja2 with autoescaping on: every value a template prints is HTML-escaped unless it is
markup the template itself wrote, so names, notes and lines people typed never need escaping by hand.
Every text a page shows goes through gettext (i18n.py): the staff member chooses the language.
"""

from __future__ import annotations

import jinja2
from aiohttp import web


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory for every app in this process (the tests start hundreds of
    servers; each would otherwise compile the same templates again). Keyed by the template's source."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


def setup(app: web.Application) -> None:
    import aiohttp_jinja2

    from . import editor, i18n, views

    i18n.load()
    app.middlewares.append(i18n.language_middleware)
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader(__name__, "templates"),
        filters=views.FILTERS,
        autoescape=True,  # the whole point: a template never prints unescaped text
        undefined=jinja2.StrictUndefined,  # a misspelt name fails loudly instead of rendering as ""
        trim_blocks=True,
        lstrip_blocks=True,
        default_helpers=False,
        auto_reload=False,  # no stat() of the template files on the event loop per request
        bytecode_cache=_COMPILED,
        extensions=["jinja2.ext.i18n"],
    )
    # `_()` and {% trans %} read the request's language (i18n.language_middleware); newstyle: `_()` takes
    # %(name)s values as keywords and escapes them, like any other printed value
    env.install_gettext_callables(i18n._, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    # Load every template now, at assembly: no page's first request reads files and compiles on the loop.
    for name in env.list_templates(extensions=("html",)):
        env.get_template(name)
    views.add_routes(app)
    editor.add_routes(app)  # the scenario editor (facilitators and admins)
