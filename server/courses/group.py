"""Group practice (issue #16 item 3): one practice run for a group in a room, turn by turn.

A staff member in the room starts it (`group_practice_start`) for the participants there, in the order they
came in (with `group`, that course group's members who come in later join the end of the queue). Each turn is
an ordinary scenario run (server/scenarios) whose participant is the person whose turn it is: the scenario's
own role-play, the coach's feedback and the repeat. The others in the room watch it: they see its state, and a
choice or answer from them is refused with a clear reason. When the turn's run ends, each of them is asked for
one thing that went well (`group_feedback`: a skill step, own words, or both; or skip). That peer feedback is
a `peer_feedback` event of the turn's run (the giver's record, and the learner's through their run: both
exports, both deletes), sent at once to the learner and the staff here, and listed on the dashboard's session
page. Once everyone asked has answered (or left), or staff say `group_next`, the next person present takes their
turn; someone who has left or dropped is skipped, never waited for, and goes to the end of the queue when they
come back.

Role reversal (`group_reverse {player}`): in the next turn its participant plays the partner (the practice
claims the partner's cast role for them, through the controllers' claims, and gives it back when the turn
ends), while `player`, a peer here or the staff member, chooses and answers as the learner. Such a turn's
role-play is not the participant's skill progress: its records carry `played_by` and progress leaves them out.

The co-leader jobs (facilitating as the coach, playing the partner) are the controllers' cast claims: a peer
specialist claims `coach` or the partner's role and hands it over with `release` (the autonomous driver, or the
next person to `claim` it, carries on mid-line). Claims last across the turns' runs in the room.

The practice lives on the room (room.state) while it runs; a restart ends it (each turn's run is resumed as
a one-person run, and its records are kept).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from wire import courses as wc
from wire import errors, events
from wire.errors import WireError

from ..controllers import host_for
from ..gateway import Ctx, intent
from ..scenarios.intents import RoomRun, ScenarioRooms
from ..scenarios.model import Scenario
from ..world import Member, Room, World, room_state

log = logging.getLogger("peerspace.courses")

PEER_FEEDBACK_KIND = "peer_feedback"  # the run event of one peer's feedback on a turn


@dataclass
class Turn:
    number: int
    learner: int  # whose turn it is: the run's participant
    player: int  # who answers for the learner: the learner, or a peer or staff in a reversed turn
    run: int | None = None
    partner_role: str | None = None  # reversed: the cast role claimed for the learner during the turn
    asked: set[int] = field(default_factory=set)  # asked for peer feedback, not yet answered
    answered: set[int] = field(default_factory=set)

    @property
    def reversed(self) -> bool:
        return self.player != self.learner


@dataclass
class GroupPractice:
    room: Room
    scenario: Scenario
    difficulty: str
    leader: int
    group: int | None
    members: set[int]  # who may take a turn: those here at the start, and the course group's members
    queue: list[int]  # still to have a turn, in order
    names: dict[int, str] = field(default_factory=dict)
    done: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    turn: Turn | None = None
    stage: str = "turn"
    reverse_next: int | None = None  # the player of the next turn, reversed (group_reverse)
    number: int = 0

    def person(self, uid: int) -> dict[str, Any]:
        return {"id": uid, "name": self.names.get(uid, "")}

    def view(self, for_user: int | None = None) -> dict[str, Any]:
        t = self.turn
        order = [{**self.person(u), "status": "done"} for u in self.done]
        if t is not None and self.stage != "ended":
            order.append({**self.person(t.learner), "status": "now"})
        order += [{**self.person(u), "status": "next"} for u in self.queue]
        order += [{**self.person(u), "status": "skipped"} for u in self.skipped if u not in self.queue]
        ask = None
        if t is not None and self.stage == "feedback" and for_user in t.asked:
            steps = [{"id": k, "text": v} for k, v in self.scenario.step_texts().items()]
            ask = {"learner": self.person(t.learner), "steps": steps}
        return {
            "room": self.room.id,
            "scenario": self.scenario.id,
            "title": self.scenario.title,
            "stage": self.stage,
            "turn": None
            if t is None
            else {
                "number": t.number,
                "learner": self.person(t.learner),
                "player": self.person(t.player),
                "reversed": t.reversed,
                "run": t.run,
            },
            "order": order,
            "ask": ask,
        }


class GroupTurns:
    """The turn taking of group practices, plugged into the scenario rooms (ScenarioRooms.turns)."""

    def __init__(self, world: World, rooms: ScenarioRooms) -> None:
        self.world, self.rooms = world, rooms

    @staticmethod
    def practice_in(room: Room) -> GroupPractice | None:
        return room_state(room, GroupPractice)

    # --- telling the room ------------------------------------------------------------------------------
    async def tell(self, gp: GroupPractice) -> None:
        for uid, m in list(gp.room.members.items()):
            if m.sid is not None:
                await self.world.send(m.sid, wc.GROUP_TURN, gp.view(uid))

    # --- turns ---------------------------------------------------------------------------------------------
    def _present(self, room: Room, uid: int) -> bool:
        m = room.members.get(uid)
        return m is not None and m.sid is not None

    async def next_turn(self, gp: GroupPractice, actor: dict[str, Any]) -> None:
        """The next person present takes their turn (those away are skipped); none left: the practice ends."""
        room = gp.room
        if gp.turn is not None:
            await self._give_back_partner(gp, gp.turn)
        while gp.queue and not self._present(room, gp.queue[0]):
            gone = gp.queue.pop(0)
            if gone not in gp.skipped:
                gp.skipped.append(gone)
            log.info("group practice in room %s: user %s skipped (not here)", room.id, gone)
        if not gp.queue:
            await self.end(gp)
            return
        learner = gp.queue.pop(0)
        if learner in gp.skipped:
            gp.skipped.remove(learner)
        player = gp.reverse_next if gp.reverse_next is not None and gp.reverse_next != learner else learner
        if player != learner and not self._present(room, player):
            player = learner  # the one who was to play the learner has gone: an ordinary turn
        gp.reverse_next = None
        gp.number += 1
        turn = Turn(gp.number, learner, player)
        gp.turn, gp.stage = turn, "turn"
        member = room.members[learner]
        if turn.reversed:
            turn.partner_role = partner_role(gp.scenario)
            if turn.partner_role is not None:
                await self._claim_partner(gp, turn, member)
        rr = await self.rooms.attach_new(
            room, gp.scenario, gp.difficulty, member.user, player if turn.reversed else None
        )
        rr.watchers |= {u for u in room.members}
        if turn.reversed:
            rr.store.played_by = player
        turn.run = rr.run.run_id
        await self.tell(gp)
        log.info("group practice in room %s: turn %s, run %s", room.id, turn.number, turn.run)
        await step(self.rooms, rr, "start", actor)

    async def _claim_partner(self, gp: GroupPractice, turn: Turn, learner: Member) -> None:
        assert turn.partner_role is not None
        host = host_for(self.world, gp.room)
        holder = host.claims.get(turn.partner_role)
        if holder is not None and holder.user_id != learner.user["id"]:
            # the co-leader playing the partner steps back for this turn (they claim it again after)
            await host.release({"id": holder.user_id}, turn.partner_role, force=True)
        await host.claim(learner.user, turn.partner_role)

    async def _give_back_partner(self, gp: GroupPractice, turn: Turn) -> None:
        if turn.partner_role is None:
            return
        host = host_for(self.world, gp.room)
        claim = host.claims.get(turn.partner_role)
        if claim is not None and claim.user_id == turn.learner:
            await host.release({"id": turn.learner}, turn.partner_role, force=True)
        turn.partner_role = None

    async def end(self, gp: GroupPractice) -> None:
        if gp.turn is not None:
            await self._give_back_partner(gp, gp.turn)
        gp.stage = "ended"
        await self.tell(gp)
        gp.room.state.pop(GroupPractice, None)
        log.info("group practice in room %s ended: %s turns", gp.room.id, len(gp.done))

    # --- the scenario rooms' hooks (TurnTaking) ---------------------------------------------------------------
    async def finished(self, rr: RoomRun, status: str) -> None:
        gp = self.practice_in(rr.room)
        turn = gp.turn if gp is not None else None
        if gp is None or turn is None or turn.run != rr.run.run_id or gp.stage != "turn":
            return
        await self._give_back_partner(gp, turn)
        learner_here = self._present(gp.room, turn.learner)
        if learner_here or status == "finished":
            gp.done.append(turn.learner)
        elif turn.learner not in gp.skipped:
            gp.skipped.append(turn.learner)
        asked = {
            u
            for u, m in gp.room.members.items()
            if u != turn.learner and m.sid is not None and u in gp.members and m.user["role"] == events.PARTICIPANT
        }
        if not learner_here or status != "finished" or not asked:
            await self.next_turn(gp, self.world_user(gp))
            return
        turn.asked = asked
        gp.stage = "feedback"
        await self.tell(gp)

    def world_user(self, gp: GroupPractice) -> dict[str, Any]:
        """Who the practice's own steps are recorded as: its leader."""
        m = gp.room.members.get(gp.leader)
        return m.user if m is not None else {"id": gp.leader, "name": gp.names.get(gp.leader, "")}

    async def gone(self, room: Room, member: Member) -> None:
        gp = self.practice_in(room)
        if gp is None or gp.turn is None:
            return
        uid, turn = member.user["id"], gp.turn
        if gp.stage == "turn" and uid in (turn.learner, turn.player):
            rr = self.rooms.run_in(room)
            if rr is not None and rr.run.run_id == turn.run:
                # not waited for: the turn ends here and the next person present takes theirs
                log.info("group practice in room %s: user %s left their turn", room.id, uid)
                await step(self.rooms, rr, "stop", self.world_user(gp))
        elif gp.stage == "feedback" and uid in turn.asked:
            turn.asked.discard(uid)
            if not turn.asked:
                await self.next_turn(gp, self.world_user(gp))

    async def came(self, room: Room, member: Member) -> None:
        gp = self.practice_in(room)
        uid = member.user["id"]
        if gp is None or uid not in gp.members or uid in gp.queue or uid in gp.done:
            return
        if gp.turn is not None and gp.turn.learner == uid and gp.stage == "turn":
            return
        gp.queue.append(uid)  # a late comer, or back after being skipped: at the end of the queue
        gp.names[uid] = member.user["name"]
        await self.tell(gp)

    def expects(self, room: Room, user_id: int) -> bool:
        gp = self.practice_in(room)
        return gp is not None and user_id in gp.members

    def refusal(self, rr: RoomRun, user_id: int) -> str | None:
        gp = self.practice_in(rr.room)
        if gp is None or gp.turn is None or gp.turn.run != rr.run.run_id:
            return None
        player = gp.names.get(gp.turn.player, "")
        if user_id == gp.turn.learner:  # a reversed turn: theirs, but they play the partner
            return (
                f"Roles are swapped this turn: {player} answers as the learner and you play the partner "
                "(the partner's lines come to you as cues)."
            )
        return (
            f"It is {player}'s turn to answer; you are watching. "
            "When the role-play ends you will be asked for one thing that went well."
        )

    def busy(self, room: Room) -> str | None:
        gp = self.practice_in(room)
        if gp is None:
            return None
        return "A group practice is taking turns here; the next turn starts by itself. Staff can stop it."


