"""Per-room controller host: which controller drives each cast avatar, and switching between them.

One `ControllerHost` per room (`host_for(world, room)`, kept in `room.state`). For every cast role of
the room's scenario run it holds exactly one `Controller`:

  ScriptedDriver  autonomous, in this process (the default)
  Relay           (base.py) a teleoperating peer specialist or a remote agent: observations go to their client as
                  events (`cue`, `controller`; `scenario_state` is sent to all staff by the run), their
                  intents come back through the gateway naming the avatar (`room.drivers[aid]` = their id)
  Held            the scene waits: the teleoperator dropped and the scenario says `on_operator_drop: pause`

Claim/release: puppeteers only (the gateway refuses a participant's `claim`). A claim is by cast role, so
it can be made before the run starts and lasts across runs in the room until released or the person
leaves the room.

Failover: the world tick (once per period) checks claimed roles. A holder whose link dropped (`member.sid` None)
for `cfg.failover_delay` seconds (default 1) is replaced by the ScriptedDriver (or Held when the cast
member says `on_operator_drop: pause`); cues they had not said yet are handed over. When they
reconnect within the resume grace they get the avatar back (and any held cues); if the grace runs out,
their claim ends and the autonomous driver keeps the avatar.

Supervised autonomy: `supervise {avatar, seconds}` by staff makes the autonomous driver's lines for that
avatar `proposal`s to the supervisor, one at a time in order. `approve` (text may be edited), `reject`;
a proposal not answered within `seconds` is said as proposed, so the participant is never left waiting
on a busy supervisor. A supervisor who is not connected is not asked.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import wire
from wire import controllers as wc
from wire import errors, events
from wire import scenario as wsc
from wire.errors import WireError
from wire.text import has_visible

from ..background import Background
from ..gateway import INTENTS, Ctx
from ..world import Connection, Member, Room, World, room_state
from .base import Action, Controller, Held, Observation, Relay, obs
from .scripted import ScriptedDriver

log = logging.getLogger("peerspace.controllers")

# What an in-process driver may do: the intents of a cast avatar's body and voice, and coaching tags.
ACTIONS = (
    events.SAY,
    events.EXPRESSION,
    events.GESTURE,
    events.LOOK,
    events.MOVE,
    wsc.SCENARIO_FEEDBACK,
    wsc.SCENARIO_ADVANCE,
)
AUTONOMOUS_USER = {"id": None, "name": "autonomous", "role": events.AGENT}
_proposal_ids = itertools.count(1)


async def dispatch(
    world: World, room: Room, avatar: int, event: str, payload: dict[str, Any], user: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """Apply one action through the same handler, schema and role check a client's intent gets.

    The in-process driver acts as a server-side member whose avatar *is* the cast avatar, so
    `Ctx.acting_avatar` accepts it exactly as it accepts a person driving their own avatar.
    """
    if event not in ACTIONS:
        raise WireError(errors.FORBIDDEN, f"A controller cannot use '{event}'.")
    user = user or AUTONOMOUS_USER
    payload = wire.validate(event, payload)
    spec = INTENTS[event]
    if user["role"] not in spec.roles:
        raise WireError(errors.FORBIDDEN, f"Your role ({user['role']}) cannot use '{event}'.")
    conn = Connection("", dict(user), room_id=room.id)
    ctx = Ctx(world, conn, room, Member(conn.user, None, avatar))
    return await spec.fn(ctx, payload)


@dataclass
class Proposal:
    id: int
    role: str
    avatar: int
    actions: list[Action]
    supervisor: int
    seconds: int
    status: str = "open"
    timer: asyncio.TimerHandle | None = None
    cue: dict[str, Any] | None = None  # the cue it answers: handed to whoever claims the role meanwhile

    @property
    def say(self) -> dict[str, Any]:
        return next((p for e, p in self.actions if e == events.SAY), {})

    def public(self) -> dict[str, Any]:
        return {
            "proposal": self.id,
            "avatar": self.avatar,
            "role": self.role,
            "text": self.say.get("text", ""),
            "suggestion": self.say.get("suggestion"),
            "expression": next((p["name"] for e, p in self.actions if e == events.EXPRESSION), None),
            "gesture": next((p["name"] for e, p in self.actions if e == events.GESTURE), None),
            "seconds": self.seconds,
            "status": self.status,
        }


@dataclass
class Claim:
    user_id: int
    failed_over: bool = False  # the holder dropped and someone else (or the pause) has the avatar
    driver: str = wc.TELEOP  # the label others see for the holder: teleop (a person) or agent (a program)
    name: str | None = None  # the holder's display name, for `by` while no run is attached
    # kept from before a restart: the holder has until then (time.monotonic) to come back, meanwhile the
    # scenario's on_operator_drop rule holds
    restored_until: float | None = None


def driver_label(user: dict[str, Any]) -> str:
    """How a claim's holder is labelled: a program (role agent) or a person teleoperating."""
    return wc.AGENT_DRIVEN if user.get("role") == events.AGENT else wc.TELEOP


