"""Rules about the shape of the code, checked on its syntax tree (ast), not with regexes."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "server"
STORAGE = SERVER / "storage"
# SQL keywords as this code writes them (upper case), followed by more of the statement
SQL_STARTS = {"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "PRAGMA"}
CONNECTION_CALLS = {"execute", "executemany", "executescript", "commit", "rollback", "cursor"}


def _mentions_store(node: ast.expr) -> bool:
    """`store`, `self.store`, `world.store`, `app["store"]`: an expression that names a store."""
    if isinstance(node, ast.Name):
        return "store" in node.id.lower()
    if isinstance(node, ast.Attribute):
        return "store" in node.attr.lower()
    if isinstance(node, ast.Subscript):
        key = node.slice
        return isinstance(key, ast.Constant) and isinstance(key.value, str) and "store" in key.value.lower()
    return False


def _storage_bypasses(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "_exec":
            found.append((node.lineno, "uses the store's private _exec"))
        elif isinstance(node, ast.Attribute) and node.attr == "db" and _mentions_store(node.value):
            found.append((node.lineno, "touches a store's database connection (.db)"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in CONNECTION_CALLS and isinstance(node.func.value, ast.Attribute)
              and node.func.value.attr == "db"):
            found.append((node.lineno, f"calls .db.{node.func.attr}() on a database connection"))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and len(words := node.value.split(None, 1)) == 2 and words[0] in SQL_STARTS):
            found.append((node.lineno, f"holds SQL: {node.value.strip()[:40]!r}"))
    return sorted(found)


def test_sql_lives_only_in_server_storage():
    """No module outside server/storage/ runs SQL, calls `_exec` or reaches into a store's connection:
    features call repository methods, so a second backend (PostgreSQL) changes server/storage/ only."""
    offences = []
    for path in sorted(SERVER.rglob("*.py")):
        if STORAGE in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offences += [f"{path.relative_to(ROOT)}:{line}: {what}" for line, what in _storage_bypasses(tree)]
    assert not offences, "storage bypassed outside server/storage/:\n" + "\n".join(offences)
