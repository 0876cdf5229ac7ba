"""Scenarios in rooms: the eight scenario intents, one active run per room, its cast avatars.

Who may do what
  scenario_list      anyone, in a room or not
  scenario_start     a participant, in the room they are in (they are the run's participant); or staff, when
                     exactly one participant is in the room (that person is the run's participant).
                     One active run per room.
  scenario_choose    the run's participant only (in a reversed group turn, whoever plays the learner: a peer or
                     staff, RoomRun.player; server/courses/group.py)
  scenario_answer    as scenario_choose
  scenario_advance   staff (peer_specialist, facilitator, admin)
  scenario_feedback  staff; an agent only while it drives one of the run's cast avatars (its claim); the
                     built-in autonomous coach tags its feedback too
  scenario_stop      staff, or the run's participant (always allowed to stop)
  scenario_resume    a run paused by a crisis phrase: staff at once; the participant once staff acknowledged;
                     staff also lift their own pause
  scenario_pause     staff: hold the scene (nothing more is cued or offered until scenario_resume)
  scenario_repeat    staff: the current beat's (or node's) lines again
  scenario_pace      the run's participant: their reading pace (slower, usual, faster)
  scenario_review    staff in the room: decide a typed answer held for review (wait 'review')
  scenario_rate      the run's participant: their own 0-10 rating of the role-play that just ended
  (all but list and start: only those who may follow the run, RoomRun.watchers)

A run is a 1:1 practice: while its participant is in the room, nobody else walks in on it except those who
may follow it (entering); its state and ending go only to them.

When a run starts, every non-participant cast role gets a cast avatar (kind 'cast', role = the cast role,
named by the cast name); they leave when the run ends. Each cast avatar is driven by a controller
(server.controllers): the built-in autonomous driver unless a peer specialist or an agent claimed the role.

Effects: the runner has persisted every event and its state before it returns effects; only then are they
carried out here. A room's run is paced: a step's lines (and the faces among them) are owed lines in the
run's state, delivered one at a time (`deliver`): only the first is cued to its role's controller; the next
follows once it was said (`cast_said`: the cue's suggestion, an alternative, or the driver's own words), after
the reading pace when the built-in driver says it (cfg.pace_scale times the scenario's `pace:`), or when its
deadline passed (a person or agent has `cue_seconds`; then the cast member's on_operator_drop rule applies).
While lines are owed the participant is offered nothing (`speaking`: the cast role) and their choices are
refused; the state with their options is sent after the last owed line was said. Say -> (a crisis check-in,
or an unpaced run's line) a cue to the role's controller (the autonomous driver says it at once; a
teleoperator gets a `cue`); Show -> the cast avatar's face; ParticipantSaid -> the participant's avatar
says their line (`said` with `scenario: 'answer'`, and `action: true` for an action in parentheses);
StateChanged -> `scenario_state` (participant view to non-staff, staff view with `cue` to staff and
agents; both with `avatars`: cast role -> avatar id); Finished -> `scenario_ended`, cast avatars leave.

Lines said in the room while a run is active are recorded with the run: cast lines through the runner
(`cast_said`, which also tags feedback cues), the participant's lines as `said` events with the run id.
What the participant said is stored only with their recording consent; without it, their answers are
stored without the words (choice ids, scores and emotion answers still count, `text_withheld: true`).

A crisis phrase (server/safety/crisis.py, the staff alert's matcher) in the participant's typed answer or
chat line stops the scene before the answer is matched or scored: the run waits in `paused` (persisted),
the cast step out of their roles (faces neutral, the coach turns to the participant and says the check-in
from the safety data file), nothing is offered but 'resume' and 'end'. It carries on when the participant
chooses to after staff acknowledged the alert (live, or 'handled' on the dashboard), or when staff resume
or advance it; 'end' (or scenario_stop) closes it with the data file's kind closing line.

A typed answer is scored on its own only when the matcher is sure and the words show no risk signal
(answer_risk.py). Otherwise, with a specialist in the room (staff who follow the run, connected) the run
waits in `review`: staff get `review` in their view and decide with scenario_review; when the last of
them leaves, the participant is asked instead. With nobody, the participant gets "Did you mean ...?"
(wait `confirm`). The lists and texts: `<scenarios_dir>/matching/answer_risk.yaml`.

At startup every active run is resumed into its room with its cast re-spawned (scaled out over Redis,
on the node that owns the room, when the first person joins it there).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from wire import errors, events
from wire import scenario as wsc
from wire.errors import WireError

from .. import languages
from ..appkeys import WORLD
from ..background import Background
from ..config import own_scenarios_dir, playable_folders, scenario_data
from ..controllers import host_for, restore_claims
from ..controllers.scripted import reading_seconds
from ..gateway import Ctx, intent
from ..safety.crisis import SCENE_PAUSE_TEXTS
from ..storage import RETRYABLE
from ..world import Avatar, Member, Room, RoomFeature, World, room_state
from ..world.intents import speak
from . import answer_risk
from .effects import Face
from .loader import load_folders, parse, read_catalog
from .model import Scenario
from .runner import Effect, Finished, ParticipantSaid, Say, ScenarioRun, Show, StateChanged
from .schema import DEFAULT_CUE_SECONDS

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger("peerspace.scenarios")

CONTROLLER_VIEW = events.STAFF + (events.AGENT,)
CONTENT_KINDS = frozenset(
    {
        "choice",
        "no_match",
        "reflection",
        "emotion_answer",
        "emotion_unclear",
        "answer_held",
        "answer_unscored",
        "homework_review",
        "self_rating",
    }
)


class GatedRunStore:
    """The runner's store, gated by the participant's recording consent (World.may_record).

    The runner is synchronous and persists before it hands back effects. Here its writes are only
    collected (`save_run_state` keeps a copy of the state at that moment); `await flush()` then writes
    them, in order, on the store thread, and only after that are the effects carried out. So "persist,
    then act" holds and the event loop never waits on the disk. If the store cannot write now, the
    writes keep their order and are retried in the background while the session goes on (people
    before records). `create_run`, `get_run` and `run_events` are direct reads/writes for
    `ScenarioRun.create`/`resume`, which run whole on the store thread (`store.aio.apply`).
    """

    def __init__(self, world: World, participant_id: int | None) -> None:
        self.world, self.store, self.participant = world, world.store, participant_id
        self.speaker: int | None = None  # who drove the cast line, or gave the feedback, being recorded
        # a reversed group turn (server/courses/group.py): who played the learner; their choices and the
        # role-play's ending carry it, so they are not counted as the participant's own skill progress
        self.played_by: int | None = None
        self.last_id: int | None = None
        # writes collected from the runner, not yet in the store: ("state", run_id, state, status) or
        # ("event", room_id, run_id, kind, actor, data, user_id)
        self.backlog: list[tuple[Any, ...]] = []
        self._retry: asyncio.Task[Any] | None = None

    def create_run(self, room_id: str, scenario_id: str, difficulty: str, participant_user_id: int | None) -> int:
        run_id: int = self.store.create_run(room_id, scenario_id, difficulty, participant_user_id)
        return run_id

    def save_run_state(self, run_id: int, state: dict[str, Any], status: str) -> None:
        self.backlog.append(("state", run_id, copy.deepcopy(state), status))

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        run: dict[str, Any] | None = self.store.get_run(run_id)
        return run

    def run_events(self, run_id: int) -> list[dict[str, Any]]:
        run_events: list[dict[str, Any]] = self.store.run_events(run_id)
        return run_events

    def append_event(
        self, room_id: str, run_id: int | None, kind: str, actor: str | None, data: dict[str, Any]
    ) -> None:
        uid = None
        if kind in CONTENT_KINDS and self.participant is not None:
            uid = self.participant
        elif kind in ("said", "feedback"):
            # the person (or agent account) who said it or gave it: it is theirs too, in their own export
            uid = self.speaker
        if self.played_by is not None and (kind in CONTENT_KINDS or kind == "ending"):
            data = {**data, "played_by": self.played_by}
        self.backlog.append(("event", room_id, run_id, kind, actor, data, uid))

    async def flush(self) -> None:
        if not self.backlog or (self._retry is not None and not self._retry.done()):
            return  # nothing to write, or a retry is under way and takes these along, in order
        try:
            await self.store.aio.write(self._write)
        except RETRYABLE:  # the store cannot write now (a lock, a read-only disk): retried
            self._retry = self.store.aio.persist("scenario run records", self._write, tried=True)

    def _write(self) -> int | None:
        """On the store thread: write the backlog in order, dropping each write once it is in."""
        while self.backlog:
            op = self.backlog[0]
            if op[0] == "state":
                self.store.save_run_state(*op[1:])
            else:
                _, room_id, run_id, kind, actor, data, uid = op
                if kind in CONTENT_KINDS and uid is not None and not self.world.may_record_now(uid) and "text" in data:
                    data = {k: v for k, v in data.items() if k != "text"} | {"text_withheld": True}
                self.last_id = self.store.append_event(room_id, run_id, kind, actor, data, user_id=uid)
            self.backlog.pop(0)
        return self.last_id


@dataclass
class RoomRun:
    room: Room
    run: ScenarioRun
    store: GatedRunStore
    cast: dict[str, int] = field(default_factory=dict)  # cast role -> avatar id
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    sent: dict[int, str] = field(default_factory=dict)  # user id -> sid last sent the state
    # Who may follow this run (its state, its end): the participant, whoever was in the room when it
    # began, and those let in while it ran (ScenarioRooms.entering). Nobody else gets its content.
    watchers: set[int] = field(default_factory=set)
    # a crisis pause made while the participant's line was being recorded: the cast's stepping out and the
    # coach's check-in, carried out once that line has been said (ScenarioRooms.said)
    after_line: list[Effect] = field(default_factory=list)
    # Owed lines (ScenarioRooms.deliver): the number of the owed line cued now and not yet said, or waiting
    # for its reading pace (`scheduled`); when a person or agent has it, its deadline (epoch seconds)
    cued: int | None = None
    scheduled: int | None = None
    deadline: float | None = None
    spoke: bool = False  # lines were delivered since the participant's options were last sent
    # cast avatar id -> the owed line its line just recorded was (recording_said), until it is said (said)
    just_said: dict[int, int] = field(default_factory=dict)
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    # who answers the learner's options when it is not the participant: a reversed group turn, where the
    # participant plays the partner and a peer or the peer specialist plays the learner (server/courses/group.py)
    player: int | None = None

    @property
    def participant(self) -> int | None:
        return self.run.participant_user_id

    @property
    def answerer(self) -> int | None:
        """Who chooses and answers for the learner: the participant, or the player of a reversed turn."""
        return self.player if self.player is not None else self.participant


class TurnTaking(Protocol):
    """A group practice in a room (server/courses/group.py): runs are its turns. Plugged in by server/courses."""

    async def finished(self, rr: RoomRun, status: str) -> None: ...

    async def gone(self, room: Room, member: Member) -> None: ...

    async def came(self, room: Room, member: Member) -> None: ...

    def expects(self, room: Room, user_id: int) -> bool: ...

    def refusal(self, rr: RoomRun, user_id: int) -> str | None: ...

    def busy(self, room: Room) -> str | None: ...


class ScenarioRooms(RoomFeature):
    def __init__(
        self, world: World, scenarios: dict[str, Scenario], risk: answer_risk.AnswerRisk | None = None
    ) -> None:
        self.world = world
        self.scenarios = scenarios
        self.risk = risk or answer_risk.shipped()
        # Scaled out, a room lives on the node where people are: its run is resumed there, on the first join.
        self.lazy = bool(getattr(world.cfg, "redis_url", ""))
        self._background = Background()  # a run's timers: reading pace, cue deadlines
        # versions replaced by a publish, by content hash: a run that started on one resumes on it
        self.replaced: dict[str, Scenario] = {}
        # The course's suggested difficulty for a participant's next role-play of a scenario (participant id,
        # scenario id) -> {difficulty, from, reason} or None; set by server/courses (its setup), else None.
        self.suggest: Callable[[int, str], Awaitable[dict[str, Any] | None]] | None = None
        # a group practice's turn taking (server/courses/group.py), else None: runs are one person's practice
        self.turns: TurnTaking | None = None

    # --- the run in each room (room.state[RoomRun]) -------------------------------------------------
    @staticmethod
    def run_in(room: Room) -> RoomRun | None:
        """The scenario running in this room, if any: per-room state, on the room."""
        return room_state(room, RoomRun)

    @property
    def active(self) -> dict[str, RoomRun]:
        """Room id -> its running scenario, for this node's rooms (a view built from the rooms)."""
        return {room.id: rr for room in self.world.rooms.values() if (rr := self.run_in(room)) is not None}

    # --- views -------------------------------------------------------------------------------------
    def avatars(self, rr: RoomRun) -> dict[str, int]:
        out = dict(rr.cast)
        member = rr.room.members.get(rr.answerer) if rr.answerer is not None else None
        if member is not None:
            out[rr.run.scenario.participant_role] = member.avatar
        return out

    def view(self, rr: RoomRun, staff: bool) -> dict[str, Any]:
        v = rr.run.view("staff" if staff else "participant")
        v["avatars"] = self.avatars(rr)
        # when the line the participant waits for is with a person or an agent: by when it is due
        v["deadline"] = rr.deadline if rr.cued is not None else None
        if staff:
            v["cue"]["deadline"] = v["deadline"]
        return v

    async def send_state(self, rr: RoomRun, only: int | None = None) -> None:
        staff_view: dict[str, Any] | None = None
        for uid, m in list(rr.room.members.items()):
            if m.sid is None or (only is not None and uid != only) or uid not in rr.watchers:
                continue
            if m.user["role"] in CONTROLLER_VIEW:
                if staff_view is None:
                    staff_view = self.view(rr, True)
                view = staff_view
            else:
                view = self.view(rr, False)
            await self.world.send(m.sid, wsc.SCENARIO_STATE, view)
            rr.sent[uid] = m.sid
        if only is None:
            await host_for(self.world, rr.room).observe_state(staff_view or self.view(rr, True))

    # --- a run in a room ---------------------------------------------------------------------------
    async def attach(self, room: Room, run: ScenarioRun, store: GatedRunStore) -> RoomRun:
        run.paced = True  # its lines are owed and delivered one by one (deliver)
        rr = RoomRun(room, run, store)
        run.risk, run.crisis = self.risk, self.crisis  # a crisis answer is never scored, whatever path it takes
        rr.watchers = set(room.members) | ({run.participant_user_id} if run.participant_user_id else set())
        rr.watchers |= host_for(self.world, room).holders()  # a claim kept across a restart: its holder follows
        sc = run.scenario
        participant = room.members.get(run.participant_user_id) if run.participant_user_id is not None else None
        for role, c in sc.cast.items():
            if c["kind"] == "participant":
                continue
            av = room.spawn(c["name"], "cast", role)
            rr.cast[role] = av.id
            if participant is not None:
                room.face(av.id, participant.avatar)
            await self.world.broadcast(room, events.MEMBER_JOINED, {"member": av.public()})
        room.state[RoomRun] = rr
        host = host_for(self.world, room)
        host.attach(
            rr.cast,
            {r: sc.cast[r]["name"] for r in rr.cast},
            {r: sc.cast[r].get("on_operator_drop") or "autonomous" for r in rr.cast},
            {r: sc.cast[r]["voice"] for r in rr.cast if sc.cast[r].get("voice")},
        )

        async def skipped(role: str, suggestion: str | None) -> None:
            await self.skip_line(rr, role, suggestion)

        host.on_skip = skipped
        for role in rr.cast:
            await host.announce(role)
        return rr

    async def attach_new(
        self, room: Room, scenario: Scenario, difficulty: str, participant: dict[str, Any], player: int | None = None
    ) -> RoomRun:
        """A new run of `scenario` for `participant` (a user) in `room`, attached and ready to start (`_step`
        'start'). `player`: who answers for the learner when not the participant (a reversed group turn)."""
        # the participant's language (their connect auth), English where the file has no text in it
        scenario = scenario.localized(languages.language_of(self.world, participant["id"]))
        store = GatedRunStore(self.world, participant["id"])
        # The new run is nobody else's yet, so the whole construction (its insert included) runs on the store thread.
        run: ScenarioRun = await self.world.store.aio.apply(
            ScenarioRun.create,
            store,
            room.id,
            scenario,
            difficulty,
            participant_user_id=participant["id"],
            participant_name=participant["name"],
        )
        await store.flush()
        run.state["language"] = scenario.language  # a resumed run keeps it (resume_all)
        if any(phase["kind"] == "homework_review" for phase in scenario.phases):
            # the homework this session reviews: the one last set for this participant (server/courses/)
            run.state["last_homework"] = await self.world.store.aio.last_homework(participant["id"])
        if self.suggest is not None:
            # the course's suggestion, shown beside the difficulty chosen (which may overrule it)
            run.state["suggested"] = await self.suggest(participant["id"], scenario.id)
        rr = await self.attach(room, run, store)
        rr.player = player
        return rr

    async def detach(self, rr: RoomRun) -> None:
        if self.run_in(rr.room) is rr:
            del rr.room.state[RoomRun]
        for timer in rr.timers:
            timer.cancel()
        rr.timers.clear()
        await host_for(self.world, rr.room).detach()
        for aid in rr.cast.values():
            if aid in rr.room.avatars:
                rr.room.despawn(aid)
                await self.world.broadcast(rr.room, events.MEMBER_LEFT, {"avatar": aid})

    async def apply(self, rr: RoomRun, effects: list[Effect]) -> None:
        """Carry out a run's effects, in order (the runner persisted them already)."""
        host = host_for(self.world, rr.room)
        for e in effects:
            try:
                if isinstance(e, (Say, Show)) and e.owed is not None:
                    continue  # an owed line (or a face after one): delivered in order, below
                if isinstance(e, Say):
                    await host.cue(e.cast, self._cue(rr, e))
                elif isinstance(e, Show):
                    await self._show(rr, e)
                elif isinstance(e, Face):
                    aid = rr.cast.get(e.cast)
                    member = rr.room.members.get(rr.participant) if rr.participant is not None else None
                    if aid is not None and member is not None:
                        await host.act_as(aid, events.LOOK, {"at": member.avatar, "avatar": aid})
                elif isinstance(e, ParticipantSaid):
                    await self._participant_says(rr, e)
                elif isinstance(e, StateChanged):
                    await self.send_state(rr)
                elif isinstance(e, Finished):
                    ended = {"run": rr.run.run_id, "status": e.status, "summary": e.summary}
                    if e.closing:
                        ended["closing"] = e.closing
                    for uid, m in list(rr.room.members.items()):
                        if m.sid is not None and uid in rr.watchers:
                            await self.world.send(m.sid, wsc.SCENARIO_ENDED, ended)
                    await self.detach(rr)
                    if self.turns is not None:
                        await self.turns.finished(rr, e.status)
            except WireError as err:  # e.g. the participant is paused in the quiet room: their line waits
                log.info("scenario effect %s in room %s not carried out: %s", e.kind, rr.room.id, err.code)
        await self.deliver(rr)

    # --- owed lines: one at a time, at a reading pace, each with a deadline ----------------------------------
    def _later(self, rr: RoomRun, seconds: float, then: Callable[[], Awaitable[None]]) -> None:
        """Run `then()` after `seconds` (dropped with the run: detach cancels it)."""
        loop = asyncio.get_running_loop()

        async def guarded() -> None:
            try:
                await then()
            except Exception:  # a timer's failure is logged; the run carries on with its next step
                log.exception("scenario timer failed in room %s", rr.room.id)

        rr.timers = [t for t in rr.timers if not t.cancelled() and t.when() > loop.time()]
        rr.timers.append(loop.call_later(seconds, lambda: self._background.spawn(guarded())))

    def _live(self, rr: RoomRun) -> bool:
        """Lines may be delivered now: the run is on, not stopped by a crisis, not held by staff."""
        run = rr.run
        return self.run_in(rr.room) is rr and not run.finished and run.paused is None and not run.held

    async def deliver(self, rr: RoomRun, after: str | None = None) -> None:
        """Cue the first owed line to its role's controller, unless it is cued already; faces before it are
        shown. `after`: the line just said; the built-in driver waits while it is read (reading pace).
        Once nothing is owed, the participant gets the state with their options."""
        if not self._live(rr):
            return
        run, host = rr.run, host_for(self.world, rr.room)
        owed = run.owed
        if owed and owed[0]["n"] in (rr.cued, rr.scheduled):
            return  # the line is with its driver (or waits for its pace)
        rr.scheduled = None  # a pace wait for a line no longer owed first: its timer finds nothing to cue
        if rr.cued is not None:  # the run moved on past the line cued (advance, repeat): not waited for
            rr.cued = rr.deadline = None
            host.withdraw({o["suggestion"] for o in owed if o["effect"] == "say"})
        while owed and owed[0]["effect"] == "show":
            item = owed[0]
            run.delivered(item["n"])
            await rr.store.flush()
            await self._show(rr, Show(item["cast"], item["expression"], float(item["intensity"]), item["gesture"]))
            if not self._live(rr) or run.owed is not owed:
                return
        if not owed:
            if rr.spoke:
                rr.spoke = False
                await self.send_state(rr)
            return
        head = owed[0]
        rr.spoke = True
        delay = 0.0
        if after and host.autonomous(head["cast"]):
            pace = run.state.get("pace") or {}
            delay = reading_seconds(after, pace, float(getattr(self.world.cfg, "pace_scale", 1.0)))
        if delay > 0:
            rr.scheduled = head["n"]
            self._later(rr, delay, lambda: self._cue_owed(rr, head["n"]))
            return
        await self._cue_owed(rr, head["n"])

    async def _cue_owed(self, rr: RoomRun, n: int) -> None:
        if rr.scheduled == n:
            rr.scheduled = None
        owed = rr.run.owed
        if not self._live(rr) or not owed or owed[0]["n"] != n or rr.cued == n:
            return
        head = owed[0]
        host = host_for(self.world, rr.room)
        rr.cued = n
        cue = self._cue(rr, Say(**{k: head[k] for k in ("cast", "text", "expression", "gesture", "suggestion")}))
        if host.remote(head["cast"]):
            seconds = float(getattr(self.world.cfg, "cue_seconds", 0.0)) or float(
                rr.run.scenario.cast[head["cast"]].get("cue_seconds") or DEFAULT_CUE_SECONDS
            )
            deadline = rr.deadline = cue["deadline"] = round(time.time() + seconds, 3)
            self._later(rr, seconds, lambda: self._overdue(rr, n, deadline))
        else:
            rr.deadline = None
        await host.cue(head["cast"], cue)
        if rr.cued == n and rr.deadline is not None:
            await self.send_state(rr)  # staff see the countdown; the participant sees who is speaking

    async def _overdue(self, rr: RoomRun, n: int, deadline: float) -> None:
        """A cued line's deadline passed unsaid: the cast member's on_operator_drop rule applies."""
        owed = rr.run.owed
        if not self._live(rr) or rr.cued != n or rr.deadline != deadline or not owed or owed[0]["n"] != n:
            return  # said, moved on, or cued again since (a later deadline)
        head, host = owed[0], host_for(self.world, rr.room)
        role = head["cast"]
        if not host.remote(role):
            return  # failover has already handed the line on
        rule = rr.run.scenario.cast[role].get("on_operator_drop") or "autonomous"
        log.info("cue deadline passed in room %s for run %s: %s", rr.room.id, rr.run.run_id, rule)
        if rule == "pause":  # the scene waits for them, as when their link drops
            rr.deadline = None
            name = rr.run.scenario.cast[role]["name"]
            await self.world.broadcast(
                rr.room,
                events.NOTICE,
                {"kind": "scene_paused", "text": f"{name} will be right back. The scene waits for a moment."},
            )
            await self.send_state(rr)
            return
        cue = self._cue(rr, Say(**{k: head[k] for k in ("cast", "text", "expression", "gesture", "suggestion")}))
        await host.stand_in(role, cue)

    async def line_said(self, rr: RoomRun, n: int, text: str) -> None:
        """Owed line `n` was said: unless another line is cued meanwhile (the run moved on), the next one
        follows (a line said before its cue, e.g. from the palette while it waited for its pace, counts)."""
        if rr.cued != n and not (rr.cued is None and rr.scheduled in (n, None)):
            return  # another line is cued now: the run moved on while this one was being said
        rr.cued = rr.deadline = rr.scheduled = None
        await self.deliver(rr, after=text)

    async def skip_line(self, rr: RoomRun, role: str, suggestion: str | None) -> None:
        """The cued line will not be said (a supervisor rejected it): the next one follows."""
        owed = rr.run.owed
        if not owed or owed[0]["effect"] != "say" or owed[0]["cast"] != role or owed[0]["suggestion"] != suggestion:
            return
        if rr.run.delivered(owed[0]["n"], skipped="rejected"):
            await rr.store.flush()
            rr.cued = rr.deadline = None
            await self.deliver(rr)

    async def _show(self, rr: RoomRun, e: Show) -> None:
        aid = rr.cast.get(e.cast)
        if aid is None:
            return
        host = host_for(self.world, rr.room)
        await host.act_as(
            aid, events.EXPRESSION, {"name": e.expression, "avatar": aid, "intensity": float(e.intensity)}
        )
        if e.gesture and e.gesture != "none":
            await host.act_as(aid, events.GESTURE, {"name": e.gesture, "avatar": aid})

    def _cue(self, rr: RoomRun, e: Say) -> dict[str, Any]:
        cue: dict[str, Any] = {
            "avatar": rr.cast.get(e.cast),
            "role": e.cast,
            "id": e.suggestion,
            "text": e.text,
            "expression": e.expression,
            "gesture": e.gesture,
            "intensity": 1.0,
            "feedback": None,
            "primary": True,
        }
        line = rr.run.state.get("line")
        if line and line.get("suggestion") == e.suggestion and "intensity" in line:
            cue["intensity"] = float(line["intensity"])
        if not rr.run.finished:
            for c in rr.run.cue()["roles"].get(e.cast, []):
                if c["id"] == e.suggestion and c.get("feedback"):
                    cue["feedback"] = c["feedback"]
        return cue

    async def _participant_says(self, rr: RoomRun, e: ParticipantSaid) -> None:
        member = rr.room.members.get(rr.answerer) if rr.answerer is not None else None
        if member is None:
            return
        conn = self.world.conns.get(member.sid) if member.sid else None
        from ..world import Connection

        ctx = Ctx(self.world, conn or Connection(member.sid or "", member.user, room_id=rr.room.id), rr.room, member)
        meta: dict[str, Any] = {"scenario": "answer"}
        if e.option:
            meta["option"] = e.option
        if e.action:
            meta["action"] = True
        await speak(ctx, member.avatar, e.text, **meta)

    # --- hooks -----------------------------------------------------------------------------------------
    async def recording_said(self, ctx: Ctx, av: Avatar, text: str, meta: dict[str, Any]) -> tuple[int | None] | None:
        """World hook: record a line said in a room with a run as part of that run (once)."""
        assert ctx.room is not None  # a line is said in a room (world.intents.speak)
        rr = self.run_in(ctx.room)
        if rr is None or rr.run.finished:
            return None
        if av.kind == "cast" and rr.cast.get(av.role) == av.id:
            rr.store.speaker, rr.store.last_id = ctx.user.get("id"), None
            head = rr.run.owed[0]["n"] if rr.run.owed else None
            try:
                rr.run.cast_said(av.role, text, meta.get("suggestion"), actor=av.name)
            finally:
                rr.store.speaker = None
            if head is not None and (not rr.run.owed or rr.run.owed[0]["n"] != head):
                rr.just_said[av.id] = head  # the owed line: the next follows once this one is out (said)
            await rr.store.flush()
            host_for(self.world, rr.room).cast_said(av.role, meta.get("suggestion"))
            return (rr.store.last_id,)
        if av.kind == "person" and av.user_id is not None and av.user_id == rr.participant:
            # A typed line (not an answer the runner already took) with a crisis phrase stops the scene before
            # anything else hears it; the cast step out once the line is said (`said`).
            if not meta.get("scenario") and rr.run.paused is None and self.crisis(text):
                async with rr.lock:
                    if self.run_in(ctx.room) is rr and rr.run.status == "active" and rr.run.paused is None:
                        rr.after_line = await self.crisis_pause(rr, av.name)
            data = {"text": text, "avatar_role": av.role, **meta}
            return (await self.world.record(rr.room, "said", av.name, data, user_id=av.user_id, run_id=rr.run.run_id),)
        return None

    async def said(self, ctx: Ctx, av: Avatar, line: dict[str, Any], event_id: int | None) -> None:
        """World hook, after the line was said (and crisis alerts went out): a pause's cast effects."""
        rr = self.run_in(ctx.room) if ctx.room is not None else None
        if rr is not None and av.kind == "cast" and rr.cast.get(av.role) == av.id:
            n = rr.just_said.pop(av.id, None)
            if n is not None:
                await self.line_said(rr, n, str(line.get("text") or ""))
            return
        if rr is None or not rr.after_line or av.user_id != rr.participant or line.get("scenario"):
            return
        effects, rr.after_line = rr.after_line, []
        async with rr.lock:
            if self.run_in(rr.room) is rr:
                await self.apply(rr, effects)

    # --- unsure answers go to a person -------------------------------------------------------------------
    @staticmethod
    def reviewers(rr: RoomRun, leaving: int | None = None) -> list[int]:
        """Staff in the room who follow this run and are connected: they can decide a held answer."""
        return [
            uid
            for uid, m in rr.room.members.items()
            if uid != leaving and m.sid is not None and uid in rr.watchers and m.user["role"] in events.STAFF
        ]

    async def left(self, room: Room, member: Member) -> None:
        await self._reviewer_gone(room, member)
        if self.turns is not None:
            await self.turns.gone(room, member)

    async def dropped(self, room: Room, member: Member) -> None:
        await self._reviewer_gone(room, member)
        if self.turns is not None:
            await self.turns.gone(room, member)

    async def _reviewer_gone(self, room: Room, member: Member) -> None:
        """The last specialist left while an answer waited for them: the participant is asked instead."""
        rr = self.run_in(room)
        if rr is None or rr.run.wait is not wsc.Wait.REVIEW or member.user["role"] not in events.STAFF:
            return
        if not self.reviewers(rr, leaving=member.user["id"]):
            await self._hand_to_participant(rr, leaving=member.user["id"])

    async def _hand_to_participant(self, rr: RoomRun, leaving: int | None = None) -> None:
        async with rr.lock:
            if self.run_in(rr.room) is not rr or self.reviewers(rr, leaving=leaving):
                return
            effects = rr.run.review_to_participant()
            await rr.store.flush()
            await self.apply(rr, effects)

    # --- a crisis stops the scene ----------------------------------------------------------------------
    def crisis(self, text: str) -> bool:
        """The same crisis-phrase matcher as the staff alert (server/safety/crisis.py)."""
        safety = self.world.safety
        return safety is not None and safety.crisis.match(text) is not None

    def pause_texts(self, language: str = languages.SOURCE) -> dict[str, str]:
        safety = self.world.safety
        assert safety is not None  # crisis() found a phrase, so the safety feature is there
        return {k: safety.text(f"scene_pause.{k}", language) for k in SCENE_PAUSE_TEXTS}

    async def crisis_pause(self, rr: RoomRun, actor: str | None) -> list[Effect]:
        """Under rr.lock: pause the run (persisted) and tell who follows it; returns the cast's stepping out
        and the coach's check-in, to carry out after the participant's line is said."""
        safety = self.world.safety
        assert safety is not None
        texts = self.pause_texts(rr.run.scenario.language)  # the language the run is played in
        # honest about who was told: the same people Safety.said alerts (staff here, else staff online)
        told = bool(safety.staff_sids(rr.room) or safety.staff_online())
        effects = rr.run.pause("crisis", texts, texts["staff_told" if told else "no_staff"], time.time(), actor)
        await rr.store.flush()
        host_for(self.world, rr.room).hush()
        await self.apply(rr, [e for e in effects if isinstance(e, StateChanged)])
        log.warning("run %s in room %s paused: crisis phrase, staff told: %s", rr.run.run_id, rr.room.id, told)
        return [e for e in effects if not isinstance(e, StateChanged)]

    async def acknowledged(self, rr: RoomRun) -> str | None:
        """Has a staff member acknowledged the alert that paused this run? How: 'live' (scenario_resume), 'dashboard'
        (marked handled there), 'alert_ack' (acknowledged from the staff banner or the dashboard); None if not."""
        pause = rr.run.paused
        if pause is None or pause["acknowledged"] is not None:
            return "live" if pause is not None else None
        safety = self.world.safety
        assert safety is not None
        rows = await self.world.store.aio.apply(safety.db.alerts, [rr.room.id], 50)
        # the alert(s) raised for the participant since the scene stopped (a second of slack for clocks)
        mine = [
            a
            for a in rows
            if a["user_id"] == rr.participant and a["kind"] == "crisis" and a["ts"] >= pause["since"] - 1.0
        ]
        if mine and all(a["status"] == "handled" for a in mine):
            return "dashboard"
        if mine and all(a["status"] == "handled" or a.get("acknowledged_at") for a in mine):
            return "alert_ack"
        return None

    async def acknowledge_alerts(self, rr: RoomRun, since: float, staff_id: int) -> None:
        """Staff acknowledged a paused scene live: the crisis alerts that paused it are acknowledged on the record
        too (who, when), so escalation stops and the person is told someone has seen it, as with alert_ack."""
        safety = self.world.safety
        assert safety is not None
        rows = await self.world.store.aio.apply(safety.db.alerts, [rr.room.id], 50)
        for a in rows:
            if a["user_id"] == rr.participant and a["kind"] == "crisis" and a["ts"] >= since - 1.0:
                if await self.world.store.aio.apply(safety.db.acknowledge_alert, a["id"], staff_id):
                    await safety.alert_seen(a)

    async def entering(self, room: Room, user: dict[str, Any]) -> None:
        """World `enter` gate: nobody walks in on someone else's 1:1 practice.

        While a run's participant is in its room, only those who may follow their practice come in: staff
        who look after them (an assignment), facilitators, admins, agents (they drive cast roles), and
        whoever was there when it began. Once the participant has left, the room is open again by its own
        policy, but a newcomer who may not follow the run gets none of it (no state, no ending).
        """
        rr = self.run_in(room)
        if rr is None or rr.participant is None or user["id"] in rr.watchers:
            return
        if self.turns is not None and self.turns.expects(room, user["id"]):  # one of the group, back for a turn
            rr.watchers.add(user["id"])
            return
        if user["role"] in (events.FACILITATOR, events.ADMIN, events.AGENT) or (
            user["role"] == events.PEER_SPECIALIST
            and await self.world.store.aio.staff_sees_person(user["id"], rr.participant)
        ):
            rr.watchers.add(user["id"])
            return
        if rr.participant in room.members:
            raise WireError(
                errors.FORBIDDEN,
                f"Someone is practising in '{room.name}' just now, one to one. "
                "Please try another room, or come back later.",
            )

    async def joined(self, room: Room, member: Member) -> None:
        if self.lazy and self.run_in(room) is None:
            await self.resume_all(room_id=room.id)
        rr = self.run_in(room)
        if self.turns is not None:
            await self.turns.came(room, member)
        if rr is not None and member.sid:
            if rr.run.wait is wsc.Wait.REVIEW and not self.reviewers(rr):  # e.g. back after a restart, alone
                await self._hand_to_participant(rr)
            await self.send_state(rr, only=member.user["id"])

    async def tick(self, dt: float) -> None:
        """Resync anyone who came back on a new connection (resume) while a run is active."""
        for rr in list(self.active.values()):
            for uid, m in list(rr.room.members.items()):
                if m.sid is not None and rr.sent.get(uid) != m.sid and uid in rr.watchers:
                    await self.send_state(rr, only=uid)

    # --- publishing (the dashboard editor: docs/scenarios.md "Editing and publishing") -------------------------
    def publish(self, scenario: Scenario) -> None:
        """Offer this version of a scenario to rooms from now on, with no restart. A run already in progress
        keeps the Scenario it started with (RoomRun.run.scenario is its own object), so it plays on unchanged."""
        old = self.scenarios.get(scenario.id)
        if old is not None:
            self.replaced[old.content_hash] = old
        self.scenarios[scenario.id] = scenario
        log.info(
            "scenario %s published (%s, was %s)", scenario.id, scenario.content_hash, old.content_hash if old else "new"
        )

    async def load_published(self, app: web.Application | None = None) -> None:
        """At startup, before the runs are resumed: the newest published editor version of each scenario id
        replaces the file of that id (the database is their source of truth). One that no longer passes the
        checks (a catalog changed) is logged and the file's version stays."""
        store = self.world.store
        rows = await store.aio.published_scenarios()
        if not rows:
            return
        catalog = await asyncio.to_thread(read_catalog, own_scenarios_dir(self.world.cfg))
        for row in rows:
            file = f"dashboard:{row['scenario_id']}@v{row['id']}"
            scenario, problems = await asyncio.to_thread(parse, row["text"], file, False, catalog)
            if scenario is None or scenario.id != row["scenario_id"]:
                log.error(
                    "published scenario %s version %s not loaded:\n%s",
                    row["scenario_id"],
                    row["id"],
                    "\n".join(str(p) for p in problems if p.severity == "error"),
                )
                continue
            if scenario.id in self.scenarios:
                self.replaced[self.scenarios[scenario.id].content_hash] = self.scenarios[scenario.id]
            self.scenarios[scenario.id] = scenario
            log.info("scenario %s: published version %s offered", scenario.id, row["id"])

    async def started_version(self, row: dict[str, Any], scenario: Scenario) -> Scenario:
        """The version of its scenario a run started with, where it is still known (one replaced by a publish,
        or a published version in the database); else the one offered now (the run is then repaired onto it)."""
        started = (row.get("state") or {}).get("scenario_hash")
        if not started or started == scenario.content_hash:
            return scenario
        if started in self.replaced:
            return self.replaced[started]
        kept = await self.world.store.aio.scenario_version_by_hash(row["scenario_id"], started)
        if kept is None:
            return scenario
        catalog = await asyncio.to_thread(read_catalog, own_scenarios_dir(self.world.cfg))
        file = f"dashboard:{row['scenario_id']}@v{kept['id']}"
        found, _ = await asyncio.to_thread(parse, kept["text"], file, False, catalog)
        if found is None or found.content_hash != started:
            return scenario
        self.replaced[started] = found
        return found

    # --- startup -------------------------------------------------------------------------------------------
    async def resume_all(self, app: web.Application | None = None, room_id: str | None = None) -> None:
        await restore_claims(self.world, room_id)  # first: the runs attach with their claims in place
        runs = sorted(await self.world.store.aio.active_runs(), key=lambda r: -r["id"])
        for row in runs:
            if room_id is not None and row["room_id"] != room_id:
                continue
            room = self.world.rooms.get(row["room_id"])
            scenario = self.scenarios.get(row["scenario_id"])
            if room is None or scenario is None or self.run_in(room) is not None:
                log.warning("active run %s not resumed (room or scenario missing, or a newer run)", row["id"])
                continue
            scenario = await self.started_version(row, scenario)  # a run in progress keeps its version
            scenario = scenario.localized((row.get("state") or {}).get("language") or languages.SOURCE)
            store = GatedRunStore(self.world, row.get("participant_user_id"))
            try:
                run: ScenarioRun = await self.world.store.aio.apply(ScenarioRun.resume, row["id"], store, scenario)
            except WireError as e:
                log.warning("run %s not resumed: %s", row["id"], e.code)
                continue
            await store.flush()
            rr = await self.attach(room, run, store)
            if run.owed:
                rr.spoke = True
                await self.deliver(rr)  # the lines owed when the server stopped, from the first unsaid one
            else:
                await self._say_unsaid_line(rr)
            log.info("resumed run %s in room %s", run.run_id, room.id)

    async def _say_unsaid_line(self, rr: RoomRun) -> None:
        """If the server stopped between the runner's step and the cast's line, say that line now."""
        line = rr.run.state.get("line")
        if not line or not line.get("suggestion") or rr.run.finished:
            return
        for ev in reversed(await self.world.store.aio.run_events(rr.run.run_id)):
            if ev["kind"] == "said" and ev["data"].get("suggestion") == line["suggestion"]:
                return
            if ev["kind"] in ("node", "show_face", "paused"):
                break
        await host_for(self.world, rr.room).cue(
            line["cast"],
            self._cue(rr, Say(**{k: line.get(k) for k in ("cast", "text", "expression", "gesture", "suggestion")})),
        )


