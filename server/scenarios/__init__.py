"""Scenario engine: the scenario-file schema and loader, the intent matcher and the runner.

from server.scenarios import load_file, load_dir, ScenarioRun
"""

from .loader import ScenarioError, lint, load_dir, load_file, parse
from .matcher import IntentMatcher
from .model import Scenario
from .runner import Finished, MemoryRunStore, ParticipantSaid, RunStore, Say, ScenarioRun, Scored, Show, StateChanged
from .schema import DIFFICULTIES, Problem, json_schema

__all__ = [
    "IntentMatcher",
    "ScenarioError",
    "lint",
    "load_dir",
    "load_file",
    "parse",
    "Scenario",
    "ScenarioRun",
    "RunStore",
    "MemoryRunStore",
    "Say",
    "Show",
    "ParticipantSaid",
    "Scored",
    "StateChanged",
    "Finished",
    "DIFFICULTIES",
    "Problem",
    "json_schema",
]
