"""HTTP: a person's own records and account (export, delete, consent, password) and session replays for staff.

Reads accept the Bearer token or the dashboard cookie; every state-changing endpoint takes the Bearer
token only (`cookie=False`), so a cross-site form post riding on the cookie does nothing."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from wire import errors
from wire.errors import WireError

from .. import languages
from ..appkeys import ACCOUNTS, RECORDS, SAFETY, STORE, TOKENS, WORLD
from ..http_api import client_address, error_response, read_json, user_from_request
from . import access, mine, replay

log = logging.getLogger("peerspace.records")


def _json(data: Any, **kw: Any) -> web.Response:
    return web.Response(
        text=json.dumps(data, default=lambda b: base64.b64encode(b).decode() if isinstance(b, bytes) else str(b)),
        content_type="application/json",
        **kw,
    )


async def my_export(request: web.Request) -> web.Response:
    try:
        user = await user_from_request(request)
    except WireError as e:
        return error_response(e)
    data = await request.app[STORE].aio.export_user(user["id"])
    log.info("user %s exported their records", user["id"])
    return _json(
        data,
        headers={
            "Content-Disposition": 'attachment; filename="peerspace-my-records.json"',
            "Cache-Control": "no-store",
        },
    )


async def my_delete(request: web.Request) -> web.Response:
    try:
        user = await user_from_request(request, cookie=False)
        body = await read_json(request)
        if body.get("confirm") != user["name"]:
            raise WireError(
                "invalid", 'To delete your account and every record about you, send {"confirm": "<your name>"}.'
            )
    except WireError as e:
        return error_response(e)
    await request.app[WORLD].forget_user(user["id"])
    log.info("user %s deleted their account and records", user["id"])
    return web.json_response({"ok": True, "deleted": True})


async def my_consent(request: web.Request) -> web.Response:
    try:
        user = await user_from_request(request, cookie=False)
        body = await read_json(request)
        if not isinstance(body.get("recording"), bool):
            raise WireError("invalid", 'Send {"recording": true} or {"recording": false}.')
    except WireError as e:
        return error_response(e)
    await request.app[STORE].aio.set_consent(user["id"], body["recording"])
    return web.json_response({"ok": True, "recording": body["recording"]})


async def my_password(request: web.Request) -> web.Response:
    """A new password, given the current one. Every session of the account ends (other devices too);
    the answer carries a fresh token for this one."""
    try:
        user = await user_from_request(request, cookie=False)
        body = await read_json(request)
        fresh = await request.app[ACCOUNTS].change_password(
            user, body.get("old"), body.get("new"), client_address(request)
        )
    except WireError as e:
        return error_response(e)
    return web.json_response({"ok": True, "token": request.app[TOKENS].issue(fresh)})


async def run_replay(request: web.Request) -> web.Response:
    """A session's replay, for staff who may see it."""

    async def staff_may_see(user: dict[str, Any]) -> dict[str, Any]:
        access.require(user)
        run: dict[str, Any] = await access.run_or_404(request.app[STORE], user, int(request.match_info["run"]))
        return run

    return await _replay_page(request, staff_may_see)


async def _replay_page(
    request: web.Request, find_run: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
) -> web.Response:
    """One page of a run's replay (`after`, `limit`): the run as `find_run` finds it for the signed-in person."""
    try:
        run = await find_run(await user_from_request(request))
        after = float(request.query.get("after", 0))
        limit = max(1, min(2000, int(request.query.get("limit", 500))))
    except WireError as e:
        return error_response(e)
    except ValueError:
        return error_response(WireError("invalid", "after and limit must be numbers."))
    store = request.app[STORE]
    return _json(await store.aio.apply(replay.read, store, run, after, limit), headers={"Cache-Control": "no-store"})


async def my_practice(request: web.Request) -> web.Response:
    """My practice: past sessions in plain words, the homework set in them, progress without marks."""
    try:
        user = await user_from_request(request)
    except WireError as e:
        return error_response(e)
    store = request.app[STORE]
    body = await store.aio.apply(mine.practice, store, user["id"], request.app[WORLD].scenarios)
    return web.json_response({"ok": True, **body}, headers={"Cache-Control": "no-store"})


async def my_questionnaires(request: web.Request) -> web.Response:
    """The questionnaires with this person's own scores (as the dashboard shows them) and which one is due."""
    try:
        user = await user_from_request(request)
    except WireError as e:
        return error_response(e)
    # the texts in the person's language: ?language=es, else the browser's or client's Accept-Language
    language = languages.chosen(request.query.get("language") or request.headers.get("Accept-Language", "")[:35])
    qs = await request.app[STORE].aio.apply(
        mine.questionnaires, request.app[RECORDS].questionnaires, user["id"], language
    )
    return web.json_response({"ok": True, "questionnaires": qs}, headers={"Cache-Control": "no-store"})


async def my_data(request: web.Request) -> web.Response:
    """My data: what is monitored and recorded (the server's own notice and recording texts), the person's
    recording choice, and how many records of each kind are kept about them."""
    try:
        user = await user_from_request(request)
    except WireError as e:
        return error_response(e)
    store, safety = request.app[STORE], request.app[SAFETY]
    account = await store.aio.get_user(user["id"])
    kept = await store.aio.record_counts(user["id"])
    return web.json_response(
        {
            "ok": True,
            "name": user["name"],
            "monitoring": safety.crisis.monitoring_notice,
            "recording": bool(account and account.get("consent_recording")),
            "recording_text": {"on": safety.text("recording.when_on"), "off": safety.text("recording.when_off")},
            "kept": kept,
        },
        headers={"Cache-Control": "no-store"},
    )


async def my_replay(request: web.Request) -> web.Response:
    """A replay of one of the person's own sessions (recorded only while they agreed to recording)."""

    async def their_own(user: dict[str, Any]) -> dict[str, Any]:
        run: dict[str, Any] | None = await request.app[STORE].aio.get_run(int(request.match_info["run"]))
        if run is None or run["participant_user_id"] != user["id"]:
            raise WireError(errors.NOT_FOUND, "There is no such session of yours.")
        return run

    return await _replay_page(request, their_own)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/me/export", my_export)
    app.router.add_post("/api/me/delete", my_delete)
    app.router.add_post("/api/me/consent", my_consent)
    app.router.add_post("/api/me/password", my_password)
    app.router.add_get("/api/me/practice", my_practice)
    app.router.add_get("/api/me/questionnaires", my_questionnaires)
    app.router.add_get("/api/me/data", my_data)
    app.router.add_get(r"/api/me/runs/{run:\d+}/replay", my_replay)
    app.router.add_get(r"/api/runs/{run:\d+}/replay", run_replay)
