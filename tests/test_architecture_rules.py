"""Architecture rules, checked on the source (ast): the shapes docs/architecture.md promises.

Each rule is its own test function; a rule names the file and line that breaks it.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "server"


def _server_modules() -> list[tuple[str, ast.Module]]:
    return [(p.relative_to(ROOT).as_posix(), ast.parse(p.read_text(), str(p))) for p in sorted(SERVER.rglob("*.py"))]


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
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CONNECTION_CALLS
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "db"
        ):
            found.append((node.lineno, f"calls .db.{node.func.attr}() on a database connection"))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and len(words := node.value.split(None, 1)) == 2
            and words[0] in SQL_STARTS
        ):
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


# --- the room lifecycle: the world offers services by typed attributes, set at assembly ---------------------------


def _is_world(node: ast.expr) -> bool:
    """`world`, or `<anything>.world` (self.world, ctx.world, room.world)."""
    return (isinstance(node, ast.Name) and node.id == "world") or (
        isinstance(node, ast.Attribute) and node.attr == "world"
    )


def world_setattrs(tree: ast.Module) -> list[int]:
    """Lines that set an attribute on the world: `world.x = ...`, `self.world.x += ...`, `setattr(world, ...)`."""
    lines = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = [
                t for target in node.targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])
            ]
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
            targets = [ast.Attribute(value=node.args[0], attr="?")] if node.args else []
        lines += [node.lineno for t in targets if isinstance(t, ast.Attribute) and _is_world(t.value)]
    return lines


def test_no_setattr_on_the_world_outside_the_world_and_the_assembly():
    allowed = ("server/world/", "server/app.py")
    found = [
        f"{path}:{line}"
        for path, tree in _server_modules()
        if not path.startswith(allowed)
        for line in world_setattrs(tree)
    ]
    assert found == [], "features set attributes on the world (use World.assemble / a World method): " + str(found)


def test_the_setattr_rule_catches_what_the_old_code_did():
    old = ast.parse(
        "def setup(app):\n    world = app['world']\n    world.safety = 1\n"
        "class S:\n    def f(self):\n        self.world.outbound = None\n        setattr(world, 'x', 1)\n"
    )
    assert world_setattrs(old) == [3, 6, 7]
    assert world_setattrs(ast.parse("world = make()\nroom.state[k] = 1\nself.worlds = 2\n")) == []


# --- layers: the core never imports the optional scale-out parts ------------------------------------------------------

# The one place that loads server.scale, when the configuration asks for it (server/app.py).
SCALE_LOADER = ("server/app.py", "optional_parts")


def scale_imports(path: str, tree: ast.Module) -> list[tuple[int, str | None]]:
    """(line, enclosing function) of every import of server.scale in a module outside server/scale/."""
    package = path.rsplit("/", 1)[0].replace("/", ".")
    found = []

    def visit(node: ast.AST, func: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else func
            mods: list[str] = []
            if isinstance(child, ast.Import):
                mods = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - child.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                mods = [base] + [f"{base}.{a.name}" for a in child.names]
            if any(m == "server.scale" or m.startswith("server.scale.") for m in mods):
                found.append((child.lineno, func))
            visit(child, name)

    visit(tree, None)
    return found


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Lines inside `if TYPE_CHECKING:` (imports for type checkers only: nothing loads at run time)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            lines |= {n.lineno for stmt in node.body for n in ast.walk(stmt) if hasattr(n, "lineno")}
    return lines


def test_the_core_never_imports_scale_out():
    found = []
    for path, tree in _server_modules():
        if path.startswith("server/scale/"):
            continue
        typing_only = _type_checking_lines(tree)
        for line, func in scale_imports(path, tree):
            if line in typing_only or (path, func) == SCALE_LOADER:
                continue
            found.append(f"{path}:{line}")
    assert found == [], "core modules import server.scale (plug it in at server/app.py optional_parts): " + str(found)


def test_the_scale_rule_catches_what_the_old_code_did():
    assert scale_imports("server/world/world.py", ast.parse("from ..scale import interest\n")) == [(1, None)]
    assert scale_imports("server/gateway.py", ast.parse("from .scale.node import LOCAL\n")) == [(1, None)]
    assert scale_imports("server/app.py", ast.parse("def optional_parts(cfg):\n    from .scale import node\n")) == [
        (2, "optional_parts")
    ]
    assert scale_imports("server/world/world.py", ast.parse("from .room import Room\n")) == []


# --- no private cross-module calls --------------------------------------------------------------------------------

# Justified exceptions: (module, private name) -> why.
PRIVATE_CALLS_ALLOWED = {
    # python-socketio's engine.io send, used by the fan-out manager to send pre-encoded packets (a third-party
    # private API; pinned in pyproject and covered by tests/test_core_transport.py).
    ("server/transport.py", "_send_eio_packet"): "third-party",
}


def private_calls(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, name) of every `x._name(...)` where x is not self/cls/super() and `_name` is not defined in
    this module (a module may call its own classes' private methods on their objects)."""
    own = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name, owner = node.func.attr, node.func.value
        if not name.startswith("_") or name.startswith("__") or name in own:
            continue
        if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
            continue
        if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super":
            continue
        found.append((node.lineno, name))
    return sorted(found)


def test_no_private_calls_across_modules():
    found = [
        f"{path}:{line} {name}"
        for path, tree in _server_modules()
        for line, name in private_calls(tree)
        if (path, name) not in PRIVATE_CALLS_ALLOWED
    ]
    assert found == [], "calls of another module's private methods (make them public or add a seam): " + str(found)


def test_the_private_call_rule_catches_what_the_old_code_did():
    old = ast.parse(
        "async def f(gateway, world, node):\n    await gateway._dispatch(c, e, p)\n"
        "    world._open_row(row)\n    await world._remove(room, member)\n"
    )
    assert private_calls(old) == [(2, "_dispatch"), (3, "_open_row"), (4, "_remove")]
    fine = ast.parse(
        "class A:\n    def _own(self):\n        self._x()\n        super()._y()\ndef g(a):\n    a._own()\n"
    )
    assert private_calls(fine) == []


# --- docs/architecture.md's import graph is the one the code has ---------------------------------------------------


def test_the_import_graph_in_the_docs_is_current():
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "tools" / "import_graph.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    written = tool.DOC.read_text().split(tool.BEGIN, 1)[1].split(tool.END, 1)[0].strip()
    assert written == tool.mermaid().strip(), (
        "the import graph changed: run `make docs` and commit docs/architecture.md"
    )
