"""Typed aiohttp application keys: what server/app.py puts in the app, for handlers to read.

`request.app[WORLD]` is a `World` to a type checker, where `request.app["world"]` would be Any.
The types are imported for checkers only: no runtime import (server.scale stays optional).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from .auth import Accounts, Tokens
    from .config import Config
    from .gateway import Gateway, GuardedServer
    from .metrics import Metrics
    from .proxies import TrustedProxies
    from .records import Records
    from .safety.moderation import Safety
    from .scale.node import Node
    from .storage.sqlite import SQLiteStorage
    from .world import World

CFG: web.AppKey[Config] = web.AppKey("cfg")
STORE: web.AppKey[SQLiteStorage] = web.AppKey("store")
TOKENS: web.AppKey[Tokens] = web.AppKey("tokens")
ACCOUNTS: web.AppKey[Accounts] = web.AppKey("accounts")
SIO: web.AppKey[GuardedServer] = web.AppKey("sio")
WORLD: web.AppKey[World] = web.AppKey("world")
GATEWAY: web.AppKey[Gateway] = web.AppKey("gateway")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
NODE: web.AppKey[Node | None] = web.AppKey("node")  # scale-out only (cfg.redis_url)
SAFETY: web.AppKey[Safety] = web.AppKey("safety")
RECORDS: web.AppKey[Records] = web.AppKey("records")
PROXIES: web.AppKey[TrustedProxies] = web.AppKey("proxies")  # whose forwarding header is believed
