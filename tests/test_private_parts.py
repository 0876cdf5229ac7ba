"""The internal names of engine.io, socket.io and aiohttp that the server reaches (server/private_parts.py) are all
there, with the kind and parameters the server expects, on the installed versions; and none is reached unlisted.

An upgrade that moves one fails here, naming it ("python-engineio 4.16.0 moved `AsyncSocket._websocket_handler`
..."), instead of as an AttributeError deep in a connection, or an override that silently stops being called.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

import engineio
import socketio
from aiohttp import web
from engineio.async_drivers.aiohttp import WebSocket as EioAiohttpWebSocket
from engineio.async_socket import AsyncSocket

from server.private_parts import PRIVATE_PARTS, PrivatePart

ROOT = Path(__file__).resolve().parents[1]
# the modules that reach into the three libraries; the completeness check reads them
REACHING_MODULES = ("server/transport.py", "server/gateway.py", "server/app.py", "client/bot.py")


async def make_instances() -> tuple[dict[str, object], web.AppRunner]:
    """One fresh instance of each owner whose instance attributes are listed (attributes set in __init__ exist only
    on instances). The runner is for cleanup."""
    runner = web.AppRunner(web.Application())
    await runner.setup()
    eio = engineio.AsyncServer(async_mode="aiohttp")
    writer_mod = importlib.import_module("aiohttp._websocket.writer")
    instances: dict[str, object] = {
        "engineio.async_socket:AsyncSocket": AsyncSocket(eio, "sid"),
        "engineio.async_drivers.aiohttp:WebSocket": EioAiohttpWebSocket(None, eio),
        "engineio.async_server:AsyncServer": eio,
        "socketio.async_server:AsyncServer": socketio.AsyncServer(async_mode="aiohttp", serializer="msgpack"),
        "socketio.async_manager:AsyncManager": socketio.AsyncManager(),
        # nothing connects until the manager is used
        "socketio.async_redis_manager:AsyncRedisManager": socketio.AsyncRedisManager("redis://127.0.0.1:1/0"),
        "aiohttp.web_ws:WebSocketResponse": web.WebSocketResponse(),
        "aiohttp._websocket.writer:WebSocketWriter": writer_mod.WebSocketWriter(None, None),
        "aiohttp.web_runner:TCPSite": web.TCPSite(runner, "127.0.0.1", 0),
    }
    return instances, runner


def moved(parts: Iterable[PrivatePart], instances: dict[str, object]) -> list[str]:
    """One line for each part that is not where and what server/private_parts.py says; [] when all are."""
    out = []
    for part in parts:
        module_name, _, class_name = part.owner.partition(":")
        where = f"{part.dist} {version(part.dist)}"
        see = f"({part.used_by}): see server/private_parts.py"
        try:
            owner = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            out.append(f"{where} moved `{part.owner}`, the owner of `{part.name}` {see}")
            continue
        label = f"`{class_name}.{part.name}`"
        if part.kind == "callable":
            fn = getattr(owner, part.name, None)
            if not callable(fn):
                out.append(f"{where} moved {label} {see}")
            elif part.params is not None and tuple(inspect.signature(fn).parameters) != part.params:
                got = ", ".join(inspect.signature(fn).parameters)
                out.append(
                    f"{where} changed the parameters of {label} to ({got}), not ({', '.join(part.params)}) {see}"
                )
        else:
            instance = instances.get(part.owner)
            there = hasattr(instance, part.name) if instance is not None else sets_attribute(owner, part.name)
            if not there:
                out.append(f"{where} moved {label} (an attribute of each {class_name}) {see}")
    return out


def sets_attribute(cls: type, name: str) -> bool:
    """For a class too involved to make one here: a class attribute, slot or property, or `self.name = ...` in the
    source of the class or a base."""
    if hasattr(cls, name):
        return True
    assigned = re.compile(rf"\bself\.{re.escape(name)}\s*(:[^=\n]*)?=[^=]")
    for k in cls.__mro__[:-1]:
        try:
            if assigned.search(inspect.getsource(k)):
                return True
        except (OSError, TypeError):  # compiled classes have no source
            continue
    return False


async def test_every_private_part_is_where_the_server_expects_it():
    instances, runner = await make_instances()
    try:
        problems = moved(PRIVATE_PARTS, instances)
    finally:
        await runner.cleanup()
    assert not problems, "\n" + "\n".join(problems)


async def test_a_moved_or_resigned_part_is_named():
    instances, runner = await make_instances()
    try:
        problems = moved(
            [
                PrivatePart("python-engineio", "engineio.async_socket:AsyncSocket", "_ws_handler", "callable", "x"),
                PrivatePart(
                    "python-socketio",
                    "socketio.async_server:AsyncServer",
                    "_handle_connect",
                    "callable",
                    "y",
                    ("self", "eio_sid", "namespace"),
                ),
                PrivatePart("aiohttp", "aiohttp.web_ws:WebSocketResponse", "_frame_writer", "attribute", "z"),
                PrivatePart("aiohttp", "aiohttp.web_ws:WebSocketStream", "_writer", "attribute", "w"),
                PrivatePart("aiohttp", "aiohttp.client_ws:ClientWebSocketResponse", "_connection", "attribute", "v"),
            ],
            instances,
        )
    finally:
        await runner.cleanup()
    eio, sio, aio = version("python-engineio"), version("python-socketio"), version("aiohttp")
    assert problems == [
        f"python-engineio {eio} moved `AsyncSocket._ws_handler` (x): see server/private_parts.py",
        f"python-socketio {sio} changed the parameters of `AsyncServer._handle_connect` to (self, eio_sid, namespace, "
        "data), not (self, eio_sid, namespace) (y): see server/private_parts.py",
        f"aiohttp {aio} moved `WebSocketResponse._frame_writer` (an attribute of each WebSocketResponse) (z): "
        "see server/private_parts.py",
        f"aiohttp {aio} moved `aiohttp.web_ws:WebSocketStream`, the owner of `_writer` (w): "
        "see server/private_parts.py",
        f"aiohttp {aio} moved `ClientWebSocketResponse._connection` (an attribute of each ClientWebSocketResponse) "
        "(v): see server/private_parts.py",
    ]


async def test_an_upgrade_that_moves_a_part_fails_naming_it(monkeypatch):
    """As if a python-socketio release had renamed `_send_eio_packet` and given `_handle_connect` a parameter."""
    from socketio.async_server import AsyncServer

    async def handle_connect(self, eio_sid, namespace, data, auth):  # the shape of the imagined release
        pass

    monkeypatch.delattr(AsyncServer, "_send_eio_packet")
    monkeypatch.setattr(AsyncServer, "_handle_connect", handle_connect)
    instances, runner = await make_instances()
    try:
        problems = moved(PRIVATE_PARTS, instances)
    finally:
        await runner.cleanup()
    sio = version("python-socketio")
    assert problems == [
        f"python-socketio {sio} changed the parameters of `AsyncServer._handle_connect` to (self, eio_sid, namespace, "
        "data, auth), not (self, eio_sid, namespace, data) (server/gateway.py GuardedServer): "
        "see server/private_parts.py",
        f"python-socketio {sio} moved `AsyncServer._send_eio_packet` (server/transport.py FanoutManager.emit): "
        "see server/private_parts.py",
    ]


# --- no internal name reached unlisted ------------------------------------------------------------------------------


def defined_names(tree: ast.Module) -> set[str]:
    """Names a module defines: functions and methods, attributes it assigns, class attributes."""
    own = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    own |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)}
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                own.add(stmt.target.id)
            elif isinstance(stmt, ast.Assign):
                own |= {t.id for t in stmt.targets if isinstance(t, ast.Name)}
    return own


def reached_private_names(tree: ast.Module, module: object, ours: frozenset[str] = frozenset()) -> set[str]:
    """Private names the module takes from other code: `x._name` / `getattr(x, "_name")` on an object other than
    self that this module does not define, `self._name` that neither it nor the project (`ours`: a base class of
    ours may define it) does, `super()._name`, and `def _name` overriding a method of a base class from outside the
    project (an override the base stops calling when it renames the method)."""
    own = defined_names(tree)
    found: set[str] = set()

    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            owner = node.value
            if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super":
                found.add(node.attr)
            elif node.attr not in own and not (
                isinstance(owner, ast.Name) and owner.id == "self" and node.attr in ours
            ):
                found.add(node.attr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and private(node.args[1].value)
            and node.args[1].value not in own
        ):
            found.add(node.args[1].value)
        elif isinstance(node, ast.ClassDef):
            cls = getattr(module, node.name, None)
            outside = [b for b in getattr(cls, "__mro__", ())[1:] if not b.__module__.startswith(("server", "wire"))]
            for stmt in node.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and private(stmt.name):
                    if any(stmt.name in vars(b) for b in outside):
                        found.add(stmt.name)
    return found


def test_every_private_name_the_server_reaches_is_listed():
    listed = {part.name for part in PRIVATE_PARTS}
    ours = frozenset(
        name
        for folder in ("wire", "server", "client")
        for f in (ROOT / folder).rglob("*.py")
        for name in defined_names(ast.parse(f.read_text()))
    )
    unlisted = {}
    for path in REACHING_MODULES:
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        names = reached_private_names(ast.parse((ROOT / path).read_text()), module, ours) - listed
        if names:
            unlisted[path] = sorted(names)
    assert not unlisted, f"private names of other packages reached but not in server/private_parts.py: {unlisted}"


def test_the_completeness_rule_catches_an_unlisted_reach():
    code = (
        "class Server(socketio.AsyncServer):\n"
        "    def _own(self):\n        self._mine = 1\n        self._own()\n"
        "    async def _handle_ack(self, *a):\n        await super()._trigger_event(*a)\n        self._send_packet()\n"
        "        self._fire()\n"
        "def f(ws, resp):\n    ws._sock\n    getattr(resp, '_writer')\n    resp._fire()\n"
    )
    module = type("M", (), {"Server": type("Server", (socketio.AsyncServer,), {})})
    reached = {"_handle_ack", "_trigger_event", "_send_packet", "_sock", "_writer"}
    assert reached_private_names(ast.parse(code), module) == reached | {"_fire"}
    # `self._fire()` is a method of a project base class (wire.session.Session for the bots); `resp._fire()` is not
    assert reached_private_names(ast.parse(code), module, frozenset({"_fire"})) == reached | {"_fire"}
    assert (
        reached_private_names(ast.parse(code.replace("resp._fire()", "resp")), module, frozenset({"_fire"})) == reached
    )
