"""The linter's messages for the mistakes facilitators made writing scenarios by hand (issue 17, item 1).

Each test writes a broken scenario file (the tests' minimal fixture with one mistake put in) and checks the
message a person reads: the line, the likely cause in plain words, counting from 1, each problem once.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from server.scenarios import json_schema, lint
from server.scenarios.loader import load_folders

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = (ROOT / "tests" / "scenario_fixtures" / "minimal.yaml").read_text()


def broken(tmp_path: Path, old: str, new: str, name: str = "broken.yaml") -> Path:
    assert old in MINIMAL, old
    f = tmp_path / name
    f.write_text(MINIMAL.replace(old, new, 1))
    return f


def messages(f: Path) -> list[str]:
    return [str(p) for p in lint([f])]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", "scenario", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_an_unquoted_comma_in_flow_text_is_named_with_the_fix(tmp_path):
    f = broken(
        tmp_path,
        "pat: {kind: partner, name: Pat}",
        "pat: {kind: partner, name: Pat, description: A receptionist, answering the phone. Busy morning.}",
    )
    assert messages(f) == [
        f"{f}:9: text with a comma inside {{…}} must be quoted: 'answering the phone. Busy morning.' in this cast "
        "member is the end of the text before it, cut off by its comma; allowed: text in quotes when it contains "
        "a comma, e.g. '...' or \"...\"; write e.g. description: 'A receptionist, answering the phone. Busy morning.'"
    ]
    # the same in a line and in a per-difficulty value
    f = broken(tmp_path, "{cast: coach, text: Greeting people helps.}", "{cast: coach, text: Hello, everyone.}")
    (m,) = messages(f)
    assert m.startswith(f"{f}:24: text with a comma inside {{…}} must be quoted: 'everyone.' in this line"), m
    assert m.endswith("write e.g. text: 'Hello, everyone.'")
    f = broken(tmp_path, 'say: {easy: Hi there!, hard: "Yes?"}', 'say: {easy: Hi, you!, hard: "Yes?"}')
    (m,) = messages(f)
    assert "31: text with a comma inside {…} must be quoted: 'you!' in phase 2 > node 'hello' > say" in m, m


def test_a_dedented_key_says_which_way_to_move_the_line(tmp_path):
    f = broken(
        tmp_path,
        "            score: {greet: 2}\n            next: chat",
        "            score: {greet: 2}\n           next: chat",
    )
    (m,) = messages(f)
    assert m.startswith(f"{f}:38: this line is indented less than its siblings (it has 11 spaces, line 37 has 12)")
    assert "write e.g. 12 spaces before 'next: chat', as on line 37" in m
    assert "<block end>" not in m and "parsing" not in m


def test_a_node_indented_one_level_too_deep_is_named_as_such(tmp_path):
    # a whole node written one level too deep, among the keys of the node above it
    f = broken(
        tmp_path,
        "        no_match:\n          say: Sorry?\n",
        "        no_match:\n          say: Sorry?\n        explains:\n          cast: pat\n          say: Well.\n"
        "          end: good\n",
    )
    (m,) = messages(f)
    assert m.startswith(
        f"{f}:46: unknown key 'explains' in node at phase 2 > node 'hello': if 'explains' is meant as another node, "
        "this line is indented one level deeper than its siblings (line it up with 'hello')"
    ), m
    # a key of the node written among the keys of its no_match: the node's "needs 'cast'" is not repeated
    f = broken(tmp_path, "      hello:\n        cast: pat\n", "      hello:\n")
    f.write_text(f.read_text().replace("          say: Sorry?\n", "          say: Sorry?\n          cast: pat\n"))
    (m,) = messages(f)
    assert m.startswith(
        f"{f}:45: unknown key 'cast' in no_match at phase 2 > node 'hello' > no_match: this line is indented one "
        "level deeper than its siblings (line it up with 'no_match'); allowed: keys of the node all at one indentation"
    ), m
    # and an over-indented line the parser refuses
    f = broken(
        tmp_path,
        "      bye: {cast: pat, say: Bye then., end: short}",
        "        bye: {cast: pat, say: Bye., end: short}",
    )
    (m,) = messages(f)
    assert m.startswith(f"{f}:60: this line is indented one level deeper than its siblings (it has 8 spaces, line 59")


def test_a_tab_is_named_as_a_tab(tmp_path):
    f = broken(tmp_path, "        hint: Say hello", "\thint: Say hello")
    (m,) = messages(f)
    assert m.startswith(f"{f}:32: use spaces, not tabs, to indent"), m
    assert "\\t" not in m and "token" not in m


def test_a_follow_on_error_is_not_reported_twice(tmp_path):
    f = broken(tmp_path, "            next: chat", "            nxt: chat")
    assert messages(f) == [
        f"{f}:38: unknown key 'nxt' in option (did you mean 'next'?); allowed: id, text, examples, score, next, only; "
        "write e.g. next: small_talk"
    ]


def test_paths_count_from_one(tmp_path):
    f = broken(tmp_path, "      - {cast: coach, text: Greeting people helps.}", "      - {cast: coahc, text: Hi.}")
    found = messages(f)
    assert any(m.startswith(f"{f}:24: unknown cast 'coahc'") for m in found), found
    f = broken(tmp_path, "hint: Say hello and your name.", "hint: {easy: Say hello.}")
    (m,) = messages(f)
    assert "phase 2 > node 'hello' > hint has no value for hard" in m and "phases." not in m, m


def test_unknown_placeholders_are_errors_in_every_text(tmp_path):
    cases = [
        # (old, new, line, message)
        (
            'say: {easy: Hi there!, hard: "Yes?"}',
            'say: {easy: "Hi {nmae}!", hard: "Yes?"}',
            31,
            "'{nmae}' in phase 2 > node 'hello' > say > easy; allowed: {name}",
        ),
        (
            "{cast: coach, text: Greeting people helps.}",
            "{cast: coach, text: 'Ask {supervisor}.'}",
            24,
            "'{supervisor}' in phase 1 > line 1 > text; allowed: {name}",
        ),
        (
            "            text: Um.",
            "            text: Um, {nmae}.",
            40,
            "'{nmae}' in phase 2 > node 'hello' > option 2 > text; allowed: {name}",
        ),
        (
            "          say: Sorry?",
            "          say: Sorry {who}?",
            45,
            "'{who}' in phase 2 > node 'hello' > no_match > say; allowed: {name}",
        ),
        (
            "assignment: Say hello to a neighbour.",
            "assignment: Say hello to {name}.",
            67,
            "'{name}' in phase 5 > assignment: this text is shown as written",
        ),
        (
            'prompts: ["What went well?"]',
            'prompts: ["What went well, {name}?"]',
            69,
            "'{name}' in phase 6 > prompt 1: this text is shown as written",
        ),
        (
            "hint: Say hello and your name.",
            "hint: Say {greeting}.",
            32,
            "'{greeting}' in phase 2 > node 'hello' > hint",
        ),
        (
            'positive: "Good: {praise}"',
            'positive: "Good: {praise}, {name}"',
            62,
            "'{name}' in phase 3 > positive; allowed: {praise}",
        ),
        (
            "summary: A tiny scenario used by the tests.",
            "summary: For {name}.",
            5,
            "'{name}' in summary: this text is shown as written",
        ),
    ]
    for old, new, line, message in cases:
        f = broken(tmp_path, old, new)
        found = messages(f)
        assert [m for m in found if m.startswith(f"{f}:{line}: unknown placeholder {message}")], (new, found)
    # the participant's name where the server fills it in is fine
    f = broken(tmp_path, "            text: Um.", "            text: Um, I'm {name}.")
    assert messages(f) == []


def test_lint_names_the_files_it_checked(tmp_path):
    good = tmp_path / "one.yaml"
    good.write_text(MINIMAL)
    out = cli("lint", str(tmp_path))
    assert out.returncode == 0, out.stderr
    shipped_catalog = ROOT / "scenarios" / "catalog" / "topics.yaml"
    assert out.stdout.strip() == f"ok (0 warning(s)) in 2 file(s): {shipped_catalog}, {good}"
    out = cli("lint", "scenarios/")
    assert out.returncode == 0 and "scenarios/job_interview.yaml" in out.stdout and "in 7 file(s)" in out.stdout


def test_play_all_paths_lists_each_ending_and_each_dead_end(tmp_path):
    f = tmp_path / "ok.yaml"
    f.write_text(MINIMAL)
    out = cli("play", "--all-paths", str(f))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "phase 2 (practice) at easy: 3 path(s)",
        "  greet > ask -> ending 'good' (Good)",
        "  greet > leave -> ending 'short' (Short)",
        "  mumble -> ending 'short' (Short)",
        "  endings reached: good (1 path(s)), short (2 path(s))",
        "phase 2 (practice) at hard: 3 path(s)",
        "  greet > ask -> ending 'good' (Good)",
        "  greet > leave -> ending 'short' (Short)",
        "  mumble -> ending 'short' (Short)",
        "  endings reached: good (1 path(s)), short (2 path(s))",
        "every path reaches an ending",
    ]
    # an option that leads nowhere: a dead end, shown with the lint's error
    f = broken(tmp_path, "            next: bye_good", "            next: bye_nice")
    out = cli("play", "--all-paths", str(f), "-d", "hard")
    assert out.returncode == 1
    assert "  greet > ask -> DEAD END: option 'ask' leads to node 'bye_nice', which does not exist" in out.stdout
    assert "  greet > leave -> ending 'short' (Short)" in out.stdout
    assert "next node 'bye_nice' does not exist" in out.stderr


def test_topics_and_scenes_come_from_the_catalog_files_beside_the_scenarios(tmp_path):
    # a topic and a scene the project ships in scenarios/catalog/topics.yaml
    f = broken(tmp_path, "topic: other\n", "topic: phone_calls\nscene: reception\n")
    assert messages(f) == []
    (scenario,) = load_folders([tmp_path]).values()
    assert scenario.listing()["scene"] == "office"  # clients are given the world scene it looks like
    # a service's own, in its folder's catalog/topics.yaml
    f = broken(tmp_path, "topic: other\n", "topic: receiving_feedback\nscene: surgery\n")
    found = messages(f)
    assert found[0].startswith(f"{f}:4: topic: 'receiving_feedback' is not allowed; allowed: one of "), found
    assert found[0].endswith("or add a new one to catalog/topics.yaml beside the scenario files"), found
    assert found[1].startswith(f"{f}:5: scene: 'surgery' is not allowed; allowed: one of cafe, office, park, reception")
    (tmp_path / "catalog").mkdir()
    catalog = tmp_path / "catalog" / "topics.yaml"
    catalog.write_text(
        "topics: {receiving_feedback: Receiving feedback}\n"
        "scenes:\n  surgery: {title: A GP surgery, looks_like: offce}\n"
    )
    found = messages(f)
    assert found[0].startswith(f"{catalog}:3: scene 'surgery' > looks_like: 'offce' is not allowed"), found
    assert len(found) == 2 and found[1].startswith(f"{f}:5: scene: 'surgery' is not allowed"), found
    catalog.write_text(catalog.read_text().replace("offce", "office"))
    assert messages(f) == []
    out = cli("lint", str(f))
    assert out.returncode == 0 and str(catalog) in out.stdout, out


def test_the_json_schema_documents_the_catalog():
    props = json_schema()["properties"]
    assert "phone_calls" not in props["topic"].get("enum", [])  # not a closed list any more
    assert "catalog/topics.yaml" in props["topic"]["description"]
    assert "catalog/topics.yaml" in props["scene"]["description"]


def test_the_dry_run_prints_phase_titles_and_the_homework_assignment(tmp_path):
    f = broken(tmp_path, "  - id: practice\n", "  - id: practice\n    title: Your turn\n")
    script = tmp_path / "inputs.txt"
    script.write_text("1\n1\n1\n:next\n:next\n1\n1\n1\n1\n:next\n")
    out = cli("play", str(f), "--script", str(script))
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    at = lines.index("-- Phase 1 of 6: Rationale --")
    assert lines[at + 1] == "Robin: Greeting people helps."  # the title comes before the phase's first line
    at = lines.index("-- Phase 2 of 6: Your turn --")
    assert lines[at + 1] == "Pat: Hi there!"
    at = lines.index("-- Phase 5 of 6: Homework --")
    assert lines[at + 1 : at + 3] == ["Your homework: Say hello to a neighbour.", "  1) Continue"]


def test_a_colon_in_text_and_a_line_under_a_value_are_named(tmp_path):
    f = broken(tmp_path, "        hint: Say hello and your name.", "        hint: Say this: hello.")
    (m,) = messages(f)
    assert m.startswith(f"{f}:32: text that contains ': ' must be quoted"), m
    f = broken(tmp_path, "        hint: Say hello and your name.", "        hint: Say hello.\n          prompt: Now?")
    (m,) = messages(f)
    assert m.startswith(f"{f}:33: this line is indented one level deeper than its siblings"), m
