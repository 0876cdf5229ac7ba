"""Assemble the server: storage, accounts, the world, the gateway and HTTP routes."""

from __future__ import annotations

import asyncio
import logging
import signal
import ssl
from collections import Counter
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from . import http_api
from .appkeys import ACCOUNTS, CFG, GATEWAY, METRICS, NODE, PROXIES, RECORDS, SAFETY, SIO, STORE, TOKENS, WORLD
from .auth import Accounts, Tokens, load_secret
from .config import Config
from .controllers import Controllers
from .gateway import Gateway, GuardedServer
from .gctune import GcTuning
from .metrics import Metrics
from .metrics import add_route as add_metrics_route
from .proxies import TrustedProxies
from .records import Records
from .safety import Helpline, Safety
from .safety.escalation import Escalation
from .scenarios.intents import load as load_scenarios
from .storage import SERVER_BUSY_TIMEOUT, open_storage
from .transport import FanoutManager
from .world import RoomFeature, World

if TYPE_CHECKING:
    from .scale.interest import InterestFeature

log = logging.getLogger("peerspace")

# Feature modules register their intents with the gateway on import; those with HTTP routes or startup
# work define `setup(app)`, called once the world is assembled.
FEATURES = (
    "server.world.intents",
    "server.world.appearance",
    "server.safety",
    "server.records",
    "server.dashboard",
    "server.controllers",
    "server.scenarios.intents",
    "server.scenarios.console",
    "server.courses",
    "server.voice",
)


def optional_parts(cfg: Config) -> tuple[ModuleType | None, type[InterestFeature] | None]:
    """The optional modules this configuration asks for: the one place the core loads server.scale.

    Returns the scale-out module (server/scale/node.py, with cfg.redis_url) or None, and the interest
    management feature class (server/scale/interest.py, with cfg.interest_min > 0) or None.
    """
    scale: ModuleType | None = None
    interest: type[InterestFeature] | None = None
    if cfg.redis_url:  # several nodes: emits travel through Redis (server/scale/node.py)
        from .scale import node

        scale = node
    if cfg.interest_min > 0:  # big rooms send per interest cell
        from .scale.interest import InterestFeature

        interest = InterestFeature
    return scale, interest


# The transport's own ceiling: past this aiohttp closes the socket. Messages
# between the app limit (cfg.max_payload) and this get a clear `too_large` error.
TRANSPORT_LIMIT = 256 * 1024


def build_app(cfg: Config) -> web.Application:
    import importlib

    proxies = TrustedProxies.parse(cfg.trusted_proxies, cfg.proxy_header)  # a wrong setting stops the start here
    for mod in FEATURES:
        importlib.import_module(mod)
    store = open_storage(cfg.database_url or cfg.database, busy_timeout=SERVER_BUSY_TIMEOUT)
    tokens = Tokens(load_secret(cfg), cfg.token_ttl)
    accounts = Accounts(store)
    scale, interest = optional_parts(cfg)
    sio = GuardedServer(
        async_mode="aiohttp",
        serializer="msgpack",
        cors_allowed_origins=[],
        max_http_buffer_size=TRANSPORT_LIMIT,
        logger=False,
        engineio_logger=False,
        ping_interval=10,
        ping_timeout=10,
        # handlers run in each connection's own read loop: no task per message
        async_handlers=False,
        client_manager=scale.client_manager(cfg) if scale else FanoutManager(),
    )
    app = web.Application(client_max_size=TRANSPORT_LIMIT)
    sio.attach(app)
    world = World(cfg, store, sio)
    metrics = Metrics()
    gateway = Gateway(world, accounts, tokens, metrics=metrics)
    gateway.attach(sio)
    metrics.bind(world)
    node = scale.Node(cfg, world, gateway, metrics) if scale else None
    gateway.router = node
    safety, records, controllers, scenarios = Safety(world), Records(world), Controllers(world), load_scenarios(world)
    # The room lifecycle's features, in the order the world calls them at every step (docs/architecture.md):
    # sends and node bookkeeping first (a person who left stops getting cell snapshots, and their node
    # record is cleared, before any feature reacts), then the always-on core (metrics, the gateway's
    # housekeeping), then safety before everything that reacts to people (a refused or paused line never
    # reaches records, drivers or a scenario) and its help line, then records, controllers and scenarios.
    features: list[RoomFeature] = []
    if interest is not None:
        features.append(interest(world))
    if node is not None:
        features.append(node.feature)
    features += [metrics, gateway, safety, Helpline(world, safety), records, controllers, scenarios]
    world.assemble(features, safety=safety, records=records, scenarios=scenarios)
    app[CFG], app[STORE], app[TOKENS], app[ACCOUNTS], app[SIO] = cfg, store, tokens, accounts, sio
    app[WORLD], app[GATEWAY], app[METRICS], app[NODE] = world, gateway, metrics, node
    app[SAFETY], app[RECORDS], app[PROXIES] = safety, records, proxies
    escalation = Escalation(world, metrics.count)  # unacknowledged alerts, on a task of its own
    http_api.add_routes(app)
    for mod in FEATURES:
        setup = getattr(importlib.import_module(mod), "setup", None)
        if setup is not None:
            setup(app)
    add_metrics_route(app, metrics)

    async def on_startup(app: web.Application) -> None:
        if node is not None:
            await node.start()
        world.start()
        escalation.start()

    async def on_cleanup(app: web.Application) -> None:
        await world.stop()
        await escalation.stop()
        if node is not None:
            await node.stop()
        await store.aio.drain(2.0)  # alerts and lines still waiting for a locked store get a last chance
        store.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


TOO_MANY_CONNECTIONS = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 10\r\n"
    b"Connection: close\r\n\r\n"
    b'{"ok": false, "error": {"code": "too_many_connections", "message": '
    b'"Too many connections from your address. Close some, then try again."}}'
)


