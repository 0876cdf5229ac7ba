"""Records intents: tag a protocol step, questionnaires, replay fetch."""

from __future__ import annotations

from wire import errors, events
from wire import safety as ws
from wire.errors import WireError

from ..gateway import Ctx, intent
from . import access, replay


async def _active_run(ctx: Ctx, run_id: int | None) -> dict:
    if run_id is not None:
        run = await ctx.world.store.aio.get_run(run_id)
        if run is None or run["room_id"] != ctx.room.id:
            raise WireError(errors.NOT_FOUND, "That session is not running in this room.")
        return run
    runs = [r for r in await ctx.world.store.aio.active_runs() if r["room_id"] == ctx.room.id]
    if not runs:
        raise WireError(errors.NOT_FOUND, "No session is running in this room.")
    return runs[-1]


@intent(ws.TAG_STEP, roles=events.STAFF)
async def tag_step(ctx: Ctx, p: dict) -> dict:
    run = await _active_run(ctx, p.get("run"))
    eid = await ctx.world.record(ctx.room, "tag", ctx.user["name"], {"step": p["step"]},
                                 user_id=ctx.user["id"], run_id=run["id"])
    return {"run": run["id"], "step": p["step"], "event": eid}


@intent(ws.QUESTIONNAIRES, in_room=False)
async def questionnaires(ctx: Ctx, p: dict) -> dict:
    return {"questionnaires": ctx.world.records.questionnaires.public()}


@intent(ws.ANSWER_QUESTIONNAIRE, in_room=False)
async def answer_questionnaire(ctx: Ctx, p: dict) -> dict:
    run_id = p.get("run")
    if run_id is not None:
        run = await ctx.world.store.aio.get_run(run_id)
        if run is None or run["participant_user_id"] != ctx.user["id"]:
            raise WireError(errors.NOT_FOUND, "That is not one of your sessions.")
    return await ctx.world.store.aio.apply(ctx.world.records.questionnaires.answer, ctx.user["id"],
                                           p["questionnaire"], p["when"], p["answers"], run_id)


@intent(ws.REPLAY, roles=events.STAFF, in_room=False)
async def replay_fetch(ctx: Ctx, p: dict) -> dict:
    store = ctx.world.store
    run = await access.run_or_404(store, ctx.user, p["run"])
    return await store.aio.apply(replay.read, store, run, float(p.get("after", 0.0)), p["limit"])
