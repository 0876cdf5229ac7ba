"""`my_course`: a participant's group's next session (wire/courses.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wire import courses as wc
from wire import events

from ..gateway import Ctx, intent
from .book import book_of


@intent(wc.MY_COURSE, roles=(events.PARTICIPANT,), in_room=False)
async def my_course(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    book = book_of(ctx.world)
    view: dict[str, Any] = await ctx.world.store.aio.apply(
        book.participant_view, ctx.world.store, ctx.user["id"], dt.datetime.now(dt.UTC)
    )
    return view
