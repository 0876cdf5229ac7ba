"""The Socket.IO boundary. Every inbound message passes through here, once.

Order of checks for an event: decodable packet and size -> known event ->
rate -> schema (wire.validate) -> role -> room membership -> the handler.
Any refusal goes back to the sender only, as an `error` event (and as the
ack when the client used `call`), with a stable code and a message a person
can act on. Refusals are logged as one line per socket per interval, with
counts by code (user id and codes, never content); a socket that keeps
sending past its limits is cut off. Event names python-socketio gives a
meaning to (`connect`, `disconnect`, ...) never reach a handler from a client.
Feature modules register their intents with `@intent(...)`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import msgpack
import socketio

import wire
from wire import appearance as wire_appearance
from wire import errors, events
from wire.errors import WireError

from . import languages, proxies
from .appkeys import PROXIES
from .auth import public_user
from .background import Background
from .transport import LeanSocket
from .world import Connection, Member, Room, RoomFeature, World

if TYPE_CHECKING:
    from aiohttp import web

    from .auth import Accounts, Tokens
    from .metrics import Metrics

log = logging.getLogger("peerspace.gateway")

# Names python-socketio itself uses for a connection's lifecycle (server and client side). A client EVENT packet
# with one of them would otherwise run the server's own connect/disconnect handler.
RESERVED_EVENTS = (
    frozenset(socketio.base_server.BaseServer.reserved_events)
    | frozenset(socketio.base_client.BaseClient.reserved_events)
    | {"disconnecting", "*"}
)
_background = Background()  # fire-and-forget closes
# What a router (`Gateway.router`, e.g. server/scale/node.py) returns from `route()` for "handle it here";
# anything else is the reply of the node that handled it.
LOCAL = object()
REFUSAL_FETCH_WAIT = 2.0  # seconds a refused client has to fetch its connect_error (polling) or hang up (websocket)


class Router(Protocol):
    """What the gateway asks of a scale-out router (server/scale/node.py's Node)."""

    async def route(self, conn: Connection, event: str, payload: dict[str, Any]) -> object:
        """LOCAL to handle the intent here, else the reply (a dict or None) of the node that handled it."""

    async def resume(self, conn: Connection, hello: dict[str, Any]) -> dict[str, Any]: ...

    async def dropped(self, conn: Connection) -> None: ...


def client_address(environ: dict[str, Any]) -> str:
    """The client address of an engine.io request (engine.io's own REMOTE_ADDR is a fixed placeholder): the peer's,
    or the one a trusted reverse proxy forwarded (server/proxies.py)."""
    request: web.Request | None = environ.get("aiohttp.request")
    if request is None:
        return "?"
    return proxies.client_address(request, request.app.get(PROXIES, proxies.NO_PROXIES)) or "?"


class Refused(socketio.exceptions.ConnectionRefusedError):  # type: ignore[misc]  # python-socketio is untyped
    """A refused connect whose connect_error carries our payload ({code, message}) as a map; python-socketio's
    own exception would turn a dict into the string of it.

    The map is also under `data`: socket.io-client (JavaScript) makes connect_error an Error with
    `message` from the packet and `data` from its `data` field, so there the code is `err.data.code`;
    python-socketio hands the whole map to the handler (`data["code"]`)."""

    def __init__(self, payload: dict[str, Any]):
        super().__init__()
        self.error_args = {**payload, "data": dict(payload)}


def connect_error_text(err: WireError) -> str:
    """A Socket.IO CONNECT_ERROR packet in the default (JSON, text) encoding, for a client without the msgpack
    parser: it cannot read anything else the server sends, but this it can."""
    payload = err.as_payload()
    return str(socketio.packet.CONNECT_ERROR) + json.dumps({**payload, "data": payload})


def peek_event(data: bytes) -> tuple[str | None, int | None]:
    """The event name and ack id of an encoded msgpack Socket.IO packet ((None, None) if it has none), so that
    a message refused before decoding (too large) is still answered to the event and ack it was."""
    try:
        pkt = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception:
        return None, None
    if not isinstance(pkt, dict):
        return None, None
    body, ack_id = pkt.get("data"), pkt.get("id")
    name = body[0] if isinstance(body, list) and body and isinstance(body[0], str) and len(body[0]) <= 64 else None
    return name, ack_id if isinstance(ack_id, int) and not isinstance(ack_id, bool) else None


@dataclass
class Bucket:
    """One person's rate and refusals: shared by all their sockets, so more sockets never mean more."""

    tokens: float
    stamp: float
    flood_since: float = 0.0  # refusals are counted in a window that starts here
    flood_count: int = 0


@dataclass
class Ctx:
    world: World
    conn: Connection
    room: Room | None = None
    member: Member | None = None

    @property
    def user(self) -> dict[str, Any]:
        return self.conn.user

    @property
    def role(self) -> str:
        role: str = self.conn.user["role"]
        return role

    def in_room(self) -> tuple[Room, Member]:
        """The sender's room and membership: set by `Gateway.dispatch` for every intent registered with
        in_room=True (the default), so there this never raises."""
        if self.room is None or self.member is None:
            raise WireError(errors.NOT_IN_ROOM, "Join a room first.")
        return self.room, self.member

    def acting_avatar(self, payload: dict[str, Any]) -> int:
        """The avatar an intent drives: the sender's own, or a cast avatar they have claimed."""
        room, member = self.in_room()
        aid: int | None = payload.get("avatar")
        if aid is None or aid == member.avatar:
            return member.avatar
        room.avatar(aid)
        if room.drivers.get(aid) != self.user["id"]:
            raise WireError(errors.FORBIDDEN, "You can only move an avatar that is yours or that you have claimed.")
        return aid


Handler = Callable[[Ctx, dict[str, Any]], Awaitable[dict[str, Any] | None]]
H = TypeVar("H", bound=Handler)


@dataclass
class Intent:
    fn: Handler
    roles: tuple[str, ...]
    in_room: bool
    own_rate: bool = False  # the handler keeps its own budget (voice frames): not taken from the intents' bucket


INTENTS: dict[str, Intent] = {}


def intent(
    event: str, *, roles: tuple[str, ...] = events.ROLES, in_room: bool = True, own_rate: bool = False
) -> Callable[[H], H]:
    """Register a handler for a client intent. The schema must exist in wire.messages. own_rate: the handler
    enforces a rate of its own (a stream such as voice), so its messages do not drain the person's intent bucket."""
    if event not in wire.messages.SCHEMAS:
        raise ValueError(f"no wire schema for intent {event!r}")

    def deco(fn: H) -> H:
        if event in INTENTS:
            raise ValueError(f"intent {event!r} registered twice")
        INTENTS[event] = Intent(fn, tuple(roles), in_room, own_rate)
        return fn

    return deco


class GuardedServer(socketio.AsyncServer):  # type: ignore[misc]  # python-socketio is untyped
    """An AsyncServer that answers undecodable or oversized packets instead of dropping them silently,
    on engine.io sockets that write websocket frames directly (server/transport.py).

    It also keeps unauthenticated engine.io sessions cheap and few: at most `max_per_address` per client
    address, closed after a refused Socket.IO connect, and closed if no connect is accepted within
    `auth_timeout` seconds.
    """

    app_payload_limit = 16 * 1024
    gateway: Gateway | None = None

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._address_of: dict[str, str] = {}  # eio sid -> client address
        self._sessions: Counter[str] = Counter()  # client address -> engine.io sessions open
        self._auth_timers: dict[str, asyncio.TimerHandle] = {}  # eio sid -> its authentication deadline

    def _start_auth_timer(self, eio_sid: str) -> None:
        gateway = self.gateway
        assert gateway is not None  # only sessions counted for a gateway (see _handle_eio_connect) get one
        self._stop_auth_timer(eio_sid)
        self._auth_timers[eio_sid] = asyncio.get_running_loop().call_later(
            gateway.cfg.auth_timeout, lambda: _background.spawn(self._auth_deadline(eio_sid))
        )

    def _stop_auth_timer(self, eio_sid: str) -> None:
        timer = self._auth_timers.pop(eio_sid, None)
        if timer is not None:
            timer.cancel()

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> object:
        gateway = self.gateway
        cfg = gateway.cfg if gateway is not None else None
        if cfg is not None:
            addr = client_address(environ)
            if self._sessions[addr] >= cfg.max_per_address:
                log.info("engine.io session refused: address holds %d (the limit)", self._sessions[addr])
                return {
                    "code": errors.TOO_MANY_CONNECTIONS,
                    "message": "Too many connections from your address. Close some, then try again.",
                }
            self._sessions[addr] += 1
            self._address_of[eio_sid] = addr
            self._start_auth_timer(eio_sid)
        sock = self.eio.sockets.get(eio_sid)
        if sock is not None:
            LeanSocket.adopt(sock, on_cut=(lambda: gateway._count("slow_clients_cut_total")) if gateway else None)
        return await super()._handle_eio_connect(eio_sid, environ)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: str) -> None:
        try:
            await super()._handle_eio_disconnect(eio_sid, reason)
        finally:
            self._stop_auth_timer(eio_sid)
            addr = self._address_of.pop(eio_sid, None)
            if addr is not None:
                self._sessions[addr] -= 1
                if self._sessions[addr] <= 0:
                    del self._sessions[addr]

    async def _handle_disconnect(self, eio_sid: str, namespace: str | None, reason: str | None = None) -> None:
        await super()._handle_disconnect(eio_sid, namespace, reason)
        if (
            self.gateway is not None
            and eio_sid in self._address_of
            and self.manager.sid_from_eio_sid(eio_sid, "/") is None
        ):
            self._start_auth_timer(eio_sid)  # a client that left the namespace but keeps the session open

    async def _auth_deadline(self, eio_sid: str) -> None:
        self._auth_timers.pop(eio_sid, None)
        if self.manager.sid_from_eio_sid(eio_sid, "/") is None:
            await self._end_session(eio_sid)

    async def hang_up(self, sid: str) -> None:
        """Disconnect a Socket.IO client and close its engine.io session and websocket too.

        `disconnect()` alone ends only the namespace and leaves closing the connection to the client; one
        that does not would keep its socket, and the server would go on reading whatever it sends.
        """
        eio_sid = self.manager.eio_sid_from_sid(sid, "/")
        await self.disconnect(sid)
        if eio_sid is not None:
            await self._end_session(eio_sid)

    async def _end_session(self, eio_sid: str) -> None:
        """Close an engine.io session without waiting for its client (engine.io's disconnect() waits until a
        polling client has fetched the close packet, which one that never polls again never does). Packets
        already queued still reach a long-poll in flight; a websocket is closed (LeanSocket.close)."""
        sock = self.eio.sockets.get(eio_sid)
        if sock is not None:
            await sock.close(wait=False, reason=self.eio.reason.SERVER_DISCONNECT)
            self.eio.sockets.pop(eio_sid, None)

    async def _end_refused_session(self, eio_sid: str) -> None:
        """End a refused session once its client has its connect_error, at most REFUSAL_FETCH_WAIT seconds on.

        A long-polling client fetches it with its next GET, which a session closed at once would answer with
        "session not found" instead. A websocket client hangs up by itself once it has read it; closing first
        races that: python-engineio's client, told to close while it is closing, empties its send queue under
        its writer, which then waits out its 15 s timeout before the refusal reaches the person."""
        sock = self.eio.sockets.get(eio_sid)
        if isinstance(sock, LeanSocket) and sock.upgraded:
            await sock.wait_ended(REFUSAL_FETCH_WAIT)
        elif sock is not None and not sock.upgraded:
            try:
                await asyncio.wait_for(sock.queue.join(), REFUSAL_FETCH_WAIT)
            except TimeoutError:
                pass
        await self._end_session(eio_sid)

    async def _handle_connect(self, eio_sid: str, namespace: str | None, data: object) -> None:
        if self.manager.sid_from_eio_sid(eio_sid, namespace or "/") is not None:
            # a second CONNECT on a connected socket would run on_connect again (a fresh bucket, a second room)
            await self._refuse_packet(eio_sid, WireError(errors.INVALID, "This connection is already connected."))
            return
        await super()._handle_connect(eio_sid, namespace, data)
        self._stop_auth_timer(eio_sid)
        if self.manager.sid_from_eio_sid(eio_sid, "/") is None:
            # refused (connect_error sent) and not connected otherwise: nothing will be accepted on this
            # session, so end it
            _background.spawn(self._end_refused_session(eio_sid))

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: int | None, data: object) -> None:
        name = data[0] if isinstance(data, list) and data else None
        if isinstance(name, str) and (name in RESERVED_EVENTS or name in self.handlers.get(namespace or "/", ())):
            sid = self.manager.sid_from_eio_sid(eio_sid, namespace or "/")
            gateway = self.gateway
            conn = gateway.world.conns.get(sid) if (sid and gateway) else None
            if gateway is None or conn is None or conn.cut:
                return
            ack = await gateway.refuse(
                conn,
                name,
                WireError(
                    errors.UNKNOWN_EVENT, f"'{name}' is a name the connection itself uses; a client cannot send it."
                ),
            )
            if id is not None:
                await self._send_packet(
                    eio_sid, self.packet_class(socketio.packet.ACK, namespace=namespace, id=id, data=[ack])
                )
            return
        await super()._handle_event(eio_sid, namespace, id, data)

    async def _handle_eio_message(self, eio_sid: str, data: object) -> None:
        if self.gateway is not None:
            conn = self.gateway.world.conns.get(self.manager.sid_from_eio_sid(eio_sid, "/"))
            if conn is not None and conn.cut:  # being cut off for flooding: not even decoded
                return
        if isinstance(data, str) and self.manager.sid_from_eio_sid(eio_sid, "/") is None:
            # msgpack Socket.IO packets are binary; text here is a client with the default JSON parser, which
            # would read none of our msgpack answers and wait for ever: refuse its connect in its own encoding
            await self.eio.send(
                eio_sid,
                connect_error_text(
                    WireError(
                        errors.PROTOCOL,
                        "This server speaks Socket.IO with the msgpack parser only. Connect with "
                        "socket.io-msgpack-parser (JavaScript) or serializer='msgpack' (python-socketio).",
                    )
                ),
            )
            self._stop_auth_timer(eio_sid)
            _background.spawn(self._end_refused_session(eio_sid))
            return
        if isinstance(data, (bytes, str)) and len(data) > self.app_payload_limit:
            event, ack_id = peek_event(data) if isinstance(data, bytes) else (None, None)
            ack = await self._refuse_packet(
                eio_sid,
                WireError(
                    errors.TOO_LARGE, f"That message is {len(data)} bytes; the limit is {self.app_payload_limit}."
                ),
                event,
            )
            if ack is not None and ack_id is not None:  # so that a client's call (emitWithAck) is answered
                await self._send_packet(
                    eio_sid, self.packet_class(socketio.packet.ACK, namespace="/", id=ack_id, data=[ack])
                )
            return
        plain = self._plain_event(eio_sid, data) if isinstance(data, bytes) and not self.async_handlers else None
        if plain is not None and self.gateway is not None:
            await self._run_event(eio_sid, *plain)
            return
        try:
            await super()._handle_eio_message(eio_sid, data)
        except Exception:
            await self._refuse_packet(
                eio_sid,
                WireError(
                    errors.BAD_PACKET,
                    "The server could not read that message (it is not a valid Socket.IO/msgpack "
                    "packet). Please update your client.",
                ),
            )

    def _plain_event(self, eio_sid: str, data: bytes) -> tuple[str, int | None, str, list[Any]] | None:
        """(sid, ack id, event, arguments) of an ordinary event packet from a connected client, else None.

        Every intent (a move, a look, a line said) is such a packet. python-socketio passes each through five
        layers (packet object, namespace checks, a log call, handler lookup, a coroutine-function check) on
        its way to the gateway's one handler: about a third of an intent's time at 1,000 avatars (cProfile, #20).
        Anything else (connect, disconnect, acks, binary attachments, other namespaces, reserved names,
        unreadable packets) goes the library's way, and its refusals are as before."""
        try:
            pkt = msgpack.loads(data, ext_hook=self.packet_class.ext_hook)  # as python-socketio's packet reads it
        except Exception:
            return None
        if not isinstance(pkt, dict) or pkt.get("type") != socketio.packet.EVENT or pkt.get("nsp") != "/":
            return None
        body, ack = pkt.get("data"), pkt.get("id")
        if not isinstance(body, list) or not body or not isinstance(body[0], str) or body[0] in RESERVED_EVENTS:
            return None
        if ack is not None and (type(ack) is not int or ack < 0):
            return None
        sid = self.manager.sid_from_eio_sid(eio_sid, "/")
        if sid is None or not self.manager.is_connected(sid, "/"):
            return None
        return sid, ack, body[0], body[1:]

    async def _run_event(self, eio_sid: str, sid: str, ack: int | None, event: str, args: list[Any]) -> None:
        """One plain event to the gateway, and its answer to the client when it asked for one (an ack)."""
        assert self.gateway is not None
        answer = await self.gateway.on_event(event, sid, *args)
        if ack is not None:
            await self._send_packet(
                eio_sid,
                self.packet_class(socketio.packet.ACK, namespace="/", id=ack, data=[] if answer is None else [answer]),
            )

    async def _refuse_packet(self, eio_sid: str, err: WireError, event: str | None = None) -> dict[str, Any] | None:
        """Refuse a message of a connected client; the ack to send if it asked for one (None if not connected)."""
        sid = self.manager.sid_from_eio_sid(eio_sid, "/")
        gateway = self.gateway
        conn = gateway.world.conns.get(sid) if (sid and gateway) else None
        if gateway is not None and conn is not None:
            return await gateway.refuse(conn, event, err)
        return None


