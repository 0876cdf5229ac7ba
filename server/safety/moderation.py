"""Moderation enforced on the server: block, mute, kick + ban, report, pause, bubble, crisis alerts, who is on duty.

State that must survive a restart lives in SQLite (blocks, bans, reports,
alerts, the moderation log, consent). State that only matters while a room
is open lives here: pauses per world, mutes and bubbles on their room (`room.state[RoomSafety]`).

Who sees whom: a block hides two people from each other in both directions.
`Outbound` is switched on with `world.filter_outbound`; every emit to a room or to one
connection passes through it, so a blocked person's avatar (join, updates,
poses) and lines are never delivered to the other, whichever feature sent
them. Rooms without a blocked pair take the normal one-emit path untouched.

On duty: staff are told of alerts only while they are on duty (`duty {on}` from the client, or the dashboard
toggle); being logged in is not enough. Duty is kept in the store (`staff_duty`), so it survives a restart,
and it ends when they go off duty, log out, or have had no connection for the resume grace
(`cfg.resume_grace`). Participants are told who is on duty (`duty_status`) when they join and when it changes.

Logs carry user ids, room ids, event names and categories; never what
anyone said, never a report's note.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from wire import codec, errors, events
from wire import safety as ws
from wire.errors import WireError

from .. import languages
from ..config import scenario_data
from ..world import RoomFeature, room_state
from . import care, crisis
from .store import SafetyStore

if TYPE_CHECKING:
    from ..config import Config
    from ..gateway import Ctx
    from ..world import Avatar, Member, Room, World

log = logging.getLogger("peerspace.safety")

_AVATAR_EVENTS = (events.SAID, events.MEMBER_UPDATED, events.MEMBER_LEFT)


def phrase_file(cfg: Config) -> Path:
    """The service's crisis phrases: `<scenarios_dir>/safety/crisis_phrases.yaml`, else the shipped file."""
    return scenario_data(cfg, "safety/crisis_phrases.yaml")


def care_file(cfg: Config) -> Path:
    """The service's care data file (hours of cover, out-of-hours resources, duty texts), else the shipped one."""
    return scenario_data(cfg, "safety/care.yaml")


# How urgent an alert is, for the dashboard: a crisis is always high; a report by its reason.
REPORT_SEVERITY = {"unsafe": "high", "harassment": "medium", "upsetting": "medium", "spam": "low", "other": "low"}


def severity(kind: str, category: str | None) -> str:
    return "high" if kind == "crisis" else REPORT_SEVERITY.get(category or "", "low")


def live_key() -> str:
    """The key a live alert carries, so staff can acknowledge it before (or without knowing) its row id."""
    return secrets.token_urlsafe(12)


@dataclass
class RoomSafety:
    """One room's moderation state, kept on the room (`room.state[RoomSafety]`)."""

    mutes: dict[int, float] = field(default_factory=dict)  # user id -> muted until (monotonic)
    bubbles: dict[int, float] = field(default_factory=dict)  # avatar id -> bubble radius in metres


@dataclass
class OnDuty:
    """A staff member on duty."""

    user_id: int
    name: str
    role: str
    since: float  # Unix seconds
    away_since: float | None = None  # monotonic: when they last had no connection here (None: connected)
    # False while someone who went on duty on the dashboard has not opened the app since: their duty holds (it
    # ends at logout or off), but alerts reach them, and participants are told of them, only once connected
    connected_once: bool = True
    # the participants they cover (a peer specialist's groups and direct assignments, read when they go on duty);
    # None: everyone (facilitators, admins, and a peer specialist with no assignments, as in a small service)
    scope: frozenset[int] | None = None

    def covers(self, user_id: int) -> bool:
        return self.scope is None or user_id in self.scope


