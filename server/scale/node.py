"""Scale-out: several server processes ("nodes") sharing Redis, with room -> node affinity.

Design (docs/scaling.md has the whole story):

* Emits: python-socketio's `AsyncRedisManager` (with our local fan-out, server/transport.py), so an emit on any node
  reaches clients connected to every node (and `enter_room` on a sid that
  lives on another node is published to it).
* Affinity: a room's state (avatars, tick) lives on exactly one node, its
  *owner*, recorded in Redis as `peerspace:owner:<room>` = node id with a
  lease (`cfg.owner_lease`) that the owner renews while the room has people.
  The first node that needs an unowned room claims it with `SET NX PX`.
* Forwarding: a client may be connected to any node. Its node still does the
  per-connection checks (packet, rate, schema); intents for a room owned by
  another node go to the owner over Redis pub/sub (`peerspace:node:<id>`),
  which runs role check + handler against a proxy connection and answers
  with the ack. Results reach the client through the Redis manager.
* Liveness: each node keeps `peerspace:alive:<id>` alive with the same lease.
  When an owner disappears, nodes with clients in its rooms re-home them
  (claim the room, join them again); clients of the dead node reconnect to
  another node (a load balancer, or the client's next address) and `hello`
  puts them back in their room (`peerspace:user:<uid>` remembers it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from typing import TYPE_CHECKING, Any

import msgpack

from wire import events
from wire.errors import WireError

from ..background import Background
from ..gateway import LOCAL
from ..transport import RedisFanoutManager, redis_client
from ..world import Connection, Member, Room, RoomFeature

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub

    from ..config import Config
    from ..gateway import Gateway
    from ..metrics import Metrics
    from ..world import World

log = logging.getLogger("peerspace.scale")

PREFIX = "peerspace"

RENEW_IF_MINE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end
"""
DELETE_IF = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""


def client_manager(cfg: Config) -> RedisFanoutManager:
    return RedisFanoutManager(cfg.redis_url, channel=f"{PREFIX}-sio")


def _text(value: bytes | str) -> str:
    """A Redis value as text (our client leaves responses undecoded: bytes)."""
    return value.decode() if isinstance(value, bytes) else value


