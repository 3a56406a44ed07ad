"""The store is the database only: it imports no floor above it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import fewlabels.store

FORBIDDEN = (
    "fewlabels.learn",
    "fewlabels.active",
    "fewlabels.encode",
    "fewlabels.workspace",
    "fewlabels.app",
    "fewlabels.cli",
)


def _imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` names in a file, at any depth (lazy imports too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_store_file_imports_a_higher_floor() -> None:
    folder = Path(fewlabels.store.__file__).parent
    found = {
        (f.name, m)
        for f in sorted(folder.glob("*.py"))
        for m in _imported_modules(f)
        if m.startswith(FORBIDDEN)
    }
    assert found == set()


def test_importing_the_store_loads_no_higher_floor() -> None:
    # ``import fewlabels`` loads the whole public API, so the top-level package is replaced by
    # an empty one with the same path: what is loaded then is what the store itself pulls in.
    code = (
        "import importlib.util, sys, types\n"
        "spec = importlib.util.find_spec('fewlabels')\n"
        "pkg = types.ModuleType('fewlabels')\n"
        "pkg.__path__ = list(spec.submodule_search_locations)\n"
        "sys.modules['fewlabels'] = pkg\n"
        "import fewlabels.store\n"
        f"bad = sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r}))\n"
        "assert 'fewlabels.store.label_store' in sys.modules\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_top_level_package_still_offers_both() -> None:
    import fewlabels
    from fewlabels.store import LabelStore
    from fewlabels.workspace import Workspace

    assert fewlabels.LabelStore is LabelStore
    assert fewlabels.Workspace is Workspace
