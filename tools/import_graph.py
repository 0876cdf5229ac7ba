"""Print the import graph of the server package's parts as Mermaid (`make docs` pastes it into
docs/architecture.md between the `import-graph` markers).

A part is a subpackage (server/world, server/scale, ...) or a top-level module (server/gateway.py).
A solid arrow is an import at module load; a dotted one is an import inside a function (loaded only
when called, e.g. server.app loading server.scale when cfg.redis_url is set). Imports for type
checkers only (`if TYPE_CHECKING:`) are left out: they load nothing.

    python tools/import_graph.py            # print the graph
    python tools/import_graph.py --write    # replace it in docs/architecture.md
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "server"
DOC = ROOT / "docs" / "architecture.md"
BEGIN, END = "<!-- import-graph: begin (tools/import_graph.py) -->", "<!-- import-graph: end -->"


def part_of(module: str) -> str | None:
    """server.world.room -> world; server.gateway -> gateway; anything outside server -> None."""
    bits = module.split(".")
    if bits[0] != "server" or len(bits) < 2 or bits[1] in ("__init__", "__main__"):
        return None
    return bits[1]


def edges() -> dict[tuple[str, str], bool]:
    """(from part, to part) -> True if any such import runs at module load (else only inside functions)."""
    found: dict[tuple[str, str], bool] = {}
    for path in sorted(SERVER.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        module = ".".join(rel.parts)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        package = package.removesuffix(".__init__")
        src = part_of(module)
        if src is None:
            continue
        tree = ast.parse(path.read_text(), str(path))

        def visit(node: ast.AST, at_load: bool) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    continue
                targets: list[str] = []
                if isinstance(child, ast.Import):
                    targets = [a.name for a in child.names]
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        parts = package.split(".")[: len(package.split(".")) - child.level + 1]
                        base = ".".join(parts + ([base] if base else []))
                    targets = [f"{base}.{a.name}" if base == "server" else base for a in child.names]
                for target in targets:
                    dst = part_of(target)
                    if dst is not None and dst != src:
                        found[(src, dst)] = found.get((src, dst), False) or at_load
                inner = at_load and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                visit(child, inner)

        visit(tree, True)
    return found


def mermaid() -> str:
    lines = ["```mermaid", "graph LR"]
    for (src, dst), at_load in sorted(edges().items()):
        lines.append(f"  {src} {'-->' if at_load else '-.->'} {dst}")
    lines.append("```")
    return "\n".join(lines)


def main() -> None:
    graph = mermaid()
    if "--write" not in sys.argv:
        print(graph)
        return
    text = DOC.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{graph}\n{END}{tail}")


if __name__ == "__main__":
    main()
