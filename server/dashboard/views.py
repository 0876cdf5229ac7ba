"""Dashboard pages. Every handler: who is asking -> may they -> render. Names are pseudonyms."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from html import escape
from urllib.parse import quote

from aiohttp import web

from wire import events
from wire.errors import WireError

from ..auth import Throttled
from ..http_api import COOKIE, client_address, user_from_request
from ..records import access
from ..records import fidelity as fid
from ..records.replay import transcript
from ..safety.store import SafetyStore
from .svg import line_plot
from ..appkeys import ACCOUNTS, CFG, RECORDS, SAFETY, STORE, TOKENS, WORLD

log = logging.getLogger("peerspace.dashboard")

LOGIN_COOKIE = "ps_login"     # a random nonce set with the login form: the login form's CSRF token is bound to it
CSS = """
:root { --ink:#23303a; --muted:#5d6b75; --bg:#f5f2ec; --card:#fffdf9; --line:#dcd5ca; --accent:#3b6e8f;
        --ok:#4f7f52; --warn:#a4572d; }
* { box-sizing: border-box; }
body { margin:0; font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink);
       background:var(--bg); }
header { background:#dfe8ec; border-bottom:1px solid var(--line); padding:12px 28px; display:flex;
         align-items:center; gap:28px; }
header .brand { font-weight:600; font-size:19px; color:var(--accent); }
header nav a { margin-right:18px; color:var(--ink); text-decoration:none; padding:4px 2px; }
header nav a.on { border-bottom:3px solid var(--accent); }
header .me { margin-left:auto; color:var(--muted); }
header form { display:inline; }
main { max-width:1080px; margin:0 auto; padding:22px 28px 48px; }
h1 { font-size:26px; font-weight:600; margin:8px 0 18px; }
h2 { font-size:20px; font-weight:600; margin:28px 0 10px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 20px; margin:12px 0; }
table { border-collapse:collapse; width:100%; background:var(--card); border:1px solid var(--line); border-radius:10px; }
th, td { text-align:left; padding:9px 12px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-weight:600; color:var(--muted); font-size:15px; }
tr:last-child td { border-bottom:none; }
a { color:var(--accent); }
.muted { color:var(--muted); }
.done { color:var(--ok); font-weight:600; }
.missing { color:var(--warn); font-weight:600; }
.pill { display:inline-block; padding:1px 10px; border-radius:12px; background:#e6eef2; font-size:14px; }
.pill.alert { background:#f6e1d6; color:#7a3a17; }
button, .button { font:inherit; background:var(--accent); color:white; border:none; border-radius:8px;
                  padding:8px 16px; cursor:pointer; text-decoration:none; display:inline-block; }
button.quiet { background:#e6eef2; color:var(--ink); }
button.danger { background:#9b3f2a; }
input { font:inherit; padding:8px 10px; border:1px solid var(--line); border-radius:8px; width:100%; }
label { display:block; margin:12px 0 4px; }
.login { max-width:380px; margin:80px auto; }
.error { background:#f6e1d6; border:1px solid #e0b9a3; border-radius:8px; padding:10px 14px; }
.plots { display:flex; flex-wrap:wrap; gap:16px; }
.plot { background:var(--card); border:1px solid var(--line); border-radius:10px; }
.plot .grid { stroke:#e6e0d6; } .plot .axis { font-size:12px; fill:#5d6b75; }
.plot .plot-title { font-size:14px; font-weight:600; fill:#23303a; }
.said .who { font-weight:600; } .said .t { color:var(--muted); font-size:14px; }
"""


class Denied(Exception):
    pass


# --- plumbing --------------------------------------------------------------------------------
def csrf_for(request: web.Request, cookie: str = COOKIE, value: str | None = None) -> str:
    """A form's CSRF token: an HMAC of a cookie that a cross-site page can neither read nor make the
    browser send (HttpOnly, SameSite=Strict). `value` stands in for a cookie set by this same response."""
    token = value if value is not None else request.cookies.get(cookie, "")
    return hmac.new(request.app[TOKENS].secret, f"csrf:{cookie}:".encode() + token.encode(),
                    hashlib.sha256).hexdigest()[:32]


def page(request, user: dict | None, title: str, body: str, status: int = 200, on: str = "") -> web.Response:
    nav = ""
    if user is not None:
        links = [("rooms", "/dashboard", "Rooms now"), ("sessions", "/dashboard/sessions", "Sessions"),
                 ("people", "/dashboard/people", "Participants"), ("safety", "/dashboard/safety", "Safety")]
        nav = "<nav>" + "".join(f'<a href="{h}" class="{"on" if k == on else ""}">{t}</a>' for k, h, t in links) + "</nav>"
        nav += (f'<span class="me">{escape(user["name"])} · {escape(user["role"].replace("_", " "))}</span>'
                f'<form method="post" action="/dashboard/logout"><input type="hidden" name="csrf" '
                f'value="{csrf_for(request)}"><button class="quiet">Log out</button></form>')
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} · peerspace</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>'
            f'<body><header><span class="brand">peerspace</span>{nav}</header><main>{body}</main></body></html>')
    return web.Response(text=html, content_type="text/html", status=status,
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                            "img-src 'self' data:; form-action 'self'"})


async def staff_user(request: web.Request) -> dict:
    try:
        user = await user_from_request(request)
    except WireError:
        raise web.HTTPSeeOther("/dashboard/login?next=" + quote(request.path_qs, safe=""))
    if user["role"] not in access.DASHBOARD:
        raise Denied(user)
    return user


def guarded(fn):
    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            user = await staff_user(request)
            return await fn(request, user)
        except Denied as d:
            user = d.args[0]
            log.info("dashboard refused for user %s (%s)", user["id"], user["role"])
            return page(request, None, "Not available",
                        '<div class="card"><h1>This page is for staff</h1><p>Your account cannot see the '
                        'dashboard. If you think this is wrong, please ask a facilitator.</p></div>', status=403)
        except WireError as e:
            status = {"not_found": 404, "forbidden": 403, "invalid": 400}.get(e.code, 400)
            return page(request, user, "Not available", f'<div class="card">{escape(e.message)}</div>', status=status)
    return handler


def when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "—"


def pct(v: float | None) -> str:
    return "—" if v is None else f"{round(100 * v)}%"


def check_csrf(request: web.Request, form, cookie: str = COOKIE) -> None:
    if not request.cookies.get(cookie) or \
            not hmac.compare_digest(str(form.get("csrf", "")).encode(), csrf_for(request, cookie).encode()):
        raise WireError("forbidden", "This form has expired. Please go back, reload the page and try again.")


# --- login / logout -----------------------------------------------------------------------------
def login_form(csrf: str, error: str = "", nxt: str = "/dashboard") -> str:
    err = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return (f'<div class="login card"><h1>Staff log in</h1>{err}'
            f'<form method="post" action="/dashboard/login"><input type="hidden" name="next" value="{escape(nxt)}">'
            f'<input type="hidden" name="csrf" value="{csrf}">'
            f'<label for="name">Name</label><input id="name" name="name" autocomplete="username" required>'
            f'<label for="password">Password</label><input id="password" name="password" type="password" '
            f'autocomplete="current-password" required><p><button id="login" type="submit">Log in</button></p>'
            f'</form></div>')


def login_response(request: web.Request, nxt: str, error: str = "", status: int = 200,
                   retry_after: int | None = None) -> web.Response:
    """The login form, bound to a login nonce cookie (kept if the browser has one, else a new one)."""
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(18)
    resp = page(request, None, "Log in", login_form(csrf_for(request, LOGIN_COOKIE, nonce), error, nxt), status=status)
    resp.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="Strict", secure=request.secure,
                    path="/dashboard/login")
    if retry_after is not None:
        resp.headers["Retry-After"] = str(retry_after)
    return resp


async def login_page(request: web.Request) -> web.Response:
    nxt = request.query.get("next", "/dashboard")
    return login_response(request, nxt if nxt.startswith("/dashboard") and "//" not in nxt else "/dashboard")


async def login_post(request: web.Request) -> web.Response:
    form = await request.post()
    nxt = str(form.get("next", "/dashboard"))
    nxt = nxt if nxt.startswith("/dashboard") and "//" not in nxt else "/dashboard"
    try:
        check_csrf(request, form, LOGIN_COOKIE)     # a cross-site page cannot log a browser into its own account
        user = await request.app[ACCOUNTS].login(str(form.get("name", "")), str(form.get("password", "")),
                                                   client_address(request))
    except WireError as e:
        if not isinstance(e, Throttled):
            log.info("dashboard login refused: %s", e.code)
        status = {"forbidden": 403, "rate_limited": 429}.get(e.code, 401)
        return login_response(request, nxt, e.message, status,
                              retry_after=e.retry_after if isinstance(e, Throttled) else None)
    if user["role"] not in access.DASHBOARD:
        log.info("dashboard login refused for role %s", user["role"])
        return login_response(request, nxt, "The dashboard is for staff accounts.", 403)
    resp = web.HTTPSeeOther(nxt)
    # Secure when served over TLS (behind a TLS-terminating proxy, request.secure is False: see docs/dashboard.md)
    resp.set_cookie(COOKIE, request.app[TOKENS].issue(user), httponly=True, samesite="Strict", path="/",
                    secure=request.secure, max_age=int(request.app[CFG].token_ttl))
    resp.del_cookie(LOGIN_COOKIE, path="/dashboard/login")
    log.info("dashboard login: user %s", user["id"])
    raise resp


async def logout(request: web.Request) -> web.Response:
    """Log out: every session of this account ends at once (the cookie is no longer accepted anywhere)."""
    form = await request.post()
    if request.cookies.get(COOKIE):
        try:
            check_csrf(request, form)
        except WireError:
            raise web.HTTPSeeOther("/dashboard")
        try:
            user = await user_from_request(request)
        except WireError:
            user = None                  # already ended: just drop the cookie
        if user is not None:
            await request.app[STORE].aio.revoke_sessions(user["id"], "logout")
            log.info("dashboard logout: user %s", user["id"])
    resp = web.HTTPSeeOther("/dashboard/login")
    resp.del_cookie(COOKIE, path="/")
    raise resp


# --- pages ------------------------------------------------------------------------------------------
@guarded
async def rooms_now(request: web.Request, user: dict) -> web.Response:
    world, store = request.app[WORLD], request.app[STORE]
    safety = request.app[SAFETY]
    staff_id = access.scope_of(user)
    alerts = await store.aio.apply(safety.db.alerts, None, 500, staff_id)
    open_by_room: dict[str, int] = {}
    for a in alerts:
        if a["status"] == "open":
            open_by_room[a["room_id"]] = open_by_room.get(a["room_id"], 0) + 1
    shown = list(world.rooms.values())
    if staff_id is not None:
        # a peer specialist sees their groups' rooms, the rooms where someone they look after is now, and
        # those with an open alert about one of them
        scope = await store.aio.staff_scope(staff_id)
        groups = set(await store.aio.groups_of(staff_id))
        shown = [room for room in shown if room.group_id in groups or room.id in open_by_room
                 or any(uid in scope for uid in room.members)]
    rows = []
    for room in shown:
        people = list(room.members.values())
        staff = [m.user["name"] for m in people if m.user["role"] in events.STAFF]
        paused = sum(1 for uid, rid in safety.paused.items() if rid == room.id)
        n_open = open_by_room.get(room.id, 0)
        alert = f'<span class="pill alert">{n_open} open</span>' if n_open else '<span class="muted">none</span>'
        rows.append(f"<tr><td>{escape(room.name)}<div class='muted'>{escape(room.id)}</div></td>"
                    f"<td>{escape(room.scene)}</td><td>{len(people)} / {room.capacity}</td>"
                    f"<td>{escape(', '.join(staff)) or '<span class=muted>nobody</span>'}</td>"
                    f"<td>{paused or ''}</td><td>{alert}</td></tr>")
    table = ("<table id='rooms'><tr><th>Room</th><th>Scene</th><th>People</th><th>Staff present</th>"
             "<th>Paused</th><th>Safety alerts</th></tr>" + "".join(rows) + "</table>") if rows else \
        "<div class='card muted'>No rooms you can see.</div>"
    return page(request, user, "Rooms now", f"<h1>Rooms now</h1>{table}", on="rooms")


async def _run_row(store, run: dict, users: dict[int, str]) -> str:
    f = fid.fidelity(await store.aio.run_events(run["id"]))
    who = users.get(run["participant_user_id"], "—")
    return (f"<tr><td><a href='/dashboard/sessions/{run['id']}'>#{run['id']}</a></td>"
            f"<td>{escape(run['scenario_id'])}</td><td>{escape(run['difficulty'])}</td><td>{escape(who)}</td>"
            f"<td>{when(run['started'])}</td><td>{escape(run['status'])}</td><td>{f['done']} / {f['total']}</td></tr>")


@guarded
async def sessions(request: web.Request, user: dict) -> web.Response:
    store = request.app[STORE]
    users = {u["id"]: u["name"] for u in await store.aio.list_users()}
    runs = list(reversed(await access.visible_runs(store, user, limit=300)))
    rows = "".join([await _run_row(store, r, users) for r in runs])
    body = ("<h1>Sessions</h1>" + ("<table id='sessions'><tr><th>Session</th><th>Scenario</th><th>Difficulty</th>"
            "<th>Participant</th><th>Started</th><th>Status</th><th>Fidelity</th></tr>" + rows + "</table>"
            if rows else "<div class='card muted'>No sessions you can see yet.</div>"))
    return page(request, user, "Sessions", body, on="sessions")


@guarded
async def session_detail(request: web.Request, user: dict) -> web.Response:
    store = request.app[STORE]
    run = await access.run_or_404(store, user, int(request.match_info["run"]))
    evs = await store.aio.run_events(run["id"])
    s = fid.summary(run, evs)
    who = await store.aio.get_user(run["participant_user_id"]) if run["participant_user_id"] else None
    f = s["fidelity"]
    steps = "".join(f"<tr><td>{escape(st['label'])}</td><td class='{'done' if st['done'] else 'missing'}'>"
                    f"{'done' if st['done'] else 'not seen'}</td><td class='muted'>{escape(st['source'] or '')}</td></tr>"
                    for st in f["steps"])
    order = "in protocol order" if f["in_order"] else "not in protocol order"
    skills = "".join(f"<tr><td>{escape(k)}</td><td>{v:.1f} / {s['skills']['max']}</td></tr>"
                     for k, v in sorted(s["skills"]["steps"].items()))
    em = s["emotion"]
    em_rows = "".join(f"<tr><td>{escape(k)}</td><td>{v['correct']} / {v['total']}</td></tr>"
                      for k, v in em["by_emotion"].items())
    lines = []
    for e in await store.aio.apply(transcript, store, run):
        if e["kind"] in ("said", "feedback", "phase", "tag", "homework"):
            d = e["data"]
            if e["kind"] == "said":
                text = escape(d.get("text", ""))
                who_ = escape(e["actor"] or d.get("cast", ""))
            elif e["kind"] == "phase":
                who_, text = "—", f"<em>phase: {escape(str(d.get('kind')))}</em>"
            elif e["kind"] == "tag":
                who_, text = escape(e["actor"] or ""), f"<em>tagged: {escape(str(d.get('step')))}</em>"
            elif e["kind"] == "feedback":
                who_, text = escape(e["actor"] or "coach"), f"<em>{escape(str(d.get('kind')))} feedback:</em> {escape(d.get('text', ''))}"
            else:
                who_, text = "—", f"<em>homework:</em> {escape(str(d.get('text', '')))}"
            lines.append(f"<tr class='said'><td class='t'>{time.strftime('%H:%M:%S', time.localtime(e['ts']))}</td>"
                         f"<td class='who'>{who_}</td><td>{text}</td></tr>")
    frames = await store.aio.pose_frame_count(run["id"])
    body = (f"<h1>Session #{run['id']}: {escape(run['scenario_id'])}</h1>"
            f"<div class='card'>Participant: <strong>{escape(who['name']) if who else '—'}</strong> · "
            f"difficulty {escape(run['difficulty'])} · started {when(run['started'])} · {escape(run['status'])}"
            f"{' · homework set' if s['homework'] else ''}</div>"
            f"<h2>Fidelity: {f['done']} of {f['total']} protocol steps, {order}</h2>"
            f"<table id='fidelity'><tr><th>Step</th><th>Seen</th><th>From</th></tr>{steps}</table>"
            f"<h2>Skill-step scores (mean {pct(s['skills']['percent'])})</h2>"
            + (f"<table id='skills'><tr><th>Step</th><th>Score</th></tr>{skills}</table>" if skills
               else "<div class='card muted'>No skill steps were rated in this session.</div>")
            + (f"<h2>Emotion recognition: {em['correct']} of {em['total']} ({pct(em['accuracy'])})</h2>"
               f"<table><tr><th>Emotion shown</th><th>Named correctly</th></tr>{em_rows}</table>" if em["total"] else "")
            + "<h2>Transcript</h2>"
            + (f"<table id='transcript'>{''.join(lines)}</table>" if lines
               else "<div class='card muted'>Nothing was recorded (recording needs the participant's consent).</div>")
            + f"<h2>Replay</h2><div class='card'>{frames} pose samples recorded. "
            + (f"Open it in the 3D client's replay mode (session {run['id']}), or "
               f"<a href='/api/runs/{run['id']}/replay'>download the track</a>." if frames
               else "No replay (recorded only with the participant's consent).") + "</div>")
    return page(request, user, f"Session {run['id']}", body, on="sessions")


@guarded
async def people(request: web.Request, user: dict) -> web.Response:
    store = request.app[STORE]
    rows = []
    for u in await access.visible_people(store, user):     # one indexed query, off the event loop
        banned = " <span class='pill alert'>paused account</span>" if (u["banned_until"] or 0) > time.time() else ""
        rows.append(f"<tr><td><a href='/dashboard/people/{u['id']}'>{escape(u['name'])}</a>{banned}</td>"
                    f"<td>{u['sessions']}</td><td>{when(u['created'])}</td></tr>")
    body = "<h1>Participants</h1>" + ("<table id='people'><tr><th>Name</th><th>Sessions</th><th>Joined</th></tr>"
                                      + "".join(rows) + "</table>" if rows
                                      else "<div class='card muted'>No participants you can see yet.</div>")
    return page(request, user, "Participants", body, on="people")


async def _person_or_404(request, user) -> dict:
    store = request.app[STORE]
    pid = int(request.match_info["person"])
    person = await store.aio.get_user(pid)
    if person is None or person["role"] != events.PARTICIPANT or not await access.can_see_person(store, user, pid):
        raise WireError("not_found", "There is no such participant you can see.")
    return person


@guarded
async def person(request: web.Request, user: dict) -> web.Response:
    store = request.app[STORE]
    p = await _person_or_404(request, user)
    runs = await access.visible_runs(store, user, participant_id=p["id"])
    sums = [fid.summary(r, await store.aio.run_events(r["id"])) for r in runs]
    labels = [f"#{s['run']}" for s in sums]
    plots = [line_plot("Session fidelity", {"fidelity": [s["fidelity"]["score"] for s in sums]}, labels),
             line_plot("Skill-step scores", {"mean score": [s["skills"]["percent"] for s in sums]}, labels),
             line_plot("Emotion recognition", {"accuracy": [s["emotion"]["accuracy"] for s in sums]}, labels)]
    qs = request.app[RECORDS].questionnaires
    answers = await store.aio.apply(qs.of_user, p["id"])
    q_rows = []
    for qid, d in qs.defs.items():
        mine = [a for a in answers if a["questionnaire"] == qid]
        pre = next((a["score"] for a in mine if a["phase"] == "pre"), None)
        post = next((a["score"] for a in reversed(mine) if a["phase"] == "post"), None)
        better = "lower is better" if d["lower_is_better"] else "higher is better"
        fmt = lambda v: "—" if v is None else f"{v:.1f}"
        q_rows.append(f"<tr><td>{escape(d['title'])}</td><td>{fmt(pre)}</td><td>{fmt(post)}</td>"
                      f"<td class='muted'>{better} ({d['scale']['min']}–{d['scale']['max']})</td></tr>")
        if mine:
            plots.append(line_plot(d["title"], {"score": [a["score"] for a in mine]},
                                   [a["phase"] for a in mine], y_max=d["scale"]["max"], percent=False))
    rows = "".join(f"<tr><td><a href='/dashboard/sessions/{s['run']}'>#{s['run']}</a></td><td>{escape(s['scenario'])}</td>"
                   f"<td>{when(s['started'])}</td><td>{pct(s['fidelity']['score'])}</td><td>{pct(s['skills']['percent'])}</td>"
                   f"<td>{pct(s['emotion']['accuracy'])}</td></tr>" for s in sums)
    admin = ""
    if user["role"] == events.ADMIN:
        admin = (f"<h2>Records</h2><div class='card'><p>{escape(p['name'])} can export or delete their own records; "
                 f"you can do it for them here.</p><p><a class='button' id='export' "
                 f"href='/dashboard/people/{p['id']}/export'>Export all records (JSON)</a></p>"
                 f"<form method='post' action='/dashboard/people/{p['id']}/delete'>"
                 f"<input type='hidden' name='csrf' value='{csrf_for(request)}'>"
                 f"<label for='confirm'>To delete this person and every record about them, type their name:</label>"
                 f"<input id='confirm' name='confirm' autocomplete='off'>"
                 f"<p><button class='danger' id='delete'>Delete everything</button></p></form></div>")
    body = (f"<h1>{escape(p['name'])}</h1><h2>Progress over sessions</h2><div class='plots'>{''.join(plots)}</div>"
            f"<h2>Self-report</h2><table id='questionnaires'><tr><th>Questionnaire</th><th>Before</th><th>After</th>"
            f"<th></th></tr>{''.join(q_rows)}</table>"
            f"<h2>Sessions</h2>" + (f"<table><tr><th>Session</th><th>Scenario</th><th>Date</th><th>Fidelity</th>"
                                    f"<th>Skills</th><th>Emotions</th></tr>{rows}</table>" if rows
                                    else "<div class='card muted'>No sessions yet.</div>") + admin)
    return page(request, user, p["name"], body, on="people")


@guarded
async def person_export(request: web.Request, user: dict) -> web.Response:
    if user["role"] != events.ADMIN:
        raise WireError("forbidden", "Only an admin can export someone else's records.")
    p = await _person_or_404(request, user)
    data = await request.app[STORE].aio.export_user(p["id"])
    log.info("admin %s exported the records of user %s", user["id"], p["id"])
    return web.Response(text=json.dumps(data, default=str), content_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="peerspace-{p["id"]}.json"',
                                 "Cache-Control": "no-store"})


@guarded
async def person_delete(request: web.Request, user: dict) -> web.Response:
    if user["role"] != events.ADMIN:
        raise WireError("forbidden", "Only an admin can delete someone's records.")
    form = await request.post()
    check_csrf(request, form)
    p = await _person_or_404(request, user)
    if str(form.get("confirm", "")).strip() != p["name"]:
        raise WireError("invalid", "The name did not match, so nothing was deleted.")
    await request.app[WORLD].forget_user(p["id"])
    log.info("admin %s deleted user %s and their records", user["id"], p["id"])
    return page(request, user, "Deleted", "<div class='card'><h1>Deleted</h1><p>The account and every record "
                "about it are gone.</p><p><a href='/dashboard/people'>Back to participants</a></p></div>", on="people")


def _alert_status(request: web.Request, alert: dict) -> str:
    if alert["status"] != "open":
        return escape(alert["status"])
    return (f"<form method='post' action='/dashboard/alerts/{alert['id']}/handled' class='inline'>"
            f"<input type='hidden' name='csrf' value='{csrf_for(request)}'>"
            f"<span class='pill alert'>open</span> <button class='quiet'>Mark handled</button></form>")


@guarded
async def alert_handled(request: web.Request, user: dict) -> web.Response:
    """A staff member has followed up an alert: it stops counting as open (kept, never deleted)."""
    form = await request.post()
    check_csrf(request, form)
    db: SafetyStore = request.app[SAFETY].db
    store = request.app[STORE]
    alert_id = int(request.match_info["alert"])
    alert = await store.aio.apply(db.alert, alert_id)
    if alert is None or not await access.can_see_person(store, user, alert["user_id"]):
        raise WireError("not_found", "There is no such alert you can see.")
    await store.aio.apply(db.set_alert_status, alert_id, "handled")
    log.info("staff %s marked alert %s handled", user["id"], alert_id)
    raise web.HTTPSeeOther("/dashboard/safety")


@guarded
async def safety_page(request: web.Request, user: dict) -> web.Response:
    store = request.app[STORE]
    db: SafetyStore = request.app[SAFETY].db
    staff_id = access.scope_of(user)            # alerts and reports about the people they look after
    alert_rows = await store.aio.apply(db.alerts, None, 200, staff_id)
    report_rows = await store.aio.apply(db.reports, None, 200, staff_id)
    alerts = "".join(f"<tr><td>{when(a['ts'])}</td><td>{escape(a['kind'])}</td><td>{escape(a['room_id'])}</td>"
                     f"<td>{escape(a['name'] or '—')}</td><td>{escape(a['category'] or '')}</td>"
                     f"<td>{a['notified']}</td><td>{_alert_status(request, a)}</td></tr>" for a in alert_rows)
    reports = "".join(f"<tr><td>{when(r['ts'])}</td><td>{escape(r['room_id'] or '')}</td><td>{escape(r['reporter'] or '—')}</td>"
                      f"<td>{escape(r['reported'] or '—')}</td><td>{escape(r['reason'])}</td>"
                      f"<td>{escape(r['note'] or '')}</td></tr>" for r in report_rows)
    body = ("<h1>Safety</h1><h2>Alerts</h2>" + (
        "<table id='alerts'><tr><th>When</th><th>Kind</th><th>Room</th><th>Who</th><th>Category</th>"
        "<th>Staff told</th><th>Status</th></tr>" + alerts + "</table>" if alerts else "<div class='card muted'>No alerts.</div>")
        + "<h2>Reports</h2>" + (
        "<table id='reports'><tr><th>When</th><th>Room</th><th>From</th><th>About</th><th>Reason</th><th>Note</th></tr>"
        + reports + "</table>" if reports else "<div class='card muted'>No reports.</div>"))
    if user["role"] in access.SEE_ALL:
        actions = await store.aio.apply(db.actions)
        acts = "".join(f"<tr><td>{when(a['ts'])}</td><td>{escape(a['action'])}</td><td>{escape(a['target'] or '—')}</td>"
                       f"<td>{escape(a['staff'] or '—')}</td><td>{when(a['until'])}</td></tr>" for a in actions)
        body += "<h2>Moderation</h2>" + (
            "<table id='moderation'><tr><th>When</th><th>Action</th><th>Who</th><th>By</th><th>Until</th></tr>"
            + acts + "</table>" if acts else "<div class='card muted'>No moderation actions.</div>")
    return page(request, user, "Safety", body, on="safety")


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/dashboard/login", login_page)
    r.add_post("/dashboard/login", login_post)
    r.add_post("/dashboard/logout", logout)
    r.add_get("/dashboard", rooms_now)
    r.add_get("/dashboard/sessions", sessions)
    r.add_get(r"/dashboard/sessions/{run:\d+}", session_detail)
    r.add_get("/dashboard/people", people)
    r.add_get(r"/dashboard/people/{person:\d+}", person)
    r.add_get(r"/dashboard/people/{person:\d+}/export", person_export)
    r.add_post(r"/dashboard/people/{person:\d+}/delete", person_delete)
    r.add_get("/dashboard/safety", safety_page)
    r.add_post(r"/dashboard/alerts/{alert:\d+}/handled", alert_handled)
