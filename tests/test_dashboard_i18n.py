"""The dashboard in the staff member's language (server/dashboard/i18n.py, domain `dashboard`).

- No text a page shows bypasses the catalog: the templates' literal text and the Python literals that reach a
  page are found by a scan, and the scan is shown to catch a literal planted in a real template and module.
- The catalogs are complete and current: extraction finds nothing the .po files lack, and every Spanish entry
  is translated with the same placeholders.
- Over real HTTP: Accept-Language chooses Spanish before login, the language form keeps the choice in a cookie,
  and every page a facilitator and an admin open is in Spanish (no English text node left), errors included.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import aiohttp
import jinja2
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from conftest import dashboard_login, form_csrf
from test_dashboard_http import CONVERSATION, seed

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "server" / "dashboard"
TEMPLATES = DASHBOARD / "templates"
LOCALE = DASHBOARD / "locale"
# Words that are the same in every language: the product's name and the format it edits.
UNTRANSLATED = {"peerspace", "YAML"}
HOLE = "\x00"  # where a template prints a value or runs a tag


# --- the scan ----------------------------------------------------------------------------------------------------
def _env() -> jinja2.Environment:
    return jinja2.Environment(extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)


def template_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of every piece of text a template shows that is not in {% trans %} or `_()`: text between
    tags, and the values of attributes people read (title, placeholder, aria-label, alt)."""
    pieces: list[tuple[int, str]] = []
    depth = 0  # inside {% trans %} ... {% endtrans %}
    last = ""
    for line, kind, value in _env().lex(source):
        if kind == "name" and last == "block_begin":
            depth += value == "trans"
            depth -= value == "endtrans"
        if kind not in ("whitespace",):
            last = kind
        pieces.append((line, value if kind == "data" and not depth else HOLE))
    text = "".join(v for _, v in pieces)
    lines = []
    at = 1
    for line, v in pieces:  # the line each character came from
        lines += [line] * len(v)
        at = line
    lines.append(at)
    found = []
    shown = re.compile(r"""\b(?:title|placeholder|aria-label|alt)=(['"])([^'"]*)\1""")
    for m in shown.finditer(text):
        for chunk in m.group(2).split(HOLE):
            if _wordy(chunk):
                found.append((lines[m.start()], chunk.strip()))
    # Drop the markup: whole tags (with the holes in their attributes), the style sheet and comments.
    stripped = re.sub(r"<style>.*?</style>|<!--.*?-->", lambda m: HOLE * len(m.group(0)), text, flags=re.S)
    stripped = re.sub(r"<[^<>]*>", lambda m: HOLE * len(m.group(0)), stripped)
    for m in re.finditer(r"[^\x00]+", stripped):
        if _wordy(m.group(0)):
            found.append((lines[m.start()], m.group(0).strip()))
    return found


def _wordy(chunk: str) -> bool:
    words = re.findall(r"[^\W\d_]{2,}", chunk.replace("&amp;", " ").replace("&nbsp;", " "))
    return any(w not in UNTRANSLATED for w in words)


PROSE = re.compile(r"[A-Za-z]{2,}'?[a-z]* +[A-Za-z]{2,}|^[A-Z][a-z]+[.:!?]?$")
# Literals that read like words but are not shown as text: the pages' Content-Security-Policy, cookie
# attributes, and each language's own name in the language menu (the same in every language, on purpose).
NOT_SHOWN = re.compile(r"-src |^(Strict|Lax)$|^(English|Español)$")
MARKERS = {"_", "N_", "ngettext"}


