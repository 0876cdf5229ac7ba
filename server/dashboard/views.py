"""Dashboard pages. Every handler: who is asking -> may they -> render. Names are pseudonyms."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web

from wire import events
from wire.errors import WireError

from ..appkeys import ACCOUNTS, CFG, RECORDS, SAFETY, STORE, TOKENS, WORLD
from ..auth import Throttled
from ..courses.fidelity import run_delivery
from ..http_api import COOKIE, client_address, user_from_request
from ..records import access
from ..records import fidelity as fid
from ..records.replay import transcript
from ..safety.store import SafetyStore
from .i18n import LANG_COOKIE, LANGUAGES, N_, _, current, ngettext
from .svg import line_plot

log = logging.getLogger("peerspace.dashboard")

LOGIN_COOKIE = "ps_login"  # a random nonce set with the login form: the login form's CSRF token is bound to it


class Denied(Exception):
    pass


# --- plumbing --------------------------------------------------------------------------------
def csrf_for(request: web.Request, cookie: str = COOKIE, value: str | None = None) -> str:
    """A form's CSRF token: an HMAC of a cookie that a cross-site page can neither read nor make the
    browser send (HttpOnly, SameSite=Strict). `value` stands in for a cookie set by this same response."""
    token = value if value is not None else request.cookies.get(cookie, "")
    return hmac.new(
        request.app[TOKENS].secret, f"csrf:{cookie}:".encode() + token.encode(), hashlib.sha256
    ).hexdigest()[:32]


NAV = (
    ("rooms", "/dashboard", N_("Rooms now")),
    ("sessions", "/dashboard/sessions", N_("Sessions")),
    ("people", "/dashboard/people", N_("Participants")),
    ("safety", "/dashboard/safety", N_("Safety")),
    ("courses", "/dashboard/courses", N_("Courses")),
    ("supervision", "/dashboard/supervision", N_("Supervision")),
)
EDITOR_NAV = (("scenarios", "/dashboard/scenarios", N_("Scenarios")),)  # facilitators and admins (editor.py)
# Messages of other parts of the server (sign-in, records access) that reach a dashboard page: listed here so
# that extraction puts them in the dashboard's catalogs; the page shows them through `_()` (see `guarded`).
SHOWN_FROM_ELSEWHERE = (
    N_("Your role cannot see these records."),
    N_("There is no such session you can see."),
    N_("That name and password do not match."),
    N_("This account no longer exists."),
    N_("Your session has ended. Please log in again."),
    N_("Please log in again."),
    N_("This account is paused by the group's staff. Please contact them."),
    # the protocol steps of a session (records/fidelity.py LABELS)
    N_("Rationale: why the skill matters"),
    N_("Skill steps discussed"),
    N_("Modelling by the coach"),
    N_("Role-play"),
    N_("Positive feedback"),
    N_("Corrective feedback"),
    N_("Role-play again"),
    N_("More feedback"),
    N_("Homework set"),
    N_("Homework reviewed"),
)
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'",
}


def render(
    request: web.Request, template: str, user: dict[str, Any] | None, status: int = 200, on: str = "", **context: Any
) -> web.Response:
    """A page from templates/ (autoescaped: see setup()), with the layout's nav for a logged-in user."""
    nav = [
        (key, href, _(text))
        for key, href, text in NAV + (EDITOR_NAV if user is not None and user["role"] in access.SEE_ALL else ())
    ]
    context.update(
        user=user,
        on=on,
        nav=nav,
        csrf=csrf_for(request) if user is not None else "",
        lang=current(),
        languages=LANGUAGES,
        here=request.path_qs if request.method == "GET" else "/dashboard",
    )
    resp = aiohttp_jinja2.render_template(template, request, context, status=status)
    resp.headers.update(HEADERS)
    return resp


