"""The floors of the house (docs/architecture.md), checked on the source with ``ast``.

Two facts:

* Lower floors never import higher ones. Every ``import fewlabels.x`` and
  ``from fewlabels.x import ...`` counts, also inside functions (a lazy import is still a
  dependency) and under ``if TYPE_CHECKING`` (a type from a higher floor is one too).
* The module-level imports have no cycle. Only statements that run at import time count:
  an import inside a function is how an optional or heavy dependency is kept lazy, and an
  ``if TYPE_CHECKING`` block never runs.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

import fewlabels

ROOT = Path(fewlabels.__file__).resolve().parent

#: Modules directly under ``src/fewlabels`` that everything may use.
CORE = {"errors", "typing", "_validation", "_registry", "_atomic", "_version"}

_BELOW_LEARN = {"core", "data", "encode", "adapt"}
_BELOW_WORKSPACE = _BELOW_LEARN | {"learn", "active", "audit", "store"}

#: What each floor may import besides itself; a floor absent from a set is above it or
#: beside it. ``store`` is persistence only, so it sits on the data alone.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "data": {"core"},
    "encode": {"core", "data"},
    "adapt": {"core", "data", "encode"},
    "learn": _BELOW_LEARN,
    "active": _BELOW_LEARN | {"learn"},
    "audit": _BELOW_LEARN | {"learn"},
    "store": {"core", "data"},
    "workspace": _BELOW_WORKSPACE,
    "distill": _BELOW_WORKSPACE,
    "bench": _BELOW_WORKSPACE,
    "app": _BELOW_WORKSPACE | {"workspace", "distill"},
    "demo": _BELOW_WORKSPACE | {"workspace", "distill", "bench"},
    "cli": _BELOW_WORKSPACE | {"workspace", "distill", "bench", "app", "demo"},
    "top": set(),  # fewlabels/__init__.py: the public names; it may import every floor
}


@dataclass(frozen=True)
class Import:
    """One ``fewlabels`` import found in the source."""

    source: str
    target: str
    line: int
    at_import_time: bool


def _module_name(path: Path) -> str:
    parts = ("fewlabels", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def floor(module: str) -> str:
    """The floor a ``fewlabels`` module lives on."""
    parts = module.split(".")
    if len(parts) == 1:
        return "top"
    head = parts[1]
    if head in CORE:
        return "core"
    if head in ("cli", "demo"):
        return head
    return head if f"fewlabels.{head}" in MODULES else f"unknown:{head}"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Finder(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.found: list[Import] = []
        self._lazy = 0

    def _add(self, target: str, node: ast.stmt) -> None:
        if target == "fewlabels" or target.startswith("fewlabels."):
            self.found.append(Import(self.module, target, node.lineno, self._lazy == 0))

    def _nested(self, node: ast.AST) -> None:
        self._lazy += 1
        self.generic_visit(node)
        self._lazy -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _nested

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        self._nested(ast.Module(body=node.body, type_ignores=[]))
        for stmt in node.orelse:
            self.visit(stmt)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - node.level + 1]
            module = ".".join([*base, node.module] if node.module else base)
        else:
            module = node.module or ""
        for alias in node.names:
            sub = f"{module}.{alias.name}"
            self._add(sub if sub in MODULES else module, node)


def _imports() -> list[Import]:
    out: list[Import] = []
    for module, path in MODULES.items():
        finder = _Finder(module, path.name == "__init__.py")
        finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        out.extend(finder.found)
    return out


IMPORTS = _imports()


def test_every_module_has_a_floor() -> None:
    unknown = sorted({m for m in MODULES if floor(m) not in ALLOWED})
    assert not unknown, (
        f"These modules are on no floor of tests/test_architecture.py: {unknown}. Add their "
        "package to ALLOWED (and to docs/architecture.md)."
    )


@pytest.mark.parametrize("name", sorted(set(ALLOWED) - {"top"}))
def test_lower_floors_never_import_higher_ones(name: str) -> None:
    allowed = ALLOWED[name] | {name}
    wrong = [
        f"{i.source} (line {i.line}{'' if i.at_import_time else ', lazy'}) imports {i.target} "
        f"[{floor(i.target)}]"
        for i in IMPORTS
        if floor(i.source) == name and floor(i.target) not in allowed
    ]
    assert not wrong, f"{name} may import only {sorted(allowed)}, but:\n  " + "\n  ".join(wrong)


def _import_time_graph() -> dict[str, set[str]]:
    """Module -> modules it runs at import, parent packages of the target included.

    Importing ``fewlabels.encode.base`` first runs ``fewlabels/encode/__init__.py``, so that
    package is an edge too, unless the importer lives inside it (a package's own modules
    import each other while it is initialising, which Python allows). The root package is
    left out: every module lives inside it.
    """
    graph: dict[str, set[str]] = defaultdict(set)
    for i in IMPORTS:
        if not i.at_import_time:
            continue
        parts = i.target.split(".")
        for k in range(2, len(parts) + 1):
            target = ".".join(parts[:k])
            inside = i.source == target or i.source.startswith(target + ".")
            if target in MODULES and (k == len(parts) or not inside) and target != i.source:
                graph[i.source].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    return out


def test_module_level_imports_have_no_cycle() -> None:
    cycles = _cycles(_import_time_graph())
    assert not cycles, "Import cycles among fewlabels modules:\n  " + "\n  ".join(
        " <-> ".join(c) for c in cycles
    )


def test_the_checker_sees_lazy_and_type_only_imports() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "import fewlabels.data\n"
        "if TYPE_CHECKING:\n"
        "    from fewlabels.learn import Auto\n"
        "def f():\n"
        "    from fewlabels import encode\n"
        "class C:\n"
        "    from fewlabels.errors import FewlabelsError\n"
    )
    finder = _Finder("fewlabels.store.x", is_package=False)
    finder.visit(tree)
    got = [(i.target, i.at_import_time) for i in finder.found]
    assert got == [
        ("fewlabels.data", True),
        ("fewlabels.learn", False),
        ("fewlabels.encode", False),
        ("fewlabels.errors", True),
    ]
    assert _cycles(
        {"fewlabels.errors": {"fewlabels.typing"}, "fewlabels.typing": {"fewlabels.errors"}}
    ) == [["fewlabels.errors", "fewlabels.typing"]]
