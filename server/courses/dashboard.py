"""Dashboard pages for courses: groups and where each is in its course, a group's course run (its schedule,
participants, peer specialists, each participant's homework, self-ratings and suggested difficulty), and the
supervision page (fidelity of delivery per peer specialist over time, and peer-specific ratings).

Facilitators and admins manage groups and schedules (CSRF forms like the dashboard's others); a peer specialist
sees the groups they are staff of, and their own delivery on the supervision page."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from aiohttp import web

from wire import events
from wire.errors import WireError

from ..appkeys import STORE, WORLD
from ..dashboard.i18n import _
from ..dashboard.svg import line_plot
from ..dashboard.views import check_csrf, guarded, render
from ..records import access
from ..storage.interfaces import Storage
from . import fidelity, progress, schedule
from .book import CourseBook, book_of
from .schema import MAX_PARTICIPANTS

log = logging.getLogger("peerspace.courses")

MANAGERS = (events.FACILITATOR, events.ADMIN)
MAX_NOTE = 500


def _manager(user: dict[str, Any]) -> None:
    if user["role"] not in MANAGERS:
        raise WireError("forbidden", _("Only a facilitator or an admin can change groups and courses."))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _local(local: str) -> str:
    return local.replace("T", " ")


# --- reads, on the store thread -------------------------------------------------------------------------------
def _groups(store: Storage, book: CourseBook, staff_id: int | None, now: dt.datetime) -> list[dict[str, Any]]:
    out = []
    for g in store.course_runs(staff_id):
        course = book.courses.get(g["course_id"] or "")
        where = upcoming = None
        if course is not None and g["sessions"]:
            where = schedule.position(g["sessions"], g["timezone"], now)
            number = where["next"]
            if number is not None and number <= len(course.sessions):
                dated = next(s for s in g["sessions"] if s["number"] == number)
                upcoming = {
                    "number": number,
                    "title": course.sessions[number - 1]["title"],
                    "starts": _local(dated["starts"]),
                }
        out.append({**g, "course": course, "position": where, "upcoming": upcoming})
    return out


def _group_page(store: Storage, book: CourseBook, group_id: int, now: dt.datetime) -> dict[str, Any] | None:
    g = store.group_detail(group_id)
    if g is None:
        return None
    course = book.courses.get(g["course_id"] or "")
    where = schedule.position(g["sessions"], g["timezone"], now) if course and g["sessions"] else None
    sessions = []
    if course:
        dated = {s["number"]: s for s in g["sessions"]}
        for n, planned in enumerate(course.sessions, 1):
            d = dated.get(n)
            state = ""
            if where and d:
                state = "held" if n <= where["held"] else "next" if n == where["next"] else ""
            sessions.append(
                {
                    "number": n,
                    "title": planned["title"],
                    "scenarios": [book.scenario_title(s) for s in planned["scenarios"]],
                    "difficulty": planned["difficulty"],
                    "review": planned["review"],
                    "starts": _local(d["starts"]) if d else "—",
                    "state": state,
                }
            )
    member_ids = [m["id"] for m in g["members"]]
    evs = store.course_events(member_ids, progress.PROGRESS_KINDS)
    next_number = where["next"] if where else None
    people = []
    for m in g["members"]:
        mine = [e for e in evs if e["participant"] == m["id"]]
        plays = progress.role_plays(mine)
        upcoming = book.session_view(course, g, next_number, plays) if course and next_number else None
        rated = [p for p in plays if p["rating"] is not None]
        people.append(
            {
                **m,
                "homework": progress.homework(mine)["counts"],
                "role_plays": len(plays),
                "last_rating": rated[-1]["rating"] if rated else None,
                "last_share": plays[-1]["share"] if plays else None,
                "suggested": [
                    {"title": s["title"], **s["suggested"]}
                    for s in (upcoming or {}).get("scenarios", [])
                    if "suggested" in s
                ],
            }
        )
    return {**g, "course": course, "position": where, "sessions": sessions, "people": people}


def _supervision(store: Storage, staff_id: int | None) -> dict[str, Any]:
    runs = fidelity.per_specialist(store, staff_id)
    staff = [u for u in store.list_users() if u["role"] in events.STAFF]
    if staff_id is not None:
        staff = [u for u in staff if u["id"] == staff_id]
    ratings = store.peer_fidelity(staff_id)
    out = []
    for u in staff:
        theirs = [r for r in runs if u["id"] in r["people"]]
        labels = [f"#{r['run']}" for r in theirs]
        plot = line_plot(
            _("%(name)s: delivery over time") % {"name": u["name"]},
            {
                _("steps by a person"): [r["person_share"] for r in theirs],
                _("palette lines"): [r["palette_share"] for r in theirs],
                _("homework reviewed"): [1.0 if r["homework_reviewed"] else 0.0 for r in theirs],
            },
            labels,
        )
        rated = [r for r in ratings if r["staff_id"] == u["id"]]
        rated_plot = line_plot(
            _("%(name)s: peer-specific ratings") % {"name": u["name"]},
            {key: [r["items"].get(key, 0) / fidelity.PEER_ITEM_MAX for r in rated] for key in fidelity.PEER_ITEMS},
            [time_label(r["ts"]) for r in rated],
        )
        out.append({"user": u, "runs": theirs, "plot": plot, "rated_plot": rated_plot, "ratings": rated})
    return {"staff": out, "unassigned": [r for r in runs if not r["people"]]}


def time_label(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%d %b")


# --- pages -----------------------------------------------------------------------------------------------------
@guarded
async def courses_page(request: web.Request, user: dict[str, Any]) -> web.Response:
    book = book_of(request.app[WORLD])
    store = request.app[STORE]
    groups = await store.aio.apply(_groups, store, book, access.scope_of(user), _now())
    return render(
        request,
        "courses.html",
        user,
        on="courses",
        groups=groups,
        courses=sorted(book.courses.values(), key=lambda c: c.title),
        manager=user["role"] in MANAGERS,
    )


async def _group_or_404(request: web.Request, user: dict[str, Any]) -> int:
    group_id = int(request.match_info["group"])
    store = request.app[STORE]
    if user["role"] not in access.SEE_ALL:
        staff = await store.aio.apply(lambda: {r["group_id"] for r in store.course_runs(user["id"])})
        if group_id not in staff:
            raise WireError("not_found", _("There is no such group you can see."))
    return group_id


@guarded
async def group_page(request: web.Request, user: dict[str, Any]) -> web.Response:
    group_id = await _group_or_404(request, user)
    store = request.app[STORE]
    book = book_of(request.app[WORLD])
    page = await store.aio.apply(_group_page, store, book, group_id, _now())
    if page is None:
        raise WireError("not_found", _("There is no such group you can see."))
    return render(
        request,
        "course_group.html",
        user,
        on="courses",
        group=page,
        courses=sorted(book.courses.values(), key=lambda c: c.title),
        weekdays=schedule.WEEKDAYS,
        manager=user["role"] in MANAGERS,
        max_participants=page["course"].data["max_participants"] if page["course"] else MAX_PARTICIPANTS,
    )


@guarded
async def group_add(request: web.Request, user: dict[str, Any]) -> web.Response:
    """A new group (a course run once a course is scheduled for it)."""
    form = await request.post()
    check_csrf(request, form)
    _manager(user)
    name = " ".join(str(form.get("name", "")).split())[:60]
    if not name:
        raise WireError("invalid", _("Give the group a name, e.g. 'Tuesday evening group'."))
    store = request.app[STORE]
    if await store.aio.find_group(name) is not None:
        raise WireError("invalid", _("There is already a group called '%(name)s'.") % {"name": name})
    group = await store.aio.add_group(name)
    log.info("staff %s added group %s", user["id"], group["id"])
    raise web.HTTPSeeOther(f"/dashboard/courses/{group['id']}")


@guarded
async def schedule_post(request: web.Request, user: dict[str, Any]) -> web.Response:
    """The group runs a course: which course, its time zone, and its sessions from a first day on given
    weekdays at a given time."""
    form = await request.post()
    check_csrf(request, form)
    _manager(user)
    group_id = await _group_or_404(request, user)
    book = book_of(request.app[WORLD])
    course = book.courses.get(str(form.get("course", "")))
    if course is None:
        raise WireError("invalid", _("Choose one of the courses listed."))
    tz = str(form.get("timezone", "")).strip()
    schedule.zone(tz)
    weekdays = [str(d) for d in form.getall("weekday", [])]
    starts = schedule.plan(str(form.get("first_day", "")), str(form.get("time", "")), weekdays, len(course.sessions))
    sessions = [(n, local, int(course.data["minutes"])) for n, local in enumerate(starts, 1)]
    await request.app[STORE].aio.set_course_run(group_id, course.id, tz, sessions, user["id"])
    log.info("staff %s scheduled course %s for group %s", user["id"], course.id, group_id)
    raise web.HTTPSeeOther(f"/dashboard/courses/{group_id}")


@guarded
async def people_post(request: web.Request, user: dict[str, Any]) -> web.Response:
    """Add or remove a participant or a peer specialist (by account name)."""
    form = await request.post()
    check_csrf(request, form)
    _manager(user)
    group_id = await _group_or_404(request, user)
    store = request.app[STORE]
    action = str(form.get("action", ""))
    person = await store.aio.find_user(str(form.get("name", "")).strip()[:64])
    if person is None:
        raise WireError("invalid", _("There is no account with that name; check the spelling."))
    group = await store.aio.group_detail(group_id)
    if group is None:
        raise WireError("not_found", _("There is no such group you can see."))
    book = book_of(request.app[WORLD])
    course = book.courses.get(group["course_id"] or "")
    most = int(course.data["max_participants"]) if course else MAX_PARTICIPANTS
    if action == "add_participant":
        if person["role"] != events.PARTICIPANT:
            raise WireError("invalid", _("%(name)s is not a participant account.") % {"name": person["name"]})
        if len(group["members"]) >= most and person["id"] not in {m["id"] for m in group["members"]}:
            raise WireError("invalid", _("A group has at most %(n)d participants; this one is full.") % {"n": most})
        await store.aio.add_group_member(group_id, person["id"])
    elif action == "add_staff":
        if person["role"] not in events.STAFF:
            raise WireError(
                "invalid",
                _("%(name)s is not a staff account (a peer specialist, for example).") % {"name": person["name"]},
            )
        await store.aio.assign_group_staff(group_id, person["id"])
    elif action == "remove":
        await store.aio.remove_group_member(group_id, person["id"])
        await store.aio.remove_group_staff(group_id, person["id"])
    else:
        raise WireError("invalid", _("Choose to add a participant, add a peer specialist, or remove someone."))
    log.info("staff %s changed group %s (%s, user %s)", user["id"], group_id, action, person["id"])
    raise web.HTTPSeeOther(f"/dashboard/courses/{group_id}")


@guarded
async def supervision_page(request: web.Request, user: dict[str, Any]) -> web.Response:
    store = request.app[STORE]
    scope = None if user["role"] in access.SEE_ALL else user["id"]
    data = await store.aio.apply(_supervision, store, scope)
    return render(
        request,
        "supervision.html",
        user,
        on="supervision",
        staff=data["staff"],
        items=fidelity.PEER_ITEMS,
        item_max=fidelity.PEER_ITEM_MAX,
        manager=user["role"] in MANAGERS,
    )


@guarded
async def supervision_rate(request: web.Request, user: dict[str, Any]) -> web.Response:
    """Peer-specific fidelity items, rated after a session by a supervisor (facilitator, admin) or by the peer
    specialist about their own delivery."""
    form = await request.post()
    check_csrf(request, form)
    store = request.app[STORE]
    try:
        staff_id = int(str(form.get("staff", "")))
    except ValueError:
        raise WireError("invalid", _("Choose whose delivery you are rating.")) from None
    if user["role"] not in MANAGERS and staff_id != user["id"]:
        raise WireError("forbidden", _("A peer specialist rates their own delivery; a supervisor rates anyone's."))
    staff = await store.aio.get_user(staff_id)
    if staff is None or staff["role"] not in events.STAFF:
        raise WireError("invalid", _("Choose a staff member."))
    items: dict[str, int] = {}
    for key in fidelity.PEER_ITEMS:
        value = str(form.get(key, ""))
        if not re.fullmatch(r"[0-9]", value) or int(value) > fidelity.PEER_ITEM_MAX:
            raise WireError("invalid", _("Rate every item from 0 to %(n)d.") % {"n": fidelity.PEER_ITEM_MAX})
        items[key] = int(value)
    run_text = str(form.get("run", "")).strip()
    run_id = int(run_text) if run_text.isdigit() else None
    note = " ".join(str(form.get("note", "")).split())[:MAX_NOTE] or None
    await store.aio.add_peer_fidelity(staff_id, run_id, user["id"], items, note)
    log.info("staff %s rated the delivery of staff %s", user["id"], staff_id)
    raise web.HTTPSeeOther("/dashboard/supervision")


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/dashboard/courses", courses_page)
    r.add_post("/dashboard/courses", group_add)
    r.add_get(r"/dashboard/courses/{group:\d+}", group_page)
    r.add_post(r"/dashboard/courses/{group:\d+}/schedule", schedule_post)
    r.add_post(r"/dashboard/courses/{group:\d+}/people", people_post)
    r.add_get("/dashboard/supervision", supervision_page)
    r.add_post("/dashboard/supervision/rate", supervision_rate)