async def staff_user(request: web.Request) -> dict[str, Any]:
    try:
        user = await user_from_request(request)
    except WireError:
        raise web.HTTPSeeOther("/dashboard/login?next=" + quote(request.path_qs, safe="")) from None
    if user["role"] not in access.DASHBOARD:
        raise Denied(user)
    return user


# A dashboard page: the request and the staff user it was checked for.
Page = Callable[[web.Request, dict[str, Any]], Awaitable[web.StreamResponse]]


def guarded(fn: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            user = await staff_user(request)
            return await fn(request, user)
        except Denied as d:
            user = d.args[0]
            log.info("dashboard refused for user %s (%s)", user["id"], user["role"])
            return render(request, "denied.html", None, status=403)
        except WireError as e:
            status = {"not_found": 404, "forbidden": 403, "invalid": 400}.get(e.code, 400)
            return render(request, "error.html", user, status=status, message=_(e.message))

    return handler


def when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "—"


def pct(v: float | None) -> str:
    return "—" if v is None else f"{round(100 * v)}%"


def clock(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts))


FILTERS = {"when": when, "pct": pct, "clock": clock}


def check_csrf(request: web.Request, form: Mapping[str, object], cookie: str = COOKIE) -> None:
    if not request.cookies.get(cookie) or not hmac.compare_digest(
        str(form.get("csrf", "")).encode(), csrf_for(request, cookie).encode()
    ):
        raise WireError("forbidden", _("This form has expired. Please go back, reload the page and try again."))


# --- login / logout -----------------------------------------------------------------------------
def login_response(
    request: web.Request, nxt: str, error: str = "", status: int = 200, retry_after: int | None = None
) -> web.Response:
    """The login form, bound to a login nonce cookie (kept if the browser has one, else a new one)."""
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(18)
    resp = render(
        request,
        "login.html",
        None,
        status=status,
        error=error,
        next=nxt,
        login_csrf=csrf_for(request, LOGIN_COOKIE, nonce),
    )
    resp.set_cookie(
        LOGIN_COOKIE, nonce, httponly=True, samesite="Strict", secure=request.secure, path="/dashboard/login"
    )
    if retry_after is not None:
        resp.headers["Retry-After"] = str(retry_after)
    return resp


def throttled_message(seconds: int) -> str:
    """auth.retry_message in the page's language."""
    if seconds < 120:
        wait = ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    else:
        wait = ngettext("%(n)d minute", "%(n)d minutes", round(seconds / 60)) % {"n": round(seconds / 60)}
    return _(
        "Too many unsuccessful log-ins for this name or from this network. Please wait %(wait)s and try again. "
        "If you have forgotten your password, an admin can set a new one for you."
    ) % {"wait": wait}


async def language_post(request: web.Request) -> web.Response:
    """The staff member's language for the dashboard, kept in a cookie (a year) and back to the same page.
    No CSRF check: a forged post could change only the language the pages are shown in, nothing else,
    and the login page (no session yet) needs the same form."""
    form = await request.post()
    lang = str(form.get("lang", ""))
    nxt = str(form.get("next", "/dashboard"))
    nxt = nxt if nxt.startswith("/dashboard") and "//" not in nxt else "/dashboard"
    resp = web.HTTPSeeOther(nxt)
    if lang in LANGUAGES:
        resp.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 24 * 3600, path="/dashboard", samesite="Lax", secure=request.secure
        )
    raise resp


async def login_page(request: web.Request) -> web.Response:
    nxt = request.query.get("next", "/dashboard")
    return login_response(request, nxt if nxt.startswith("/dashboard") and "//" not in nxt else "/dashboard")