# --- intents -------------------------------------------------------------------------------------------------
def _rooms(ctx: Ctx) -> ScenarioRooms:
    rooms = ctx.world.scenarios
    assert rooms is not None  # the app always assembles the scenarios feature (server/app.py)
    return rooms


def _room(ctx: Ctx) -> Room:
    """The sender's room: the gateway runs these intents (in_room) only for a member of a room."""
    assert ctx.room is not None
    return ctx.room


def _member(ctx: Ctx) -> Member:
    assert ctx.member is not None  # set with ctx.room for in_room intents (gateway)
    return ctx.member


def _active(ctx: Ctx) -> RoomRun:
    rr = _rooms(ctx).run_in(_room(ctx))
    if rr is None:
        raise WireError(errors.CONFLICT, "No scenario is running in this room. Start one first.")
    if ctx.user["id"] not in rr.watchers:
        raise WireError(
            errors.FORBIDDEN,
            "This practice belongs to someone else. Ask their peer specialist "
            "or a facilitator if you should be following it.",
        )
    return rr


def _participant_only(ctx: Ctx, rr: RoomRun) -> None:
    if ctx.user["id"] != rr.answerer:
        turns = _rooms(ctx).turns
        why = turns.refusal(rr, ctx.user["id"]) if turns is not None else None
        raise WireError(errors.FORBIDDEN, why or "Only the person practising in this scenario answers its questions.")
    paused = host_for(ctx.world, _room(ctx)).paused()
    if paused:
        raise WireError(errors.CONFLICT, f"{', '.join(paused)} will be right back; the scene waits for a moment.")