def python_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of the string literals in a module that read as prose and are not marked for translation:
    not in `_()`/`N_()`/`ngettext()`, not a docstring, not a log message. A WireError's message is shown to a
    person, so any literal there counts, prose-like or not."""
    tree = ast.parse(source)
    skip: set[int] = set()
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            logged = isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
            logged = logged and node.func.value.id == "log"  # type: ignore[union-attr]
            if name in MARKERS or logged:
                skip.update(id(n) for arg in node.args for n in ast.walk(arg))
            if name == "WireError" and len(node.args) > 1 and isinstance(node.args[1], (ast.Constant, ast.JoinedStr)):
                found.append((node.lineno, ast.unparse(node.args[1])))
                skip.update(id(n) for n in ast.walk(node.args[1]))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if PROSE.search(node.value) and not NOT_SHOWN.search(node.value):
                found.append((node.lineno, node.value))
    return found


def test_every_dashboard_text_goes_through_the_catalog():
    templates = sorted(TEMPLATES.glob("*.html"))
    modules = sorted(DASHBOARD.glob("*.py"))
    assert len(templates) > 20 and len(modules) >= 5
    bypass = [f"{t.name}:{line}: {text!r}" for t in templates for line, text in template_literals(t.read_text())]
    bypass += [f"{m.name}:{line}: {text!r}" for m in modules for line, text in python_literals(m.read_text())]
    assert not bypass, "texts outside the catalog (wrap them in _() or {% trans %}):\n" + "\n".join(bypass)


def test_the_scan_finds_a_planted_literal():
    rooms = (TEMPLATES / "rooms.html").read_text()
    planted = rooms.replace("<h1>", "<p title='Open rooms'>Planted words</p><h1>", 1)
    assert set(template_literals(planted)) == {(4, "Open rooms"), (4, "Planted words")}
    trans = rooms.replace("<h1>", "{% trans %}Fine words{% endtrans %}<h1>", 1)
    assert template_literals(trans) == []
    views = (DASHBOARD / "views.py").read_text()
    assert python_literals(views) == []
    planted = views.replace('_("There is no such alert you can see.")', '"There is no such alert you can see."')
    assert [t for _, t in python_literals(planted)] == ["'There is no such alert you can see.'"]
    planted = views.replace('_("Emotion recognition")', '"Emotion recognition"')
    assert [t for _, t in python_literals(planted)] == ["Emotion recognition"]


# --- the catalogs --------------------------------------------------------------------------------------------------
def _catalog(lang: str):
    with (LOCALE / lang / "LC_MESSAGES" / "dashboard.po").open("rb") as f:
        return read_po(f, locale=lang, domain="dashboard")


def test_the_catalogs_are_current_and_spanish_is_complete():
    # the same files as server/dashboard/babel.cfg
    courses = [ROOT / "server" / "courses" / name for name in ("dashboard.py", "fidelity.py")]
    files = [(p, "python") for p in [*DASHBOARD.glob("*.py"), *courses]]
    files += [(p, "jinja2") for p in TEMPLATES.glob("*.html")]
    options = {"trim_blocks": "True", "lstrip_blocks": "True"}
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    extracted = {
        msg[1] if isinstance(msg[1], str) else msg[1][0]
        for path, method in files
        for msg in extract_from_file(method, path, keywords=keywords, options=options)
    }
    assert len(extracted) > 300
    for lang in ("en", "es"):
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(lang) if m.id}
        assert extracted - ids == set(), f"{lang}: texts not in the catalog yet (see docs/dashboard.md, Languages)"
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for m in _catalog("es"):
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(strings), f"no Spanish for {m.id!r}"
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        want = set(placeholder.findall(ids[-1])) | set(placeholder.findall(ids[0]))
        for s in strings:
            assert set(placeholder.findall(s)) <= want and "fuzzy" not in m.flags, (m.id, s)


# --- over HTTP -----------------------------------------------------------------------------------------------------
class Texts(HTMLParser):
    """The text nodes a browser shows (not the style sheet)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._style = False
        self.lang = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self._style = tag in ("style", "title")
        if tag == "html":
            self.lang = dict(attrs).get("lang", "")

    def handle_endtag(self, tag):
        self._style = False

    def handle_data(self, data):
        if not self._style and data.strip():
            self.texts.append(data.strip())


def english_only() -> set[str]:
    """English texts of the catalog whose Spanish is different: none of them may show on a Spanish page."""
    out = set()
    for m in _catalog("es"):
        if isinstance(m.id, str) and m.id and "%" not in m.id and m.string != m.id and len(m.id) > 3:
            out.add(m.id)
    return out


