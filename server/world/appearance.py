"""A person's own avatar (#15): the look they choose is kept on their account and shown to everyone.

`appearance` is validated against the palette by its wire schema (wire/appearance.py reads
assets/palette.json, the same file the client's chooser offers), stored on the user row, and put on
the person's avatar: in the room now (`member_updated`) and in every room they join later (the
avatar's public payload), so everyone sees the same avatar every session.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from wire import events
from wire.appearance import APPEARANCE, FIELDS

from ..gateway import Ctx, intent

log = logging.getLogger("peerspace.world")


@intent(APPEARANCE, in_room=False)
async def set_appearance(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    uid = ctx.user["id"]
    look = {k: p[k] for k in FIELDS}
    stored = json.dumps(look, sort_keys=True)
    await ctx.world.store.aio.set_appearance(uid, stored)
    for sid in ctx.world.sids_of(uid):  # their other connections join rooms with the new look too
        ctx.world.conns[sid].user["appearance"] = stored
    room, member = ctx.world.member_of(uid)
    if room is not None and member is not None:
        member.user["appearance"] = stored
        av = room.avatars.get(member.avatar)
        if av is not None:
            av.appearance = look
            await ctx.world.broadcast(room, events.MEMBER_UPDATED, {"avatar": av.id, "appearance": look})
    log.info("user %s chose their appearance", uid)
    return {"appearance": look}
