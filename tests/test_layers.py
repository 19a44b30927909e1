"""The package's layers, checked from the source with `ast` (docs/architecture.md): each part
imports only the parts below it, no two parts import each other, the parser and the pure
diff reach no I/O module, and the test portal shares nothing with the client but the error
types. Every import counts, also one inside a function."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ics2b24"

ALLOWED: Mapping[str, frozenset[str]] = {
    "__main__": frozenset({"cli"}),
    "cli": frozenset({"app", "bitrix", "ical", "portal", "model", "errors", "(root)"}),
    "app": frozenset({"store", "bitrix", "plan", "ical", "model", "errors", "paths"}),
    "store": frozenset({"plan", "model", "errors", "paths"}),
    "bitrix": frozenset({"plan", "model", "errors", "paths"}),
    "plan": frozenset({"ical", "model", "errors"}),
    "ical": frozenset({"model", "errors"}),
    "portal": frozenset({"errors"}),
    "model": frozenset(),
    "errors": frozenset(),
    "paths": frozenset(),
    "(root)": frozenset(),
}
"""Which parts each part may import: `cli` → `app` → {`store`, `bitrix`} → `plan` → `ical` →
{`model`, `errors`}. The test portal stands apart; only `cli` starts it."""

PURE = ("ical", "plan")
IO_MODULES = frozenset({"sqlite3", "requests", "socket", "fcntl", "http", "urllib3", "ssl"})


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str) -> set[str]:
    """Every module an import statement in `path` names (`from a import b` names `a` and,
    when it is a module, `a.b`), relative imports resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def module_graph(root: Path) -> dict[str, set[str]]:
    """Module → the modules it imports: those of the package, and the top-level name of
    any other (the standard library, third parties)."""
    files = {module_name(path, root): path for path in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets = set()
        for imported in imports_of(path, name):
            if imported.split(".")[0] != root.name:
                targets.add(imported.split(".")[0])
            elif imported in files and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def part_of(module: str) -> str:
    """`ics2b24.plan.diff` → `plan`; the package's own `__init__` is `(root)`."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "(root)"


def part_graph(graph: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module, targets in graph.items():
        for target in targets:
            if target in graph and part_of(target) != part_of(module):
                edges.setdefault(part_of(module), set()).add(part_of(target))
    return edges


def cycle(edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One cycle among the parts, as the path round it, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def reached(graph: Mapping[str, Iterable[str]], start: str) -> set[str]:
    """Every module `start` imports, directly or through others."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


GRAPH = module_graph(PACKAGE)
PARTS = part_graph(GRAPH)


def test_the_graph_sees_the_whole_package() -> None:
    assert {"ical", "plan", "bitrix", "store", "app", "cli", "portal"} <= set(PARTS)
    assert "ics2b24.plan.diff" in GRAPH["ics2b24.app.run"]


def test_no_two_parts_import_each_other_even_through_others() -> None:
    assert cycle(PARTS) is None, f"import cycle between parts: {' → '.join(cycle(PARTS) or [])}"


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_imports_only_the_parts_below_it(part: str) -> None:
    assert PARTS.get(part, set()) <= ALLOWED[part], (
        f"{part} imports {sorted(PARTS.get(part, set()) - ALLOWED[part])}")


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if part_of(m) in PURE))
def test_the_parser_and_the_diff_reach_no_io(module: str) -> None:
    assert not reached(GRAPH, module) & IO_MODULES


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if part_of(m) == "portal"))
def test_the_portal_shares_only_the_error_types(module: str) -> None:
    own = {m for m in reached(GRAPH, module) if m in GRAPH}
    assert {m for m in own if part_of(m) != "portal"} <= {"ics2b24.errors"}


def test_a_cycle_is_found() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": {"c"}}) is None
