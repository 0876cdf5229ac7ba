"""The scenario editor: open a scenario, edit its YAML (or the common parts in a form), save, see the flow,
dry-run it, see its history, publish it. Facilitators and admins only.

The source of truth for a scenario edited here is the database (storage/scenario_versions.py): every save is
a new version (who, when), linted on the server with the same checks as `peerspace scenario lint`. A scenario
is a draft until a version is published; publishing offers that version to rooms at once
(ScenarioRooms.publish), and at the next start it replaces the file of the same id (load_published). Export
gives a version's YAML as a file, import saves a file as a new version: the text is kept byte for byte, so
the two round-trip. See docs/scenarios.md, "Editing and publishing".

Every parse and file read runs in a worker thread and every store call through `store.aio`: a long scenario
never stalls the rooms.
"""

from __future__ import annotations

import asyncio
import difflib
import io
import json
import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from wire import events
from wire.errors import WireError

from ..appkeys import CFG, STORE, WORLD
from ..config import own_scenarios_dir
from ..scenarios.intents import ScenarioRooms
from ..scenarios.loader import Catalog, parse, read_catalog
from ..scenarios.model import Scenario
from ..scenarios.player import Player
from ..scenarios.schema import DIFFICULTIES, ID_RE, Problem
from .flow import flows
from .i18n import N_, _
from .views import Page, check_csrf, guarded, render

log = logging.getLogger("peerspace.dashboard.editor")

EDITORS = (events.FACILITATOR, events.ADMIN)
# characters: five times the longest shipped scenario, and its form post stays under the server's body limit
MAX_TEXT = 100_000
MAX_DRY_RUNS = 50  # dry runs kept in memory for the whole server (the oldest is dropped)
TEMPLATE = Path(__file__).parent / "data" / "new_scenario.yaml"
_ID = re.compile(ID_RE)
_ID_LINE = re.compile(r"^id:[ \t]*([^\s#]*)", re.M)


@dataclass
class DryRun:
    user_id: int
    scenario_id: str
    player: Player
    out: io.StringIO
    match: dict[str, Any] | None = None  # how the last typed answer was judged
    note: str = ""  # a refusal of the last step, in the runner's words


@dataclass
class EditorState:
    catalog: Catalog | None = None
    script: bytes | None = None
    dry_runs: OrderedDict[str, DryRun] = field(default_factory=OrderedDict)


EDITOR: web.AppKey[EditorState] = web.AppKey("scenario_editor", EditorState)


def editor_page(fn: Page) -> Any:
    """A dashboard page for facilitators and admins only."""

    async def page(request: web.Request, user: dict[str, Any]) -> web.StreamResponse:
        if user["role"] not in EDITORS:
            raise WireError("forbidden", _("Only facilitators and admins edit scenarios."))
        return await fn(request, user)

    return guarded(page)


def _rooms(request: web.Request) -> ScenarioRooms:
    rooms = request.app[WORLD].scenarios
    if rooms is None:
        raise WireError("not_found", _("Scenarios are not enabled on this server."))
    return rooms


def _sid(request: web.Request) -> str:
    sid = request.match_info["sid"]
    if not _ID.fullmatch(sid):
        raise WireError("not_found", _("There is no such scenario."))
    return sid


async def _catalog(request: web.Request) -> Catalog:
    state = request.app[EDITOR]
    if state.catalog is None:
        state.catalog = await asyncio.to_thread(read_catalog, own_scenarios_dir(request.app[CFG]))
    return state.catalog


async def check(
    request: web.Request, text: str, sid: str, draft: bool = False
) -> tuple[Scenario | None, list[Problem]]:
    """Lint a text as the scenario `sid` (off the loop): (the scenario, or None with errors; every problem)."""
    catalog = await _catalog(request)
    scenario, problems = await asyncio.to_thread(parse, text, f"{sid}.yaml", draft, catalog)
    if scenario is not None and scenario.id != sid:
        problems = problems + [
            Problem(
                f"{sid}.yaml",
                scenario.line_of("id"),
                _("the id must stay '%(id)s' (to make another scenario, start a new one as a copy of this)")
                % {"id": sid},
                _("the scenario's own id"),
                f"id: {sid}",
            )
        ]
        scenario = None
    return scenario, problems