class Gateway(RoomFeature):
    def __init__(self, world: World, accounts: Accounts, tokens: Tokens, metrics: Metrics | None = None):
        self.world, self.accounts, self.tokens = world, accounts, tokens
        self.metrics = metrics
        self.cfg = world.cfg
        self.router: Router | None = None  # scale-out: server/scale/node.py forwards intents to other nodes
        self.buckets: dict[int, Bucket] = {}  # user id -> rate bucket, shared by their sockets
        self.cooldown: dict[int, float] = {}  # user id -> when someone cut off for flooding may connect again
        self._connects_unlogged: dict[str, int] = {}  # refused connects by code, for the next log line
        self._connects_logged = 0.0

    def attach(self, sio: socketio.AsyncServer) -> None:
        sio.on("connect", self.on_connect)
        sio.on("disconnect", self.on_disconnect)
        sio.on("*", self.on_event)
        if isinstance(sio, GuardedServer):
            sio.gateway = self
            sio.app_payload_limit = self.cfg.max_payload

    # --- connection lifecycle -------------------------------------------------------------
    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            claims = self.tokens.verify(token)
            # the current row: a deleted account, a revoked session (logout, password change, ban) is refused
            user = await self.accounts.session_user(claims)
            await self._admit(user)
        except WireError as e:
            self._connect_refused(e.code)
            raise Refused(e.as_payload()) from None
        except Exception:
            self._connect_refused(errors.UNAUTHORIZED)
            raise Refused({"code": errors.UNAUTHORIZED, "message": "Please log in again."}) from None
        # the participant's language for scenario, questionnaire and crisis text: optional, never a refusal
        language = languages.chosen(auth.get("language") if isinstance(auth, dict) else None)
        self.world.conns[sid] = Connection(sid, dict(user), language=language)
        self._count("connections_total")

    async def _admit(self, user: dict[str, Any]) -> None:
        """Per-person limits at connect: a cool-down after a flood cut, and at most max_sockets_per_user
        sockets. The next one is refused rather than closing an older one: closing would let a client
        that reconnects in a loop churn connections without end."""
        uid = user["id"]
        wait = self.cooldown.get(uid, 0.0) - time.monotonic()
        if wait > 0:
            raise WireError(
                errors.RATE_LIMITED,
                f"This account sent too many messages the server had to refuse. "
                f"Please wait {wait:.0f} s, then connect again.",
            )
        if len(self.world.sids_of(uid)) >= self.cfg.max_sockets_per_user:
            raise WireError(
                errors.TOO_MANY_CONNECTIONS,
                f"This account already has {self.cfg.max_sockets_per_user} "
                "open connections. Close a window, or wait a minute and "
                "try again.",
            )

    async def on_disconnect(self, sid: str, reason: str | None = None) -> None:
        conn = self.world.conns.pop(sid, None)
        if conn is not None:
            self._log_refusals(conn, time.monotonic())
            await self.world.dropped(conn)
            if self.router is not None:
                await self.router.dropped(conn)

    # --- one path for every event -------------------------------------------------------------
    async def on_event(self, event: object, sid: str, *args: object) -> dict[str, Any] | None:
        conn = self.world.conns.get(sid)
        if conn is None or conn.cut:
            return None
        name = event if isinstance(event, str) else None
        try:
            spec = INTENTS.get(name) if name is not None else None
            if not (spec is not None and spec.own_rate) and not self._take_token(conn):
                raise WireError(
                    errors.RATE_LIMITED, "You are sending messages faster than the server accepts. Please slow down."
                )
            if len(args) > 1:
                raise WireError(errors.INVALID, f"'{name}' takes one map of fields.")
            payload = wire.validate(event, args[0] if args else None)
            assert name is not None  # wire.validate refused any event that is not a known name
            result: dict[str, Any] | None
            if name == events.HELLO:
                result = await self._hello(conn, payload)
                if self.router is not None and not result["resumed"]:
                    result = await self.router.resume(conn, result)
            else:
                result = await self.dispatch(conn, name, payload)
            self._count("intents_total")
            conn.refused = 0
            return {"ok": True, **(result or {})}
        except WireError as e:
            return await self.refuse(conn, name, e)
        except Exception:
            log.exception("handler for %s failed (user %s)", name, conn.user["id"])
            return await self.refuse(
                conn, name, WireError("server_error", "Something went wrong on the server; it has been logged.")
            )

    async def dispatch(self, conn: Connection, event: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Run one intent for this connection (routed to the room's node first, with scale-out)."""
        if self.router is not None:
            routed = await self.router.route(conn, event, payload)
            if routed is not LOCAL:
                return cast("dict[str, Any] | None", routed)  # the owner node's reply to this intent
        spec = INTENTS.get(event)
        if spec is None:
            raise WireError(errors.UNKNOWN_EVENT, f"Unknown event '{event}'.")
        if conn.user["role"] not in spec.roles:
            raise WireError(errors.FORBIDDEN, f"Your role ({conn.user['role']}) cannot use '{event}'.")
        ctx = Ctx(self.world, conn)
        if spec.in_room:
            room, member = self.world.member_of(conn.user["id"])
            if room is None or member is None or member.sid != conn.sid:
                raise WireError(errors.NOT_IN_ROOM, f"Join a room before using '{event}'.")
            ctx.room, ctx.member = room, member
        return await spec.fn(ctx, payload)

    async def _hello(self, conn: Connection, payload: dict[str, Any]) -> dict[str, Any]:
        if payload["protocol"] != wire.PROTOCOL_VERSION:
            raise WireError(
                "protocol",
                f"This client speaks protocol {payload['protocol']}; the server speaks "
                f"{wire.PROTOCOL_VERSION}. Please update your client.",
            )
        room = await self.world.resume(conn)
        return {
            "user": public_user(conn.user),
            "appearance": wire_appearance.decode(conn.user.get("appearance")),  # None: not chosen yet
            "protocol": wire.PROTOCOL_VERSION,
            "resumed": room is not None,
            "room": room.id if room else None,
        }

    # --- refusals -------------------------------------------------------------------------------------
    async def refuse(self, conn: Connection, event: str | None, err: WireError) -> dict[str, Any]:
        self._count("rejects_total", err.code)
        conn.refused += 1
        now = time.monotonic()
        conn.unlogged[err.code] = conn.unlogged.get(err.code, 0) + 1
        if now - conn.log_since >= self.cfg.refusal_log_every:  # else counted into the next line
            self._log_refusals(conn, now)
        bucket = self._bucket(conn.user["id"], now)
        if now - bucket.flood_since > self.cfg.flood_window:
            bucket.flood_since, bucket.flood_count = now, 0
        bucket.flood_count += 1
        if bucket.flood_count > self.cfg.flood_limit:
            await self._cut_flooder(conn.user["id"], now)
            return {"ok": False, "error": err.as_payload()}
        # A flood of bad messages gets a bounded number of error events back, not one per message.
        if now - conn.last_error_sent > 0.2 or conn.refused <= 5:
            conn.last_error_sent = now
            shown = event if isinstance(event, str) and len(event) <= 64 else None
            await self.world.send(conn.sid, events.ERROR, err.as_payload(shown))
        return {"ok": False, "error": err.as_payload()}

    async def _cut_flooder(self, uid: int, now: float) -> None:
        """Someone who keeps sending what is refused costs the server for nothing: tell every socket of
        theirs, close them, and refuse their connects for a cool-down."""
        self.cooldown[uid] = now + self.cfg.flood_cooldown
        err = WireError(
            errors.RATE_LIMITED,
            f"The server refused more than {self.cfg.flood_limit} of your messages "
            f"in {self.cfg.flood_window:.0f} s, so it has disconnected you. Please "
            f"wait {self.cfg.flood_cooldown:.0f} s before connecting again.",
        )
        for sid in self.world.sids_of(uid):
            conn = self.world.conns[sid]
            if conn.cut:
                continue
            conn.cut = True
            self._count("flooders_cut_total")
            self._log_refusals(conn, now)
            log.info(
                "user %s cut off on %s: over %d refused messages in %.0f s",
                uid,
                sid,
                self.cfg.flood_limit,
                self.cfg.flood_window,
            )
            await self.world.send(sid, events.ERROR, err.as_payload())
            _background.spawn(self.world.hang_up(sid))

    def _log_refusals(self, conn: Connection, now: float) -> None:
        """One line for everything refused on this socket since its last line: counts by code."""
        if conn.unlogged:
            codes = ", ".join(f"{code} x{n}" for code, n in sorted(conn.unlogged.items()))
            log.info(
                "refused %d message(s) from user %s on %s: %s",
                sum(conn.unlogged.values()),
                conn.user["id"],
                conn.sid,
                codes,
            )
            conn.unlogged = {}
            conn.log_since = now

    def _connect_refused(self, code: str, now: float | None = None) -> None:
        """Refused connects are logged like refused messages: at most one line per interval, with counts."""
        now = time.monotonic() if now is None else now
        if code:
            self._connects_unlogged[code] = self._connects_unlogged.get(code, 0) + 1
        if self._connects_unlogged and now - self._connects_logged >= self.cfg.refusal_log_every:
            log.info(
                "connection refused %d time(s): %s",
                sum(self._connects_unlogged.values()),
                ", ".join(f"{c} x{n}" for c, n in sorted(self._connects_unlogged.items())),
            )
            self._connects_unlogged, self._connects_logged = {}, now

    async def housekeeping(self) -> None:
        now = time.monotonic()
        self._connect_refused("", now)
        for conn in list(self.world.conns.values()):
            if conn.unlogged and now - conn.log_since >= self.cfg.refusal_log_every:
                self._log_refusals(conn, now)
        # a full bucket is the same as none: forget those of people no longer connected
        online = {c.user["id"] for c in self.world.conns.values()}
        full_after = self.cfg.rate_burst / max(self.cfg.rate_per_s, 1e-9)
        for uid in [
            u
            for u, b in self.buckets.items()
            if u not in online and now - b.stamp > full_after and now - b.flood_since > self.cfg.flood_window
        ]:
            del self.buckets[uid]
        for uid in [u for u, t in self.cooldown.items() if t <= now]:
            del self.cooldown[uid]

    def _bucket(self, uid: int, now: float) -> Bucket:
        bucket = self.buckets.get(uid)
        if bucket is None:
            bucket = self.buckets[uid] = Bucket(self.cfg.rate_burst, now)
        return bucket

    def _take_token(self, conn: Connection) -> bool:
        now = time.monotonic()
        bucket = self._bucket(conn.user["id"], now)
        bucket.tokens = min(self.cfg.rate_burst, bucket.tokens + (now - bucket.stamp) * self.cfg.rate_per_s)
        bucket.stamp = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def _count(self, name: str, label: str | None = None) -> None:
        if self.metrics is not None:
            self.metrics.count(name, label)
