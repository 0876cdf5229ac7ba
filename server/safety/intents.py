"""Safety intents: block, unblock, mute, kick (+ durable ban), report, pause, bubble, safety_info, duty, alert_ack.

Role rules (enforced here and by the gateway's `roles=`):
  * anyone may block another *person* who is not staff, report anything, pause, use a bubble;
    staff cannot be blocked (they must be able to see everyone to keep the room safe) -- report them instead;
  * staff (peer specialist, facilitator, admin) may mute and kick participants and agents in their room;
    only an admin may mute or kick staff, and nobody acts on an admin or on themselves;
  * staff go on and off duty (`duty`) and acknowledge alerts they were sent (`alert_ack`), from anywhere.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from wire import errors, events
from wire import safety as ws
from wire.errors import WireError

from ..gateway import Ctx, intent
from ..world import Avatar, Member, Room
from .moderation import Safety, live_key, severity

REPORT_ACK_WAIT = 1.0  # how long the reporter's answer waits for the report's id before saying "told" without it
ALERT_ACK_WAIT = 2.0  # how long an acknowledgement waits for a live alert's row to be written
WAITING_LIMIT = 50  # how many waiting alerts going on duty brings (the dashboard lists them all)

log = logging.getLogger("peerspace.safety")


def _safety(ctx: Ctx) -> Safety:
    safety = ctx.world.safety
    assert safety is not None  # the app assembles the world with its safety feature before any intent runs
    return safety


def _room(ctx: Ctx) -> Room:
    """The room acted in: the sender's, set by the gateway for an in-room intent (and by unblock for a resync)."""
    assert ctx.room is not None
    return ctx.room


def _here(ctx: Ctx) -> tuple[Room, Member]:
    """The sender's room and membership; an in-room intent only runs once the gateway has set both."""
    assert ctx.member is not None
    return _room(ctx), ctx.member


def _person(ctx: Ctx, aid: int) -> tuple[Avatar, Member]:
    """The member behind a person avatar in the sender's room."""
    room = _room(ctx)
    av = room.avatar(aid)
    if av.kind != "person" or av.user_id is None:
        raise WireError(
            errors.INVALID,
            "That avatar is part of the exercise, not a person. Use report if something about it is not OK.",
        )
    member = room.members.get(av.user_id)
    if member is None:
        raise WireError(errors.NOT_FOUND, "That person is no longer in the room.")
    return av, member


def _may_act_on(ctx: Ctx, target: dict[str, Any]) -> None:
    if target["id"] == ctx.user["id"]:
        raise WireError(errors.INVALID, "You cannot do that to yourself.")
    if target["role"] == events.ADMIN or (target["role"] in events.STAFF and ctx.role != events.ADMIN):
        raise WireError(errors.FORBIDDEN, "Only an admin can do that to a staff member.")


async def _resync(ctx: Ctx, member: Member) -> None:
    """Send a member a fresh, filtered room state (after a block/unblock changes who they can see)."""
    room = _room(ctx)
    if member.sid:
        await ctx.world.send(
            member.sid, events.ROOM_STATE, room.full_state(member.avatar, await ctx.world.may_record(member.user["id"]))
        )


