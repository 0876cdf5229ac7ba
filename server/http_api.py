"""Small HTTP endpoints: login and logout (signed tokens), health, room list; shared HTTP plumbing."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from wire import errors
from wire.errors import WireError

from . import proxies
from .appkeys import ACCOUNTS, CFG, PROXIES, STORE, TOKENS, WORLD
from .auth import LoginThrottle, Throttled, public_user

if TYPE_CHECKING:
    from .storage.interfaces import Storage

log = logging.getLogger("peerspace.http")

STATUS = {
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "invalid": 400,
    "conflict": 409,
    "too_large": 413,
    "rate_limited": 429,
}
COOKIE = "ps_token"


def error_response(err: WireError) -> web.Response:
    headers = {"Retry-After": str(err.retry_after)} if isinstance(err, Throttled) else None
    return web.json_response(
        {"ok": False, "error": err.as_payload()}, status=STATUS.get(err.code, 400), headers=headers
    )


async def read_json(request: web.Request, limit: int = 16 * 1024) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > limit:
        raise WireError("too_large", "That request is too large.")
    try:
        body = json.loads(await request.content.read(limit + 1) or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deeply nested arrays
        raise WireError("invalid", "Send a JSON object.") from None
    if not isinstance(body, dict):
        raise WireError("invalid", "Send a JSON object.")
    return body


def client_address(request: web.Request) -> str | None:
    """The client's address, for the login throttle: the peer's, or the one a trusted reverse proxy forwarded."""
    return proxies.client_address(request, request.app.get(PROXIES, proxies.NO_PROXIES))


async def user_from_request(request: web.Request, *, cookie: bool = True) -> dict[str, Any]:
    """The logged-in user for an HTTP request: a Bearer token header or (for reads and the dashboard's own
    forms, `cookie=True`) the dashboard's session cookie. The token is checked against the user's current
    row: a revoked (logout, password change, ban) or deleted account's token is refused.

    State-changing JSON endpoints pass `cookie=False`: a browser sends the cookie with any cross-site
    form post, but only a script of our own origin can set an Authorization header."""
    app = request.app
    header = request.headers.get("Authorization", "")
    token: str | None
    if header.startswith("Bearer "):
        token = header.removeprefix("Bearer ").strip()
    elif cookie:
        token = request.cookies.get(COOKIE)
    elif request.cookies.get(COOKIE):
        raise WireError(
            errors.UNAUTHORIZED,
            "This needs the app's sign-in token (an Authorization: Bearer "
            "header); the dashboard's cookie is not accepted here.",
        )
    else:
        token = None
    claims = app[TOKENS].verify(token)
    return await app[ACCOUNTS].session_user(claims)


async def login(request: web.Request) -> web.Response:
    try:
        body = await read_json(request)
        user = await request.app[ACCOUNTS].login(body.get("name"), body.get("password"), client_address(request))
    except WireError as e:
        if not isinstance(e, Throttled):  # throttled attempts are logged once per block, by the throttle
            log.info("login refused: %s", e.code)
        return error_response(e)
    token = request.app[TOKENS].issue(user)
    return web.json_response({"ok": True, "token": token, "user": public_user(user)})


async def logout(request: web.Request) -> web.Response:
    """End every session of this account (all its tokens, on every device)."""
    try:
        user = await user_from_request(request, cookie=False)
    except WireError as e:
        return error_response(e)
    await request.app[STORE].aio.revoke_sessions(user["id"], "logout")
    safety = request.app[WORLD].safety
    if safety is not None:
        await safety.set_duty(user, False, "logout")  # duty ends with the session
    log.info("user %s logged out", user["id"])
    return web.json_response({"ok": True})


HEALTH_PROBE_TIMEOUT = 1.0  # a store that cannot finish one tiny write in this long is not healthy


async def store_status(store: Storage) -> str:
    """A real write (one row of `store_probe`), on a worker thread so a queue of slow writes on the store
    thread does not hide the answer: 'ok', 'read_only', 'locked', 'error' or 'timeout'."""
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(loop.run_in_executor(None, store.probe_write), HEALTH_PROBE_TIMEOUT)
    except TimeoutError:
        return "timeout"


async def health(request: web.Request) -> web.Response:
    """200 when this node can serve and record; 503 (with what is wrong) when its store cannot write."""
    world = request.app[WORLD]
    store = await store_status(request.app[STORE])
    ok = store == "ok"
    return web.json_response(
        {"ok": ok, "store": store, "rooms": len(world.rooms), "connections": len(world.conns)},
        status=200 if ok else 503,
    )


async def rooms(request: web.Request) -> web.Response:
    try:
        user = await user_from_request(request)
    except WireError as e:
        return error_response(e)
    listed = await request.app[WORLD].rooms_for(user)
    return web.json_response({"ok": True, "rooms": [r.summary() for r in listed]})


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every response (JSON, metrics, dashboard, errors): no content sniffing, no Referer leaving the site."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")


def add_routes(app: web.Application) -> None:
    cfg = app[CFG]
    app[ACCOUNTS].throttle = LoginThrottle(
        cfg.login_free_per_name, cfg.login_free_per_address, cfg.login_backoff_base, cfg.login_backoff_max
    )
    app.on_response_prepare.append(security_headers)
    app.router.add_post("/api/login", login)
    app.router.add_post("/api/logout", logout)
    app.router.add_get("/api/health", health)
    app.router.add_get("/api/rooms", rooms)