async def current_text(request: web.Request, sid: str) -> tuple[str, dict[str, Any] | None]:
    """What the editor opens: the newest saved version, else the file the scenario was loaded from."""
    row = await request.app[STORE].aio.latest_scenario_version(sid)
    if row is not None:
        return str(row["text"]), row
    loaded = _rooms(request).scenarios.get(sid)
    text = await asyncio.to_thread(_read_file, loaded.file) if loaded is not None else None
    if text is None:
        raise WireError("not_found", _("There is no such scenario."))
    return text, None


def _read_file(path: str) -> str | None:
    """A loaded scenario's file text (None for one that came from the editor, or a file gone since)."""
    file = Path(path)
    return file.read_text(encoding="utf-8") if file.is_file() else None


def _form_text(form: Mapping[str, Any], name: str = "text") -> str:
    text = str(form.get(name, "")).replace("\r\n", "\n")  # a browser's textarea sends CRLF
    if len(text) > MAX_TEXT:
        raise WireError(
            "invalid", _("That text is too long (over %(max)d characters): split the scenario.") % {"max": MAX_TEXT}
        )
    return text


async def save_version(request: web.Request, user: dict[str, Any], sid: str, text: str) -> int | None:
    """Lint and keep a new version (None when the text is the same as the newest one: nothing to keep)."""
    store = request.app[STORE]
    latest = await store.aio.latest_scenario_version(sid)
    if latest is not None and latest["text"] == text:
        return None
    scenario, problems = await check(request, text, sid)
    errors = sum(1 for p in problems if p.severity == "error")
    version: int = await store.aio.save_scenario_version(
        sid, text, user["id"], time.time(), errors, scenario.content_hash if scenario else None
    )
    log.info("user %s saved scenario %s version %s (%d errors)", user["id"], sid, version, errors)
    return version


# --- the list, new, import --------------------------------------------------------------------------------------
@editor_page
async def scenario_list(request: web.Request, user: dict[str, Any]) -> web.Response:
    rooms = _rooms(request)
    edited = {r["scenario_id"]: r for r in await request.app[STORE].aio.edited_scenarios()}
    rows = []
    for sid in sorted(set(rooms.scenarios) | set(edited)):
        offered = rooms.scenarios.get(sid)
        e = edited.get(sid)
        rows.append(
            {
                "id": sid,
                "title": offered.title if offered else "",
                "offered": offered is not None,
                "source": "editor" if offered and offered.file.startswith("dashboard:") else "file",
                "versions": e["versions"] if e else 0,
                "draft": e is not None and e["latest"] != e["published_version"],
            }
        )
    return render(request, "scenarios.html", user, on="scenarios", scenarios=rows)


@editor_page
async def scenario_new(request: web.Request, user: dict[str, Any]) -> web.Response:
    """A new scenario from the template, or as a copy of another (its text with the new id)."""
    form = await request.post()
    check_csrf(request, form)
    sid = str(form.get("id", "")).strip()
    if not _ID.fullmatch(sid):
        raise WireError("invalid", _("A scenario id is lower-case letters, digits and '_', starting with a letter."))
    if sid in _rooms(request).scenarios or await request.app[STORE].aio.latest_scenario_version(sid) is not None:
        raise WireError("invalid", _("There is a scenario '%(id)s' already: choose another id.") % {"id": sid})
    source = str(form.get("from", "")) or "template"
    if source == "template":
        text = (await asyncio.to_thread(TEMPLATE.read_text, encoding="utf-8")).replace("__ID__", sid)
    else:
        if not _ID.fullmatch(source):
            raise WireError("not_found", _("There is no such scenario to copy."))
        text = _ID_LINE.sub(f"id: {sid}", (await current_text(request, source))[0], count=1)
    await save_version(request, user, sid, text)
    raise web.HTTPSeeOther(f"/dashboard/scenarios/{sid}")