def partner_role(scenario: Scenario) -> str | None:
    """The role-play partner's cast role: the first cast member who is neither the participant nor the coach."""
    for role, c in scenario.cast.items():
        if c["kind"] not in ("participant", "coach"):
            return role
    return None


async def step(rooms: ScenarioRooms, rr: RoomRun, method: str, actor: dict[str, Any], *args: Any) -> None:
    """One runner step of a turn's run, as scenario intents take them: persisted, then carried out."""
    async with rr.lock:
        if rooms.run_in(rr.room) is not rr:
            return
        rr.store.speaker = actor.get("id")
        try:
            effects = getattr(rr.run, method)(*args, actor=actor.get("name"))
        finally:
            rr.store.speaker = None
        await rr.store.flush()
        await rooms.apply(rr, effects)


# --- intents -------------------------------------------------------------------------------------------------
def _turns(ctx: Ctx) -> GroupTurns:
    rooms = ctx.world.scenarios
    turns = rooms.turns if rooms is not None else None
    if not isinstance(turns, GroupTurns):
        raise WireError(errors.CONFLICT, "Group practice is not available on this server.")
    return turns


def _room(ctx: Ctx) -> Room:
    assert ctx.room is not None  # in-room intents
    return ctx.room


def _practice(ctx: Ctx) -> GroupPractice:
    gp = GroupTurns.practice_in(_room(ctx))
    if gp is None:
        raise WireError(errors.CONFLICT, "No group practice is running in this room. Staff start one first.")
    return gp


