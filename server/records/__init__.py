"""Records: SST fidelity, emotion-recognition accuracy, skill-step scores, questionnaires, replays, export.

`setup(app)` starts the replay recorder (a world tick hook) and loads the
questionnaires; importing the package registers the intents. Access rules
are in `access.py`; see docs/dashboard.md.
"""

from __future__ import annotations

from types import SimpleNamespace

from . import intents  # noqa: F401  (registers the intents)
from .questionnaires import Questionnaires, questionnaire_dir
from .replay import Recorder


def setup(app) -> None:
    world = app["world"]
    recorder = Recorder(world)
    world.hooks["tick"].append(recorder.on_tick)
    world.records = SimpleNamespace(recorder=recorder,
                                    questionnaires=Questionnaires(world.store, questionnaire_dir(world.cfg)))
    app["records"] = world.records
    from . import http
    http.add_routes(app)