@editor_page
async def scenario_import(request: web.Request, user: dict[str, Any]) -> web.Response:
    """A YAML file (e.g. one exported here) saved as a new version of the scenario its `id:` names."""
    form = await request.post()
    check_csrf(request, form)
    upload = form.get("file")
    raw = upload.file.read(MAX_TEXT * 4 + 1) if isinstance(upload, web.FileField) else b""
    try:
        text = raw.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise WireError("invalid", _("That file is not UTF-8 text: save it as UTF-8 and import it again.")) from None
    if not text.strip() or len(text) > MAX_TEXT:
        raise WireError("invalid", _("Choose a scenario file (.yaml) to import."))
    m = _ID_LINE.search(text)
    sid = m.group(1).strip("'\"") if m else ""
    if not _ID.fullmatch(sid):
        raise WireError(
            "invalid", _("The file has no 'id: ...' line at the start of a line, so it cannot be imported.")
        )
    await save_version(request, user, sid, text)
    raise web.HTTPSeeOther(f"/dashboard/scenarios/{sid}")


# --- the editor ------------------------------------------------------------------------------------------------
def numbered(text: str, problems: list[Problem]) -> list[dict[str, Any]]:
    """The text's lines, numbered from 1, each with the problems the linter found at it."""
    lines = text.split("\n")
    at: dict[int, list[Problem]] = {}
    for p in problems:
        at.setdefault(min(max(p.line, 1), len(lines)), []).append(p)
    return [{"n": i, "text": line, "problems": at.get(i, [])} for i, line in enumerate(lines, 1)]


@editor_page
async def scenario_edit(request: web.Request, user: dict[str, Any]) -> web.Response:
    sid = _sid(request)
    text, row = await current_text(request, sid)
    scenario, problems = await check(request, text, sid)
    offered = _rooms(request).scenarios.get(sid)
    resp = render(
        request,
        "scenario_edit.html",
        user,
        on="scenarios",
        sid=sid,
        text=text,
        version=row,
        valid=scenario is not None,
        errors=[p for p in problems if p.severity == "error"],
        warnings=[p for p in problems if p.severity == "warning"],
        listing=numbered(text, problems),
        offered=offered is not None and (row is None or offered.content_hash == row["content_hash"]),
        difficulties=scenario.difficulties if scenario else [],
    )
    resp.headers["Content-Security-Policy"] = EDITOR_CSP
    return resp


# The editor page alone runs one script, the app's own (editor.js); it may talk only to this server.
EDITOR_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "script-src 'self'; connect-src 'self'"
)
SCRIPT = Path(__file__).parent / "templates" / "editor.js"


