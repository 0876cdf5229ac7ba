"""The dashboard's templates escape everything people typed: over real HTTP, logged in through the form.

A staff member, a participant, a room, a scenario, a line said and a report note all carry a name with
`<script>` and the characters that end an attribute or start an entity. Every page that shows
user-supplied text must show it as that text (after the browser decodes it) and must never contain a
script element or an attribute it did not write.
"""

from __future__ import annotations

import asyncio
import fnmatch
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import aiohttp
import aiohttp_jinja2

from conftest import PASSWORD, dashboard_login
from server.auth import hash_password
from server.dashboard.svg import line_plot
from server.scenarios import ScenarioRun, load_file
from server.scenarios.model import Scenario
from wire import events
from wire import safety as ws

ROOT = Path(__file__).resolve().parent.parent
CONVERSATION = load_file(ROOT / "scenarios" / "starting_a_conversation.yaml")
EVIL = "<script>alert(1)</script>\"'&"
ADMIN, PARTICIPANT, ROOM, SCENARIO = f"Adi{EVIL}", f"Ana{EVIL}", f"Room{EVIL}", f"conversation{EVIL}"
LINE, NOTE = f"hello {EVIL}", f"note {EVIL}"


class Page(HTMLParser):
    """What a browser would see: the tags opened, the decoded text and the decoded attribute values."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.texts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)


def assert_escaped(html: str, *shown: str, where: str = "") -> Page:
    page = Page(html)
    assert "<script" not in html.lower() and "script" not in page.tags, where
    assert not any(k.startswith("on") for k, _ in page.attrs), where  # no attribute slipped in
    for text in shown:
        assert text in page.text, (where, text)
    return page


async def seed(server) -> dict:
    store = server.store
    pw_hash, salt = await asyncio.to_thread(hash_password, PASSWORD)
    # Straight into the store: the sign-up rule would refuse these names, but the pages must not rely on it.
    admin = await store.aio.create_user(ADMIN, events.ADMIN, pw_hash, salt)
    ana = await store.aio.create_user(PARTICIPANT, events.PARTICIPANT, pw_hash, salt)
    await store.aio.set_consent(ana["id"], True)
    server.world.create_room(ROOM, "park", 8, created_by=admin["id"], room_id="evil-room")
    ana_bot = await server.bot(PARTICIPANT, room="evil-room")
    ben = await server.bot("Ben", room="evil-room")
    staff = await server.bot(ADMIN, role=events.ADMIN, room="evil-room")
    scenario = Scenario({**CONVERSATION.data, "id": SCENARIO}, CONVERSATION.file, CONVERSATION.lines)
    run = ScenarioRun.create(store, "evil-room", scenario, "easy", participant_user_id=ana["id"])
    run.start()
    await ana_bot.say(LINE)
    await ana_bot.call(ws.REPORT, {"avatar": ben.avatar, "reason": "other", "note": NOTE})
    await staff.call(ws.MUTE, {"avatar": ana_bot.avatar, "minutes": 5})
    db = server.world.safety.db
    await ana_bot.wait_until(lambda: db.actions() and db.reports(), timeout=5)  # both written off the loop
    return {"ana": ana["id"], "run": run.run_id}


async def test_every_page_escapes_names_lines_and_notes(server):
    ids = await seed(server)
    http, status = await dashboard_login(server.url, ADMIN)
    assert status == 303
    pages = {
        "/dashboard": (ADMIN, ROOM),
        "/dashboard/sessions": (SCENARIO, PARTICIPANT),
        f"/dashboard/sessions/{ids['run']}": (SCENARIO, PARTICIPANT, LINE),
        "/dashboard/people": (PARTICIPANT,),
        f"/dashboard/people/{ids['ana']}": (PARTICIPANT, SCENARIO),
        "/dashboard/safety": (PARTICIPANT, NOTE, f"mute{PARTICIPANT}{ADMIN}"),  # moderation: action, who, by
    }
    async with http:
        for path, shown in pages.items():
            async with http.get(server.url + path) as r:
                assert r.status == 200, path
                html = await r.text()
            page = assert_escaped(html, ADMIN, *shown, where=path)  # the header names who is logged in
            assert f"{ADMIN} · admin" in page.text, path
        # the person page's title, heading and records card all carry the name
        async with http.get(server.url + f"/dashboard/people/{ids['ana']}") as r:
            page = assert_escaped(await r.text(), f"{PARTICIPANT} · peerspace", f"{PARTICIPANT} can export")
        assert PARTICIPANT in page.texts


async def test_the_login_form_keeps_a_hostile_next_inside_its_attribute(server):
    nxt = f"/dashboard/x onfocus=alert(1) autofocus {EVIL}"  # breaks out of an unquoted value
    url = server.url + "/dashboard/login?next=" + quote(nxt, safe="")
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        assert r.status == 200
        page = assert_escaped(await r.text(), "Staff log in")
    assert ("value", nxt) in page.attrs


async def test_text_inside_a_plot_goes_through_autoescape(server):
    plot = line_plot(EVIL, {f"series {EVIL}": [0.5, None, 0.75]}, [f"#1{EVIL}", "#2", "#3"])
    macro = server.app[aiohttp_jinja2.APP_KEY].get_template("_plot.html").module.line_plot
    page = assert_escaped(str(macro(plot)), EVIL, f"series {EVIL}", f"#1{EVIL}")
    assert ("aria-label", EVIL) in page.attrs and "svg" in page.tags and "polyline" in page.tags


def test_every_template_ships_in_the_package():
    """An installed wheel has the templates: pyproject's package-data covers every file in templates/."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    globs = setuptools["package-data"]["server.dashboard"]
    folder = ROOT / "server" / "dashboard"
    files = [p.relative_to(folder).as_posix() for p in (folder / "templates").iterdir()]
    assert files and all(any(fnmatch.fnmatch(f, g) for g in globs) for f in files), (files, globs)