class Safety(RoomFeature):
    """Per-world safety state (`world.safety`), and the safety feature of the room lifecycle."""

    def __init__(self, world: World):
        self.world = world
        self.db: SafetyStore = world.store  # the store's safety records (SafetyRepository)
        self.crisis = crisis.load(phrase_file(world.cfg))
        log.info("crisis phrase list loaded: %d phrases", self.crisis.size)
        self.care = care.load(care_file(world.cfg))
        # Who is on duty, read once at start (a small table); after a restart they have the resume grace to
        # come back before their duty ends.
        now = time.monotonic()
        self.duty: dict[int, OnDuty] = {
            r["user_id"]: OnDuty(
                r["user_id"],
                r["name"],
                r["role"],
                r["since"],
                away_since=now,
                scope=self._scope(r["role"], world.store.staff_scope(r["user_id"])),
            )
            for r in self.db.on_duty()
            if r["role"] in events.STAFF
        }
        self._duty_told: dict[str, list[dict[str, str]]] = {}  # sid -> the on-duty list that connection was last sent
        self._reachable_told: tuple[int, ...] | None = None  # who was on duty and connected at the last announce
        self.pending_alerts: dict[str, asyncio.Task[Any]] = {}  # live key -> the write of its row, while pending
        self.pairs: set[frozenset[int]] = set()  # blocked pairs, both directions
        self.involved: set[int] = set()  # users in at least one pair
        for a, b in self.db.all_blocks():
            self.add_pair(a, b)
        self.paused: dict[int, str] = {}  # user -> room id they stepped out of
        self.outbound = Outbound(self)
        self.sync_outbound()

    def sync_outbound(self) -> None:
        """Install the per-viewer filter only while some block or pause exists, so every other emit
        (including server/scale/interest.py's per-cell groups) keeps its shared, encode-once path."""
        self.world.filter_outbound(self.outbound if (self.pairs or self.paused) else None)

    def text(self, key: str, language: str = languages.SOURCE) -> str:
        """A text of the phrase file, in the participant's language where the file has it."""
        return (self.crisis.in_language(language).texts or {}).get(key, "")

    def support_text(self, staff_told: bool, language: str = languages.SOURCE) -> str:
        """The support card: what actually happened (who was told, or that no one is on duty and the alert waits),
        then the resources: the phrase file's while someone was told, else the care file's out-of-hours ones
        (helplines, the emergency number, the hours of cover). In the participant's language where the files
        have it, else English."""
        if staff_told:
            return f"{self.text('told.staff', language)} {self.crisis.in_language(language).resources_text}"
        return f"{self.text('told.nobody', language)} {self.care.in_language(language).resources_text()}"

    def language_of_sid(self, sid: str | None) -> str:
        conn = self.world.conns.get(sid) if sid is not None else None
        return conn.language if conn is not None else languages.SOURCE

    # --- blocks -------------------------------------------------------------------------
    def add_pair(self, a: int, b: int) -> None:
        self.pairs.add(frozenset((a, b)))
        self.involved.update((a, b))
        if hasattr(self, "outbound"):
            self.sync_outbound()

    def set_pairs(self, blocks: list[tuple[int, int]]) -> None:
        """Replace the blocked pairs with `blocks` (read off the loop: `await self.off_loop(self.db.all_blocks)`)."""
        self.pairs.clear()
        self.involved.clear()
        for a, b in blocks:
            self.add_pair(a, b)
        self.sync_outbound()

    def blocked(self, a: int, b: int) -> bool:
        return frozenset((a, b)) in self.pairs

    def hidden(self, room: Room) -> dict[str, set[int]]:
        """sid -> avatar ids that connection must not get, for this room (usually empty)."""
        if not self.pairs:
            return {}
        here = [m for m in room.members.values() if m.user["id"] in self.involved]
        if len(here) < 2:
            return {}
        out: dict[str, set[int]] = {}
        for m in here:
            if m.sid is None:
                continue
            hide = {o.avatar for o in here if o is not m and self.blocked(m.user["id"], o.user["id"])}
            if hide:
                out[m.sid] = hide
        return out

    # --- helpers ------------------------------------------------------------------------
    def staff_sids(self, room: Room, exclude_user: int | None = None) -> list[str]:
        """The connections of staff in this room who are on duty (staff who can help now)."""
        return [
            m.sid
            for m in room.members.values()
            if m.sid and m.user["role"] in events.STAFF and m.user["id"] in self.duty and m.user["id"] != exclude_user
        ]

    def staff_online(self, exclude_user: int | None = None, about: int | None = None) -> list[str]:
        """The connections of staff on duty (staff who can help now); with `about` (a participant's user id), those
        who cover that person if any of them is connected, else every staff member on duty (the safety net)."""
        sids = [
            c.sid
            for c in self.world.conns.values()
            if c.user["role"] in events.STAFF and c.user["id"] in self.duty and c.user["id"] != exclude_user
        ]
        if about is None:
            return sids
        covering = [sid for sid in sids if self.duty[self.world.conns[sid].user["id"]].covers(about)]
        return covering or sids

    def names_of(self, sids: Iterable[str]) -> list[str]:
        """The names behind these connections, each once, in order."""
        names: list[str] = []
        for sid in sids:
            conn = self.world.conns.get(sid)
            if conn is not None and conn.user["name"] not in names:
                names.append(conn.user["name"])
        return names

    # --- on duty ----------------------------------------------------------------------------
    @staticmethod
    def _scope(role: str, participants: set[int]) -> frozenset[int] | None:
        """Whom a staff member on duty covers: a peer specialist the participants they look after (everyone when
        they look after no one), facilitators and admins everyone."""
        return frozenset(participants) if role == events.PEER_SPECIALIST and participants else None

    def _reachable(self) -> list[OnDuty]:
        """Staff on duty with a connection here now, longest on duty first (one pass over the connections)."""
        connected = {c.user["id"] for c in self.world.conns.values()}
        return [d for d in sorted(self.duty.values(), key=lambda d: d.since) if d.user_id in connected]

    def on_duty_now(self, for_user: int | None = None, reachable: list[OnDuty] | None = None) -> list[dict[str, str]]:
        """Who is on duty and connected now, as participants see them (name, role), longest on duty first. For a
        participant (`for_user`): those who cover them, or, if none of those is connected, everyone on duty, the
        same people a crisis alert of theirs would reach."""
        here = self._reachable() if reachable is None else reachable
        if for_user is not None:
            here = [d for d in here if d.covers(for_user)] or here
        return [{"name": d.name, "role": d.role} for d in here]

    def duty_status(
        self, for_user: int | None = None, reachable: list[OnDuty] | None = None, language: str = languages.SOURCE
    ) -> dict[str, Any]:
        people = self.on_duty_now(for_user, reachable)
        care = self.care.in_language(language)
        return {"on_duty": people, "text": care.duty_text(people), "in_hours": self.care.in_hours(time.time())}

    def _status_for(self, sid: str, reachable: list[OnDuty] | None = None) -> dict[str, Any] | None:
        conn = self.world.conns.get(sid)
        if conn is None:
            return None
        participant = conn.user["role"] == events.PARTICIPANT
        return self.duty_status(conn.user["id"] if participant else None, reachable, conn.language)

    async def set_duty(self, user: dict[str, Any], on: bool, reason: str) -> bool:
        """Put a staff member on or off duty: at once here, then saved (retried while the store cannot write).
        Returns whether anything changed."""
        uid = user["id"]
        if on == (uid in self.duty):
            return False
        if on:
            connected = bool(self.world.sids_of(uid))
            scope = self._scope(user["role"], await self.world.store.aio.staff_scope(uid))
            self.duty[uid] = OnDuty(uid, user["name"], user["role"], time.time(), connected_once=connected, scope=scope)
        else:
            del self.duty[uid]
        self.persist(f"duty {'on' if on else 'off'}", self.db.set_on_duty, uid, on)
        log.info("user %s %s duty (%s)", uid, "on" if on else "off", reason)
        await self.announce_duty()
        return True

    async def announce_duty(self) -> None:
        """Tell each connection in a room who is on duty for them, if that changed since it was last told."""
        told, self._duty_told = self._duty_told, {}
        reachable = self._reachable()
        connected = {c.user["id"] for c in self.world.conns.values()}
        self._reachable_told = tuple(d.user_id for d in self.duty.values() if d.user_id in connected)
        statuses: dict[tuple[int, ...], dict[str, Any]] = {}  # one status per distinct set of people (most share)
        by_id = {d.user_id: d for d in reachable}  # as of now: the sends below may let duty change meanwhile
        for sid, conn in list(self.world.conns.items()):
            if sid not in told and conn.room_id is None:
                continue  # told on joining a room (Safety.joined)
            if conn.user["role"] == events.PARTICIPANT:
                uid = conn.user["id"]
                ids = tuple(d.user_id for d in reachable if d.covers(uid)) or tuple(d.user_id for d in reachable)
            else:
                ids = tuple(d.user_id for d in reachable)
            status = statuses.get(ids)
            if status is None:
                status = statuses[ids] = self.duty_status(None, [by_id[i] for i in ids])
            self._duty_told[sid] = status["on_duty"]
            if told.get(sid) != status["on_duty"]:
                await self.world.send(sid, ws.DUTY_STATUS, status)

    async def send_duty_status(self, sid: str) -> None:
        status = self._status_for(sid)
        if status is not None:
            self._duty_told[sid] = status["on_duty"]
            await self.world.send(sid, ws.DUTY_STATUS, status)

    async def housekeeping(self) -> None:
        """Duty ends once a staff member has had no connection here for the resume grace; participants hear of
        who is on duty when someone comes or goes."""
        now = time.monotonic()
        connected = {c.user["id"] for c in self.world.conns.values()}
        for d in list(self.duty.values()):
            if d.user_id in connected:
                d.away_since, d.connected_once = None, True
            elif not d.connected_once:
                continue  # on duty from the dashboard, not in the app yet
            elif d.away_since is None:
                d.away_since = now
            elif now - d.away_since > self.world.cfg.resume_grace:
                await self.set_duty({"id": d.user_id}, False, "no connection for the resume grace")
        reachable = tuple(d.user_id for d in self.duty.values() if d.user_id in connected)
        if reachable != self._reachable_told:  # someone on duty came or went (set_duty announces its own changes)
            await self.announce_duty()
        elif len(self._duty_told) > 2 * len(self.world.conns) + 64:  # forget connections that are gone
            self._duty_told = {sid: v for sid, v in self._duty_told.items() if sid in self.world.conns}

    # --- acknowledging and handling alerts ----------------------------------------------------
    async def alert_seen(self, alert: dict[str, Any]) -> None:
        """Tell the person an alert is about, kindly, that someone from the team has seen it."""
        if alert["user_id"] is None:
            return
        which = "crisis" if alert["kind"] == "crisis" else "report"
        for sid in self.world.sids_of(alert["user_id"]):
            text = self.care.in_language(self.language_of_sid(sid)).seen[which]
            await self.world.send(sid, ws.ALERT_SEEN, {"text": text, "kind": alert["kind"]})

    async def off_loop(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A SafetyStore call, on the store's thread (never on the event loop)."""
        return await self.world.store.aio.apply(fn, *args)

    def persist(self, what: str, fn: Callable[..., Any], *args: Any) -> asyncio.Task[Any]:
        """A safety record that must not be lost: written on the store thread, retried while it cannot be."""
        task: asyncio.Task[Any] = self.world.store.aio.persist(what, fn, *args)
        return task

    def log_action(
        self, room_id: str | None, staff: int | None, target: int, action: str, until: float | None = None
    ) -> None:
        """The moderation log, written after the action took effect (retried if the store cannot write)."""
        self.persist(f"moderation {action}", self.db.log_action, room_id, staff, target, action, until)

    @staticmethod
    def of(room: Room) -> RoomSafety:
        """This room's moderation state (made on first use)."""
        return room_state(room, RoomSafety, RoomSafety)

    def is_muted(self, room: Room, user_id: int) -> bool:
        mutes = self.of(room).mutes
        until = mutes.get(user_id)
        if until is None:
            return False
        if until < time.monotonic():
            mutes.pop(user_id, None)
            return False
        return True

    # --- step hooks: paused avatars hold still -----------------------------------------------
    def before_step(self, room: Room, dt: float) -> None:
        for uid, rid in self.paused.items():
            if rid == room.id:
                m = room.members.get(uid)
                if m is not None:
                    room.inp[m.avatar] = 0

    def set_bubble(self, room: Room, aid: int, radius: float | None) -> None:
        """A personal-space bubble: the room's per-avatar radius (Room.space; the step keeps movers
        outside max(own radius, other's radius)), back to the default when off."""
        if radius is None:
            self.of(room).bubbles.pop(aid, None)
            room.space[aid] = room.personal_space
        else:
            self.of(room).bubbles[aid] = radius
            room.space[aid] = radius

    # --- speak hooks -------------------------------------------------------------------
    async def speaking(self, ctx: Ctx, av: Avatar, text: str) -> None:
        if av.kind != "person" or av.user_id is None:
            return
        if av.user_id in self.paused:
            raise WireError(errors.FORBIDDEN, "You are paused in a quiet room. Press pause again to go back first.")
        # speaking runs for an in-room intent (say), so the gateway has set the room
        assert ctx.room is not None
        if self.is_muted(ctx.room, av.user_id):
            raise WireError(
                errors.FORBIDDEN,
                "Staff have paused your chat in this room for a while. You can still move, gesture and use reactions.",
            )

    async def said(self, ctx: Ctx, av: Avatar, line: dict[str, Any], event_id: int | None) -> None:
        if av.kind != "person" or av.role != events.PARTICIPANT or av.user_id is None:
            return
        category = self.crisis.match(line["text"])
        if category is None:
            return
        room = ctx.room
        assert room is not None  # said runs for an in-room intent (say), so the gateway has set the room
        member = room.members.get(av.user_id)
        here = self.staff_sids(room)
        key = live_key()
        alert = {
            "kind": "crisis",
            "key": key,
            "severity": "high",
            "room": room.id,
            "room_name": room.name,
            "avatar": av.id,
            "name": av.name,
            "category": category,
            "ts": line["ts"],
        }
        # Staff in the room saw the line already; they get it again with the alert. Staff elsewhere
        # (when nobody is in the room) get who and where, not the words.
        targets = here or self.staff_online(about=av.user_id)
        # People before records: staff and the person are told first; the alert row is written after, on the
        # store thread, and retried in the background while the store cannot write (a locked or read-only
        # database never silences an alert). So the live alert carries no row id but a key that the row will
        # carry too (alert_ack finds the row by it); the dashboard lists rows.
        for sid in here:
            await self.world.sio.emit(ws.SAFETY_ALERT, {**alert, "text": line["text"]}, to=sid)
        if not here:
            for sid in targets:
                await self.world.sio.emit(ws.SAFETY_ALERT, {**alert, "escalated": True}, to=sid)
        if member is not None and member.sid:
            language = self.language_of_sid(member.sid)
            card = {
                "kind": "support",
                "title": self.crisis.in_language(language).resources_title,
                "text": self.support_text(bool(targets), language),
            }
            await self.world.sio.emit(events.NOTICE, card, to=member.sid)
        log.warning(
            "crisis alert: room %s, user %s, category %s, staff notified %d",
            room.id,
            av.user_id,
            category,
            len(targets),
        )
        self.remember(
            key,
            self.persist(
                f"crisis alert in room {room.id}",
                self.db.add_alert,
                room.id,
                av.user_id,
                "crisis",
                category,
                event_id,
                len(targets),
                self.names_of(targets),
                "high",
                key,
            ),
        )

    def remember(self, key: str, task: asyncio.Task[Any]) -> None:
        """Keep a live alert's pending write by its key (alert_ack waits for it), until it is written."""
        self.pending_alerts[key] = task
        task.add_done_callback(lambda _: self.pending_alerts.pop(key, None))

    # --- membership hooks -----------------------------------------------------------------
    async def joined(self, room: Room, member: Member) -> None:
        if member.sid is None:
            return
        # Its own event, not a `notice`: the client shows it in its safety/recording panel, not as a toast.
        recording = await self.world.may_record(member.user["id"])
        member.consented = recording
        language = self.language_of_sid(member.sid)
        crisis = self.crisis.in_language(language)
        await self.world.sio.emit(
            ws.MONITORING,
            {
                "text": crisis.monitoring_notice,
                "recording": recording,
                "recording_text": self.text("recording.when_on" if recording else "recording.when_off", language),
                "resources_title": crisis.resources_title,
            },
            to=member.sid,
        )
        await self.send_duty_status(member.sid)

    async def resumed(self, room: Room, member: Member) -> None:
        """Someone who was taking a pause and whose link dropped comes back to the quiet room, not the room."""
        if self.paused.get(member.user["id"]) == room.id:
            assert member.sid is not None  # the world calls resumed once the returning connection is attached
            await self.world.sio.leave_room(member.sid, room.id)
            await self.world.send(
                member.sid,
                ws.PAUSED,
                {"paused": True, "scene": self.text("safe_room.scene") or "park", "text": self.text("safe_room.text")},
            )

    async def left(self, room: Room, member: Member) -> None:
        if self.paused.pop(member.user["id"], None) is not None:
            self.sync_outbound()
        self.of(room).bubbles.pop(member.avatar, None)


class Outbound:
    """world.outbound while switched on: keeps blocked people's avatars and lines from each other;
    marks paused avatars."""

    def __init__(self, safety: Safety):
        self.safety = safety
        self.world = safety.world

    def needs_filter(self, room: Room) -> bool:
        """True while this room has a blocked pair or a paused person in it; otherwise every emit may
        take the shared path (e.g. server/scale/interest.py's per-cell groups)."""
        return bool(self.safety.hidden(room)) or any(rid == room.id for rid in self.safety.paused.values())

    def for_sid(self, sid: str, event: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if event != events.ROOM_STATE:
            return payload
        room = self.world.rooms.get(payload["room"]["id"])
        conn = self.world.conns.get(sid)
        if room is None or conn is None:
            return payload
        uid = conn.user["id"]
        s = self.safety
        hide = (
            {m.avatar for m in room.members.values() if m.user["id"] != uid and s.blocked(uid, m.user["id"])}
            if uid in s.involved
            else set()
        )
        paused = {room.members[u].avatar for u, rid in s.paused.items() if rid == room.id and u in room.members}
        if not hide and not paused:
            return payload
        members = [
            dict(m, paused=True) if m["avatar"] in paused else m for m in payload["members"] if m["avatar"] not in hide
        ]
        poses = payload["poses"]
        if hide:
            rec = codec.decode_poses(poses)
            poses = codec.encode_poses(rec[~np.isin(rec["id"], list(hide))])
        return {**payload, "members": members, "poses": poses}

    async def broadcast(
        self, room: Room, event: str, payload: dict[str, Any] | list[Any], skip_sid: str | Iterable[str] | None
    ) -> bool:
        hidden = self.safety.hidden(room)
        if not hidden:
            return False
        sio = self.world.sio
        skip = [skip_sid] if isinstance(skip_sid, str) else list(skip_sid or [])
        if isinstance(payload, list):  # only a `snap` is positional: [tick, poses] (wire.codec.snapshot)
            tick, blob = payload
            rec = codec.decode_poses(blob)
            for sid, hide in hidden.items():
                if sid in skip:
                    continue
                keep = rec[~np.isin(rec["id"], list(hide))]
                if len(keep):
                    await sio.emit(event, codec.snapshot(tick, codec.encode_poses(keep)), to=sid)
            await sio.emit(event, payload, room=room.id, skip_sid=skip + list(hidden))
            return True
        if event == events.MEMBER_JOINED:
            aid = payload["member"]["avatar"]
        elif event in _AVATAR_EVENTS:
            aid = payload.get("avatar")
        else:
            return False
        not_to = [sid for sid, hide in hidden.items() if aid in hide]
        if not not_to:
            return False
        await sio.emit(event, payload, room=room.id, skip_sid=skip + not_to)
        return True
