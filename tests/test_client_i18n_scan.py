"""No user-visible string in client/ bypasses the catalog: an AST scan of the string literals that reach text on
screen. A literal is prose when it holds a word and either a space or a capital (`"Someone"`, `"Quit peerspace"`,
`f"{n} here"`); ids, keys, paths and constants (`"ui_panel"`, `"login:quit"`, `"RGBA"`) are not. Prose is
refused where text is made: the arguments of the widgets and text calls (label, button, OnscreenText, DirectButton,
setText, notice, Card, spawn's "could not <what>" ...), keyword arguments named like text (text=, title=, body=),
and any assignment or return of a value (a constant, a local, a dict of messages) that text is made from later.

Not scanned: docstrings and comments, log calls (developers read them, and they stay English), exceptions raised
for developers, the command-line tools' help and terminal output (argparse, print), and lines marked
`# i18n: not shown` (a value no person reads, e.g. a sample name in the offline preview)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "client"
# command-line programs around the client, not its screens: their output is for whoever runs them in a terminal
NOT_SCREENS = {"bot.py", "demo.py", "testing.py", "__main__.py"}
SINKS = {
    # Panda3D and the widget helpers (client/ui/widgets.py)
    "label",
    "Label",
    "button",
    "OnscreenText",
    "DirectButton",
    "DirectLabel",
    "DirectFrame",
    "TextField",
    "setText",
    # the client's text calls
    "notice",
    "set_status",
    "show_login",
    "show_crisis",
    "show_reply",
    "Card",
    "ListPanel",
    "text",
    "add",
    "append",
    "set",
    "spawn",
    "say",
    "add_line",
}
TEXT_KEYWORDS = {"text", "title", "body", "keys", "caption", "field", "message", "hint", "status"}
NOT_TEXT_CALLS = {"t", "tn", "debug", "info", "warning", "error", "exception", "critical", "getLogger", "print"}
CLI_CALLS = {"add_argument", "ArgumentParser", "error", "print"}
PRAGMA = "# i18n: not shown"


def prose(text: str) -> bool:
    bare = re.sub(r"\{[^{}]*\}", " ", text).strip()
    if not re.search(r"[^\W\d_]{2,}", bare):
        return False
    if re.fullmatch(r"[a-z0-9_.:/\-%*]+", bare) or re.fullmatch(r"[A-Z0-9_]+", bare):
        return False  # an id, key, path, format or constant name
    if re.fullmatch(r"[\w\-]+\.[a-z0-9]{2,4}", bare) or re.match(r"[a-z0-9]+(-[a-z0-9]+)+ ", bare):
        return False  # a file name, or a Panda3D config line ("window-type offscreen")
    return " " in bare or bare[:1].isupper()


def _name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def prose_in(node: ast.AST) -> list[ast.Constant]:
    """The prose literals in an expression, leaving out what goes through t()/tn() or into a log call."""
    found: list[ast.Constant] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Call) and _name(n) in NOT_TEXT_CALLS:
            continue
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and prose(n.value):
            found.append(n)
        stack.extend(ast.iter_child_nodes(n))
    return found


def bypasses(source: str, filename: str = "<source>") -> list[str]:
    """'file:line: literal' for each prose literal that reaches text on screen without the catalog."""
    tree = ast.parse(source)
    lines = source.splitlines()
    skip: set[int] = set()  # literals inside docstrings, raise, CLI calls
    for n in ast.walk(tree):
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant):
            skip.add(id(n.value))
        if isinstance(n, ast.Raise) or (isinstance(n, ast.Call) and _name(n) in CLI_CALLS | NOT_TEXT_CALLS):
            skip.update(id(c) for c in ast.walk(n))
    hits: dict[int, ast.Constant] = {}

    def flag(expr: ast.AST | None) -> None:
        for c in prose_in(expr) if expr is not None else []:
            if id(c) not in skip and PRAGMA not in lines[c.lineno - 1]:
                hits[id(c)] = c

    for n in ast.walk(tree):
        if isinstance(n, ast.Call):
            if _name(n) in SINKS:
                for a in n.args:
                    flag(a)
            for k in n.keywords:
                if _name(n) in SINKS or k.arg in TEXT_KEYWORDS:
                    flag(k.value)
        elif isinstance(n, (ast.Assign, ast.AnnAssign, ast.Return, ast.AugAssign)):
            if not (
                isinstance(n, ast.Assign) and any(isinstance(g, ast.Name) and g.id == "__all__" for g in n.targets)
            ):
                flag(n.value)
        elif isinstance(n, (ast.Lambda, ast.IfExp, ast.Yield)):
            pass
    return [
        f"{filename}:{c.lineno}: {c.value!r}" for c in sorted(hits.values(), key=lambda c: (c.lineno, c.col_offset))
    ]


def client_files() -> list[Path]:
    return sorted(p for p in CLIENT.rglob("*.py") if p.name not in NOT_SCREENS and p.name != "i18n.py")


def test_every_string_the_client_shows_comes_from_the_catalog():
    found = [hit for p in client_files() for hit in bypasses(p.read_text(), str(p.relative_to(ROOT)))]
    assert found == [], "strings shown without the catalog (client/i18n.py t()):\n" + "\n".join(found)


@pytest.mark.parametrize(
    "planted",
    [
        'label(root, "Welcome back", (0, 0), 0.05)',
        'self.app.notice(f"{name} joined the room.")',
        'button(root, "Quit", (0, 0), 0.05, quit)',
        'self.status.setText("Signing in...")',
        'Card(parent, t("x.title"), "Take your time.", "", 1.0, 1.0)',
        'app.spawn(coro, "send the report")',
        'items.append("Close")',
        'DirectButton(parent=root, text="Sign in")',
        'QUIET = "You are in a quiet room now."',
        'name = m.get("name") or "Someone"',
        'return "Looking for rooms..."',
    ],
)
def test_the_scan_finds_a_planted_literal(planted):
    source = f"def draw(self, root, app, name, m, coro, items, parent, quit):\n    {planted}\n"
    assert len(bypasses(source)) == 1, planted


@pytest.mark.parametrize(
    "fine",
    [
        'label(root, t("login.welcome"), (0, 0), 0.05)',
        'self.app.notice(t("net.joined", name=name))',
        'button(root, "", (0, 0), 0.05, quit, name="login:quit")',
        'panel(root, frame, theme.colour("ui_panel"))',
        'log.info("safety alert shown: %s", kind)',
        'key = "arrow_up" if up else "arrow_down"',
        'return f"<  {value}  >"',
        'NAMES = ["Alex", "Sam"]  # i18n: not shown',
        'raise ValueError("No such thing")',
    ],
)
def test_the_scan_lets_catalog_text_ids_and_logs_through(fine):
    source = f"def draw(self, root, app, name, quit, value, up, kind, frame):\n    {fine}\n"
    assert bypasses(source) == [], fine
