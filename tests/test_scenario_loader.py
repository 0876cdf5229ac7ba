"""Broken scenario files give the documented errors: file, line, what is wrong, what is allowed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from server.scenarios import ScenarioError, json_schema, lint, load_file, parse

ROOT = Path(__file__).resolve().parent.parent
FIX = Path(__file__).resolve().parent / "scenario_fixtures"


def problems(name: str) -> list[str]:
    return [str(p) for p in lint([FIX / name])]


def test_minimal_fixture_loads():
    s = load_file(FIX / "minimal.yaml")
    assert s.id == "minimal" and s.difficulties == ["easy", "hard"]
    assert [p["id"] for p in s.phases] == [
        "rationale",
        "practice",
        "feedback",
        "repeat_role_play",
        "homework",
        "reflection",
    ]


def test_yaml_syntax_error_names_file_and_line():
    (p,) = problems("broken_syntax.yaml")
    # parser words ("while parsing a flow mapping ...") are put in plain words, naming the line that opened it
    assert p.startswith(f"{FIX / 'broken_syntax.yaml'}:6: the '{{' opened on line 5 is not closed with '}}'"), p
    assert "allowed:" in p and "write e.g." in p


def test_libyaml_reads_every_file_as_pyyamls_own_parser_does_and_errors_come_from_pyyaml(monkeypatch):
    """server/yamltext.py parses with libyaml for speed; what a file means and what a broken one is told must
    not depend on it (a broken text is read again by PyYAML's own parser, whose messages the loader rewrites)."""
    import yaml

    from server import yamltext

    assert yaml.__with_libyaml__ and yamltext._FAST is yaml.CSafeLoader  # the fast path is the one tested
    files = sorted(FIX.glob("*.yaml")) + sorted((ROOT / "scenarios").rglob("*.yaml"))
    broken = ["a: {b: 1\nc: 2\n", "say: 'open\n", "- *nowhere\n", "a: 1\n---\nb: 2\n", "@home: x\n", "a:\tb: c\n"]

    def read() -> list:
        out = []
        for name, text in [(str(p), p.read_text(encoding="utf-8")) for p in files] + [("b.yaml", t) for t in broken]:
            scenario, found = parse(text, name)
            out.append((name, scenario.data if scenario else None, [str(x) for x in found]))
        return out

    fast = read()
    monkeypatch.setattr(yamltext, "_FAST", yaml.SafeLoader)
    assert fast == read()
    assert sum(data is not None for _, data, _ in fast) >= 6  # the shipped scenarios were read, not refused
    assert all(found and data is None for _, data, found in fast[len(files) :])  # and every broken text told why


def test_unknown_key_suggests_the_right_one():
    found = problems("broken_unknown_key.yaml")
    assert any(
        p.startswith(
            f"{FIX / 'broken_unknown_key.yaml'}:28: unknown key 'nxt' in option "
            "(did you mean 'next'?); allowed: id, text, examples, score, next, only; write e.g. next:"
        )
        for p in found
    ), found
    # the missing 'next' is the typo 'nxt': reported once, not again as a follow-on "needs 'next'"
    assert len(found) == 1 and not any("needs 'next'" in p for p in found), found


def test_dangling_references_are_reported_with_their_lines():
    found = problems("broken_references.yaml")
    f = FIX / "broken_references.yaml"
    expected = [
        f"{f}:23: unknown cast 'coahc'; allowed: coach, pat",
        f"{f}:34: next node 'goodbye' does not exist in this role_play; allowed: hello, bye, orphan",
        f"{f}:33: 'greeting' is not a skill step id; allowed: greet",
        f"{f}:38: 'practise' is not an earlier role_play phase; allowed: role_play",
    ]
    for e in expected:
        assert any(p.startswith(e) for p in found), (e, found)


def test_unknown_phase_kind_and_expression():
    found = problems("broken_kind.yaml")
    f = FIX / "broken_kind.yaml"
    assert any(
        p.startswith(f"{f}:16: phase 1: unknown phase kind 'rolepaly' (did you mean 'role_play'?)") for p in found
    ), found
    assert any(
        p.startswith(f"{f}:19: phase 2 > line 1 > expression: 'joyful' is not allowed; allowed: one of neutral")
        for p in found
    ), found


def test_loops_without_an_ending_are_refused():
    found = problems("broken_loop.yaml")
    assert any(":20: at difficulty easy there is no way from node 'ping' to an ending" in p for p in found), found


def _minimal(**replace) -> str:
    text = (FIX / "minimal.yaml").read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


def test_value_missing_for_a_used_difficulty():
    text = _minimal(**{'say: {easy: Hi there!, hard: "Yes?"}': "say: {easy: Hi there!}"})
    s, found = parse(text, "x.yaml")
    assert s is None
    assert [str(p) for p in found] == [
        "x.yaml:31: phase 2 > node 'hello' > say has no value for hard, where it is used; allowed: a value for every "
        "difficulty it is used at, or a 'default:'; write e.g. hard: 'Hello, nice to meet you.'"
    ]


def test_unreachable_node_duplicate_key_and_ambiguous_examples():
    text = _minimal(
        **{
            "      bye: {cast: pat, say: Bye then., end: short}": "      bye: {cast: pat, say: Bye then., end: short}\n"
            "      lost: {cast: pat, say: Nobody gets here., end: short}"
        }
    )
    _, found = parse(text, "x.yaml")
    assert any("x.yaml:61: node 'lost' cannot be reached from 'hello'" in str(p) for p in found), found
    _, found = parse(_minimal(**{"title: Minimal": "title: Minimal\ntitle: Again"}), "x.yaml")
    assert any("x.yaml:4: the top level: 'title' appears twice (first on line 3)" in str(p) for p in found)
    _, found = parse(_minimal(**{"examples: [um, er]": "examples: [um, hello my name is]"}), "x.yaml")
    assert any(
        "x.yaml:41: the phrase 'hello my name is' of option 'mumble' is matched to option 'greet'" in str(p)
        for p in found
    ), found


def test_load_file_raises_with_all_errors():
    with pytest.raises(ScenarioError) as exc:
        load_file(FIX / "broken_references.yaml")
    assert len(exc.value.problems) >= 4
    assert str(exc.value).count("broken_references.yaml:") == len(exc.value.problems)


def test_lint_cli_exits_non_zero_on_errors():
    py = sys.executable
    bad = subprocess.run(
        [py, "-m", "server.scenarios", "lint", str(FIX / "minimal.yaml"), str(FIX / "broken_kind.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert "broken_kind.yaml:16:" in bad.stderr and "2 error(s)" in bad.stderr
    good = subprocess.run(
        [py, "-m", "server.scenarios", "lint", str(FIX / "minimal.yaml")], cwd=ROOT, capture_output=True, text=True
    )
    assert good.returncode == 0


def _validate(schema: dict, value, root: dict):
    """A small JSON Schema checker covering the keywords json_schema() emits."""
    if "$ref" in schema:
        raise AssertionError("unexpected $ref")
    if "anyOf" in schema or "oneOf" in schema:
        branches = schema.get("anyOf") or schema.get("oneOf")
        ok = [b for b in branches if _ok(b, value, root)]
        assert ok if "anyOf" in schema else len(ok) == 1, (schema, value)
        return
    t = schema.get("type")
    if t == "object":
        assert isinstance(value, dict)
        for k in schema.get("required", []):
            assert k in value, k
        props = schema.get("properties", {})
        for k, v in value.items():
            if k in props:
                _validate(props[k], v, root)
            elif isinstance(schema.get("additionalProperties"), dict):
                _validate(schema["additionalProperties"], v, root)
            else:
                assert schema.get("additionalProperties", True) is not False, k
    elif t == "array":
        assert isinstance(value, list)
        for v in value:
            _validate(schema["items"], v, root)
    elif t == "string":
        assert isinstance(value, str)
        if "enum" in schema:
            assert value in schema["enum"]
    elif t in ("number", "integer"):
        assert isinstance(value, (int, float)) and schema["minimum"] <= value <= schema["maximum"]
    elif t == "boolean":
        assert isinstance(value, bool)
    if "const" in schema:
        assert value == schema["const"]


def _ok(schema, value, root) -> bool:
    try:
        _validate(schema, value, root)
        return True
    except AssertionError:
        return False


def test_json_schema_accepts_the_shipped_scenarios():
    import yaml

    schema = json_schema()
    json.dumps(schema)
    assert schema["$schema"].startswith("https://json-schema.org/")
    for f in sorted((ROOT / "scenarios").glob("*.yaml")):
        _validate(schema, yaml.safe_load(f.read_text()), schema)
    assert not _ok(schema, {"peerspace_scenario": 1}, schema)


def test_committed_json_schema_is_current():
    committed = json.loads((ROOT / "docs" / "scenario.schema.json").read_text())
    assert committed == json.loads(json.dumps(json_schema())), (
        "run: python -m server.scenarios schema -o docs/scenario.schema.json"
    )