@intent(wc.GROUP_PRACTICE_START, roles=events.STAFF)
async def group_practice_start(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    turns, room = _turns(ctx), _room(ctx)
    if GroupTurns.practice_in(room) is not None:
        raise WireError(errors.CONFLICT, "A group practice is already running here. Stop it first.")
    if turns.rooms.run_in(room) is not None:
        raise WireError(errors.CONFLICT, "A practice is running here already. Let it end, or stop it first.")
    scenario = turns.rooms.scenarios.get(p["scenario"])
    if scenario is None:
        raise WireError(errors.NOT_FOUND, f"There is no scenario '{p['scenario'][:64]}'. Ask for the list.")
    if p["difficulty"] not in scenario.difficulties:
        raise WireError(errors.INVALID, f"Difficulty must be one of: {', '.join(scenario.difficulties)}.")
    here = [m.user for m in room.members.values() if m.user["role"] == events.PARTICIPANT and m.sid is not None]
    if len(here) < 2:
        raise WireError(
            errors.CONFLICT,
            "A group practice needs at least two participants in the room; for one, start a scenario instead.",
        )
    members = {u["id"] for u in here}
    group = p.get("group")
    if group is not None:
        detail = await ctx.world.store.aio.group_detail(group)
        if detail is None:
            raise WireError(errors.NOT_FOUND, "There is no such group.")
        if ctx.role == events.PEER_SPECIALIST and ctx.user["id"] not in {s["id"] for s in detail["staff"]}:
            raise WireError(errors.FORBIDDEN, "You are not one of this group's peer specialists.")
        members |= {m["id"] for m in detail["members"]}
    gp = GroupPractice(
        room,
        scenario,
        p["difficulty"],
        ctx.user["id"],
        group,
        members,
        [u["id"] for u in here],
        names={u["id"]: u["name"] for u in here} | {ctx.user["id"]: ctx.user["name"]},
    )
    room.state[GroupPractice] = gp
    log.info("user %s started a group practice of %s in room %s", ctx.user["id"], len(here), room.id)
    await turns.next_turn(gp, ctx.user)
    return gp.view(ctx.user["id"])


@intent(wc.GROUP_REVERSE, roles=events.STAFF)
async def group_reverse(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    gp = _practice(ctx)
    player = p["player"] or None
    if player is not None:
        m = _room(ctx).members.get(player)
        if m is None or not (player in gp.members or m.user["role"] in events.STAFF):
            raise WireError(
                errors.INVALID, "The learner can be played by a participant of this group here, or by staff here."
            )
        gp.names[player] = m.user["name"]
    gp.reverse_next = player
    return gp.view(ctx.user["id"])


@intent(wc.GROUP_NEXT, roles=events.STAFF)
async def group_next(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    gp = _practice(ctx)
    if gp.stage != "feedback":
        learner = gp.names.get(gp.turn.learner, "") if gp.turn is not None else ""
        raise WireError(
            errors.CONFLICT, f"{learner}'s turn is still running: let it end (or stop it) before the next one."
        )
    await _turns(ctx).next_turn(gp, ctx.user)
    return gp.view(ctx.user["id"])


@intent(wc.GROUP_FEEDBACK, roles=(events.PARTICIPANT,))
async def group_feedback(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    gp, uid = _practice(ctx), ctx.user["id"]
    turn = gp.turn
    if turn is None or gp.stage != "feedback":
        raise WireError(errors.CONFLICT, "Peer feedback is asked for once a turn's role-play has ended.")
    if uid == turn.learner:
        raise WireError(errors.FORBIDDEN, "This feedback is for you: the others are saying what went well.")
    if uid in turn.answered:
        raise WireError(errors.CONFLICT, "You have given your feedback on this turn. Thank you.")
    if uid not in turn.asked:
        raise WireError(errors.FORBIDDEN, "Only those who watched this turn give feedback on it.")
    steps = gp.scenario.step_texts()
    step_id, words = p.get("step"), p.get("text")
    if not p["skip"]:
        if step_id is None and words is None:
            raise WireError(errors.INVALID, "Say one thing that went well: pick a step, type a few words, or skip.")
        if step_id is not None and step_id not in steps:
            raise WireError(errors.INVALID, f"Pick one of the steps: {', '.join(steps)}.")
    turns = _turns(ctx)
    turn.asked.discard(uid)
    turn.answered.add(uid)
    if not p["skip"]:
        data: dict[str, Any] = {"learner": turn.learner, "turn": turn.number}
        if step_id is not None:
            data["step"] = step_id
        if words is not None:
            data["text"] = words.strip()
        await _record_feedback(ctx.world, gp, turn, ctx.user, data)
        shown = {
            "run": turn.run,
            "learner": gp.person(turn.learner),
            "from": ctx.user["name"],
            **({"step": step_id, "step_text": steps[step_id]} if step_id else {}),
            **({"text": data["text"]} if "text" in data else {}),
        }
        for u, m in list(gp.room.members.items()):
            if m.sid is not None and (u == turn.learner or m.user["role"] in events.STAFF):
                await ctx.world.send(m.sid, wc.PEER_FEEDBACK, shown)
    if not turn.asked:
        await turns.next_turn(gp, turns.world_user(gp))
    else:
        await turns.tell(gp)
    return {"ok": True, "skipped": bool(p["skip"])}


async def _record_feedback(
    world: World, gp: GroupPractice, turn: Turn, giver: dict[str, Any], data: dict[str, Any]
) -> None:
    """The giver's words are kept with their recording consent (the step they picked either way)."""

    def write() -> None:
        kept = data
        if "text" in data and not world.may_record_now(giver["id"]):
            kept = {k: v for k, v in data.items() if k != "text"} | {"text_withheld": True}
        world.store.append_event(gp.room.id, turn.run, PEER_FEEDBACK_KIND, giver["name"], kept, user_id=giver["id"])

    await world.store.aio.write(write)


@intent(wc.GROUP_PRACTICE_STOP, roles=events.STAFF)
async def group_practice_stop(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    gp, turns = _practice(ctx), _turns(ctx)
    gp.queue.clear()  # the turn stopped below is the last
    rr = turns.rooms.run_in(_room(ctx))
    if rr is not None and gp.turn is not None and rr.run.run_id == gp.turn.run and gp.stage == "turn":
        await step(turns.rooms, rr, "stop", ctx.user)
    if GroupTurns.practice_in(_room(ctx)) is gp:
        await turns.end(gp)
    return gp.view(ctx.user["id"])


def attach(world: World) -> None:
    """Group practice in the scenario rooms (server/courses setup)."""
    if world.scenarios is not None:
        world.scenarios.turns = GroupTurns(world, world.scenarios)
