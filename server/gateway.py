"""The Socket.IO boundary. Every inbound message passes through here, once.

Order of checks for an event: decodable packet and size -> known event ->
rate -> schema (wire.validate) -> role -> room membership -> the handler.
Any refusal goes back to the sender only, as an `error` event (and as the
ack when the client used `call`), with a stable code and a message a person
can act on. Logs carry the event name, the user id and the code, never the
content. Feature modules register their intents with `@intent(...)`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

import socketio

import wire
from wire import errors, events
from wire.errors import WireError

from .auth import public_user
from .scale.node import LOCAL
from .transport import LeanSocket
from .world import Connection, Member, Room, World

log = logging.getLogger("peerspace.gateway")

@dataclass
class Ctx:
    world: World
    conn: Connection
    room: Room | None = None
    member: Member | None = None

    @property
    def user(self) -> dict:
        return self.conn.user

    @property
    def role(self) -> str:
        return self.conn.user["role"]

    def acting_avatar(self, payload: dict) -> int:
        """The avatar an intent drives: the sender's own, or a cast avatar they have claimed."""
        aid = payload.get("avatar")
        if aid is None or aid == self.member.avatar:
            return self.member.avatar
        self.room.avatar(aid)
        if self.room.drivers.get(aid) != self.user["id"]:
            raise WireError(errors.FORBIDDEN, "You can only move an avatar that is yours or that you have claimed.")
        return aid


Handler = Callable[[Ctx, dict], Awaitable[dict | None]]


@dataclass
class Intent:
    fn: Handler
    roles: tuple[str, ...]
    in_room: bool


INTENTS: dict[str, Intent] = {}


def intent(event: str, *, roles: tuple[str, ...] = events.ROLES, in_room: bool = True):
    """Register a handler for a client intent. The schema must exist in wire.messages."""
    if event not in wire.messages.SCHEMAS:
        raise ValueError(f"no wire schema for intent {event!r}")

    def deco(fn: Handler) -> Handler:
        if event in INTENTS:
            raise ValueError(f"intent {event!r} registered twice")
        INTENTS[event] = Intent(fn, tuple(roles), in_room)
        return fn
    return deco


class GuardedServer(socketio.AsyncServer):
    """An AsyncServer that answers undecodable or oversized packets instead of dropping them silently,
    on engine.io sockets that write websocket frames directly (server/transport.py)."""

    app_payload_limit = 16 * 1024
    gateway: "Gateway | None" = None

    async def _handle_eio_connect(self, eio_sid, environ):
        sock = self.eio.sockets.get(eio_sid)
        if sock is not None:
            LeanSocket.adopt(sock, on_cut=self.gateway and (lambda: self.gateway._count("slow_clients_cut_total")))
        return await super()._handle_eio_connect(eio_sid, environ)

    async def _handle_eio_message(self, eio_sid, data):
        if isinstance(data, (bytes, str)) and len(data) > self.app_payload_limit:
            await self._refuse_packet(eio_sid, WireError(
                errors.TOO_LARGE, f"That message is {len(data)} bytes; the limit is {self.app_payload_limit}."))
            return
        try:
            await super()._handle_eio_message(eio_sid, data)
        except Exception:
            await self._refuse_packet(eio_sid, WireError(
                errors.BAD_PACKET, "The server could not read that message (it is not a valid Socket.IO/msgpack "
                                   "packet). Please update your client."))

    async def _refuse_packet(self, eio_sid, err: WireError) -> None:
        sid = self.manager.sid_from_eio_sid(eio_sid, "/")
        conn = self.gateway.world.conns.get(sid) if (sid and self.gateway) else None
        if conn is not None:
            await self.gateway.refuse(conn, None, err)