def default_node_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class Node:
    def __init__(self, cfg: Config, world: World, gateway: Gateway, metrics: Metrics | None = None):
        self.cfg, self.world, self.gateway, self.metrics = cfg, world, gateway, metrics
        self.id = cfg.node_id or default_node_id()
        self.redis: Redis = redis_client(cfg.redis_url)
        self.lease_ms = int(cfg.owner_lease * 1000)
        self.proxies: dict[str, Connection] = {}  # sid on another node -> proxy connection here
        self._mixed_at: dict[str, float] = {}  # room id -> last time it had someone on another node
        world.sio.manager.local_only = self.delivers_locally
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._seq = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._background = Background()  # requests from other nodes being served
        self.owned: set[str] = set()
        self.feature = Membership(self)  # its part in the room lifecycle (server/app.py installs it)

    # --- keys ----------------------------------------------------------------------------------
    @staticmethod
    def owner_key(room_id: str) -> str:
        return f"{PREFIX}:owner:{room_id}"

    @staticmethod
    def alive_key(node_id: str) -> str:
        return f"{PREFIX}:alive:{node_id}"

    @staticmethod
    def channel(node_id: str) -> str:
        return f"{PREFIX}:node:{node_id}"

    @staticmethod
    def user_key(uid: int) -> str:
        return f"{PREFIX}:user:{uid}"

    # --- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.redis.set(self.alive_key(self.id), "1", px=self.lease_ms)
        self.pubsub: PubSub = self.redis.pubsub(ignore_subscribe_messages=True)
        await self.pubsub.subscribe(self.channel(self.id))
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._listen()), loop.create_task(self._heartbeat())]
        log.info("node %s joined the cluster", self.id)

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):
                pass
        try:
            for rid in list(self.owned):
                await self.redis.eval(DELETE_IF, 1, self.owner_key(rid), self.id)
            await self.redis.delete(self.alive_key(self.id))
            await self.pubsub.aclose()  # type: ignore[no-untyped-call]  # redis: PubSub.aclose is unannotated
            await self.redis.aclose()
        except Exception:
            pass

    async def _heartbeat(self) -> None:
        period = self.cfg.owner_lease / 3
        while True:
            try:
                await self.redis.set(self.alive_key(self.id), "1", px=self.lease_ms)
                for rid in list(self.owned):
                    room = self.world.rooms.get(rid)
                    if room is None or not room.members:
                        await self.redis.eval(DELETE_IF, 1, self.owner_key(rid), self.id)
                        self.owned.discard(rid)
                    elif not await self.redis.eval(RENEW_IF_MINE, 1, self.owner_key(rid), self.id, self.lease_ms):
                        # lost the lease (stalled past it): take it back only if nobody else did
                        if not await self.redis.set(self.owner_key(rid), self.id, nx=True, px=self.lease_ms):
                            log.warning("room %s: ownership lost to another node", rid)
                await self._check_owners()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("heartbeat failed")
            await asyncio.sleep(period)

    # --- ownership -------------------------------------------------------------------------------
    async def owner(self, room_id: str) -> str:
        """The node that owns a room; claims it for this node if nobody does."""
        key = self.owner_key(room_id)
        cur = await self.redis.get(key)
        if cur is not None:
            cur = _text(cur)
            if cur == self.id or await self.redis.exists(self.alive_key(cur)):
                if cur == self.id:
                    self.owned.add(room_id)
                return cur
            await self.redis.eval(DELETE_IF, 1, key, cur)  # its node is gone: free the room
        if await self.redis.set(key, self.id, nx=True, px=self.lease_ms):
            self.owned.add(room_id)
            return self.id
        cur = await self.redis.get(key)
        return _text(cur) if cur else self.id

    def delivers_locally(self, target: str) -> bool:
        """Whether every recipient of an emit to `target` (a room id or a sid) is connected here.

        Such an emit skips Redis (RedisFanoutManager). With room affinity at the load balancer that
        is nearly every emit. A person's own events follow their room, and a room that had someone
        on another node in the last second keeps using Redis, so nothing published a moment ago is
        overtaken by a later local delivery.
        """
        conn = self.world.conns.get(target)
        if conn is not None:
            room = self.world.member_of(conn.user["id"])[0]
            if room is None:
                return True
            target = room.id
        room = self.world.rooms.get(target)
        if room is None or target not in self.owned:
            return False
        now = time.monotonic()
        if any(m.sid in self.proxies for m in room.members.values()):
            self._mixed_at[target] = now
            return False
        return now - self._mixed_at.get(target, -1e9) > 1.0

    def _known_room(self, room_id: str) -> None:
        """Rooms created on another node exist in the shared store; open them here on first use."""
        if room_id in self.world.rooms:
            return
        for row in self.world.store.list_rooms():
            if row["id"] == room_id:
                self.world.open_row(row)
                return

    # --- the gateway's routing hook ------------------------------------------------------------------
    async def route(self, conn: Connection, event: str, payload: dict[str, Any]) -> object:
        """LOCAL (server/gateway.py) to handle the intent here, else the owner node's reply (a dict or None)."""
        if conn.extra.get("proxy"):
            return LOCAL
        remote = conn.extra.get("remote")
        if event == events.JOIN:
            target = payload["room"]
            self._known_room(target)
            self.world.room(target)  # not_found, same as a single node
            owner = await self.owner(target)
            if remote and (remote != owner or conn.room_id != target):
                await self._forward(remote, conn, events.LEAVE, {})
                self._clear_remote(conn)
                remote = None
            if owner == self.id:
                return LOCAL
            if remote is None and self.world.member_of(conn.user["id"])[0] is not None:
                await self.world.leave(conn)
            result = await self._forward(owner, conn, event, payload)
            conn.extra["remote"], conn.room_id = owner, target
            return result
        if not remote:
            return LOCAL
        if event == events.LEAVE:
            try:
                return await self._forward(remote, conn, event, payload)
            finally:
                self._clear_remote(conn)
        from ..gateway import INTENTS

        spec = INTENTS.get(event)
        if spec is not None and spec.in_room:
            return await self._forward(remote, conn, event, payload)
        return LOCAL

    def _clear_remote(self, conn: Connection) -> None:
        conn.extra.pop("remote", None)
        conn.room_id = None

    async def resume(self, conn: Connection, hello: dict[str, Any]) -> dict[str, Any]:
        """hello found no avatar here: maybe the person's room lives on another node, or lost its node."""
        room_id = await self.redis.get(self.user_key(conn.user["id"]))
        if room_id is None:
            return hello
        room_id = _text(room_id)
        self._known_room(room_id)
        if room_id not in self.world.rooms:
            return hello
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 2 * self.cfg.owner_lease + 2
        while True:
            owner = await self.owner(room_id)
            if owner == self.id:
                # the avatar's node is gone (or it expired): a fresh avatar in the same room
                try:
                    await self.world.join(conn, room_id)
                except WireError:
                    return hello
                break
            try:
                reply = await self._call(
                    owner, {"op": "resume", "sid": conn.sid, "user": conn.user}, timeout=min(1.0, self.cfg.owner_lease)
                )
            except WireError:
                # the owner is not answering: most likely it just died and its lease has not run out yet
                if loop.time() > deadline:
                    return hello
                await asyncio.sleep(self.cfg.owner_lease / 3)
                continue
            if not reply.get("room"):
                return hello
            conn.extra["remote"], conn.room_id = owner, room_id
            break
        return {**hello, "resumed": True, "room": room_id}

    async def dropped(self, conn: Connection) -> None:
        remote = conn.extra.get("remote")
        if remote:
            try:
                await self._send(remote, {"op": "dropped", "sid": conn.sid})
            except Exception:
                log.warning("could not tell node %s about a dropped connection", remote)

    async def _check_owners(self) -> None:
        """Re-home our clients whose room's owner node has died."""
        by_owner: dict[str, list[Connection]] = {}
        for conn in list(self.world.conns.values()):
            if conn.extra.get("remote"):
                by_owner.setdefault(conn.extra["remote"], []).append(conn)
        for owner, conns in by_owner.items():
            if await self.redis.exists(self.alive_key(owner)):
                continue
            log.warning("node %s is gone; re-homing %d connection(s)", owner, len(conns))
            for conn in conns:
                room_id = conn.room_id
                self._clear_remote(conn)
                if room_id is None:
                    continue
                await self.world.sio.leave_room(conn.sid, room_id)
                for sub in [
                    r
                    for r in self.world.sio.manager.get_rooms(conn.sid, "/")
                    if isinstance(r, str) and r.startswith(room_id + "#")
                ]:
                    await self.world.sio.leave_room(conn.sid, sub)
                try:
                    if await self.route(conn, events.JOIN, {"room": room_id}) is LOCAL:
                        await self.world.join(conn, room_id)
                    await self.world.send(
                        conn.sid,
                        events.NOTICE,
                        {"kind": "moved", "text": "The room moved to another server; you are back in it."},
                    )
                except Exception:
                    log.exception("could not re-home a connection into %s", room_id)

    # --- forwarding ------------------------------------------------------------------------------
    async def _send(self, node: str, msg: dict[str, Any]) -> None:
        await self.redis.publish(self.channel(node), msgpack.packb(msg, use_bin_type=True))

    async def _call(self, node: str, msg: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        self._seq += 1
        req = self._seq
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[req] = fut
        try:
            await self._send(node, {**msg, "req": req, "from": self.id})
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise WireError("unavailable", "The server holding this room is not answering. Please try again.") from None
        finally:
            self.pending.pop(req, None)

    async def _forward(self, node: str, conn: Connection, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        if self.metrics is not None:
            self.metrics.count("forwarded_total")
        reply = await self._call(
            node, {"op": "intent", "sid": conn.sid, "user": conn.user, "event": event, "payload": payload}
        )
        if not reply.get("ok"):
            err = reply.get("error") or {}
            raise WireError(err.get("code", "error"), err.get("message", "The server refused that."))
        reply.pop("ok", None)
        return reply

    async def _listen(self) -> None:
        while True:
            try:
                async for message in self.pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        msg = msgpack.unpackb(message["data"], raw=False)
                    except Exception:
                        continue
                    if msg.get("op") == "reply":
                        fut = self.pending.get(msg.get("req"))
                        if fut is not None and not fut.done():
                            fut.set_result(msg.get("body") or {})
                    else:
                        self._background.spawn(self._serve(msg))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("node channel listener failed; resubscribing")
                await asyncio.sleep(0.5)

    def _proxy(self, msg: dict[str, Any]) -> Connection:
        sid = msg["sid"]
        conn = self.proxies.get(sid)
        if conn is None:
            conn = self.proxies[sid] = Connection(
                sid, dict(msg["user"]), extra={"proxy": True, "node": msg.get("from")}
            )
        return conn

    async def _serve(self, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        body: dict[str, Any] = {}
        try:
            if op == "intent":
                conn = self._proxy(msg)
                try:
                    result = await self.gateway.dispatch(conn, msg["event"], msg["payload"])
                    body = {"ok": True, **(result or {})}
                except WireError as e:
                    body = {"ok": False, "error": e.as_payload()}
                if msg["event"] == events.LEAVE:
                    self.proxies.pop(msg["sid"], None)
            elif op == "resume":
                room = await self.world.resume(self._proxy(msg))
                body = {"room": room.id if room else None}
            elif op == "dropped":
                gone = self.proxies.pop(msg["sid"], None)
                if gone is not None:
                    await self.world.dropped(gone)
                return
            else:
                return
        except Exception:
            log.exception("forwarded %s failed", op)
            body = {"ok": False, "error": {"code": "server_error", "message": "Something went wrong on the server."}}
        if msg.get("from") and msg.get("req") is not None:
            await self._send(msg["from"], {"op": "reply", "req": msg["req"], "body": body})

    # --- room lifecycle (Membership): remember each person's room for cross-node resume ------------------------------
    async def remember_room(self, room: Room, member: Member) -> None:
        self.owned.add(room.id)
        try:
            await self.redis.set(self.user_key(member.user["id"]), room.id, ex=24 * 3600)
        except Exception:
            log.warning("could not record a room membership in redis")

    async def forget_room(self, room: Room, member: Member) -> None:
        try:
            await self.redis.eval(DELETE_IF, 1, self.user_key(member.user["id"]), room.id)
        except Exception:
            log.warning("could not clear a room membership in redis")


class Membership(RoomFeature):
    """The node's room-lifecycle feature: each person's room, in Redis, for a resume on another node."""

    def __init__(self, node: Node):
        self.node = node

    async def joined(self, room: Room, member: Member) -> None:
        await self.node.remember_room(room, member)

    async def left(self, room: Room, member: Member) -> None:
        await self.node.forget_room(room, member)
