"""The controller intents: claim, release, supervise, approve, reject."""

from __future__ import annotations

from typing import Any

from wire import controllers as wc
from wire import errors, events
from wire.errors import WireError

from ..gateway import Ctx, intent
from ..world import Room
from .host import host_for

FORCE_RELEASE = (events.FACILITATOR, events.ADMIN)


def _room(ctx: Ctx) -> Room:
    """The sender's room; these intents are in-room ones, so the gateway has set it."""
    assert ctx.room is not None
    return ctx.room


def _may_follow(ctx: Ctx) -> None:
    """Only those who may follow the room's practice drive or supervise its cast (server/scenarios)."""
    rooms = getattr(ctx.world, "scenarios", None)
    rr = rooms.run_in(_room(ctx)) if rooms is not None else None
    if rr is not None and ctx.user["id"] not in rr.watchers:
        raise WireError(
            errors.FORBIDDEN,
            "This practice belongs to someone else. Ask their peer specialist "
            "or a facilitator if you should be following it.",
        )


@intent(wc.CLAIM, roles=events.PUPPETEERS)
async def claim(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    _may_follow(ctx)
    host = host_for(ctx.world, _room(ctx))
    return await host.claim(ctx.user, host.role_of(p.get("avatar"), p.get("role")))


@intent(wc.RELEASE, roles=events.PUPPETEERS)
async def release(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    host = host_for(ctx.world, _room(ctx))
    return await host.release(ctx.user, host.role_of(p.get("avatar"), p.get("role")), force=ctx.role in FORCE_RELEASE)


@intent(wc.SUPERVISE, roles=events.STAFF)
async def supervise(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    _may_follow(ctx)
    host = host_for(ctx.world, _room(ctx))
    return await host.supervise(ctx.user, host.role_of(p["avatar"], None), p["seconds"])


@intent(wc.APPROVE, roles=events.STAFF)
async def approve(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return await host_for(ctx.world, _room(ctx)).decide(ctx.user, p["proposal"], True, p.get("text"))


@intent(wc.REJECT, roles=events.STAFF)
async def reject(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return await host_for(ctx.world, _room(ctx)).decide(ctx.user, p["proposal"], False)