# --- block ---------------------------------------------------------------------------------
@intent(ws.BLOCK)
async def block(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    av, member = _person(ctx, p["avatar"])
    target = member.user
    if target["id"] == ctx.user["id"]:
        raise WireError(errors.INVALID, "You cannot block yourself.")
    if target["role"] in events.STAFF:
        raise WireError(
            errors.FORBIDDEN,
            "Staff cannot be blocked, because they keep the room safe. "
            "If something is not OK, please use report; a facilitator will look at it.",
        )
    s = _safety(ctx)
    await s.off_loop(s.db.block, ctx.user["id"], target["id"])
    s.add_pair(ctx.user["id"], target["id"])
    await _resync(ctx, _here(ctx)[1])
    await _resync(ctx, member)
    return {"blocked": {"user": target["id"], "name": target["name"]}}


@intent(ws.UNBLOCK, in_room=False)
async def unblock(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    s = _safety(ctx)
    if not await s.off_loop(s.db.unblock, ctx.user["id"], p["user"]):
        raise WireError(errors.NOT_FOUND, "You have not blocked that person.")
    s.set_pairs(await s.off_loop(s.db.all_blocks))
    room, me = ctx.world.member_of(ctx.user["id"])
    if room is not None and me is not None:
        other = room.members.get(p["user"])
        if other is not None:
            ctx.room = room
            await _resync(ctx, me)
            await _resync(ctx, other)
    return {"unblocked": p["user"]}


@intent(ws.BLOCKS, in_room=False)
async def blocks(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    s = _safety(ctx)
    return {"blocks": await s.off_loop(s.db.blocked_by, ctx.user["id"])}


# --- mute and kick (staff) -------------------------------------------------------------------
@intent(ws.MUTE, roles=events.STAFF)
async def mute(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    av, member = _person(ctx, p["avatar"])
    _may_act_on(ctx, member.user)
    s, uid, room = _safety(ctx), member.user["id"], _room(ctx)
    if p["on"]:
        s.of(room).mutes[uid] = time.monotonic() + p["minutes"] * 60
        s.log_action(room.id, ctx.user["id"], uid, "mute", time.time() + p["minutes"] * 60)
        text = "Staff have paused your chat in this room for a while. You can still move and gesture."
    else:
        s.of(room).mutes.pop(uid, None)
        s.log_action(room.id, ctx.user["id"], uid, "unmute")
        text = "You can chat again."
    if member.sid:
        await ctx.world.send(member.sid, events.NOTICE, {"kind": "muted", "muted": p["on"], "text": text})
    return {"avatar": av.id, "muted": p["on"]}


@intent(ws.KICK, roles=events.STAFF)
async def kick(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    av, member = _person(ctx, p["avatar"])
    target = member.user
    _may_act_on(ctx, target)
    s, world, uid = _safety(ctx), ctx.world, target["id"]
    until = time.time() + p["ban_minutes"] * 60 if p["ban_minutes"] else None
    if until is not None:
        await world.store.aio.set_banned_until(uid, until)
    s.log_action(_room(ctx).id, ctx.user["id"], uid, "ban" if until else "kick", until)
    notice = {
        "kind": "removed",
        "banned_until": until,
        "text": "Staff have asked you to leave this room."
        + (" Your account is paused for now; please contact the group's staff." if until else ""),
    }
    if until is None:
        for sid in world.sids_of(uid):
            await world.send(sid, events.NOTICE, notice)
    # every socket of theirs leaves the room's events; a ban also closes them
    await world.cut_off(uid, "ban" if until else "kick", disconnect=until is not None, notice=notice)
    return {"avatar": av.id, "banned_until": until}


# --- report -----------------------------------------------------------------------------------------
@intent(ws.REPORT)
async def report(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    s, room = _safety(ctx), _room(ctx)
    reported, aid, name = None, p.get("avatar"), None
    if aid is not None:
        av = room.avatar(aid)
        reported = av.user_id if av.kind == "person" else room.drivers.get(aid)
        name = av.name
    note = " ".join(p.get("note", "").split()) or None
    here = s.staff_sids(room, exclude_user=reported)
    targets = here or s.staff_online(exclude_user=reported)
    # People before records: staff hear of it first; then the report and its alert are written (retried in
    # the background while the store cannot write). The alert names no report id: the dashboard has it.
    key = live_key()
    alert = {
        "kind": "report",
        "key": key,
        "severity": severity("report", p["reason"]),
        "room": room.id,
        "room_name": room.name,
        "reason": p["reason"],
        "avatar": aid,
        "name": name,
        "from": ctx.user["name"],
        "ts": time.time(),
    }
    for sid in targets:
        await ctx.world.sio.emit(ws.SAFETY_ALERT, alert, to=sid)
    saved = s.persist(
        "report",
        s.db.add_report_with_alert,
        room.id,
        ctx.user["id"],
        reported,
        p["reason"],
        note,
        len(targets),
        s.names_of(targets),
        alert["severity"],
        key,
    )
    s.remember(key, saved)
    try:
        rid = await asyncio.wait_for(asyncio.shield(saved), REPORT_ACK_WAIT)
    except TimeoutError:
        rid = None  # still being written; the person is told the truth: staff have been told
    log.info(
        "report %s: room %s, from user %s, reason %s, staff notified %d",
        rid,
        room.id,
        ctx.user["id"],
        p["reason"],
        len(targets),
    )
    return {"report": rid, "text": "Thank you for telling us. Staff have been told and will look at this."}


# --- pause / safe room ---------------------------------------------------------------------------------
@intent(ws.PAUSE)
async def pause(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    s, world, (room, member) = _safety(ctx), ctx.world, _here(ctx)
    uid = ctx.user["id"]
    if p["on"] == (uid in s.paused):
        return {"paused": p["on"]}
    if p["on"]:
        s.paused[uid] = room.id
        s.sync_outbound()
        room.inp[member.avatar] = 0
        await world.sio.leave_room(ctx.conn.sid, room.id)  # out of the room's events: a quiet place
        await world.broadcast(room, events.MEMBER_UPDATED, {"avatar": member.avatar, "paused": True})
        await world.send(
            ctx.conn.sid,
            ws.PAUSED,
            {
                "paused": True,
                "scene": s.text("safe_room.scene") or "park",
                "text": s.text("safe_room.text", ctx.conn.language),
            },
        )
    else:
        s.paused.pop(uid, None)
        s.sync_outbound()
        await world.sio.enter_room(ctx.conn.sid, room.id)
        await world.broadcast(
            room, events.MEMBER_UPDATED, {"avatar": member.avatar, "paused": False}, skip_sid=ctx.conn.sid
        )
        await world.send(
            ctx.conn.sid, ws.PAUSED, {"paused": False, "text": s.text("safe_room.back", ctx.conn.language)}
        )
        await world.send(ctx.conn.sid, events.ROOM_STATE, room.full_state(member.avatar, await world.may_record(uid)))
    return {"paused": p["on"]}


@intent(ws.BUBBLE)
async def bubble(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    s, (room, member) = _safety(ctx), _here(ctx)
    s.set_bubble(room, member.avatar, float(p["radius"]) if p["on"] else None)
    return {"bubble": p["on"], "radius": s.of(room).bubbles.get(member.avatar)}


@intent(ws.SAFETY_INFO, in_room=False)
async def safety_info(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    s = _safety(ctx)
    recording = await ctx.world.may_record(ctx.user["id"])
    crisis = s.crisis.in_language(ctx.conn.language)  # in their language where the file has it
    return {
        "monitoring": crisis.monitoring_notice,
        "resources": {"title": crisis.resources_title, "text": crisis.resources_text},
        "recording": recording,
        "paused": ctx.user["id"] in s.paused,
        "blocks": len(await s.off_loop(s.db.blocked_by, ctx.user["id"])),
    }


# --- on duty, and acknowledging alerts (staff) ----------------------------------------------------
@intent(ws.DUTY, roles=events.STAFF, in_room=False)
async def duty(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """Go on or off duty: only staff on duty are sent alerts and named to participants as here."""
    s = _safety(ctx)
    await s.set_duty(ctx.user, p["on"], "duty intent")
    waiting: list[dict[str, Any]] = []
    if p["on"]:
        # the alerts that waited for the team (the card told the person so): unacknowledged ones this staff member
        # may see, in queue order (unhandled crisis first), without anyone's words
        scope = None if ctx.role in (events.FACILITATOR, events.ADMIN) else ctx.user["id"]
        rows = await s.off_loop(s.db.alerts, None, WAITING_LIMIT, scope)
        waiting = [_waiting(r) for r in rows if r["status"] == "open" and r["acknowledged_at"] is None]
    return {"on": p["on"], **s.duty_status(), "waiting": waiting}


def _waiting(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "alert": row["id"],
        "key": row["live_key"],
        "kind": row["kind"],
        "severity": row["severity"],
        "room": row["room_id"],
        "name": row["name"],
        "category": row["category"],
        "ts": row["ts"],
        "told": row["notified"],
    }


@intent(ws.ALERT_ACK, roles=events.STAFF, in_room=False)
async def alert_ack(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """I have seen this alert (the `key` its live `safety_alert` carried): who and when go on the record, and the
    person it is about is told, kindly, that someone has seen it (the first time only)."""
    s = _safety(ctx)
    if ("alert" in p) == ("id" in p):
        raise WireError(errors.INVALID, "Say which alert: its key (from the live alert) or its id.")
    pending = s.pending_alerts.get(p["alert"]) if "alert" in p else None
    if pending is not None:
        try:
            await asyncio.wait_for(asyncio.shield(pending), ALERT_ACK_WAIT)
        except TimeoutError:
            raise WireError(errors.CONFLICT, "This alert is still being saved. Please try again in a moment.") from None
    row = await (s.off_loop(s.db.alert_by_key, p["alert"]) if "alert" in p else s.off_loop(s.db.alert, p["id"]))
    if row is None or not await _may_see(ctx, row):
        raise WireError(errors.NOT_FOUND, "There is no such alert you can see.")
    first = await s.off_loop(s.db.acknowledge_alert, row["id"], ctx.user["id"])
    if first:
        await s.alert_seen(row)
    log.info("staff %s acknowledged alert %s", ctx.user["id"], row["id"])
    return {"alert": row["id"], "acknowledged": True, "first": first}


async def _may_see(ctx: Ctx, row: dict[str, Any]) -> bool:
    """Facilitators and admins see every alert; a peer specialist those about people they look after, and those
    they were sent live (they were told of it, so they may say they saw it)."""
    if ctx.role != events.PEER_SPECIALIST or ctx.user["name"] in (row.get("told") or []):
        return True
    seen: bool = await ctx.world.store.aio.staff_sees_person(ctx.user["id"], row["user_id"])
    return seen
