"""HTTP: what is monitored and where to get support (public, so it can be read before signing up)."""

from __future__ import annotations

from aiohttp import web

from ..appkeys import SAFETY


async def info(request: web.Request) -> web.Response:
    c = request.app[SAFETY].crisis
    return web.json_response(
        {
            "ok": True,
            "monitoring": c.monitoring_notice,
            "resources": {"title": c.resources_title, "text": c.resources_text},
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/safety/info", info)