async def _step(
    ctx: Ctx, rr: RoomRun, method: str, *args: str | int, recue: bool = False, **kwargs: Any
) -> dict[str, Any]:
    """One runner step under the run's lock: persisted, then carried out. `recue`: the scene carries on after
    a pause, so the owed line is cued again (a line proposed or held meanwhile was dropped)."""
    async with rr.lock:
        if _rooms(ctx).run_in(_room(ctx)) is not rr:
            raise WireError(errors.CONFLICT, "This scenario has already ended.")
        if recue:
            rr.cued = rr.scheduled = None
        rr.store.speaker = ctx.user.get("id")
        try:
            effects = getattr(rr.run, method)(*args, actor=ctx.user["name"], **kwargs)
        finally:
            rr.store.speaker = None
        await rr.store.flush()  # persisted (off the loop) before anything is carried out
        await _rooms(ctx).apply(rr, effects)
    return {"run": rr.run.run_id, "status": rr.run.status, "wait": rr.run.wait.value}


@intent(wsc.SCENARIO_LIST, in_room=False)
async def scenario_list(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    shown = [s.localized(ctx.conn.language) for s in _rooms(ctx).scenarios.values()]  # in their language
    listing = [s.listing() for s in sorted(shown, key=lambda s: s.title)]
    await ctx.world.send(ctx.conn.sid, wsc.SCENARIOS, {"scenarios": listing})
    return {"scenarios": listing}


@intent(wsc.SCENARIO_START, roles=(events.PARTICIPANT,) + events.STAFF)
async def scenario_start(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rooms, room = _rooms(ctx), _room(ctx)
    rr = rooms.run_in(room)
    if rr is not None:
        raise WireError(errors.CONFLICT, f"'{rr.run.scenario.title}' is already running here. Stop it first.")
    busy = rooms.turns.busy(room) if rooms.turns is not None else None
    if busy:  # a group practice takes its turns here; its next one starts by itself
        raise WireError(errors.CONFLICT, busy)
    scenario = rooms.scenarios.get(p["scenario"])
    if scenario is None:
        raise WireError(errors.NOT_FOUND, f"There is no scenario '{p['scenario'][:64]}'. Ask for the list.")
    if p["difficulty"] not in scenario.difficulties:
        raise WireError(errors.INVALID, f"Difficulty must be one of: {', '.join(scenario.difficulties)}.")
    if ctx.role == events.PARTICIPANT:
        participant = _member(ctx)
    else:
        found = [m for m in room.members.values() if m.user["role"] == events.PARTICIPANT]
        if len(found) != 1:
            raise WireError(
                errors.CONFLICT,
                "Staff can start a scenario when exactly one participant is in the "
                "room; otherwise the participant starts it themselves.",
            )
        participant = found[0]
    rr = await rooms.attach_new(room, scenario, p["difficulty"], participant.user)
    log.info("user %s started run %s in room %s", ctx.user["id"], rr.run.run_id, room.id)
    return await _step(ctx, rr, "start", p["pace"])


@intent(wsc.SCENARIO_CHOOSE, roles=(events.PARTICIPANT,) + events.STAFF)
async def scenario_choose(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rr = _active(ctx)
    if rr.run.paused is not None and ctx.user["id"] == rr.participant:
        if p["option"] == wsc.RESUME:  # the pause's two choices, as the panel offers them
            return await _participant_resumes(ctx, rr)
        if p["option"] == wsc.END:
            return await _step(ctx, rr, "stop")
    _participant_only(ctx, rr)
    return await _step(ctx, rr, "choose", p["option"])


@intent(wsc.SCENARIO_ANSWER, roles=(events.PARTICIPANT,) + events.STAFF)
async def scenario_answer(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rr = _active(ctx)
    if ctx.user["id"] == rr.participant and _rooms(ctx).crisis(p["text"]):
        return await _crisis_answer(ctx, rr, p["text"])
    _participant_only(ctx, rr)
    reviewer = bool(ScenarioRooms.reviewers(rr))
    # a spoken answer carries the recogniser's confidence: a low one goes to a person like an unsure match
    return await _step(ctx, rr, "answer", p["text"], reviewer=reviewer, heard=p.get("confidence"))


@intent(wsc.SCENARIO_REVIEW, roles=events.STAFF)
async def scenario_review(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """Staff decide a typed answer the matcher was unsure of: an option id, or 'unscorable'."""
    rr = _active(ctx)
    return await _step(ctx, rr, "review", p["option"], str(ctx.user["id"]))


async def _crisis_answer(ctx: Ctx, rr: RoomRun, text: str) -> dict[str, Any]:
    """An answer with a crisis phrase is never matched or scored: the scene stops first, then the line is
    said in the room as the participant's (staff get the alert, the participant the support card), then the
    cast step out of their roles and the coach checks in."""
    rooms = _rooms(ctx)
    later: list[Effect] = []
    async with rr.lock:
        if rooms.run_in(_room(ctx)) is not rr:
            raise WireError(errors.CONFLICT, "This scenario has already ended.")
        if rr.run.status == "active" and rr.run.paused is None:
            later = await rooms.crisis_pause(rr, ctx.user["name"])
    try:
        await speak(ctx, _member(ctx).avatar, text, scenario="answer")
    except WireError as err:  # e.g. muted: the scene has stopped all the same
        log.info("crisis answer in room %s not said: %s", rr.room.id, err.code)
    if later:
        async with rr.lock:
            if rooms.run_in(_room(ctx)) is rr:
                await rooms.apply(rr, later)
    return {"run": rr.run.run_id, "status": rr.run.status, "wait": rr.run.wait.value}


async def _participant_resumes(ctx: Ctx, rr: RoomRun) -> dict[str, Any]:
    pause = rr.run.paused
    if pause is None:
        raise WireError(errors.CONFLICT, "The practice is not paused.")
    live = pause["acknowledged"] is not None
    how = None if live else await _rooms(ctx).acknowledged(rr)
    if not live and how is None:
        raise WireError(errors.CONFLICT, pause["texts"]["resume_waits"])
    return await _step(ctx, rr, "carry_on", *(() if live else (how,)), recue=True)


@intent(wsc.SCENARIO_RESUME, roles=(events.PARTICIPANT,) + events.STAFF)
async def scenario_resume(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """A run paused by a crisis phrase carries on: staff at once (or, with `acknowledge`, they leave the
    choice to the participant); the participant once staff acknowledged the alert."""
    rr = _active(ctx)
    if ctx.role in events.STAFF:
        if rr.run.held:  # a staff pause (scenario_pause) is lifted too
            ack = await _step(ctx, rr, "unhold", recue=rr.run.paused is None)
            if rr.run.paused is None:
                return ack
        paused = rr.run.paused
        result = await _step(ctx, rr, "acknowledge" if p["acknowledge"] else "carry_on", recue=not p["acknowledge"])
        if paused is not None:
            await _rooms(ctx).acknowledge_alerts(rr, paused["since"], ctx.user["id"])
        return result
    if ctx.user["id"] != rr.participant:
        raise WireError(errors.FORBIDDEN, "Only staff or the person practising can carry on this scenario.")
    return await _participant_resumes(ctx, rr)


@intent(wsc.SCENARIO_PAUSE, roles=events.STAFF)
async def scenario_pause(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """Staff hold the scene: no further line is cued, the participant is offered nothing (`held`) until
    scenario_resume."""
    return await _step(ctx, _active(ctx), "hold")


@intent(wsc.SCENARIO_REPEAT, roles=events.STAFF)
async def scenario_repeat(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """Staff: the current beat's (or node's) lines are said again, in order, before the participant goes on."""
    return await _step(ctx, _active(ctx), "repeat")


@intent(wsc.SCENARIO_PACE, roles=(events.PARTICIPANT,))
async def scenario_pace(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """The participant's reading pace (slower, usual, faster), recorded with the run."""
    rr = _active(ctx)
    if ctx.user["id"] != rr.participant:
        raise WireError(errors.FORBIDDEN, "Only the person practising sets the pace of their practice.")
    ack = await _step(ctx, rr, "set_pace", p["pace"])
    return {**ack, "pace": p["pace"]}


@intent(wsc.SCENARIO_RATE, roles=(events.PARTICIPANT,))
async def scenario_rate(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """The participant's own 0-10 rating of the role-play that just ended (a `self_rating` event)."""
    rr = _active(ctx)
    if ctx.user["id"] != rr.participant:
        raise WireError(errors.FORBIDDEN, "Only the person practising rates how their role-play went.")
    return await _step(ctx, rr, "rate", p["rating"])


@intent(wsc.SCENARIO_ADVANCE, roles=events.STAFF)
async def scenario_advance(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return await _step(ctx, _active(ctx), "advance")


@intent(wsc.SCENARIO_FEEDBACK, roles=events.STAFF + (events.AGENT,))
async def scenario_feedback(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rr = _active(ctx)
    if ctx.role == events.AGENT and ctx.user["id"] is not None and not _drives_cast(ctx, rr):
        # Feedback counts towards the run's fidelity: an agent gives it only as the cast member it drives.
        raise WireError(
            errors.FORBIDDEN,
            "Only the agent driving a cast member of this scenario can give feedback. Claim the coach first.",
        )
    return await _step(ctx, rr, "feedback", p["kind"], p["text"])


def _drives_cast(ctx: Ctx, rr: RoomRun) -> bool:
    """The sender holds the claim on one of the run's cast avatars and is driving it now."""
    return any(_room(ctx).drivers.get(aid) == ctx.user["id"] for aid in rr.cast.values())


@intent(wsc.SCENARIO_STOP)
async def scenario_stop(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rr = _active(ctx)
    if ctx.role not in events.STAFF and ctx.user["id"] != rr.participant:
        raise WireError(errors.FORBIDDEN, "Only staff or the person practising can stop this scenario.")
    return await _step(ctx, rr, "stop")


def load(world: World) -> ScenarioRooms:
    """The scenarios feature: the scenario files of the shipped folder and the service's own (config.playable_folders;
    a broken file is logged, skipped)."""
    scenarios = load_folders(playable_folders(world.cfg))
    try:  # the deployment's lists, else the project's own (as safety/ finds its data file)
        risk = answer_risk.load(scenario_data(world.cfg, str(answer_risk.DATA_FILE)))
    except answer_risk.RiskFileError as e:
        log.error("answer risk lists not loaded, the project's own are used:\n%s", e)
        risk = answer_risk.shipped()
    return ScenarioRooms(world, scenarios, risk)


def setup(app: web.Application) -> None:
    """Resume the runs left open by the last stop, at startup (scaled out: on each room's first join)."""
    rooms = app[WORLD].scenarios
    if rooms is not None:
        app.on_startup.append(rooms.load_published)  # first: a resumed run finds the published version
    if rooms is not None and not rooms.lazy:
        app.on_startup.append(rooms.resume_all)