async def editor_script(request: web.Request) -> web.Response:
    """The editor's live-check script (no user data in it; the same for everyone)."""
    state = request.app[EDITOR]
    if state.script is None:
        state.script = await asyncio.to_thread(SCRIPT.read_bytes)
    return web.Response(
        body=state.script,
        content_type="text/javascript",
        charset="utf-8",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


@editor_page
async def scenario_check(request: web.Request, user: dict[str, Any]) -> web.Response:
    """Lint a text without saving it (the editor's live check): {problems: [{line, message, ...}]}."""
    sid = _sid(request)
    form = await request.post()
    check_csrf(request, form)
    _scenario, problems = await check(request, _form_text(form), sid)
    keys = ("line", "message", "allowed", "example", "severity")
    return web.json_response(
        {"problems": [{k: getattr(p, k) for k in keys} for p in problems]}, headers={"Cache-Control": "no-store"}
    )


@editor_page
async def scenario_save(request: web.Request, user: dict[str, Any]) -> web.Response:
    sid = _sid(request)
    form = await request.post()
    check_csrf(request, form)
    await save_version(request, user, sid, _form_text(form))
    raise web.HTTPSeeOther(f"/dashboard/scenarios/{sid}#problems")


@editor_page
async def scenario_publish(request: web.Request, user: dict[str, Any]) -> web.Response:
    """Offer a saved version to rooms now: new runs start it; runs in progress keep the version they started."""
    sid = _sid(request)
    form = await request.post()
    check_csrf(request, form)
    store = request.app[STORE]
    try:
        row = await store.aio.scenario_version(int(str(form.get("version", ""))))
    except ValueError:
        row = None
    if row is None or row["scenario_id"] != sid:
        raise WireError("not_found", _("There is no such version of this scenario."))
    scenario, problems = await check(request, row["text"], sid)
    if scenario is None:
        n = sum(1 for p in problems if p.severity == "error")
        raise WireError(
            "invalid",
            _("This version has %(n)d error(s): fix them and save before publishing.") % {"n": n},
        )
    scenario.file = f"dashboard:{sid}@v{row['id']}"
    await store.aio.publish_scenario_version(row["id"], user["id"], time.time())
    _rooms(request).publish(scenario)
    log.info("user %s published scenario %s version %s", user["id"], sid, row["id"])
    raise web.HTTPSeeOther(f"/dashboard/scenarios/{sid}")


# --- the structured form: the common texts, written back into the YAML ---------------------------------------
FORM_FIELDS = {
    "title": N_("Title"),
    "summary": N_("Summary"),
    "name": N_("Name"),
    "text": N_("Text"),
    "praise": N_("Praise"),
    "tip": N_("Tip"),
    "say": N_("Says"),
    "hint": N_("Hint"),
    "assignment": N_("Homework"),
    "positive": N_("Positive feedback"),
    "corrective": N_("Corrective feedback"),
}
Path_ = tuple[str | int, ...]


def _scalars(node: yaml.Node | None, path: Path_ = ()) -> list[tuple[Path_, yaml.ScalarNode]]:
    """Every plain text value in the composed YAML, with its path (keys and list positions)."""
    out: list[tuple[Path_, yaml.ScalarNode]] = []
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                if isinstance(v, yaml.ScalarNode):
                    out.append(((*path, k.value), v))
                else:
                    out += _scalars(v, (*path, k.value))
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out += _scalars(v, (*path, i))
    return out


def _field(path: Path_) -> tuple[str, str] | None:
    """(the field's key, its difficulty or '') when the form offers the text at `path`, else None."""
    key, by = path[-1], ""
    if key in (*DIFFICULTIES, "default") and len(path) > 1:  # a text that varies by difficulty
        key, by = path[-2], str(path[-1])
    if not isinstance(key, str) or key not in FORM_FIELDS:
        return None
    if key in ("title", "summary") and len(path) > 1 and path[0] != "phases":
        return None  # an ending's title stays in the YAML: the form shows the scenario's own
    return key, by


def form_fields(text: str) -> list[dict[str, Any]]:
    """The texts the form offers: title, summary, cast names, skill steps, lines, what nodes say, options,
    hints, feedback and homework (each difficulty's, where they differ); each with its path, its value and
    the line it is on."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    fields = []
    for path, node in _scalars(root):
        found = _field(path)
        if found is None or node.tag != "tag:yaml.org,2002:str":
            continue
        key, by = found
        where = " › ".join(str(p + 1) if isinstance(p, int) else p for p in path[: -2 if by else -1])
        label = f"{where} › {_(FORM_FIELDS[key])}" if where else _(FORM_FIELDS[key])
        fields.append(
            {
                "name": "f." + ".".join(map(str, path)),
                "label": f"{label} ({by})" if by else label,
                "value": node.value,
                "line": node.start_mark.line + 1,
                "long": key in ("summary", "assignment") or len(node.value) > 60,
            }
        )
    return fields


def write_back(text: str, values: Mapping[str, str]) -> str:
    """The text with the form's changed values put in place of the old ones (as double-quoted YAML, which
    needs no thought about commas or colons); every other character, comments included, stays as it was."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    edits = []
    for path, node in _scalars(root):
        name = "f." + ".".join(map(str, path))
        new = values.get(name)
        if new is None or _field(path) is None or " ".join(new.split()) == " ".join(node.value.split()):
            continue
        quoted = json.dumps(" ".join(new.split()), ensure_ascii=False)
        edits.append((node.start_mark.index, node.end_mark.index, quoted))
    for start, end, quoted in sorted(edits, reverse=True):
        text = text[:start] + quoted + text[end:]
    return text


@editor_page
async def scenario_form(request: web.Request, user: dict[str, Any]) -> web.Response:
    sid = _sid(request)
    text, row = await current_text(request, sid)
    try:
        fields = await asyncio.to_thread(form_fields, text)
    except yaml.YAMLError:
        raise WireError("invalid", _("The YAML has a syntax error: fix it in the text editor first.")) from None
    return render(request, "scenario_form.html", user, on="scenarios", sid=sid, fields=fields, version=row)


@editor_page
async def scenario_form_save(request: web.Request, user: dict[str, Any]) -> web.Response:
    sid = _sid(request)
    form = await request.post()
    check_csrf(request, form)
    text, _row = await current_text(request, sid)
    values = {k: str(v).replace("\r\n", "\n") for k, v in form.items() if k.startswith("f.")}
    try:
        new = await asyncio.to_thread(write_back, text, values)
    except yaml.YAMLError:
        raise WireError("invalid", _("The YAML has a syntax error: fix it in the text editor first.")) from None
    await save_version(request, user, sid, new)
    raise web.HTTPSeeOther(f"/dashboard/scenarios/{sid}#problems")


