"""The world: every room on this node, who is connected, and the tick loop.

Membership rules live here (join, leave, drop, resume), and the features (server/world/feature.py)
are called at each step, in assembly order; a room's own state
and tick live in `room.py`. Everything that is recorded goes through
`record()`, which writes to storage *before* the caller broadcasts, on the
store's thread; a store that cannot write delays nobody: the line is retried
in the background and the caller broadcasts anyway.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wire import appearance as wire_appearance
from wire import codec, errors, events
from wire.errors import WireError

from ..background import Background
from ..storage import RETRYABLE
from .feature import LIFECYCLE, RoomFeature, overrides
from .room import Member, Room
from .slab import PoseSlab, block_size

if TYPE_CHECKING:
    import socketio

    from ..config import Config
    from ..records import Records
    from ..safety.moderation import Outbound, Safety
    from ..scenarios.intents import ScenarioRooms
    from ..storage.interfaces import Storage

log = logging.getLogger("peerspace.world")

REVOCATION_POLL_S = 0.5  # how soon a ban, delete or logout made elsewhere (the CLI, another node) cuts a session
# What a person whose session was ended elsewhere is told before their connection closes, by revocation reason.
CUT_OFF_TEXT = {
    "delete": "This account has been deleted, so you have been signed out.",
    "ban": "This account is paused by the group's staff, so you have been signed out. Please contact them.",
}
CUT_OFF_DEFAULT = "You have been signed out. Please log in again."

DEFAULT_ROOMS = (
    ("cafe", "The cafe", "cafe", 12),
    ("interview", "Interview room", "office", 6),
    ("park", "Park bench", "park", 12),
)
OPEN, MEMBERS = "open", "members"
# Who may enter any members room: they look after every group.
ENTER_ANY = (events.FACILITATOR, events.ADMIN)


@dataclass
class Connection:
    sid: str
    user: dict[str, Any]  # the account row (auth.public_user's fields and more)
    room_id: str | None = None
    last_error_sent: float = 0.0
    refused: int = 0  # refusals since the last accepted message (paces `error` events)
    unlogged: dict[str, int] = field(default_factory=dict)  # refusal code -> count not yet written to the log
    log_since: float = 0.0  # when this socket's refusals were last logged
    cut: bool = False  # being cut off: further packets are dropped unread
    language: str = "en"  # the content language asked for at connect (server/languages.py chosen())
    extra: dict[str, Any] = field(default_factory=dict)


class World:
    def __init__(self, cfg: Config, store: Storage, sio: socketio.AsyncServer):
        self.cfg, self.store, self.sio = cfg, store, sio
        self.rooms: dict[str, Room] = {}
        self._reserved: set[str] = set()  # room ids being saved by create_room_async
        self.slabs: dict[int, PoseSlab] = {}  # block size -> pose arrays of those rooms
        self.conns: dict[str, Connection] = {}
        self.room_of_user: dict[int, Room] = {}  # every person is in at most one room
        self._grace: dict[int, asyncio.TimerHandle] = {}  # user id -> pending removal
        self._background = Background()  # grace expiries in progress
        self._tick_task: asyncio.Task[None] | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self.tick_seconds_last = 0.0
        self.phases = max(1, cfg.tick_phases)  # turns per tick period: grows with the number of rooms (rephase)
        # The features, in assembly order (server/app.py), and per lifecycle method the bound methods of
        # those that implement it (server/world/feature.py): set once by `assemble`.
        self.features: tuple[RoomFeature, ...] = ()
        self.calls: dict[str, tuple[Any, ...]] = {name: () for name in LIFECYCLE}
        # Services other parts use, set once by `assemble` (None where a test world runs without them).
        self.safety: Safety | None = None
        self.records: Records | None = None
        self.scenarios: ScenarioRooms | None = None
        # Who may see whom (server.safety switches it with `filter_outbound`): `for_sid(sid, event, payload)`
        # filters one send, `broadcast(room, event, payload, skip_sid)` delivers a room emit itself and
        # returns True if it did. None while nobody is blocked or paused: sends skip it.
        self.outbound: Outbound | None = None
        for row in store.list_rooms():
            self.open_row(row)
        for rid, name, scene, cap in DEFAULT_ROOMS:
            if rid not in self.rooms:
                self.create_room(name, scene, cap, created_by=None, room_id=rid)

    def assemble(
        self,
        features: Sequence[RoomFeature],
        *,
        safety: Safety | None = None,
        records: Records | None = None,
        scenarios: ScenarioRooms | None = None,
    ) -> None:
        """Install the features (their lifecycle methods run in this order) and the services; once."""
        if self.features:
            raise RuntimeError("the world is assembled once")
        self.features = tuple(features)
        self.calls = {name: tuple(getattr(f, name) for f in self.features if overrides(f, name)) for name in LIFECYCLE}
        self.safety, self.records, self.scenarios = safety, records, scenarios
        for room in self.rooms.values():  # opened before assembly (stored and default rooms)
            for created in self.calls["created"]:
                created(room)

    def filter_outbound(self, outbound: Outbound | None) -> None:
        """Route sends through `outbound` (a per-viewer filter), or straight out with None."""
        self.outbound = outbound

    # --- rooms ---------------------------------------------------------------------------
    def _open(
        self, room_id: str, name: str, scene: str, capacity: int, access: str = OPEN, group_id: int | None = None
    ) -> Room:
        room = Room(self, room_id, name, scene, capacity, access, group_id)
        room.phase = len(self.rooms) % self.phases  # rooms take turns round the tick
        self.rooms[room_id] = room
        for created in self.calls["created"]:
            created(room)
        return room

    def open_row(self, row: dict[str, Any]) -> Room:
        """Open a stored room on this node (it may have been made elsewhere: the CLI, another node)."""
        return self._open(
            row["id"], row["name"], row["scene"], row["capacity"], row.get("access") or OPEN, row.get("group_id")
        )

    def _new_room_id(self, name: str) -> str:
        base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "room"
        room_id, n = base, 2
        while room_id in self.rooms or room_id in self._reserved:
            room_id, n = f"{base}-{n}", n + 1
        return room_id

    def create_room(
        self,
        name: str,
        scene: str,
        capacity: int,
        created_by: int | None,
        room_id: str | None = None,
        access: str = OPEN,
        group_id: int | None = None,
    ) -> Room:
        """Synchronous: for startup (before the world serves) and tests; intents use `create_room_async`."""
        room_id = room_id or self._new_room_id(name)
        self.store.save_room(room_id, name, scene, capacity, created_by)
        if access != OPEN or group_id is not None:
            self.store.set_room_access(room_id, access, group_id)
        return self._open(room_id, name, scene, capacity, access, group_id)

    async def create_room_async(self, name: str, scene: str, capacity: int, created_by: int | None) -> Room:
        room_id = self._new_room_id(name)
        self._reserved.add(room_id)  # hold the id while the store thread saves the row
        try:
            await self.store.aio.save_room(room_id, name, scene, capacity, created_by)
        finally:
            self._reserved.discard(room_id)
        return self._open(room_id, name, scene, capacity)

    def room(self, room_id: str) -> Room:
        room = self.rooms.get(room_id)
        if room is None:
            raise WireError(errors.NOT_FOUND, f"There is no room '{room_id[:64]}'. Ask for the list of rooms.")
        return room

    async def refresh_rooms(self) -> None:
        """Pick up rooms and access policies changed outside this server (`peerspace room add`)."""
        for row in await self.store.aio.list_rooms():
            room = self.rooms.get(row["id"])
            if room is None:
                self.open_row(row)
            else:
                room.access, room.group_id = row.get("access") or OPEN, row.get("group_id")

    async def rooms_for(self, user: dict[str, Any]) -> list[Room]:
        """The rooms this person may enter by policy (a members room of another group is not listed)."""
        await self.refresh_rooms()
        if user["role"] in ENTER_ANY:
            return list(self.rooms.values())
        groups = set(await self.store.aio.groups_of(user["id"]))
        return [r for r in self.rooms.values() if r.access == OPEN or r.group_id in groups]

    async def check_entry(self, user: dict[str, Any], room: Room) -> None:
        """Refuse, with what to do, a person whom the room's current stored policy keeps out."""
        entry = await self.store.aio.room_entry(room.id, user["id"])
        if entry is not None:
            room.access, room.group_id = entry["access"] or OPEN, entry["group_id"]
        if room.access != OPEN and user["role"] not in ENTER_ANY:
            ties = bool(entry and (entry["member"] if user["role"] == events.PARTICIPANT else entry["staff"]))
            if not ties:
                raise WireError(
                    errors.FORBIDDEN, f"'{room.name}' is for its group. Ask your peer specialist to add you."
                )
        for entering in self.calls["entering"]:  # e.g. someone's 1:1 practice is running there
            await entering(room, user)

    # --- sending ---------------------------------------------------------------------------
    async def send(self, sid: str, event: str, payload: dict[str, Any]) -> None:
        if self.outbound is not None:
            filtered = self.outbound.for_sid(sid, event, payload)
            if filtered is None:
                return
            payload = filtered
        await self.sio.emit(event, payload, to=sid)

    async def broadcast(
        self, room: Room, event: str, payload: dict[str, Any] | list[Any], skip_sid: str | None = None
    ) -> None:
        if self.outbound is not None and await self.outbound.broadcast(room, event, payload, skip_sid):
            return
        await self.sio.emit(event, payload, room=room.id, skip_sid=skip_sid)

    async def record(
        self,
        room: Room,
        kind: str,
        actor: str | None,
        data: dict[str, Any],
        user_id: int | None = None,
        run_id: int | None = None,
    ) -> int | None:
        """Persist a transcript line, if the person it is about agreed to recording; returns its event id.

        The one gate for recording. Consent is durable per user (users.consent_recording, set with the
        `consent` intent); staff and agent lines are recorded by role. A line about someone unknown is
        not recorded. Runs on the store thread. If the store cannot write now (locked, read-only), the
        line is retried in the background and this returns None at once: people come before records,
        so the caller's broadcast (and any crisis alert) never waits for the disk.
        """
        args = (room.id, kind, actor, data, user_id, run_id)
        try:
            event_id: int | None = await self.store.aio.write(self.record_now, *args)
            return event_id
        except RETRYABLE:  # the store cannot write now (a lock, a read-only disk): retried
            self.store.aio.persist(f"{kind} line in room {room.id}", self.record_now, *args, tried=True)
            return None

    def record_now(
        self,
        room_id: str,
        kind: str,
        actor: str | None,
        data: dict[str, Any],
        user_id: int | None = None,
        run_id: int | None = None,
    ) -> int | None:
        """`record` for code already on the store thread (consent is read at the moment of writing)."""
        if user_id is not None and not self.may_record_now(user_id):
            return None
        return self.store.append_event(room_id, run_id, kind, actor, data, user_id=user_id)

    async def may_record(self, user_id: int) -> bool:
        allowed: bool = await self.store.aio.apply(self.may_record_now, user_id)
        return allowed

    def may_record_now(self, user_id: int) -> bool:
        """`may_record` for code already on the store thread."""
        user = self.store.get_user(user_id)
        if user is None:
            return False
        return user["role"] != events.PARTICIPANT or bool(user.get("consent_recording"))

    # --- membership ---------------------------------------------------------------------------
    def member_of(self, user_id: int) -> tuple[Room, Member] | tuple[None, None]:
        room = self.room_of_user.get(user_id)
        return (room, room.members[user_id]) if room is not None else (None, None)

    async def join(self, conn: Connection, room_id: str) -> Room:
        if room_id not in self.rooms:  # made by `peerspace room add` since this server started
            row = await self.store.aio.get_room(room_id)
            if row is not None and row["id"] not in self.rooms:
                self.open_row(row)
        room = self.room(room_id)
        uid = conn.user["id"]
        recording = await self.may_record(uid)  # read first: from the checks below to the room_state, no wait
        old_room, old = self.member_of(uid)
        if old_room is room:
            return room
        await self.check_entry(conn.user, room)
        old_room, old = self.member_of(uid)  # (the check awaited: look again)
        if old_room is room:
            return room
        if old_room is not None:
            await self.leave(conn)
        if room.people >= room.capacity:
            raise WireError(errors.ROOM_FULL, f"'{room.name}' is full ({room.capacity} people). Try another room.")
        av = room.spawn(conn.user["name"], "person", conn.user["role"], user_id=uid)
        av.appearance = wire_appearance.decode(conn.user.get("appearance"))
        member = Member(conn.user, conn.sid, av.id)
        room.members[uid] = member
        self.room_of_user[uid] = room
        conn.room_id = room.id
        await self.sio.enter_room(conn.sid, room.id)
        await self.send(conn.sid, events.ROOM_STATE, room.full_state(av.id, recording))
        await self.broadcast(room, events.MEMBER_JOINED, {"member": av.public()}, skip_sid=conn.sid)
        for joined in self.calls["joined"]:
            await joined(room, member)
        log.info("user %s joined room %s", uid, room.id)
        return room

    async def leave(self, conn: Connection) -> None:
        room, member = self.member_of(conn.user["id"])
        if room is None or member is None:
            return
        conn.room_id = None
        if conn.sid and conn.sid not in self.conns:  # a scale-out proxy: the socket lives on another node
            await self.sio.leave_room(conn.sid, room.id)
        await self._unsubscribe(conn.user["id"])
        await self.remove(room, member)

    def sids_of(self, user_id: int) -> list[str]:
        """Every connection this person has on this node, oldest first."""
        return [sid for sid, c in self.conns.items() if c.user["id"] == user_id]

    async def _unsubscribe(self, user_id: int) -> None:
        """Take every socket of this person out of every Socket.IO room but its own.

        Reads the manager's own room table rather than our bookkeeping (conn.room_id, member.sid,
        interest cells): whatever those say, a socket left in a room would go on receiving it.
        """
        for sid in self.sids_of(user_id):
            for name in self.sio.manager.get_rooms(sid, "/"):
                if name != sid:
                    await self.sio.leave_room(sid, name)

    async def hang_up(self, sid: str) -> None:
        """Disconnect a socket and close its connection (GuardedServer.hang_up), not only its namespace."""
        hang_up = getattr(self.sio, "hang_up", None)
        await (hang_up(sid) if hang_up is not None else self.sio.disconnect(sid))

    async def cut_off(
        self, user_id: int, reason: str, disconnect: bool = False, notice: dict[str, Any] | None = None
    ) -> int:
        """Remove a person now (kick, ban, delete, a revoked session): out of their room for everyone,
        every socket of theirs out of every Socket.IO room, and with `disconnect`, those sockets closed
        after `notice`. Returns how many sockets they had here."""
        sids = self.sids_of(user_id)
        for sid in sids:
            self.conns[sid].room_id = None
        await self._unsubscribe(user_id)
        room, member = self.member_of(user_id)
        if room is not None and member is not None:
            if member.sid and member.sid not in self.conns:  # connected to another node (scale-out)
                await self.sio.leave_room(member.sid, room.id)
            await self.remove(room, member)
        if disconnect:
            for sid in sids:
                if notice is not None:
                    await self.send(sid, events.NOTICE, notice)
                await self.hang_up(sid)
        if sids or room is not None:
            log.info(
                "user %s cut off (%s): %d connection(s)%s", user_id, reason, len(sids), " closed" if disconnect else ""
            )
        return len(sids)

    async def remove(self, room: Room, member: Member) -> None:
        """Take this member's avatar out of the room for everyone, then tell the features (`left`)."""
        uid = member.user["id"]
        if room.members.get(uid) is not member:
            return
        del room.members[uid]
        self.room_of_user.pop(uid, None)
        handle = self._grace.pop(uid, None)
        if handle:
            handle.cancel()
        for aid, driver in list(room.drivers.items()):
            if driver == uid:
                room.drivers.pop(aid)
        room.despawn(member.avatar)
        await self.broadcast(room, events.MEMBER_LEFT, {"avatar": member.avatar})
        for left in self.calls["left"]:
            await left(room, member)
        log.info("user %s left room %s", uid, room.id)

    async def forget_user(self, user_id: int) -> bool:
        """Delete a person: out of their room, their connections closed, every record about them deleted."""
        await self.cut_off(
            user_id, "delete", disconnect=True, notice={"kind": "removed", "text": CUT_OFF_TEXT["delete"]}
        )
        deleted: bool = await self.store.aio.delete_user(user_id)
        return deleted

    async def dropped(self, conn: Connection) -> None:
        """A connection ended without leaving: keep the avatar for the grace window."""
        room, member = self.member_of(conn.user["id"])
        if room is None or member is None or member.sid != conn.sid:
            return
        member.sid = None
        member.away_since = time.monotonic()
        av = room.avatars[member.avatar]
        av.away = True
        room.inp[member.avatar] = 0
        room.set_away(member.avatar, True)
        await self.broadcast(room, events.MEMBER_UPDATED, {"avatar": av.id, "away": True})
        loop = asyncio.get_running_loop()
        self._grace[member.user["id"]] = loop.call_later(
            self.cfg.resume_grace, lambda: self._background.spawn(self._expire(room, member))
        )
        for dropped in self.calls["dropped"]:
            await dropped(room, member)
        log.info(
            "user %s dropped from room %s; holding avatar %.0fs", member.user["id"], room.id, self.cfg.resume_grace
        )

    async def _expire(self, room: Room, member: Member) -> None:
        if member.sid is None:
            await self.remove(room, member)

    async def resume(self, conn: Connection) -> Room | None:
        """Re-attach a returning person to the avatar they left, and resync them in full."""
        if conn.user["id"] not in self.room_of_user:
            return None
        recording = await self.may_record(conn.user["id"])
        room, member = self.member_of(conn.user["id"])
        if room is None or member is None:
            return None
        previous = member.sid
        handle = self._grace.pop(conn.user["id"], None)
        if handle:
            handle.cancel()
        member.sid = conn.sid
        member.away_since = None
        conn.room_id = room.id
        await self.sio.enter_room(conn.sid, room.id)
        if previous and previous != conn.sid:
            # The same person opened a second connection: the newest one drives the avatar.
            old = self.conns.get(previous)
            if old is not None:
                old.room_id = None
                await self.send(previous, events.NOTICE, {"kind": "moved", "text": "You continued in another window."})
                await self.sio.leave_room(previous, room.id)
        av = room.avatars[member.avatar]
        if av.away:
            av.away = False
            room.set_away(member.avatar, False)
            await self.broadcast(room, events.MEMBER_UPDATED, {"avatar": av.id, "away": False}, skip_sid=conn.sid)
        await self.send(conn.sid, events.ROOM_STATE, room.full_state(member.avatar, recording))
        for resumed in self.calls["resumed"]:  # e.g. someone who was taking a pause stays in the quiet room
            await resumed(room, member)
        log.info("user %s resumed in room %s", conn.user["id"], room.id)
        return room

    # --- the tick loop ---------------------------------------------------------------------------
    def start(self) -> None:
        self._tick_task = asyncio.get_running_loop().create_task(self._tick_loop())
        self._watch_task = asyncio.get_running_loop().create_task(self._watch_loop())

    async def stop(self) -> None:
        for task in (self._tick_task, self._watch_task):
            if task:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        for handle in self._grace.values():
            handle.cancel()
        for room in self.rooms.values():  # the rooms end with this node: features drop their state
            for disposed in self.calls["disposed"]:
                disposed(room)

    async def _watch_loop(self) -> None:
        """Cut off the connections of anyone whose sessions were revoked (by the CLI, another node or this
        one), then the features' `housekeeping`; about twice a second. Store calls run off the loop."""
        last = await self.store.aio.last_revocation()
        while True:
            await asyncio.sleep(REVOCATION_POLL_S)
            try:
                for row in await self.store.aio.revocations_since(last):
                    last = row["id"]
                    await self.cut_off(
                        row["user_id"],
                        row["reason"],
                        disconnect=True,
                        notice={"kind": "removed", "text": CUT_OFF_TEXT.get(row["reason"], CUT_OFF_DEFAULT)},
                    )
                for housekeeping in self.calls["housekeeping"]:
                    await housekeeping()
            except Exception:  # a storage fault must not end the watch; logged without content
                log.exception("revocation watch failed")

    async def _tick_loop(self) -> None:
        """Every room steps once per period; rooms take `tick_phases` turns spread over the period.

        Each turn steps and sends a third (say) of the rooms, so the sends of a tick leave in three
        small bursts instead of one big one: a recipient waits less behind the others, and the
        server's (and every client machine's) CPU is busy evenly instead of in spikes.
        """
        period = 1.0 / self.cfg.tick_hz
        phases = self.rephase()
        nxt = time.perf_counter()
        phase, spent = 0, 0.0
        while True:
            if phase == 0:
                phases = self.rephase()  # between periods: no room steps twice or not at all in one
            start = time.perf_counter()
            try:
                await self.tick(period, phase, phases)
            except Exception:  # one bad tick must not end the world; logged without content
                log.exception("tick failed")
            spent += time.perf_counter() - start
            phase = (phase + 1) % phases
            if phase == 0:
                self.tick_seconds_last, spent = spent, 0.0
            nxt += period / phases
            delay = nxt - time.perf_counter()
            if delay < -period:  # fell far behind (e.g. the machine stalled): don't burst to catch up
                nxt = time.perf_counter()
                delay = 0
            await asyncio.sleep(max(0.0, delay))

    def rephase(self) -> int:
        """Turns per tick period for the rooms open now: at least `tick_phases`, and about
        `tick_rooms_per_turn` rooms a turn beyond that (up to `tick_phases_max`).

        A turn's sends leave in one burst; at 100 rooms of 10, three turns meant ~333 messages at once and
        the last recipient of a burst waited for all of them (#20). The rooms are dealt round the turns again
        when the number of turns changes."""
        cfg = self.cfg
        least = max(1, cfg.tick_phases)
        wanted = max(
            least, min(max(least, cfg.tick_phases_max), -(-len(self.rooms) // max(1, cfg.tick_rooms_per_turn)))
        )
        if wanted != self.phases:
            self.phases = wanted
            for i, room in enumerate(self.rooms.values()):
                room.phase = i % wanted
        return self.phases

    def slab_for(self, slots: int) -> PoseSlab:
        """The shared pose arrays for rooms needing this many avatar slots."""
        block = block_size(slots)
        slab = self.slabs.get(block)
        if slab is None:
            slab = self.slabs[block] = PoseSlab(block, self.cfg)
        return slab

    async def tick(self, dt: float, phase: int = 0, phases: int = 1) -> None:
        """Step and send the rooms whose turn it is; the features' `tick` runs once per period."""
        # `avatars` holds exactly the live slots (Room.spawn/despawn): a dict's truth is far cheaper than a numpy
        # any() per room and turn, which at 100 rooms in 10 turns a period was ~4 % of the server's CPU (#20)
        active = [room for room in self.rooms.values() if room.phase % phases == phase and room.avatars]
        for before_step in self.calls["before_step"]:
            for room in active:
                before_step(room, dt)
        blobs: dict[Room, bytes] = {}
        for slab in self.slabs.values():
            blobs.update(slab.step(dt, phase, phases))  # one vectorised pass over the slab's rooms in turn
        for after_step in self.calls["after_step"]:
            for room in active:
                after_step(room, dt)
        # One blob to each room, or (big rooms, with interest management) one per occupied interest cell.
        # With scale-out each emit awaits a Redis publish: the rooms' sends then run together. On one node an
        # emit writes to the sockets without waiting, and a task per room (gather) would only cost CPU.
        if getattr(self.sio.manager, "emit_awaits_network", True):
            sends = [self.send_snapshot(room, blobs.get(room)) for room in active]
            if sends:
                await asyncio.gather(*sends)
        else:
            for room in active:
                await self.send_snapshot(room, blobs.get(room))
        if phase == phases - 1:
            for tick in self.calls["tick"]:
                await tick(dt)

    async def send_snapshot(self, room: Room, blob: bytes | None) -> None:
        """The tick's send step for one room: a feature may deliver it (interest cells), else one emit."""
        for send in self.calls["send_snapshot"]:
            if await send(room, blob):
                return
        if blob is not None:
            await self.broadcast(room, events.SNAPSHOT, codec.snapshot(room.tick_no, blob))
