"""The private help line: "I'd like to talk to someone", a 1:1 text conversation outside the room's chat.

A participant asks (`help_request`) from anywhere: in a room, in the quiet room, between rooms. The
on-duty staff who look after them are told (`help_requested`); if none of those is on duty, every
on-duty staff member is. One of them joins (`help_accept`). Lines (`help_say`) go to the two of them
only (`help_line`), on every connection each has, never to a room. With nobody on duty the participant
is told so plainly, with the out-of-hours resources, and the request waits: as an alert row (kind
`help_request`) for the dashboard, and here, so that whoever comes on duty next is told at once
(`housekeeping`).

The conversation is a safety record (server/storage/helpline.py): the participant agrees to its own
consent text (`help_agree`) before their first line, it is in their export and goes with their delete.
A crisis phrase in a participant's line raises a crisis alert as a line in a room does (the same phrase
list, support card and alert row as `Safety.said`): the staff member in the conversation gets it with
the words; with nobody in it yet, every on-duty staff member gets it without them.

People before records: everyone is told first; rows are written after, retried while the store cannot
write. Conversations live in memory while open (a restart ends them; the rows and the alert remain).
Logs carry user ids and channel keys, never a line.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from wire import errors, events
from wire import helpline as wh
from wire import safety as ws
from wire.errors import WireError

from .. import languages, yamltext
from ..config import scenario_data
from ..gateway import Ctx, intent
from ..world import RoomFeature
from .moderation import live_key

if TYPE_CHECKING:
    from ..config import Config
    from ..storage.interfaces import Storage
    from ..world import World
    from .moderation import Safety

log = logging.getLogger("peerspace.safety.helpline")

TEXTS = ("consent", "staff_told", "nobody", "joined", "closed", "staff_left")
KEEP_LINES = 200  # lines an open conversation keeps in memory for whoever joins it (all are written to the store)
# The alerts table names a room; a request made between rooms is filed under this name.
NO_ROOM = "helpline"
ROLE_WORDS = {
    events.PEER_SPECIALIST: "peer specialist",
    events.FACILITATOR: "facilitator",
    events.ADMIN: "team member",
}


class HelplineFileError(ValueError):
    pass


def text_file(cfg: Config) -> Path:
    """`<scenarios_dir>/safety/helpline.yaml`, else the shipped one (as the crisis phrases)."""
    return scenario_data(cfg, "safety/helpline.yaml")


def load_texts(path: Path) -> dict[str, dict[str, str]]:
    """The participant-facing texts, validated at start: every one of TEXTS, as short plain text; by language
    (English, and each language the file's `translations:` has: server/languages.py)."""
    try:
        data = yamltext.data(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise HelplineFileError(f"{path}: cannot read the help-line texts ({e.__class__.__name__})") from None
    texts = {languages.SOURCE: _texts(data, path)}
    for language, translated in languages.per_language(data, languages.HELPLINE_TEXTS).items():
        texts[language] = _texts(translated, path)
    return texts


def _texts(data: Any, path: Path) -> dict[str, str]:
    missing = [k for k in TEXTS if not (isinstance(data, dict) and str(data.get(k) or "").strip())]
    if missing:
        raise HelplineFileError(f"{path}: must be a map with the texts {', '.join(TEXTS)} (missing: {missing})")
    assert isinstance(data, dict)
    return {k: " ".join(str(data[k]).split()) for k in TEXTS}


@dataclass
class Channel:
    """One conversation while it is open."""

    key: str  # the wire id: a random token, known before any row is written
    participant: dict[str, Any]  # the account row of the person who asked
    room_id: str | None  # where they were when they asked (None: between rooms)
    room_name: str | None
    opened: float
    staff: dict[str, Any] | None = None  # the staff member who joined
    agreed: float | None = None  # when the participant agreed to the consent text
    closed: float | None = None
    offered: set[int] = field(default_factory=set)  # staff user ids told of the request
    lines: list[dict[str, Any]] = field(default_factory=list)  # the latest lines, for whoever joins or comes back
    alert: asyncio.Task[Any] | None = None  # the request's alert row being written (its result is the row id)
    staff_away: float | None = None  # since when (monotonic) the staff member who joined has had no connection

    def row(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "participant_id": self.participant["id"],
            "staff_id": self.staff["id"] if self.staff else None,
            "room_id": self.room_id,
            "opened": self.opened,
            "agreed": self.agreed,
            "closed": self.closed,
        }

    def people(self) -> list[int]:
        return [self.participant["id"]] + ([self.staff["id"]] if self.staff else [])


def staff_line(user: dict[str, Any]) -> str:
    return ROLE_WORDS.get(user["role"], "team member")


class Helpline(RoomFeature):
    """The open conversations of this world, and the room-lifecycle hook that tells staff coming on duty
    about requests still waiting (`housekeeping`, about twice a second)."""

    def __init__(self, world: World, safety: Safety):
        self.world, self.safety = world, safety
        self.translated = load_texts(text_file(world.cfg))
        self.texts = self.translated[languages.SOURCE]  # what staff read
        self.channels: dict[str, Channel] = {}
        self.open_of: dict[int, str] = {}  # participant user id -> their open conversation's key
        self._on_duty: frozenset[int] = frozenset()  # staff on duty at the last look

    # --- who is told ----------------------------------------------------------------------
    def on_duty(self, exclude_user: int | None = None) -> dict[int, list[str]]:
        """Staff who can help now (Safety.staff_online: on duty), user id -> their connections."""
        out: dict[int, list[str]] = {}
        for sid in self.safety.staff_online(exclude_user=exclude_user):
            conn = self.world.conns.get(sid)
            if conn is not None:
                out.setdefault(conn.user["id"], []).append(sid)
        return out

    async def choose(self, person: int, exclude: set[int] | None = None) -> dict[int, list[str]]:
        """The on-duty staff to tell: those who look after this person, else everyone on duty."""
        duty = {u: sids for u, sids in self.on_duty(exclude_user=person).items() if u not in (exclude or set())}
        if not duty:
            return {}
        store: Storage = self.world.store
        theirs: list[int] = await store.aio.apply(lambda: [u for u in duty if store.staff_sees_person(u, person)])
        return {u: duty[u] for u in theirs} if theirs else duty

    async def tell(self, user_ids: list[int], event: str, payload: dict[str, Any]) -> None:
        """Every connection of these people on this node, and nobody else."""
        for uid in user_ids:
            for sid in self.world.sids_of(uid):
                await self.world.sio.emit(event, payload, to=sid)

    def requested(self, ch: Channel) -> dict[str, Any]:
        return {
            "channel": ch.key,
            "name": ch.participant["name"],
            "user": ch.participant["id"],
            "room": ch.room_id,
            "room_name": ch.room_name,
            "ts": ch.opened,
        }

    async def offer(self, ch: Channel, staff: dict[int, list[str]]) -> None:
        ch.offered.update(staff)
        for sids in staff.values():
            for sid in sids:
                await self.world.sio.emit(wh.HELP_REQUESTED, self.requested(ch), to=sid)

    def resources(self, language: str = languages.SOURCE) -> str:
        """The out-of-hours resources from the safety data (the support card's resources when there are none)."""
        care, crisis = self.safety.care.in_language(language), self.safety.crisis.in_language(language)
        return care.resources_text() or crisis.resources_text

    def language(self, user_id: int) -> str:
        return languages.language_of(self.world, user_id)

    def role_for(self, staff: dict[str, Any], user_id: int) -> str:
        """How a staff member's role reads to this person: in English as always, in another language as the care
        file's translated `roles:` say it."""
        language = self.language(user_id)
        if language == languages.SOURCE:
            return staff_line(staff)
        return self.safety.care.in_language(language).role_name(staff["role"])

    def texts_for(self, user_id: int) -> dict[str, str]:
        """The texts in this person's language where the file has them, else English."""
        return self.translated.get(self.language(user_id), self.texts)

    def persist(self, what: str, fn: Any, *args: Any) -> asyncio.Task[Any]:
        return self.safety.persist(what, fn, *args)

    def answered(self, ch: Channel) -> None:
        """Someone joined: the request's alert is acknowledged by them (on its record and history, and it is not
        escalated); it stays on the list until they record on the dashboard what was done."""
        assert ch.staff is not None
        staff_id = ch.staff["id"]

        def mark(task: asyncio.Task[Any]) -> None:
            if not task.cancelled() and task.exception() is None:
                self.persist(
                    f"help request {ch.key} answered", self.safety.db.acknowledge_alert, task.result(), staff_id
                )

        if ch.alert is not None:
            ch.alert.add_done_callback(mark)  # at once if the row is written, else once it is

    # --- the intents' work -------------------------------------------------------------------
    def get(self, key: str, user: dict[str, Any]) -> Channel:
        """The open conversation `key`, if this person is in it (the same answer for "no such" and "not yours")."""
        ch = self.channels.get(key)
        if ch is None or ch.closed is not None or user["id"] not in ch.people() + list(ch.offered):
            raise WireError(errors.NOT_FOUND, "That conversation has ended or is not yours. You can ask again.")
        return ch

    async def request(self, user: dict[str, Any]) -> dict[str, Any]:
        uid = user["id"]
        key = self.open_of.get(uid)
        if key is not None:  # asked again (a second window, a reconnect): the same conversation
            ch = self.channels[key]
            return self.state_for_participant(ch, again=True)
        room, _ = self.world.member_of(uid)
        ch = Channel(
            secrets.token_hex(8),
            user,
            room.id if room is not None else None,
            room.name if room is not None else None,
            time.time(),
        )
        self.channels[ch.key], self.open_of[uid] = ch, ch.key
        staff = await self.choose(uid)
        await self.offer(ch, staff)
        log.info("help request %s: user %s, staff told %d", ch.key, uid, len(staff))
        # Then the records: the conversation, and the request as an alert that waits for the team if nobody
        # on duty answers (the dashboard's list; escalation reads it too).
        self.persist(f"help channel {ch.key}", self.world.store.save_help_channel, ch.row())
        self.waits(ch, len(staff), self.safety.names_of([sid for sids in staff.values() for sid in sids]))
        self._on_duty = frozenset(self.on_duty())
        return self.state_for_participant(ch)

    def waits(self, ch: Channel, told: int, names: list[str] | None = None) -> None:
        """The request as an alert row, open until someone joins (`answered`). Someone asked to talk: high."""
        ch.alert = self.persist(
            f"help request alert {ch.key}",
            self.safety.db.add_alert,
            ch.room_id or NO_ROOM,
            ch.participant["id"],
            "help_request",
            None,
            None,
            told,
            names,
            "high",
        )

    def state_for_participant(self, ch: Channel, again: bool = False) -> dict[str, Any]:
        texts, language = self.texts_for(ch.participant["id"]), self.language(ch.participant["id"])
        if ch.staff is not None:
            told = texts["joined"].format(name=ch.staff["name"], role=self.role_for(ch.staff, ch.participant["id"]))
        elif ch.offered:
            told = texts["staff_told"]
        else:
            told = f"{texts['nobody']} {self.resources(language)}"
        return {
            "channel": ch.key,
            "staff_told": len(ch.offered),
            "staff": {"name": ch.staff["name"], "role": ch.staff["role"]} if ch.staff else None,
            "text": told,
            "consent": texts["consent"],
            "agreed": ch.agreed is not None,
            "again": again,
            "lines": list(ch.lines) if again else [],
        }

    async def agree(self, user: dict[str, Any], key: str) -> dict[str, Any]:
        ch = self.get(key, user)
        if user["id"] != ch.participant["id"]:
            raise WireError(errors.FORBIDDEN, "Only the person who asked for help agrees to this record.")
        if ch.agreed is None:
            ch.agreed = time.time()
            self.persist(f"help channel {ch.key}", self.world.store.save_help_channel, ch.row())
        return {"channel": ch.key, "agreed": True}

    async def accept(self, user: dict[str, Any], key: str) -> dict[str, Any]:
        ch = self.get(key, user)
        if ch.staff is not None and ch.staff["id"] != user["id"]:
            raise WireError(errors.CONFLICT, f"{ch.staff['name']} is already talking with them.")
        if user["id"] not in ch.offered:
            raise WireError(errors.NOT_FOUND, "That conversation has ended or is not yours. You can ask again.")
        if ch.staff is None:
            ch.staff = user
            joined = self.texts_for(ch.participant["id"])["joined"].format(
                name=user["name"], role=self.role_for(user, ch.participant["id"])
            )
            status = {"channel": ch.key, "state": "joined", "staff": {"name": user["name"], "role": user["role"]}}
            await self.tell([ch.participant["id"]], wh.HELP_STATUS, {**status, "text": joined})
            others = [u for u in ch.offered if u != user["id"]]
            await self.tell(others, wh.HELP_STATUS, {"channel": ch.key, "state": "taken", "by": user["name"]})
            log.info("help channel %s: staff %s joined", ch.key, user["id"])
            self.answered(ch)
            self.persist(f"help channel {ch.key}", self.world.store.save_help_channel, ch.row())
        return {
            "channel": ch.key,
            "name": ch.participant["name"],
            "room": ch.room_id,
            "room_name": ch.room_name,
            "agreed": ch.agreed is not None,
            "lines": list(ch.lines),
        }

    async def say(self, user: dict[str, Any], key: str, text: str) -> dict[str, Any]:
        ch = self.get(key, user)
        uid = user["id"]
        if uid not in ch.people():
            raise WireError(errors.FORBIDDEN, "Join the conversation first (accept the request).")
        if uid == ch.participant["id"] and ch.agreed is None:
            raise WireError(errors.FORBIDDEN, f"Please read this and agree first: {self.texts_for(uid)['consent']}")
        ts = time.time()
        line = {"channel": ch.key, "from": user["name"], "role": user["role"], "text": text, "ts": ts}
        ch.lines = (ch.lines + [line])[-KEEP_LINES:]
        await self.tell(ch.people(), wh.HELP_LINE, line)
        if uid == ch.participant["id"]:
            category = self.safety.crisis.match(text)
            if category is not None:
                await self.crisis(ch, category, text, ts)
        self.persist(f"help line {ch.key}", self.world.store.add_help_line, ch.row(), uid, ts, text)
        return {"channel": ch.key, "ts": ts}

    async def crisis(self, ch: Channel, category: str, text: str, ts: float) -> None:
        """A crisis phrase in the conversation: alerted as in a room (Safety.said). The staff member in the
        conversation has just read the line, so theirs carries it; with nobody in it yet, every on-duty
        staff member is told who, not the words."""
        uid = ch.participant["id"]
        key = live_key()
        alert = {
            "kind": "crisis",
            "key": key,
            "severity": "high",
            "room": ch.room_id or NO_ROOM,
            "room_name": ch.room_name,
            "channel": ch.key,
            "name": ch.participant["name"],
            "category": category,
            "ts": ts,
        }
        if ch.staff is not None:
            told = [ch.staff["id"]]
            await self.tell(told, ws.SAFETY_ALERT, {**alert, "text": text})
        else:
            duty = self.on_duty(exclude_user=uid)
            told = list(duty)
            await self.tell(told, ws.SAFETY_ALERT, {**alert, "escalated": True})
        await self.tell(
            [uid],
            events.NOTICE,
            {
                "kind": "support",
                "title": self.safety.crisis.in_language(self.language(uid)).resources_title,
                "text": self.safety.support_text(bool(told), self.language(uid)),
            },
        )
        log.warning(
            "crisis alert: help channel %s, user %s, category %s, staff notified %d", ch.key, uid, category, len(told)
        )
        told_sids = [sid for staff_id in told for sid in self.world.sids_of(staff_id)]
        self.safety.remember(
            key,
            self.persist(
                f"crisis alert in help channel {ch.key}",
                self.safety.db.add_alert,
                ch.room_id or NO_ROOM,
                uid,
                "crisis",
                category,
                None,
                len(told),
                self.safety.names_of(told_sids),
                "high",
                key,
            ),
        )

    async def close(self, user: dict[str, Any], key: str) -> dict[str, Any]:
        ch = self.get(key, user)
        if user["id"] not in ch.people():
            raise WireError(errors.FORBIDDEN, "Only the two people in the conversation can end it.")
        ch.closed = time.time()
        del self.channels[ch.key]
        self.open_of.pop(ch.participant["id"], None)
        status = {"channel": ch.key, "state": "closed", "by": user["name"], "text": self.texts["closed"]}
        await self.tell(ch.people(), wh.HELP_STATUS, status)
        if ch.staff is None:
            await self.tell(list(ch.offered), wh.HELP_STATUS, {**status, "text": ""})
        log.info("help channel %s closed by user %s", ch.key, user["id"])
        self.persist(f"help channel {ch.key}", self.world.store.save_help_channel, ch.row())
        return {"channel": ch.key, "closed": True}

    # --- staff coming on duty see requests still waiting -------------------------------------------
    async def housekeeping(self) -> None:
        await self.staff_gone()
        waiting = [c for c in self.channels.values() if c.staff is None]
        if not waiting:
            return
        duty = frozenset(self.on_duty())
        if duty == self._on_duty:
            return
        self._on_duty = duty
        for ch in waiting:
            if ch.offered & duty:
                continue  # someone who was told is still on duty: they have it
            staff = await self.choose(ch.participant["id"], exclude=ch.offered)
            if staff:
                await self.offer(ch, staff)
                log.info("help request %s: staff told %d on coming on duty", ch.key, len(staff))

    async def staff_gone(self) -> None:
        """A staff member who joined has had no connection for the resume grace: the person is not left
        talking to no one. They are told so, and the request waits again, offered to whoever is on duty."""
        now = time.monotonic()
        for ch in list(self.channels.values()):
            if ch.staff is None:
                continue
            if self.world.sids_of(ch.staff["id"]):
                ch.staff_away = None
                continue
            if ch.staff_away is None:
                ch.staff_away = now
            if now - ch.staff_away < self.world.cfg.resume_grace:
                continue
            gone = ch.staff
            ch.staff, ch.staff_away, ch.offered = None, None, set()
            staff = await self.choose(ch.participant["id"])
            await self.offer(ch, staff)
            texts, language = self.texts_for(ch.participant["id"]), self.language(ch.participant["id"])
            now_what = texts["staff_told"] if staff else f"{texts['nobody']} {self.resources(language)}"
            text = f"{texts['staff_left'].format(name=gone['name'])} {now_what}"
            status = {"channel": ch.key, "state": "waiting", "staff_told": len(staff), "text": text}
            await self.tell([ch.participant["id"]], wh.HELP_STATUS, status)
            log.info(
                "help channel %s: staff %s gone, request waits again (staff told %d)", ch.key, gone["id"], len(staff)
            )
            self.waits(ch, len(staff), self.safety.names_of([sid for sids in staff.values() for sid in sids]))


def _helpline(ctx: Ctx) -> Helpline:
    for feature in ctx.world.features:
        if isinstance(feature, Helpline):
            return feature
    raise WireError(errors.NOT_FOUND, "The help line is not available on this server.")


@intent(wh.HELP_REQUEST, roles=(events.PARTICIPANT,), in_room=False)
async def help_request(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return await _helpline(ctx).request(ctx.user)


@intent(wh.HELP_AGREE, roles=(events.PARTICIPANT,), in_room=False)
async def help_agree(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return await _helpline(ctx).agree(ctx.user, p["channel"])


@intent(wh.HELP_ACCEPT, roles=events.STAFF, in_room=False)
async def help_accept(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return await _helpline(ctx).accept(ctx.user, p["channel"])


@intent(wh.HELP_SAY, roles=(events.PARTICIPANT, *events.STAFF), in_room=False)
async def help_say(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return await _helpline(ctx).say(ctx.user, p["channel"], p["text"])


@intent(wh.HELP_CLOSE, roles=(events.PARTICIPANT, *events.STAFF), in_room=False)
async def help_close(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return await _helpline(ctx).close(ctx.user, p["channel"])