# --- the flow -----------------------------------------------------------------------------------------------------
@editor_page
async def scenario_flow(request: web.Request, user: dict[str, Any]) -> web.Response:
    sid = _sid(request)
    text, row = await current_text(request, sid)
    scenario, problems = await check(request, text, sid, draft=True)  # a draft's broken links show as missing nodes
    graphs = await asyncio.to_thread(flows, scenario) if scenario is not None else []
    return render(
        request,
        "scenario_flow.html",
        user,
        on="scenarios",
        sid=sid,
        version=row,
        flows=graphs,
        errors=[p for p in problems if p.severity == "error"],
    )


# --- the dry run ------------------------------------------------------------------------------------------------
ROUTES = {"choice": "auto", "answer_held": "unsure", "no_match": "far"}


def _judged(events_after: list[dict[str, Any]]) -> dict[str, Any] | None:
    """How the matcher judged the typed answer, from the events the step wrote: its confidence and route."""
    for e in events_after:
        data = e["data"]
        if "confidence" not in data:
            continue
        route = ROUTES.get(e["kind"]) or str(data.get("reason") or e["kind"])
        return {
            "route": route,
            "confidence": data["confidence"],
            "score": data.get("score"),
            "option": data.get("option") or data.get("chosen") or "",
            "signals": data.get("signals") or [],
        }
    return None


def _dry_run(request: web.Request, user: dict[str, Any], sid: str) -> tuple[str, DryRun]:
    key = request.match_info["key"]
    dry = request.app[EDITOR].dry_runs.get(key)
    if dry is None or dry.user_id != user["id"] or dry.scenario_id != sid:
        raise WireError("not_found", _("That dry run has ended. Start a new one from the scenario's page."))
    return key, dry


@editor_page
async def dry_run_start(request: web.Request, user: dict[str, Any]) -> web.Response:
    sid = _sid(request)
    form = await request.post()
    check_csrf(request, form)
    text, _row = await current_text(request, sid)
    scenario, problems = await check(request, text, sid)
    if scenario is None:
        raise WireError("invalid", _("This version has errors: fix them before a dry run."))
    difficulty = str(form.get("difficulty", ""))
    out = io.StringIO()
    player = Player(scenario, difficulty, out, width=10_000, name=user["name"])  # refuses an unknown difficulty
    out.write(f"{scenario.title} — {scenario.data['difficulty'][difficulty]['label']}\n")
    player.show(player.run.start())
    player.print_state()
    runs = request.app[EDITOR].dry_runs
    key = secrets.token_urlsafe(12)
    runs[key] = DryRun(user["id"], sid, player, out)
    while len(runs) > MAX_DRY_RUNS:
        runs.popitem(last=False)
    raise web.HTTPSeeOther(f"/dashboard/scenarios/{sid}/try/{key}")


@editor_page
async def dry_run_page(request: web.Request, user: dict[str, Any]) -> web.Response:
    sid = _sid(request)
    key, dry = _dry_run(request, user, sid)
    run = dry.player.run
    view = run.view()
    return render(
        request,
        "scenario_try.html",
        user,
        on="scenarios",
        sid=sid,
        key=key,
        transcript=[line for line in dry.out.getvalue().split("\n") if line.strip()],
        view=view,
        finished=run.finished,
        difficulty=run.difficulty,
        match=dry.match,
        note=dry.note,
    )


@editor_page
async def dry_run_step(request: web.Request, user: dict[str, Any]) -> web.Response:
    """One step: an option picked, or the participant's own words through the same matcher as in a room."""
    sid = _sid(request)
    form = await request.post()
    check_csrf(request, form)
    key, dry = _dry_run(request, user, sid)
    player, run = dry.player, dry.player.run
    store = player.store
    seen = len(store.events)
    dry.note, dry.match = "", None
    option, text = str(form.get("option", "")), " ".join(str(form.get("text", "")).split())[:500]
    try:
        if form.get("coach") == "next":
            player.show(run.advance(actor="coach"))
        elif form.get("coach") == "stop":
            player.show(run.stop(actor="coach"))
        elif option:
            player.show(run.choose(option, actor="participant"))
        else:
            player.show(run.answer(text, actor="participant"))
            dry.match = _judged(store.events[seen:])
    except WireError as e:
        dry.note = e.message
    if not run.finished:
        player.print_state()
    raise web.HTTPSeeOther(f"/dashboard/scenarios/{sid}/try/{key}")


