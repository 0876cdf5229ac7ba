"""Every internal name of python-engineio, python-socketio and aiohttp (and PyYAML) the code reaches, in one place.

server/transport.py writes websocket frames itself and swaps an engine.io socket's class at run time,
server/gateway.py (GuardedServer) overrides python-socketio's packet handlers, server/app.py hooks aiohttp's connection
bookkeeping, and the world and scale-out code read the Socket.IO manager's rooms. None of these names is a
documented API: a minor release may rename, remove or re-sign any of them, and the code would then fail at
run time, or worse, an override would silently stop being called. pyproject pins those three distributions
to the tested minor release; tests/test_private_parts.py checks each name below on the installed versions
and names the one an upgrade moved ("python-engineio 4.16.0 moved `AsyncSocket._websocket_handler` ...").

Use a new internal name in the server? Add it here (tests/test_private_parts.py also finds private names of
these libraries that the code reaches and this list lacks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class PrivatePart:
    dist: str  # the distribution whose release may move it, as pip names it
    owner: str  # "module:Class" where it lives
    name: str
    # "callable": a method on the class (its parameters, when given, are the ones our override or call uses);
    # "attribute": present on every instance (the test makes one)
    kind: Literal["callable", "attribute"]
    used_by: str  # where our code depends on it
    params: tuple[str, ...] | None = None


_EIO, _SIO, _AIOHTTP = "python-engineio", "python-socketio", "aiohttp"
_SOCKET = "engineio.async_socket:AsyncSocket"
_EIO_SERVER = "engineio.async_server:AsyncServer"
_SIO_SERVER = "socketio.async_server:AsyncServer"
_MANAGER = "socketio.async_manager:AsyncManager"
_REDIS_MANAGER = "socketio.async_redis_manager:AsyncRedisManager"
_LEAN = "server/transport.py LeanSocket"
_FANOUT = "server/transport.py FanoutManager"
_GATEWAY = "server/gateway.py GuardedServer"
_BOT = "client/bot.py Bot.drop_link"
_YAML = "server/scenarios/schema.py (merge keys, values)"

PRIVATE_PARTS: tuple[PrivatePart, ...] = (
    # engine.io's socket, which LeanSocket becomes (LeanSocket.adopt swaps the class of a fresh instance)
    PrivatePart(_EIO, _SOCKET, "_websocket_handler", "callable", _LEAN + " overrides it", ("self", "ws")),
    PrivatePart(_EIO, _SOCKET, "send", "callable", _LEAN + " overrides it", ("self", "pkt")),
    PrivatePart(_EIO, _SOCKET, "close", "callable", _LEAN + " overrides it", ("self", "wait", "abort", "reason")),
    PrivatePart(_EIO, _SOCKET, "receive", "callable", _LEAN + " feeds it each frame read", ("self", "pkt")),
    PrivatePart(_EIO, _SOCKET, "check_ping_timeout", "callable", _LEAN + ".send", ("self",)),
    PrivatePart(_EIO, _SOCKET, "queue", "attribute", _LEAN + " (the writer's queue) and gateway refusals"),
    PrivatePart(_EIO, _SOCKET, "server", "attribute", _LEAN + " (ping settings, reasons)"),
    PrivatePart(_EIO, _SOCKET, "sid", "attribute", _LEAN + " (logs)"),
    PrivatePart(_EIO, _SOCKET, "connected", "attribute", _LEAN + "._websocket_handler"),
    PrivatePart(_EIO, _SOCKET, "upgraded", "attribute", _LEAN + " and gateway refusals"),
    PrivatePart(_EIO, _SOCKET, "upgrading", "attribute", _LEAN + ".close"),
    PrivatePart(_EIO, _SOCKET, "closing", "attribute", _LEAN + ".close"),
    PrivatePart(_EIO, _SOCKET, "closed", "attribute", _LEAN + ".write_frame"),
    # engine.io's aiohttp websocket wrapper: the aiohttp response inside it
    PrivatePart(_EIO, "engineio.async_drivers.aiohttp:WebSocket", "_sock", "attribute", _LEAN + "._websocket_handler"),
    # engine.io's server
    PrivatePart(_EIO, _EIO_SERVER, "sockets", "attribute", _FANOUT + ".emit, " + _GATEWAY + " (sessions by eio sid)"),
    PrivatePart(_EIO, _EIO_SERVER, "reason", "attribute", _LEAN + ".close, " + _GATEWAY + "._end_session"),
    PrivatePart(_EIO, _EIO_SERVER, "handlers", "attribute", _LEAN + "._websocket_handler (binary messages)"),
    PrivatePart(_EIO, _EIO_SERVER, "async_handlers", "attribute", _LEAN + "._websocket_handler (binary messages)"),
    # python-socketio's server: the packet handlers GatewayServer overrides, the sends it and FanoutManager call
    PrivatePart(_SIO, _SIO_SERVER, "_handle_eio_connect", "callable", _GATEWAY, ("self", "eio_sid", "environ")),
    PrivatePart(_SIO, _SIO_SERVER, "_handle_eio_disconnect", "callable", _GATEWAY, ("self", "eio_sid", "reason")),
    PrivatePart(_SIO, _SIO_SERVER, "_handle_eio_message", "callable", _GATEWAY, ("self", "eio_sid", "data")),
    PrivatePart(_SIO, _SIO_SERVER, "_handle_connect", "callable", _GATEWAY, ("self", "eio_sid", "namespace", "data")),
    PrivatePart(
        _SIO, _SIO_SERVER, "_handle_disconnect", "callable", _GATEWAY, ("self", "eio_sid", "namespace", "reason")
    ),
    PrivatePart(
        _SIO, _SIO_SERVER, "_handle_event", "callable", _GATEWAY, ("self", "eio_sid", "namespace", "id", "data")
    ),
    PrivatePart(
        _SIO, _SIO_SERVER, "_send_packet", "callable", _GATEWAY + " (acks of refusals)", ("self", "eio_sid", "pkt")
    ),
    PrivatePart(_SIO, _SIO_SERVER, "_send_eio_packet", "callable", _FANOUT + ".emit", ("self", "eio_sid", "eio_pkt")),
    PrivatePart(_SIO, _SIO_SERVER, "packet_class", "attribute", _FANOUT + ".emit, " + _GATEWAY),
    PrivatePart(_SIO, _SIO_SERVER, "handlers", "attribute", _GATEWAY + "._handle_event (reserved names)"),
    # python-socketio's manager: FanoutManager replaces its emit; the world and scale-out read rooms through it
    PrivatePart(_SIO, _MANAGER, "rooms", "attribute", _FANOUT + ".emit (namespace -> room -> sid -> eio sid)"),
    PrivatePart(_SIO, _MANAGER, "get_rooms", "callable", "server/world/world.py, server/scale/node.py"),
    PrivatePart(_SIO, _MANAGER, "sid_from_eio_sid", "callable", _GATEWAY, ("self", "eio_sid", "namespace")),
    PrivatePart(_SIO, _MANAGER, "is_connected", "callable", _GATEWAY + "._plain_event", ("self", "sid", "namespace")),
    # python-socketio's msgpack packet: the gateway reads ordinary event packets itself, with the library's options
    PrivatePart(_SIO, "socketio.msgpack_packet:MsgPackPacket", "ext_hook", "attribute", _GATEWAY + "._plain_event"),
    PrivatePart(_SIO, _MANAGER, "eio_sid_from_sid", "callable", _GATEWAY + ".hang_up", ("self", "sid", "namespace")),
    PrivatePart(
        _SIO, _REDIS_MANAGER, "_redis_connect", "callable", "server/transport.py RedisFanoutManager", ("self",)
    ),
    PrivatePart(
        _SIO, _REDIS_MANAGER, "redis_url", "attribute", "server/transport.py RedisFanoutManager._redis_connect"
    ),
    PrivatePart(_SIO, _REDIS_MANAGER, "redis", "attribute", "server/transport.py RedisFanoutManager._redis_connect"),
    PrivatePart(_SIO, _REDIS_MANAGER, "pubsub", "attribute", "server/transport.py RedisFanoutManager._redis_connect"),
    # aiohttp: the websocket's frame writer (LeanSocket writes to its transport), the bound server, the hooks
    PrivatePart(_AIOHTTP, "aiohttp.web_ws:WebSocketResponse", "_writer", "attribute", _LEAN + "._websocket_handler"),
    PrivatePart(
        _AIOHTTP, "aiohttp._websocket.writer:WebSocketWriter", "transport", "attribute", _LEAN + "._websocket_handler"
    ),
    PrivatePart(_AIOHTTP, "aiohttp.web_runner:TCPSite", "_server", "attribute", "server/app.py start (the bound port)"),
    PrivatePart(
        _AIOHTTP,
        "aiohttp.web_server:Server",
        "connection_made",
        "callable",
        "server/app.py cap_connections_per_address",
        ("self", "handler", "transport"),
    ),
    PrivatePart(
        _AIOHTTP,
        "aiohttp.web_server:Server",
        "connection_lost",
        "callable",
        "server/app.py cap_connections_per_address",
        ("self", "handler", "exc"),
    ),
    # the test bots' flaky link (client/bot.py Bot.drop_link): the TCP transport under python-socketio's client
    PrivatePart(_EIO, "engineio.async_client:AsyncClient", "ws", "attribute", _BOT),
    PrivatePart(_AIOHTTP, "aiohttp.client_ws:ClientWebSocketResponse", "_conn", "attribute", _BOT),
    PrivatePart(_AIOHTTP, "aiohttp.connector:Connection", "transport", "attribute", _BOT),
    # PyYAML's constructor, used on its own to build values from the scenario loader's nodes
    PrivatePart(
        "PyYAML", "yaml.constructor:SafeConstructor", "construct_object", "callable", _YAML, ("self", "node", "deep")
    ),
    PrivatePart("PyYAML", "yaml.constructor:SafeConstructor", "flatten_mapping", "callable", _YAML, ("self", "node")),
)
