"""docs/protocol-events.md is generated from the wire contract (tools/protocol_tables.py, `make docs`): the committed
file must be what the code generates, so the protocol's tables cannot drift from the schemas and roles."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from wire.messages import SCHEMAS

ROOT = Path(__file__).resolve().parent.parent


def load_tool():
    spec = importlib.util.spec_from_file_location("protocol_tables", ROOT / "tools" / "protocol_tables.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_the_generated_protocol_tables_are_current():
    tool = load_tool()
    assert tool.DOC.read_text() == tool.document(), (
        "the wire schemas, intent roles or error codes changed: run `make docs` and commit docs/protocol-events.md"
    )


def test_every_intent_is_in_the_tables_and_protocol_md_links_to_them():
    text = load_tool().document()
    for event in SCHEMAS:
        assert f"| `{event}` |" in text
    assert "(protocol-events.md)" in (ROOT / "docs" / "protocol.md").read_text()
