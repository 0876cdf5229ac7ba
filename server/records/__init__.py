"""Records: SST fidelity, emotion-recognition accuracy, skill-step scores, questionnaires, replays, export.

`Records(world)` is the records feature of the room lifecycle (the replay recorder runs on
its `tick`) and holds the questionnaires (`world.records`); `setup(app)` adds the HTTP
routes; importing the package registers the intents. Access rules
are in `access.py`; see docs/dashboard.md.
"""

from __future__ import annotations

from aiohttp import web

from ..world import RoomFeature, World
from . import intents  # noqa: F401  (registers the intents)
from .questionnaires import Questionnaires, questionnaire_dir
from .replay import Recorder


class Records(RoomFeature):
    """The records feature: the replay recorder (sampled on the tick) and the questionnaires."""

    def __init__(self, world: World):
        self.recorder = Recorder(world)
        self.questionnaires = Questionnaires(world.store, questionnaire_dir(world.cfg))

    async def tick(self, dt: float) -> None:
        await self.recorder.on_tick(dt)


def setup(app: web.Application) -> None:
    from . import http

    http.add_routes(app)