class Gateway:
    def __init__(self, world: World, accounts, tokens, metrics=None):
        self.world, self.accounts, self.tokens = world, accounts, tokens
        self.metrics = metrics
        self.cfg = world.cfg
        self.router = None     # scale-out: server/scale/node.py forwards intents for rooms on other nodes

    def attach(self, sio: socketio.AsyncServer) -> None:
        sio.on("connect", self.on_connect)
        sio.on("disconnect", self.on_disconnect)
        sio.on("*", self.on_event)
        if isinstance(sio, GuardedServer):
            sio.gateway = self
            sio.app_payload_limit = self.cfg.max_payload

    # --- connection lifecycle -------------------------------------------------------------
    async def on_connect(self, sid, environ, auth=None):
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            claims = self.tokens.verify(token)
            # the current row: a deleted account, a revoked session (logout, password change, ban) is refused
            user = await self.accounts.session_user(claims)
        except WireError as e:
            log.info("connection refused: %s", e.code)
            raise socketio.exceptions.ConnectionRefusedError(e.as_payload())
        except Exception:
            log.info("connection refused: %s", errors.UNAUTHORIZED)
            raise socketio.exceptions.ConnectionRefusedError({"code": errors.UNAUTHORIZED,
                                                              "message": "Please log in again."})
        now = time.monotonic()
        self.world.conns[sid] = Connection(sid, dict(user), tokens=self.cfg.rate_burst, last_refill=now)
        self._count("connections_total")

    async def on_disconnect(self, sid, reason=None):
        conn = self.world.conns.pop(sid, None)
        if conn is not None:
            await self.world.dropped(conn)
            if self.router is not None:
                await self.router.dropped(conn)

    # --- one path for every event -------------------------------------------------------------
    async def on_event(self, event, sid, *args):
        conn = self.world.conns.get(sid)
        if conn is None:
            return None
        name = event if isinstance(event, str) else None
        try:
            if not self._take_token(conn):
                raise WireError(errors.RATE_LIMITED,
                                "You are sending messages faster than the server accepts. Please slow down.")
            if len(args) > 1:
                raise WireError(errors.INVALID, f"'{name}' takes one map of fields.")
            payload = wire.validate(event, args[0] if args else None)
            if name == events.HELLO:
                result = await self._hello(conn, payload)
                if self.router is not None and not result["resumed"]:
                    result = await self.router.resume(conn, result)
            else:
                result = await self._dispatch(conn, name, payload)
            self._count("intents_total")
            conn.refused = 0
            return {"ok": True, **(result or {})}
        except WireError as e:
            return await self.refuse(conn, name, e)
        except Exception:
            log.exception("handler for %s failed (user %s)", name, conn.user["id"])
            return await self.refuse(conn, name, WireError("server_error",
                                                           "Something went wrong on the server; it has been logged."))

    async def _dispatch(self, conn: Connection, event: str, payload: dict) -> dict | None:
        if self.router is not None:
            routed = await self.router.route(conn, event, payload)
            if routed is not LOCAL:
                return routed
        spec = INTENTS.get(event)
        if spec is None:
            raise WireError(errors.UNKNOWN_EVENT, f"Unknown event '{event}'.")
        if conn.user["role"] not in spec.roles:
            raise WireError(errors.FORBIDDEN, f"Your role ({conn.user['role']}) cannot use '{event}'.")
        ctx = Ctx(self.world, conn)
        if spec.in_room:
            room, member = self.world.member_of(conn.user["id"])
            if room is None or member.sid != conn.sid:
                raise WireError(errors.NOT_IN_ROOM, f"Join a room before using '{event}'.")
            ctx.room, ctx.member = room, member
        return await spec.fn(ctx, payload)

    async def _hello(self, conn: Connection, payload: dict) -> dict:
        if payload["protocol"] != wire.PROTOCOL_VERSION:
            raise WireError("protocol", f"This client speaks protocol {payload['protocol']}; the server speaks "
                                        f"{wire.PROTOCOL_VERSION}. Please update your client.")
        room = await self.world.resume(conn)
        return {"user": public_user(conn.user), "protocol": wire.PROTOCOL_VERSION,
                "resumed": room is not None, "room": room.id if room else None}

    # --- refusals -------------------------------------------------------------------------------------
    async def refuse(self, conn: Connection, event: str | None, err: WireError) -> dict:
        self._count("rejects_total", err.code)
        conn.refused += 1
        log.info("refused %s from user %s: %s", event if event in wire.messages.SCHEMAS else "?",
                 conn.user["id"], err.code)
        now = time.monotonic()
        # A flood of bad messages gets a bounded number of error events back, not one per message.
        if now - conn.last_error_sent > 0.2 or conn.refused <= 5:
            conn.last_error_sent = now
            shown = event if isinstance(event, str) and len(event) <= 64 else None
            await self.world.send(conn.sid, events.ERROR, err.as_payload(shown))
        return {"ok": False, "error": err.as_payload()}

    def _take_token(self, conn: Connection) -> bool:
        now = time.monotonic()
        conn.tokens = min(self.cfg.rate_burst, conn.tokens + (now - conn.last_refill) * self.cfg.rate_per_s)
        conn.last_refill = now
        if conn.tokens < 1.0:
            return False
        conn.tokens -= 1.0
        return True

    def _count(self, name: str, label: str | None = None) -> None:
        if self.metrics is not None:
            self.metrics.count(name, label)