async def login_post(request: web.Request) -> web.Response:
    form = await request.post()
    nxt = str(form.get("next", "/dashboard"))
    nxt = nxt if nxt.startswith("/dashboard") and "//" not in nxt else "/dashboard"
    try:
        check_csrf(request, form, LOGIN_COOKIE)  # a cross-site page cannot log a browser into its own account
        user = await request.app[ACCOUNTS].login(
            str(form.get("name", "")), str(form.get("password", "")), client_address(request)
        )
    except WireError as e:
        if not isinstance(e, Throttled):
            log.info("dashboard login refused: %s", e.code)
        status = {"forbidden": 403, "rate_limited": 429}.get(e.code, 401)
        if isinstance(e, Throttled):
            return login_response(request, nxt, throttled_message(e.retry_after), status, e.retry_after)
        return login_response(request, nxt, _(e.message), status)
    if user["role"] not in access.DASHBOARD:
        log.info("dashboard login refused for role %s", user["role"])
        return login_response(request, nxt, _("The dashboard is for staff accounts."), 403)
    resp = web.HTTPSeeOther(nxt)
    # Secure when served over TLS (behind a TLS-terminating proxy, request.secure is False: see docs/dashboard.md)
    resp.set_cookie(
        COOKIE,
        request.app[TOKENS].issue(user),
        httponly=True,
        samesite="Strict",
        path="/",
        secure=request.secure,
        max_age=int(request.app[CFG].token_ttl),
    )
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
            raise web.HTTPSeeOther("/dashboard") from None
        try:
            user = await user_from_request(request)
        except WireError:
            user = None  # already ended: just drop the cookie
        if user is not None:
            await request.app[STORE].aio.revoke_sessions(user["id"], "logout")
            await request.app[SAFETY].set_duty(user, False, "logout")  # duty ends with the session
            log.info("dashboard logout: user %s", user["id"])
    resp = web.HTTPSeeOther("/dashboard/login")
    resp.del_cookie(COOKIE, path="/")
    raise resp


# --- pages ------------------------------------------------------------------------------------------
@guarded
async def rooms_now(request: web.Request, user: dict[str, Any]) -> web.Response:
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
        shown = [
            room
            for room in shown
            if room.group_id in groups or room.id in open_by_room or any(uid in scope for uid in room.members)
        ]
    rooms = []
    for room in shown:
        people = list(room.members.values())
        rooms.append(
            {
                "id": room.id,
                "name": room.name,
                "scene": room.scene,
                "people": len(people),
                "capacity": room.capacity,
                "staff": [m.user["name"] for m in people if m.user["role"] in events.STAFF],
                "paused": sum(1 for uid, rid in safety.paused.items() if rid == room.id),
                "open_alerts": open_by_room.get(room.id, 0),
            }
        )
    return render(request, "rooms.html", user, on="rooms", rooms=rooms)


@guarded
async def sessions(request: web.Request, user: dict[str, Any]) -> web.Response:
    store = request.app[STORE]
    users = {u["id"]: u["name"] for u in await store.aio.list_users()}
    rows = []
    for run in reversed(await access.visible_runs(store, user, limit=300)):
        f = fid.fidelity(await store.aio.run_events(run["id"]))
        rows.append({**run, "who": users.get(run["participant_user_id"], "—"), "done": f["done"], "total": f["total"]})
    return render(request, "sessions.html", user, on="sessions", runs=rows)


TRANSCRIPT_KINDS = ("said", "feedback", "phase", "tag", "homework")
# how each typed answer was judged: matched, held for a person, or not scored (a picked option has no row)
ANSWER_KINDS = ("choice", "no_match", "answer_held", "answer_unscored")


def transcript_row(e: dict[str, Any]) -> bool:
    return e["kind"] in TRANSCRIPT_KINDS or (e["kind"] in ANSWER_KINDS and "confidence" in e["data"])


