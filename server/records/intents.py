"""Records intents: tag a protocol step, questionnaires, replay fetch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wire import errors, events
from wire import safety as ws
from wire.errors import WireError

from ..gateway import Ctx, intent
from ..world import Room
from . import access, replay

if TYPE_CHECKING:
    from . import Records


def _room(ctx: Ctx) -> Room:
    """The sender's room; an in-room intent runs only once the gateway has set it."""
    assert ctx.room is not None
    return ctx.room


def _records(ctx: Ctx) -> Records:
    records = ctx.world.records
    assert records is not None  # the app assembles the world with its records feature before any intent runs
    return records


async def _active_run(ctx: Ctx, run_id: int | None) -> dict[str, Any]:
    if run_id is not None:
        run: dict[str, Any] | None = await ctx.world.store.aio.get_run(run_id)
        if run is None or run["room_id"] != _room(ctx).id:
            raise WireError(errors.NOT_FOUND, "That session is not running in this room.")
        return run
    runs: list[dict[str, Any]] = [r for r in await ctx.world.store.aio.active_runs() if r["room_id"] == _room(ctx).id]
    if not runs:
        raise WireError(errors.NOT_FOUND, "No session is running in this room.")
    return runs[-1]


@intent(ws.TAG_STEP, roles=events.STAFF)
async def tag_step(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    run = await _active_run(ctx, p.get("run"))
    eid = await ctx.world.record(
        _room(ctx), "tag", ctx.user["name"], {"step": p["step"]}, user_id=ctx.user["id"], run_id=run["id"]
    )
    return {"run": run["id"], "step": p["step"], "event": eid}


@intent(ws.QUESTIONNAIRES, in_room=False)
async def questionnaires(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return {"questionnaires": _records(ctx).questionnaires.public(ctx.conn.language)}


@intent(ws.ANSWER_QUESTIONNAIRE, in_room=False)
async def answer_questionnaire(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    run_id = p.get("run")
    if run_id is not None:
        run = await ctx.world.store.aio.get_run(run_id)
        if run is None or run["participant_user_id"] != ctx.user["id"]:
            raise WireError(errors.NOT_FOUND, "That is not one of your sessions.")
    answered: dict[str, Any] = await ctx.world.store.aio.apply(
        _records(ctx).questionnaires.answer, ctx.user["id"], p["questionnaire"], p["when"], p["answers"], run_id
    )
    return answered


@intent(ws.REPLAY, roles=events.STAFF, in_room=False)
async def replay_fetch(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    store = ctx.world.store
    run = await access.run_or_404(store, ctx.user, p["run"])
    page: dict[str, Any] = await store.aio.apply(replay.read, store, run, float(p.get("after", 0.0)), p["limit"])
    return page
