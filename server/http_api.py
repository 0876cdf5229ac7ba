"""Small HTTP endpoints: login (returns a signed token), health, room list."""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web

from wire.errors import WireError

from .auth import public_user

log = logging.getLogger("peerspace.http")

STATUS = {"unauthorized": 401, "forbidden": 403, "not_found": 404, "invalid": 400, "conflict": 409}


def error_response(err: WireError) -> web.Response:
    return web.json_response({"ok": False, "error": err.as_payload()}, status=STATUS.get(err.code, 400))


async def read_json(request: web.Request, limit: int = 16 * 1024) -> dict:
    if request.content_length is not None and request.content_length > limit:
        raise WireError("too_large", "That request is too large.")
    try:
        body = json.loads(await request.content.read(limit + 1) or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise WireError("invalid", "Send a JSON object.")
    if not isinstance(body, dict):
        raise WireError("invalid", "Send a JSON object.")
    return body


def user_from_request(request: web.Request) -> dict:
    """The logged-in user for an HTTP request: a Bearer token header or the session cookie."""
    app = request.app
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else request.cookies.get("ps_token")
    claims = app["tokens"].verify(token)
    user = app["store"].get_user(claims["uid"])
    if user is None:
        raise WireError("unauthorized", "Please log in again.")
    app["accounts"].check_not_banned(user)
    return user


async def login(request: web.Request) -> web.Response:
    try:
        body = await read_json(request)
        user = request.app["accounts"].login(body.get("name"), body.get("password"))
    except WireError as e:
        log.info("login refused: %s", e.code)
        return error_response(e)
    token = request.app["tokens"].issue(user)
    return web.json_response({"ok": True, "token": token, "user": public_user(user)})


HEALTH_PROBE_TIMEOUT = 1.0     # a store that cannot finish one tiny write in this long is not healthy


async def store_status(store) -> str:
    """A real write (one row of `store_probe`), on a worker thread so a queue of slow writes on the store
    thread does not hide the answer: 'ok', 'read_only', 'locked', 'error' or 'timeout'."""
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(loop.run_in_executor(None, store.probe_write), HEALTH_PROBE_TIMEOUT)
    except asyncio.TimeoutError:
        return "timeout"


async def health(request: web.Request) -> web.Response:
    """200 when this node can serve and record; 503 (with what is wrong) when its store cannot write."""
    world = request.app["world"]
    store = await store_status(request.app["store"])
    ok = store == "ok"
    return web.json_response({"ok": ok, "store": store, "rooms": len(world.rooms), "connections": len(world.conns)},
                             status=200 if ok else 503)


async def rooms(request: web.Request) -> web.Response:
    try:
        user_from_request(request)
    except WireError as e:
        return error_response(e)
    return web.json_response({"ok": True, "rooms": [r.summary() for r in request.app["world"].rooms.values()]})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/login", login)
    app.router.add_get("/api/health", health)
    app.router.add_get("/api/rooms", rooms)