class ControllerHost:
    def __init__(self, world: World, room: Room):
        self.world, self.room = world, room
        self.claims: dict[str, Claim] = {}  # cast role -> who claimed it
        self.controllers: dict[str, Controller] = {}  # cast role -> its controller (while a run is attached)
        self.avatars: dict[str, int] = {}  # cast role -> cast avatar id
        self.names: dict[str, str] = {}
        self.voices: dict[str, dict[str, float]] = {}  # cast role -> its voice transform (pitch, formant), if any
        self.on_drop: dict[str, str] = {}  # cast role -> 'autonomous' | 'pause'
        self.outstanding: dict[str, list[dict[str, Any]]] = {}  # cues sent to a remote controller, not said yet
        self.supervision: dict[str, tuple[int, int]] = {}  # cast role -> (supervisor user id, seconds)
        self.proposals: dict[int, Proposal] = {}
        self.queue: dict[str, list[Proposal]] = {}
        self.state: dict[str, Any] | None = None  # the last staff scenario_state
        self.restored = False  # claims kept in the store were read back (restore)
        # told when a cued line will not be said (a supervisor rejected it): the run's owed lines move on
        self.on_skip: Callable[[str, str | None], Awaitable[None]] | None = None
        self._background = Background()

    # --- a run's cast arrives and leaves ---------------------------------------------------------
    def attach(
        self,
        cast: dict[str, int],
        names: dict[str, str],
        on_drop: dict[str, str],
        voices: dict[str, dict[str, float]] | None = None,
    ) -> None:
        self.avatars, self.names, self.on_drop = dict(cast), dict(names), dict(on_drop)
        self.voices = dict(voices or {})
        self.controllers = {}
        self.outstanding = {role: [] for role in cast}
        for role, aid in cast.items():
            claim = self.claims.get(role)
            member = self.room.members.get(claim.user_id) if claim else None
            if claim is not None and member is not None and member.sid is not None:
                claim.failed_over = False
                self.room.drivers[aid] = claim.user_id
                self.controllers[role] = Relay(role, aid, member.user)
            elif claim is not None and claim.restored_until is not None and self.on_drop.get(role) == "pause":
                # back after a restart, the holder not yet: the scene waits for them as on a dropped link
                claim.failed_over = True
                self.controllers[role] = Held(role, aid)
            else:
                self.controllers[role] = ScriptedDriver(role, aid)
                if claim is not None:
                    claim.failed_over = True

    async def detach(self) -> None:
        for p in list(self.proposals.values()):
            await self._close(p, "cancelled")
        self.queue.clear()
        self.controllers, self.avatars, self.outstanding = {}, {}, {}
        self.state = None

    # --- observations in -------------------------------------------------------------------------------
    async def cue(self, role: str, cue: dict[str, Any]) -> None:
        """The script wants `role` to say this now."""
        ctl = self.controllers.get(role)
        if ctl is None:
            return
        if ctl.remote:  # one entry per line: a line cued again (resumed, repeated) replaces the earlier cue
            waiting = [c for c in self.outstanding.get(role, []) if c.get("id") != cue.get("id")]
            self.outstanding[role] = waiting + [cue]
        await self._feed(role, ctl, obs(wc.CUE, cue))

    def autonomous(self, role: str) -> bool:
        """Does the built-in driver speak for `role` now (it follows the reading pace)?"""
        ctl = self.controllers.get(role)
        return ctl is not None and ctl.autonomous

    def remote(self, role: str) -> bool:
        """Does a person or an agent drive `role` now (its cues have a deadline)?"""
        ctl = self.controllers.get(role)
        return ctl is not None and ctl.remote

    async def stand_in(self, role: str, cue: dict[str, Any]) -> None:
        """A cue's deadline passed (on_operator_drop: autonomous): the built-in driver says that line, once;
        whoever holds the role keeps it for the next lines."""
        self.outstanding[role] = [c for c in self.outstanding.get(role, []) if c.get("id") != cue.get("id")]
        await self.apply(role, ScriptedDriver(role, self.avatars.get(role)).speak(cue))

    def withdraw(self, keep: set[str]) -> None:
        """Cues no longer owed (the run moved on): not waited for any more."""
        for role, waiting in self.outstanding.items():
            self.outstanding[role] = [c for c in waiting if c.get("id") in keep]

    async def observe_state(self, staff_view: dict[str, Any]) -> None:
        self.state = staff_view
        for role, ctl in list(self.controllers.items()):
            if not ctl.remote:  # a remote driver gets the staff state from the run itself
                await self._feed(role, ctl, obs(wsc.SCENARIO_STATE, staff_view))

    async def heard(self, line: dict[str, Any]) -> None:
        for role, ctl in list(self.controllers.items()):
            if not ctl.remote:  # a remote driver hears the room as a member of it
                await self._feed(role, ctl, obs(events.SAID, line))

    def cast_said(self, role: str, suggestion: str | None) -> None:
        """A line of `role` was recorded: it is no longer outstanding."""
        waiting = self.outstanding.get(role)
        if not waiting:
            return
        hit = next((c for c in waiting if suggestion and c["id"] == suggestion), None)
        waiting.remove(hit if hit is not None else waiting[0])

    async def _feed(self, role: str, ctl: Controller, observation: Observation) -> None:
        actions = ctl.observe(observation)
        if ctl.remote:
            await self._forward(ctl)
            return
        if not actions:
            return
        sup = self.supervision.get(role)
        supervisor = self.room.members.get(sup[0]) if sup else None
        if sup and supervisor is not None and supervisor.sid and any(e == events.SAY for e, _ in actions):
            cue = observation["data"] if observation["event"] == wc.CUE else None
            await self._propose(role, actions, sup, cue)
        else:
            await self.apply(role, actions)

    async def _forward(self, ctl: Controller) -> None:
        """Send a remote controller's pending events to whoever drives it (if they are connected)."""
        member = self.room.members.get(ctl.driven_by) if ctl.driven_by is not None else None
        out = ctl.take_outbox()
        if member is None or member.sid is None:
            return
        for event, data in out:
            await self.world.send(member.sid, event, data)

    async def apply(self, role: str, actions: list[Action]) -> None:
        aid = self.avatars.get(role)
        if aid is None:
            return
        for event, payload in actions:
            if event.startswith("scenario_"):
                # scenario intents take the run's lock; never from inside the effects that hold it
                self._background.spawn(self.act_as(aid, event, payload))
            else:
                await self.act_as(aid, event, payload)

    async def act_as(self, aid: int, event: str, payload: dict[str, Any]) -> None:
        """The server itself acts for a cast avatar (an autonomous line, a scenario's cue expression): a refusal
        is logged, never raised into the caller."""
        if aid not in self.room.avatars:
            return
        try:
            await dispatch(self.world, self.room, aid, event, payload)
        except WireError as e:
            log.info("autonomous %s in room %s refused: %s", event, self.room.id, e.code)

    # --- who drives ---------------------------------------------------------------------------------
    def info(self, role: str) -> dict[str, Any]:
        ctl = self.controllers.get(role)
        claim = self.claims.get(role)
        driver = ctl.driver if ctl is not None else (wc.AUTONOMOUS if claim is None else claim.driver)
        by = None
        if ctl is not None:
            by = ctl.by
        elif claim is not None:
            m = self.room.members.get(claim.user_id)
            by = m.user["name"] if m else claim.name
        return {
            "avatar": self.avatars.get(role),
            "role": role,
            "name": self.names.get(role, role),
            "driver": driver,
            "by": by,
            # the scenario's voice transform for this role, applied by the client of whoever voices it
            "voice": self.voices.get(role),
        }

    async def announce(self, role: str) -> None:
        await self.world.broadcast(self.room, wc.CONTROLLER, self.info(role))

    async def send_all(self, sid: str) -> None:
        for role in self.avatars:
            await self.world.send(sid, wc.CONTROLLER, self.info(role))

    def held_by(self, user_id: int) -> list[dict[str, Any]]:
        """The cast roles this person or agent holds a claim on, as `controller` payloads (the `claims` event)."""
        return [self.info(role) for role, c in self.claims.items() if c.user_id == user_id]

    async def tell_claims(self, member: Member) -> None:
        """A returning holder (a resume, a new login, a rejoin after a restart) is told which claims they hold."""
        if member.sid is not None and member.user.get("id") is not None:
            await self.world.send(member.sid, wc.CLAIMS, {"claims": self.held_by(member.user["id"])})

    def holders(self) -> set[int]:
        return {c.user_id for c in self.claims.values()}

    # --- kept across restarts (the store's cast_controls) ------------------------------------------
    def _keep(self, fn: str, *args: Any) -> None:
        """Write who holds or supervises a role, on the store thread, in the order they changed (retried while
        the store cannot write): the claim itself works at once (people before records)."""
        self.world.store.aio.persist(f"cast control in room {self.room.id}", fn, self.room.id, *args)

    def restore(self, rows: list[dict[str, Any]], grace: float) -> None:
        """Claims and supervision kept from before a restart: each holder has `grace` seconds to come back.
        Once per host (a room's first resume), so live claims are never overwritten."""
        if self.restored:
            return
        self.restored = True
        until = time.monotonic() + grace
        for row in rows:
            if row["claimed_by"] is not None and row["claimed_role"] is not None:
                holder = {"id": row["claimed_by"], "role": row["claimed_role"]}
                self.claims[row["role"]] = Claim(
                    row["claimed_by"],
                    failed_over=True,
                    driver=driver_label(holder),
                    name=row["claimed_name"],
                    restored_until=until,
                )
            if row["supervisor"] is not None and row["supervise_seconds"]:
                self.supervision[row["role"]] = (row["supervisor"], int(row["supervise_seconds"]))

    def paused(self) -> list[str]:
        return [self.names.get(r, r) for r, c in self.controllers.items() if c.paused]

    def role_of(self, avatar: int | None, role: str | None) -> str:
        if avatar is not None:
            av = self.room.avatar(avatar)
            if av.kind != "cast":
                raise WireError(errors.INVALID, "That avatar is a person's own; only cast avatars can be claimed.")
            if av.role not in self.avatars:
                raise WireError(errors.NOT_FOUND, "That cast avatar is not part of the scenario running here.")
            return av.role
        if role is None:
            raise WireError(errors.INVALID, "Say which avatar (avatar) or which cast role (role).")
        if self.avatars and role not in self.avatars:
            raise WireError(
                errors.NOT_FOUND, f"The scenario here has no cast role '{role[:64]}'. Roles: {', '.join(self.avatars)}."
            )
        return role

    async def claim(self, user: dict[str, Any], role: str) -> dict[str, Any]:
        claim = self.claims.get(role)
        if claim is not None and claim.user_id != user["id"]:
            holder = self.room.members.get(claim.user_id)
            if holder is not None and not claim.failed_over:
                raise WireError(
                    errors.CONFLICT,
                    f"{holder.user['name']} is driving {self.names.get(role, role)}. Ask them to release it first.",
                )
        if claim is None or claim.user_id != user["id"]:
            self._keep("set_cast_claim", role, user["id"])
        self.claims[role] = Claim(user["id"], driver=driver_label(user), name=user["name"])
        proposed = [p.cue for p in self.queue.get(role, []) if p.cue is not None]  # cued lines not yet said
        self._cancel_proposals(role)
        aid = self.avatars.get(role)
        if aid is not None:
            held = self.controllers.get(role)
            waiting = (held.held_cues() if held is not None else []) + proposed
            waiting = self._current(waiting + self.outstanding.get(role, []))
            self.outstanding[role] = []
            self.room.drivers[aid] = user["id"]
            relay = Relay(role, aid, user)
            self.controllers[role] = relay
            member = self.room.members.get(user["id"])
            if member is not None and member.sid and self.state is not None:
                await self.world.send(member.sid, wsc.SCENARIO_STATE, self.state)
            for cue in waiting:
                await self.cue(role, cue)
        await self.announce(role)
        log.info("user %s claimed cast role in room %s", user["id"], self.room.id)
        return self.info(role)

    async def release(self, user: dict[str, Any], role: str, force: bool = False) -> dict[str, Any]:
        claim = self.claims.get(role)
        if claim is None:
            return self.info(role)
        if claim.user_id != user["id"] and not force:
            raise WireError(errors.FORBIDDEN, "Only the person driving this avatar (or a facilitator) can release it.")
        await self._to_autonomous(role)
        self.claims.pop(role, None)
        self._keep("set_cast_claim", role, None)
        await self.announce(role)
        log.info("cast role released in room %s", self.room.id)
        return self.info(role)

    async def _to_autonomous(self, role: str, pause: bool = False) -> None:
        aid = self.avatars.get(role)
        if aid is None:
            return
        old = self.controllers.get(role)
        waiting = old.held_cues() if old is not None else []
        waiting = self._current(waiting + self.outstanding.get(role, []))
        self.outstanding[role] = []
        if self.room.drivers.get(aid) is not None:
            self.room.drivers.pop(aid, None)
        if pause:
            held = Held(role, aid)
            held.waiting = waiting
            self.controllers[role] = held
            return
        driver = ScriptedDriver(role, aid)
        self.controllers[role] = driver
        if self.state is not None:
            driver.observe(obs(wsc.SCENARIO_STATE, self.state))
        for cue in waiting:
            await self._feed(role, driver, obs(wc.CUE, cue))

    def _current(self, cues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The cues that still fit the run's current step (stale ones are not said late)."""
        st = self.state
        if st is None:
            return cues
        ids = {c["id"] for cs in (st.get("cue") or {}).get("roles", {}).values() for c in cs}
        if st.get("line"):
            ids.add(st["line"].get("suggestion"))
        ids |= {o.get("suggestion") for o in st.get("owed") or []}  # owed lines (an explanation, a repeat)
        return [c for c in cues if c["id"] in ids]

    # --- failover (called every tick) ---------------------------------------------------------------------
    async def check(self, now: float, delay: float) -> None:
        for role, claim in list(self.claims.items()):
            member = self.room.members.get(claim.user_id)
            if member is not None:
                claim.restored_until = None  # back in the room: from now on their claim lasts as any other
            if member is None:  # left the room (or the resume grace ran out)
                if claim.restored_until is not None and now < claim.restored_until:
                    continue  # after a restart: the holder has a while to come back
                self.claims.pop(role, None)
                self._keep("set_cast_claim", role, None)
                if role in self.avatars:
                    ctl = self.controllers.get(role)
                    if ctl is None or not ctl.autonomous:
                        await self._to_autonomous(role)
                    await self.announce(role)
                continue
            if role not in self.avatars:
                continue
            if member.sid is None and not claim.failed_over:
                if member.away_since is not None and now - member.away_since >= delay:
                    claim.failed_over = True
                    pause = self.on_drop.get(role) == "pause"
                    await self._to_autonomous(role, pause=pause)
                    await self.announce(role)
                    if pause:
                        await self.world.broadcast(
                            self.room,
                            events.NOTICE,
                            {
                                "kind": "scene_paused",
                                "text": f"{self.names.get(role, role)} will be right back. "
                                "The scene waits for a moment.",
                            },
                        )
                    log.info("failover in room %s: %s", self.room.id, "paused" if pause else "autonomous")
            elif member.sid is not None and claim.failed_over:
                claim.failed_over = False
                claim.restored_until = None
                await self.claim(member.user, role)  # back: the avatar (and held cues) return to them

    # --- supervision --------------------------------------------------------------------------------------
    async def supervise(self, user: dict[str, Any], role: str, seconds: int) -> dict[str, Any]:
        if seconds <= 0:
            self.supervision.pop(role, None)
            self._keep("set_cast_supervision", role, None, None)
        else:
            self.supervision[role] = (user["id"], int(seconds))
            self._keep("set_cast_supervision", role, user["id"], int(seconds))
        return {"avatar": self.avatars.get(role), "role": role, "seconds": seconds}

    async def _propose(
        self, role: str, actions: list[Action], sup: tuple[int, int], cue: dict[str, Any] | None = None
    ) -> None:
        p = Proposal(next(_proposal_ids), role, self.avatars[role], actions, sup[0], sup[1], cue=cue)
        self.proposals[p.id] = p
        queue = self.queue.setdefault(role, [])
        queue.append(p)
        if len(queue) == 1:
            await self._open(p)

    async def _open(self, p: Proposal) -> None:
        loop = asyncio.get_running_loop()
        p.timer = loop.call_later(p.seconds, lambda: self._background.spawn(self._decide(p.id, "timed_out")))
        await self._tell(p)

    async def _tell(self, p: Proposal) -> None:
        member = self.room.members.get(p.supervisor)
        if member is not None and member.sid:
            await self.world.send(member.sid, wc.PROPOSAL, p.public())

    async def decide(
        self, user: dict[str, Any], proposal_id: int, approve: bool, text: str | None = None
    ) -> dict[str, Any]:
        p = self.proposals.get(proposal_id)
        if p is None or p.status != "open" or self.queue.get(p.role, [None])[0] is not p:
            raise WireError(errors.NOT_FOUND, "That proposal is no longer open (it was sent, rejected or replaced).")
        if text and not has_visible(text):
            raise WireError(
                errors.INVALID,
                "The edited line shows nothing (only spaces or invisible characters). "
                "Type the line, or approve it without text to send it as proposed.",
            )
        status = "rejected" if not approve else ("edited" if text and text.strip() != p.say.get("text") else "approved")
        if status == "edited":
            assert text is not None  # "edited" means a text was given
            p.actions = [(e, {**pl, "text": " ".join(text.split())} if e == events.SAY else pl) for e, pl in p.actions]
        return await self._decide(p.id, status)

    async def _decide(self, proposal_id: int, status: str) -> dict[str, Any]:
        p = self.proposals.get(proposal_id)
        if p is None or p.status != "open":
            return {}
        if p.timer is not None:
            p.timer.cancel()
        await self._close(p, status)
        if status in ("approved", "edited", "timed_out"):
            await self.apply(p.role, p.actions)
        elif status == "rejected" and self.on_skip is not None:
            await self.on_skip(p.role, p.say.get("suggestion"))
        queue = self.queue.get(p.role, [])
        if queue and queue[0] is p:
            queue.pop(0)
        if queue:
            await self._open(queue[0])
        return p.public()

    async def _close(self, p: Proposal, status: str) -> None:
        p.status = status
        if p.timer is not None:
            p.timer.cancel()
        self.proposals.pop(p.id, None)
        await self._tell(p)

    def hush(self) -> None:
        """The scene stopped (a crisis pause): lines the autonomous cast proposed to a supervisor are dropped,
        never said late (a proposal not answered in time would otherwise be said as proposed)."""
        for role in list(self.queue):
            self._cancel_proposals(role)

    def _cancel_proposals(self, role: str) -> None:
        for p in self.queue.pop(role, []):
            p.status = "cancelled"
            if p.timer is not None:
                p.timer.cancel()
            self.proposals.pop(p.id, None)
            self._background.spawn(self._tell(p))


def hosts(world: World) -> dict[str, ControllerHost]:
    """This world's controller hosts by room id; each lives on its room (`room.state[ControllerHost]`)."""
    return {room.id: host for room in world.rooms.values() if (host := room_state(room, ControllerHost)) is not None}


def host_for(world: World, room: Room) -> ControllerHost:
    """The room's controller host, made on first use."""
    return room_state(room, ControllerHost, lambda: ControllerHost(world, room))


@dataclass
class _Ticker:
    world: World
    last: float = field(default=0.0)

    async def __call__(self, dt: float) -> None:
        now = time.monotonic()
        delay = float(getattr(self.world.cfg, "failover_delay", 1.0))
        for host in list(hosts(self.world).values()):
            if host.claims:
                try:
                    await host.check(now, delay)
                except Exception:
                    log.exception("controller check failed in room %s", host.room.id)
