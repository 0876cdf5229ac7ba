"""The controller host uses the Controller interface only: it never asks which class a controller is.

What the host decides per controller (track outstanding cues, forward events, feed it state and lines,
hand held cues on, show who drives it, replace it on failover) comes from the interface, so a new kind
of controller (an AI avatar) plugs in by implementing it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from server.controllers import base, scripted
from server.controllers.base import Controller, Held, Relay, obs
from server.controllers.scripted import ScriptedDriver
from wire import controllers as wc

ROOT = Path(__file__).resolve().parent.parent
HOST = ROOT / "server" / "controllers" / "host.py"


def _controller_classes() -> set[str]:
    seen, todo = set(), [Controller]
    while todo:
        cls = todo.pop()
        seen.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return seen


def class_checks(source: str, classes: set[str]) -> list[tuple[int, str]]:
    """(line, class) for every isinstance/issubclass/type() test in `source` against one of `classes`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("isinstance", "issubclass")
        ):
            names = [n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)]
            names += [n.attr for n in ast.walk(node.args[1]) if isinstance(n, ast.Attribute)]
            found += [(node.lineno, n) for n in names if n in classes]
        elif (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Call)
            and isinstance(node.left.func, ast.Name)
            and node.left.func.id == "type"
        ):
            names = [n.id for c in node.comparators for n in ast.walk(c) if isinstance(n, ast.Name)]
            found += [(node.lineno, n) for n in names if n in classes]
    return found


def test_host_has_no_isinstance_checks_against_controller_classes():
    classes = _controller_classes()
    assert {"Controller", "Held", "Relay", "ScriptedDriver"} <= classes
    assert class_checks(HOST.read_text(), classes) == []


def test_the_class_check_finds_what_the_host_used_to_do():
    old = "if isinstance(ctl, Relay):\n    pass\nx = [r for r, c in cs if isinstance(c, (Held, base.Relay))]\n"
    assert class_checks(old, _controller_classes()) == [(1, "Relay"), (3, "Held"), (3, "Relay")]


def test_each_controller_answers_what_the_host_asks():
    user = {"id": 7, "name": "Sam", "role": "peer_specialist"}
    relay, held, auto = Relay("coach", 3, user), Held("coach", 3), ScriptedDriver("coach", 3)
    agent = Relay("coach", 3, {"id": 8, "name": "coach-bot", "role": "agent"})
    assert [(c.driver, c.remote, c.autonomous, c.paused, c.by, c.driven_by) for c in (relay, agent, held, auto)] == [
        (wc.TELEOP, True, False, False, "Sam", 7),
        (wc.AGENT_DRIVEN, True, False, False, "coach-bot", 8),
        (wc.PAUSED, False, False, True, None, None),
        (wc.AUTONOMOUS, False, True, False, None, None),
    ]
    cue = {"id": "p/line/0", "role": "coach", "text": "Hello."}
    assert relay.observe(obs(wc.CUE, cue)) == [] and relay.take_outbox() == [(wc.CUE, cue)]
    assert relay.take_outbox() == []
    assert held.observe(obs(wc.CUE, cue)) == [] and held.held_cues() == [cue]
    held.held_cues().clear()  # a copy: the host hands it on, the held list stays
    assert held.held_cues() == [cue]
    assert auto.held_cues() == [] and auto.take_outbox() == [] and relay.held_cues() == []
    assert base.Controller.remote is False and scripted.ScriptedDriver.autonomous is True