def peer_feedback_rows(request: web.Request, run: dict[str, Any], evs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the others in a group practice said went well in this turn (server/courses/group.py)."""
    rooms = request.app[WORLD].scenarios
    scenario = rooms.scenarios.get(run["scenario_id"]) if rooms is not None else None
    texts = scenario.step_texts() if scenario is not None else {}
    return [
        {
            "from": e["actor"],
            "step": texts.get(e["data"]["step"], e["data"]["step"]) if e["data"].get("step") else None,
            "text": e["data"].get("text"),
            "withheld": bool(e["data"].get("text_withheld")),
        }
        for e in evs
        if e["kind"] == "peer_feedback"
    ]


def skill_rows(request: web.Request, run: dict[str, Any], scores: dict[str, float]) -> list[dict[str, Any]]:
    """The run's skill-step scores as the steps' texts, in skill order; a step the loaded scenario no longer
    has keeps its id, after the others."""
    rooms = request.app[WORLD].scenarios
    scenario = rooms.scenarios.get(run["scenario_id"]) if rooms is not None else None
    texts = scenario.step_texts() if scenario is not None else {}
    order = {step_id: i for i, step_id in enumerate(texts)}
    ids = sorted(scores, key=lambda step_id: (order.get(step_id, len(order)), step_id))
    return [{"step": step_id, "text": texts.get(step_id, step_id), "score": scores[step_id]} for step_id in ids]


@guarded
async def session_detail(request: web.Request, user: dict[str, Any]) -> web.Response:
    store = request.app[STORE]
    run = await access.run_or_404(store, user, int(request.match_info["run"]))
    evs = await store.aio.run_events(run["id"])
    who = await store.aio.get_user(run["participant_user_id"]) if run["participant_user_id"] else None
    lines = [e for e in await store.aio.apply(transcript, store, run) if transcript_row(e)]
    summary = fid.summary(run, evs)
    return render(
        request,
        "session.html",
        user,
        on="sessions",
        run=run,
        who=who,
        s=summary,
        delivery=await store.aio.apply(run_delivery, store, evs),
        skill_steps=skill_rows(request, run, summary["skills"]["steps"]),
        peer_feedback=peer_feedback_rows(request, run, evs),
        lines=lines,
        frames=await store.aio.pose_frame_count(run["id"]),
    )


@guarded
async def people(request: web.Request, user: dict[str, Any]) -> web.Response:
    store = request.app[STORE]
    now = time.time()
    rows = [
        {**u, "paused": (u["banned_until"] or 0) > now} for u in await access.visible_people(store, user)
    ]  # one indexed query, off the event loop
    return render(request, "people.html", user, on="people", people=rows)


async def _person_or_404(request: web.Request, user: dict[str, Any]) -> dict[str, Any]:
    store = request.app[STORE]
    pid = int(request.match_info["person"])
    person: dict[str, Any] | None = await store.aio.get_user(pid)
    if person is None or person["role"] != events.PARTICIPANT or not await access.can_see_person(store, user, pid):
        raise WireError("not_found", _("There is no such participant you can see."))
    return person


@guarded
async def person(request: web.Request, user: dict[str, Any]) -> web.Response:
    store = request.app[STORE]
    p = await _person_or_404(request, user)
    runs = await access.visible_runs(store, user, participant_id=p["id"])
    run_events = [await store.aio.run_events(r["id"]) for r in runs]
    sums = [fid.summary(r, evs) for r, evs in zip(runs, run_events, strict=True)]
    labels = [f"#{s['run']}" for s in sums]
    # Progress only: the participant's scores, own ratings, homework and questionnaires. How a session was
    # delivered (fidelity) is the supervision page's, never plotted as if it were the participant's progress.
    plots = [
        line_plot(
            _("Skill-step scores and self-ratings"),
            {
                _("mean score"): [s["skills"]["percent"] for s in sums],
                _("self-rating"): [fid.self_rating(evs) for evs in run_events],
            },
            labels,
        ),
        line_plot(_("Emotion recognition"), {_("accuracy"): [s["emotion"]["accuracy"] for s in sums]}, labels),
        line_plot(_("Homework done"), {_("homework"): [fid.homework_done(evs) for evs in run_events]}, labels),
    ]
    qs = request.app[RECORDS].questionnaires
    answers = await store.aio.apply(qs.of_user, p["id"])
    questionnaires = []
    for qid, d in qs.defs.items():
        mine = [a for a in answers if a["questionnaire"] == qid]
        questionnaires.append(
            {
                "title": d["title"],
                "lower_is_better": d["lower_is_better"],
                "scale": d["scale"],
                "pre": next((a["score"] for a in mine if a["phase"] == "pre"), None),
                "post": next((a["score"] for a in reversed(mine) if a["phase"] == "post"), None),
            }
        )
        if mine:
            plots.append(
                line_plot(
                    d["title"],
                    {_("score"): [a["score"] for a in mine]},
                    [_("pre") if a["phase"] == "pre" else _("post") for a in mine],
                    y_max=d["scale"]["max"],
                    percent=False,
                )
            )
    return render(
        request,
        "person.html",
        user,
        on="people",
        person=p,
        plots=plots,
        questionnaires=questionnaires,
        sessions=sums,
        admin=user["role"] == events.ADMIN,
    )


@guarded
async def person_export(request: web.Request, user: dict[str, Any]) -> web.Response:
    if user["role"] != events.ADMIN:
        raise WireError("forbidden", _("Only an admin can export someone else's records."))
    p = await _person_or_404(request, user)
    data = await request.app[STORE].aio.export_user(p["id"])
    log.info("admin %s exported the records of user %s", user["id"], p["id"])
    return web.Response(
        text=json.dumps(data, default=str),
        content_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="peerspace-{p["id"]}.json"',
            "Cache-Control": "no-store",
        },
    )


@guarded
async def person_delete(request: web.Request, user: dict[str, Any]) -> web.Response:
    if user["role"] != events.ADMIN:
        raise WireError("forbidden", _("Only an admin can delete someone's records."))
    form = await request.post()
    check_csrf(request, form)
    p = await _person_or_404(request, user)
    if str(form.get("confirm", "")).strip() != p["name"]:
        raise WireError("invalid", _("The name did not match, so nothing was deleted."))
    await request.app[WORLD].forget_user(p["id"])
    log.info("admin %s deleted user %s and their records", user["id"], p["id"])
    return render(request, "deleted.html", user, on="people")


MAX_NOTE = 2000  # a handling note: a few sentences, not a case file


async def _alert_or_404(request: web.Request, user: dict[str, Any]) -> dict[str, Any]:
    """The alert in the URL, if this staff member may see it (who it is about: access.can_see_person)."""
    db: SafetyStore = request.app[SAFETY].db
    store = request.app[STORE]
    alert: dict[str, Any] | None = await store.aio.apply(db.alert, int(request.match_info["alert"]))
    if alert is None or not await access.can_see_person(store, user, alert["user_id"]):
        raise WireError("not_found", _("There is no such alert you can see."))
    return alert


@guarded
async def alert_handled(request: web.Request, user: dict[str, Any]) -> web.Response:
    """A staff member has followed up an alert: what was done (ticked from the care file's list), a note, whether
    follow-up is needed. It stops counting as open (kept, never deleted); the history keeps who and when; the
    person it is about is told, kindly, that someone has seen it (if no one had acknowledged it before)."""
    form = await request.post()
    check_csrf(request, form)
    safety = request.app[SAFETY]
    alert = await _alert_or_404(request, user)
    known = safety.care.actions
    actions = [a for a in dict.fromkeys(str(v) for v in form.getall("action", [])) if a in known]
    note = " ".join(str(form.get("note", "")).split())[:MAX_NOTE] or None
    follow_up = str(form.get("follow_up", "")) in ("1", "on", "yes")
    first = await request.app[STORE].aio.apply(
        safety.db.handle_alert, alert["id"], user["id"], actions, note, follow_up
    )
    if first:
        await safety.alert_seen(alert)
    log.info("staff %s marked alert %s handled (%d actions)", user["id"], alert["id"], len(actions))
    raise web.HTTPSeeOther("/dashboard/safety")


@guarded
async def alert_ack(request: web.Request, user: dict[str, Any]) -> web.Response:
    """A staff member has seen an alert (not yet handled it): who and when, and the person is told someone has."""
    form = await request.post()
    check_csrf(request, form)
    safety = request.app[SAFETY]
    alert = await _alert_or_404(request, user)
    if await request.app[STORE].aio.apply(safety.db.acknowledge_alert, alert["id"], user["id"]):
        await safety.alert_seen(alert)
    log.info("staff %s acknowledged alert %s", user["id"], alert["id"])
    raise web.HTTPSeeOther(f"/dashboard/alerts/{alert['id']}")


@guarded
async def alert_page(request: web.Request, user: dict[str, Any]) -> web.Response:
    """One alert: what it is, who was told, who acknowledged and handled it, its history, the handling form."""
    safety = request.app[SAFETY]
    alert = await _alert_or_404(request, user)
    history = await request.app[STORE].aio.apply(safety.db.alert_history, alert["id"])
    return render(request, "alert.html", user, on="safety", a=alert, history=history, actions=safety.care.actions)


@guarded
async def duty_post(request: web.Request, user: dict[str, Any]) -> web.Response:
    """Go on or off duty from the dashboard (the same duty as the app's `duty` intent)."""
    form = await request.post()
    check_csrf(request, form)
    await request.app[SAFETY].set_duty(user, str(form.get("on", "")) == "1", "dashboard")
    raise web.HTTPSeeOther("/dashboard/safety")


@guarded
async def safety_page(request: web.Request, user: dict[str, Any]) -> web.Response:
    store = request.app[STORE]
    safety = request.app[SAFETY]
    db: SafetyStore = safety.db
    staff_id = access.scope_of(user)  # alerts and reports about the people they look after
    alert_rows = await store.aio.apply(db.alerts, None, 200, staff_id)  # unhandled crisis first
    escalations = await store.aio.escalation_status([a["id"] for a in alert_rows])
    report_rows = await store.aio.apply(db.reports, None, 200, staff_id)
    actions = await store.aio.apply(db.actions) if user["role"] in access.SEE_ALL else None
    mine = safety.duty.get(user["id"])
    duty = {
        "on": mine is not None,
        "since": mine.since if mine else None,
        "in_app": bool(request.app[WORLD].sids_of(user["id"])),
        "team": sorted(({"name": d.name, "role": d.role} for d in safety.duty.values()), key=lambda d: d["name"]),
        "status": safety.duty_status()["text"],
    }
    return render(
        request,
        "safety.html",
        user,
        on="safety",
        alerts=alert_rows,
        escalations=escalations,
        reports=report_rows,
        actions=actions,
        duty=duty,
        action_texts=safety.care.actions,
    )


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/dashboard/login", login_page)
    r.add_post("/dashboard/login", login_post)
    r.add_post("/dashboard/logout", logout)
    r.add_post("/dashboard/language", language_post)
    r.add_get("/dashboard", rooms_now)
    r.add_get("/dashboard/sessions", sessions)
    r.add_get(r"/dashboard/sessions/{run:\d+}", session_detail)
    r.add_get("/dashboard/people", people)
    r.add_get(r"/dashboard/people/{person:\d+}", person)
    r.add_get(r"/dashboard/people/{person:\d+}/export", person_export)
    r.add_post(r"/dashboard/people/{person:\d+}/delete", person_delete)
    r.add_get("/dashboard/safety", safety_page)
    r.add_get(r"/dashboard/alerts/{alert:\d+}", alert_page)
    r.add_post(r"/dashboard/alerts/{alert:\d+}/handled", alert_handled)
    r.add_post(r"/dashboard/alerts/{alert:\d+}/ack", alert_ack)
    r.add_post("/dashboard/duty", duty_post)