def cap_connections_per_address(server: web.Server, limit: int, exempt: Callable[[str], bool] | None = None) -> None:
    """At most `limit` open TCP connections from one client address; the next gets a 503 and is closed.

    `exempt` addresses (trusted reverse proxies) are not counted: a proxy's connections carry many people's, which
    are counted per forwarded address once their headers are read (engine.io sessions, log-ins), and the proxy
    limits connections per client itself (docs/deploy/nginx.conf).

    Hooks the connection bookkeeping aiohttp's web.Server already does for every connection, before any
    byte of a request is read (a wrapper, not a subclass: the runner builds the server itself).
    """
    held: Counter[str] = Counter()
    address_of: dict[RequestHandler, str] = {}
    made, lost = server.connection_made, server.connection_lost

    def connection_made(handler: RequestHandler, transport: asyncio.Transport) -> None:
        peer = transport.get_extra_info("peername")
        addr = peer[0] if peer else "?"
        if exempt is not None and exempt(addr):
            made(handler, transport)
            return
        if held[addr] >= limit:
            log.info("connection refused: address holds %d (the limit)", held[addr])
            transport.pause_reading()  # not one byte of its request is read
            transport.write(TOO_MANY_CONNECTIONS)
            # closed once aiohttp's handler has started (closing inside connection_made races its start())
            asyncio.get_running_loop().call_soon(transport.close)
            return
        held[addr] += 1
        address_of[handler] = addr
        made(handler, transport)

    def connection_lost(handler: RequestHandler, exc: BaseException | None = None) -> None:
        addr = address_of.pop(handler, None)
        if addr is not None:
            held[addr] -= 1
            if held[addr] <= 0:
                del held[addr]
        lost(handler, exc)

    # per-instance hooks over aiohttp's own methods, on purpose (see above)
    server.connection_made, server.connection_lost = connection_made, connection_lost  # type: ignore[method-assign]


class TLSSettingsError(ValueError):
    """tls_cert/tls_key are incomplete or cannot be loaded: the server does not start (never falls back to http)."""


def tls_context(cfg: Config) -> ssl.SSLContext | None:
    """The server's TLS context from cfg.tls_cert and cfg.tls_key, or None (plain http) when neither is set."""
    if not cfg.tls_cert and not cfg.tls_key:
        return None
    if not (cfg.tls_cert and cfg.tls_key):
        raise TLSSettingsError("give both --tls-cert and --tls-key (PEERSPACE_TLS_CERT, PEERSPACE_TLS_KEY), or neither")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cfg.tls_cert, cfg.tls_key)
    except (OSError, ssl.SSLError) as e:
        raise TLSSettingsError(
            f"cannot load the TLS certificate {cfg.tls_cert} with the key {cfg.tls_key}: {e}. "
            "Both must be PEM files readable by this user, and the key must match the certificate."
        ) from e
    return ctx


def scheme(cfg: Config) -> str:
    return "https" if cfg.tls_cert else "http"


async def start(cfg: Config) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner and the bound port (cfg.port 0 picks a free one)."""
    ssl_context = tls_context(cfg)  # before anything opens: bad TLS settings stop the start, never fall back to http
    app = build_app(cfg)
    # keepalive_timeout doubles as the header timeout: aiohttp closes a connection whose handler is still
    # waiting for a complete request this long after the connection opened or its last response (slowloris)
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=cfg.header_timeout)
    await runner.setup()
    assert runner.server is not None  # made by setup()
    cap_connections_per_address(runner.server, cfg.max_per_address, exempt=app[PROXIES].trusts)
    site = web.TCPSite(runner, cfg.host, cfg.port, ssl_context=ssl_context)
    await site.start()
    server: Any = site._server  # asyncio's Server, or uvloop's (not a subclass of it, nor typed)
    assert server is not None and server.sockets  # a TCPSite's, once started
    port: int = server.sockets[0].getsockname()[1]
    return runner, port


def event_loop_factory(cfg: Config) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when installed (the `fast` extra) and not turned off; None: asyncio's own."""
    if cfg.event_loop not in ("auto", "asyncio", "uvloop"):
        raise SystemExit(f"PEERSPACE_EVENT_LOOP is {cfg.event_loop!r}: use auto, asyncio or uvloop")
    if cfg.event_loop == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if cfg.event_loop == "uvloop":
            raise SystemExit(
                "PEERSPACE_EVENT_LOOP is uvloop, which is not installed: pip install 'peerspace[fast]'"
            ) from None
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def serve(cfg: Config, ready_file: str | None = None) -> None:
    async def main() -> None:
        runner, port = await start(cfg)
        # what start-up made lives as long as the server: no collection needs to walk it again
        tuning = GcTuning()
        tuning.start()
        settle = asyncio.get_running_loop().create_task(_settle_gc(tuning, cfg.gc_settle_s))
        log.info("peerspace listening on %s://%s:%d", scheme(cfg), cfg.host, port)
        if ready_file:
            with open(ready_file, "w") as f:
                f.write(str(port))
        print(f"peerspace listening on {scheme(cfg)}://{cfg.host}:{port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):  # a clean stop: the store is closed, the tick ends
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            settle.cancel()
            tuning.stop(cfg.gc_report)
            await runner.cleanup()

    try:
        with asyncio.Runner(loop_factory=event_loop_factory(cfg)) as loop_runner:
            loop_runner.run(main())
    except KeyboardInterrupt:
        pass


async def _settle_gc(tuning: GcTuning, every_s: float) -> None:
    if every_s <= 0:
        return
    while True:
        await asyncio.sleep(every_s)
        tuning.settle()
