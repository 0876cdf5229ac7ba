"""A text dry-run of a scenario in the terminal.

Cast lines are printed as an autonomous driver would speak them (verbatim).
At each prompt type an option's number, your own words, or a command:
  :next          the coach moves on to the next phase
  :good TEXT     coach feedback tagged positive      :tip TEXT   ... tagged corrective
  :stop          end the run
Inputs can also come from a script (one per line; '#' starts a comment).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from wire.errors import WireError

from .effects import Effect
from .model import Scenario
from .runner import Finished, MemoryRunStore, ParticipantSaid, Say, ScenarioRun, Scored, Show


def script_lines(lines: Iterable[str]) -> Iterator[str]:
    for raw in lines:
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith(":") else raw.strip()
        if line:
            yield line


class Player:
    def __init__(self, scenario: Scenario, difficulty: str, out: TextIO, width: int = 78, name: str = "Sam"):
        self.scenario = scenario
        self.store = MemoryRunStore()
        self.run = ScenarioRun.create(self.store, "dry-run", scenario, difficulty, participant_name=name)
        self.out = out
        self.width = width
        self.shown_phase: int | None = None  # the index of the phase whose title was printed last

    def _print(self, text: str = "", indent: str = "") -> None:
        if not text:
            print(file=self.out)
            return
        print(textwrap.fill(text, self.width, initial_indent=indent, subsequent_indent=indent + "  "), file=self.out)

    def _name(self, role: str) -> str:
        return str(self.scenario.cast[role]["name"])

    def phase_title(self, index: int) -> None:
        """'-- Phase 2 of 6: Your turn --' once, as the phase begins (before its first line)."""
        if index == self.shown_phase:
            return
        self.shown_phase = index
        phase = self.scenario.phases[index]
        title = phase.get("title") or phase["kind"].replace("_", " ").capitalize()
        self._print(f"-- Phase {index + 1} of {len(self.scenario.phases)}: {title} --")

    def show(self, effects: Iterable[Effect]) -> None:
        phases = {p["id"]: i for i, p in enumerate(self.scenario.phases)}
        for e in effects:
            if isinstance(e, Say) and e.suggestion and e.suggestion.split("/", 1)[0] in phases:
                self.phase_title(phases[e.suggestion.split("/", 1)[0]])
            if isinstance(e, Say):
                extras = ", ".join(
                    x
                    for x in (
                        e.expression if e.expression != "neutral" else "",
                        e.gesture if e.gesture != "none" else "",
                    )
                    if x
                )
                self._print(f"{self._name(e.cast)}{f' [{extras}]' if extras else ''}: {e.text}")
                # an autonomous driver speaks the cue verbatim and reports it
                self.run.cast_said(e.cast, e.text, e.suggestion, actor="dry-run")
            elif isinstance(e, Show):
                self._print(
                    f"* {self._name(e.cast)}'s face shows an emotion (intensity {e.intensity:.0%}) — [{e.expression}]"
                )
            elif isinstance(e, ParticipantSaid):
                self._print(f"You: {e.text}")
            elif isinstance(e, Scored) and e.what == "step":
                self._print(f"  (score: {e.data['step']} {e.data['points']}/2)")
            elif isinstance(e, Scored):
                self._print(f"  ({'right' if e.data['correct'] else 'not quite'})")
            elif isinstance(e, Finished):
                self.print_summary(e.summary)

    def print_state(self) -> None:
        v = self.run.view()
        if self.run.finished:
            return
        self._print()
        phase = v["phase"]
        if phase:
            self.phase_title(phase["index"])
        if phase and phase["kind"] == "homework" and v["homework"]:
            self._print(f"Your homework: {v['homework']}")
        if v["ending"]:
            self._print(f"== {v['ending']['title']} ==")
            if v["ending"].get("text"):
                self._print(v["ending"]["text"])
        if v["note"] == "no_match":
            self._print("(That didn't match an option — try again or pick a number.)")
        elif v["note"] == "unclear_emotion":
            self._print("(Name one emotion, or pick a number.)")
        beat = v["beat"]
        if beat:  # the phase goes on in beats: say where the participant is
            more = "; Continue for the next" if beat["index"] + 1 < beat["count"] else ""
            self._print(f"(beat {beat['index'] + 1} of {beat['count']}{more})")
        if v["prompt"]:
            self._print(v["prompt"])
        for hint in v["hints"]:
            self._print(f"Hint: {hint}")
        for i, o in enumerate(v["options"], 1):
            self._print(f"{i}) {o['text']}", "  ")

    def print_summary(self, s: dict[str, Any]) -> None:
        self._print()
        self._print(f"== Run {'finished' if self.run.status == 'finished' else 'stopped'} ==")
        for phase, steps in s["scores"].items():
            total = sum(steps.values())
            self._print(
                f"{phase}: "
                + ", ".join(f"{k} {v}/{s['max_score']}" for k, v in steps.items())
                + f"  (total {total}/{s['max_score'] * len(steps)})"
            )
        for e in s["endings"]:
            self._print(f"ending of {e['phase']}: {e['ending'] or 'skipped'}")
        if s["emotion"]["total"]:
            self._print(f"emotions: {s['emotion']['correct']}/{s['emotion']['total']} right")
        self._print(f"feedback given: {s['feedback']['positive']} positive, {s['feedback']['corrective']} corrective")
        if s["homework"]:
            self._print(f"homework: {s['homework']}")

    def step(self, entry: str) -> None:
        run = self.run
        options = run.view()["options"]
        if entry.startswith(":"):
            cmd, _, arg = entry[1:].partition(" ")
            if cmd == "next":
                self.show(run.advance(actor="coach"))
            elif cmd in ("good", "tip"):
                self.show(run.feedback("positive" if cmd == "good" else "corrective", arg or "-", actor="coach"))
            elif cmd == "stop":
                self.show(run.stop(actor="coach"))
            else:
                self._print("(commands: :next, :good TEXT, :tip TEXT, :stop)")
            return
        if entry.isdigit() and 1 <= int(entry) <= len(options):
            self.show(run.choose(options[int(entry) - 1]["id"], actor="participant"))
        elif entry in {o["id"] for o in options}:
            self.show(run.choose(entry, actor="participant"))
        else:
            self.show(run.answer(entry, actor="participant"))

    def play(self, inputs: Callable[[], str | None]) -> ScenarioRun:
        self._print(f"{self.scenario.title} — {self.scenario.data['difficulty'][self.run.difficulty]['label']}")
        self.show(self.run.start())
        while not self.run.finished:
            self.print_state()
            entry = inputs()
            if entry is None:
                self._print("(no more input: stopping)")
                self.show(self.run.stop())
                break
            try:
                self.step(entry.strip())
            except WireError as exc:
                self._print(f"({exc.message})")
        return self.run