# --- history, diff, export ------------------------------------------------------------------------------------
@editor_page
async def scenario_history(request: web.Request, user: dict[str, Any]) -> web.Response:
    sid = _sid(request)
    versions = await request.app[STORE].aio.scenario_versions(sid)
    if not versions and sid not in _rooms(request).scenarios:
        raise WireError("not_found", _("There is no such scenario."))
    offered = _rooms(request).scenarios.get(sid)
    playing = offered.file if offered else ""
    return render(request, "scenario_history.html", user, on="scenarios", sid=sid, versions=versions, playing=playing)


async def _version_text(request: web.Request, sid: str, which: str) -> tuple[str, str]:
    """(label, text) of a version id, or of the file the scenario was loaded from ('file')."""
    if which == "file":  # the file it was loaded from, also after a published version replaced it
        rooms = _rooms(request)
        files = [s.file for s in (rooms.scenarios.get(sid), *rooms.replaced.values()) if s and s.id == sid]
        found = next((f for f in files if not f.startswith("dashboard:")), None)
        text = await asyncio.to_thread(_read_file, found) if found else None
        return _("file"), text or ""
    row = await request.app[STORE].aio.scenario_version(int(which)) if which.isdigit() else None
    if row is None or row["scenario_id"] != sid:
        raise WireError("not_found", _("There is no such version of this scenario."))
    return _("version %(id)d") % {"id": row["id"]}, str(row["text"])


@editor_page
async def scenario_diff(request: web.Request, user: dict[str, Any]) -> web.Response:
    sid = _sid(request)
    a_label, a = await _version_text(request, sid, request.query.get("a", "file"))
    b_label, b = await _version_text(request, sid, request.query.get("b", ""))
    lines = []
    for i, line in enumerate(difflib.unified_diff(a.split("\n"), b.split("\n"), a_label, b_label, lineterm="", n=3)):
        if i < 2:  # the '--- a' and '+++ b' header lines
            kind = "hunk"
        else:
            kind = "hunk" if line.startswith("@@") else "add" if line[:1] == "+" else "del" if line[:1] == "-" else ""
        lines.append({"kind": kind, "text": line})
    return render(request, "scenario_diff.html", user, on="scenarios", sid=sid, a=a_label, b=b_label, lines=lines)


@editor_page
async def scenario_export(request: web.Request, user: dict[str, Any]) -> web.Response:
    sid = _sid(request)
    which = request.query.get("version", "")
    text = (await _version_text(request, sid, which))[1] if which else (await current_text(request, sid))[0]
    return web.Response(
        body=text.encode("utf-8"),
        content_type="application/yaml",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{sid}.yaml"', "Cache-Control": "no-store"},
    )


def add_routes(app: web.Application) -> None:
    app[EDITOR] = EditorState()
    r = app.router
    r.add_get("/dashboard/scenarios", scenario_list)
    r.add_get("/dashboard/editor.js", editor_script)
    r.add_post("/dashboard/scenarios/new", scenario_new)
    r.add_post("/dashboard/scenarios/import", scenario_import)
    sid = r"/dashboard/scenarios/{sid:[a-z][a-z0-9_]{0,47}}"
    r.add_get(sid, scenario_edit)
    r.add_post(sid, scenario_save)
    r.add_post(sid + "/check", scenario_check)
    r.add_post(sid + "/publish", scenario_publish)
    r.add_get(sid + "/form", scenario_form)
    r.add_post(sid + "/form", scenario_form_save)
    r.add_get(sid + "/flow", scenario_flow)
    r.add_post(sid + "/try", dry_run_start)
    r.add_get(sid + "/try/{key}", dry_run_page)
    r.add_post(sid + "/try/{key}", dry_run_step)
    r.add_get(sid + "/history", scenario_history)
    r.add_get(sid + "/diff", scenario_diff)
    r.add_get(sid + "/export", scenario_export)