def assert_spanish(html: str, where: str, ids: frozenset[str] = frozenset()) -> None:
    """`ids`: identifiers from a file (a phase's id) that a page shows as they are, in any language."""
    page = Texts(html)
    assert page.lang == "es", where
    english = english_only() - ids
    left = [t for t in page.texts if t in english or t.rstrip(".:") in english]
    assert not left, (where, left)


async def test_pages_render_in_spanish_over_http(server):
    runs = seed(server)
    ana = server.store.find_user("Ana")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as anon:
        # before anyone logs in, the browser's language decides
        async with anon.get(
            server.url + "/dashboard/login", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}
        ) as r:
            html = await r.text()
        assert "Acceso del personal" in html and "Contraseña" in html
        assert_spanish(html, "login (Accept-Language)")
        async with anon.get(server.url + "/dashboard/login", headers={"Accept-Language": "fr, en;q=0.8"}) as r:
            assert "Staff log in" in await r.text()  # a language the dashboard lacks: English
    http, status = await dashboard_login(server.url, "Fay")
    assert status == 303
    async with http:
        async with http.get(server.url + "/dashboard") as r:
            assert "Rooms now" in await r.text()  # no cookie, no Accept-Language: English
        async with http.post(server.url + "/dashboard/language", data={"lang": "es", "next": "/dashboard/safety"}) as r:
            assert r.url.path == "/dashboard/safety"
            html = await r.text()
        assert "Empezar la guardia" in html
        pages = [
            "/dashboard",
            "/dashboard/sessions",
            f"/dashboard/sessions/{runs['Ana']}",
            "/dashboard/people",
            f"/dashboard/people/{ana['id']}",
            "/dashboard/safety",
            "/dashboard/courses",
            "/dashboard/supervision",
            "/dashboard/scenarios",
            "/dashboard/scenarios/starting_a_conversation",
            "/dashboard/scenarios/starting_a_conversation/form",
            "/dashboard/scenarios/starting_a_conversation/flow",
            "/dashboard/scenarios/starting_a_conversation/history",
        ]
        phase_ids = frozenset(p["id"] for p in CONVERSATION.phases)
        for path in pages:
            async with http.get(server.url + path) as r:
                assert r.status == 200, path
                assert_spanish(await r.text(), path, phase_ids)
        # an error is in the page's language too
        async with http.get(server.url + "/dashboard/people/999999") as r:
            assert r.status == 404
            assert "No hay ningún participante así que puedas ver." in await r.text()
        async with http.get(server.url + "/dashboard/sessions") as r:
            html = await r.text()
        # a dry run: the editor's own pages in Spanish
        async with http.get(server.url + "/dashboard/scenarios/starting_a_conversation") as r:
            csrf = form_csrf(await r.text())
        async with http.post(
            server.url + "/dashboard/scenarios/starting_a_conversation/try", data={"csrf": csrf, "difficulty": "easy"}
        ) as r:
            assert r.status == 200 and "/try/" in r.url.path
            html = await r.text()
        assert "Volver al editor" in html
        assert_spanish(html, "dry run")
        # back to English with the same form
        async with http.post(server.url + "/dashboard/language", data={"lang": "en", "next": "/dashboard"}) as r:
            assert "Rooms now" in await r.text()
        # an unknown language or an outside address changes nothing and stays on the dashboard
        async with http.post(server.url + "/dashboard/language", data={"lang": "xx", "next": "//evil.example/"}) as r:
            assert r.url.path == "/dashboard" and "Rooms now" in await r.text()
    admin, _ = await dashboard_login(server.url, "Adi")
    async with admin:
        admin.cookie_jar.update_cookies({"ps_lang": "es"})
        async with admin.get(server.url + f"/dashboard/people/{ana['id']}") as r:
            html = await r.text()
        assert "Borrarlo todo" in html
        assert_spanish(html, "person (admin)")
