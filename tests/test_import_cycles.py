"""No import cycles inside ``mock_halo``: a new one fails this test, naming the modules that form it.

The graph is read from the source with :mod:`ast`, never by importing: module A depends on module B when A
imports B (``import B``, ``from B import x``, ``from package import B``, relative forms too). Every import
counts, wherever it is written: at the top, under ``if TYPE_CHECKING:`` or inside a function. A
function-local import only postpones the cycle to the first call, and a type-only import still ties the two
modules' meanings together; breaking a cycle means moving code to where it belongs, not hiding the import.
Importing a package counts as depending on its ``__init__``, and a package's ``__init__`` that re-exports its
submodules' names depends on them like any other module; the implicit import of a submodule's parent package
(Python runs ``mock_halo/sql/__init__.py`` before ``mock_halo/sql/procedures.py``) is not counted, or every
module would depend on its package's face.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mock_halo"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``name`` (at ``path``) imports."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import a.b.c` of a name inside a module: that module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports(name, path, known) for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def test_mock_halo_has_no_import_cycle():
    found = cycles(graph())
    assert found == [], "import cycles (each line: modules that import each other in a loop):\n" + "\n".join(
        " <-> ".join(component) for component in found)


def test_the_graph_is_read_from_the_source():
    """The reader sees top-level, relative, type-only and function-local imports alike."""
    edges = graph()
    assert "mock_halo.sql.engines.sqlite.engine" in edges["mock_halo.sql"]  # package __init__ re-export
    assert "mock_halo.practice" in edges["mock_halo.sql.engines.sqlite.engine"]  # a function-local import
    assert "mock_halo.sql.frontend.script" in edges["mock_halo.sql.engines.sqlite.errors"]  # under TYPE_CHECKING
    assert len(edges) > 100


def test_a_cycle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
