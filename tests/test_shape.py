"""The package's shape stays readable: a module over 500 lines says in its docstring why it
is one module ("longer than 500 lines for …"), and no function is longer than 60 lines — the
sizes at which a reader stops holding a module or a function in their head (issue 20,
docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ics2b24"
MODULE_LINES = 500
FUNCTION_LINES = 60
MODULES = sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def _long_modules_without_a_reason() -> list[str]:
    out = []
    for path in MODULES:
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        docstring = " ".join((ast.get_docstring(ast.parse(text)) or "").split())
        if lines > MODULE_LINES and "longer than 500 lines" not in docstring:
            out.append(f"{_name(path)} ({lines} lines)")
    return out


def _long_functions() -> list[str]:
    out = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno:
                length = node.end_lineno - node.lineno + 1
                if length > FUNCTION_LINES:
                    out.append(f"{_name(path)}:{node.lineno} {node.name} ({length} lines)")
    return out


def test_a_module_over_500_lines_says_why_it_is_one() -> None:
    assert _long_modules_without_a_reason() == []


def test_no_function_is_longer_than_60_lines() -> None:
    assert _long_functions() == []


def test_the_package_is_found() -> None:
    assert len(MODULES) > 50, PACKAGE
