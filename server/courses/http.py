"""HTTP: GET /api/me/course.ics, the participant's group's sessions still to come (RFC 5545)."""

from __future__ import annotations

import datetime as dt
import logging

from aiohttp import web

from wire.errors import WireError

from ..appkeys import STORE, WORLD
from ..http_api import error_response, user_from_request
from .book import book_of

log = logging.getLogger("peerspace.courses")


async def my_course_ics(request: web.Request) -> web.Response:
    try:
        user = await user_from_request(request)
    except WireError as e:
        return error_response(e)
    store = request.app[STORE]
    text = await store.aio.apply(book_of(request.app[WORLD]).calendar, store, user["id"], dt.datetime.now(dt.UTC))
    if text is None:
        return error_response(WireError("not_found", "You are not in a course group yet; ask your peer specialist."))
    return web.Response(
        body=text.encode("utf-8"),
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="peerspace-course.ics"', "Cache-Control": "no-store"},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/me/course.ics", my_course_ics)
