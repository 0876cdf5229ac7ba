"""Small HTTP endpoints: login (returns a signed token), health, room list."""

from __future__ import annotations

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


async def health(request: web.Request) -> web.Response:
    world = request.app["world"]
    return web.json_response({"ok": True, "rooms": len(world.rooms), "connections": len(world.conns)})


async def rooms(request: web.Request) -> web.Response:
    try:
        user = user_from_request(request)
    except WireError as e:
        return error_response(e)
    listed = await request.app["world"].rooms_for(user)
    return web.json_response({"ok": True, "rooms": [r.summary() for r in listed]})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/login", login)
    app.router.add_get("/api/health", health)
    app.router.add_get("/api/rooms", rooms)
