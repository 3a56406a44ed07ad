"""The workspace's pool: ``load_pool`` wraps ``fewlabels.data.load_source``."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import fewlabels.workspace
from fewlabels.data import load_source
from fewlabels.typing import UNLABELED
from fewlabels.workspace import DataSourceConfig, load_pool
from fewlabels.workspace.source import _opaque_id


def test_a_builtin_pool_is_load_source_with_its_labels_hidden() -> None:
    pool = load_pool(DataSourceConfig(kind="builtin", source="wine"))
    train = load_source("wine")
    assert (len(pool), pool.classes, pool.modality, pool.name) == (
        len(train),
        train.classes,
        "tabular",
        "wine",
    )
    assert (pool.labels == UNLABELED).all()
    assert set(pool.ids) == {_opaque_id("wine", str(i)) for i in train.ids}
    assert list(pool.ids) == sorted(pool.ids)  # ordered by opaque id, not by class


def test_a_folder_pool_keeps_its_labels(image_folder: Path) -> None:
    pool = load_pool(DataSourceConfig(kind="folder", source=str(image_folder)))
    direct = load_source(str(image_folder))
    assert list(pool.ids) == list(direct.ids)
    np.testing.assert_array_equal(pool.labels, direct.labels)


def test_a_moved_source_names_the_fix(tmp_path: Path) -> None:
    gone = DataSourceConfig(kind="table", source=str(tmp_path / "gone.csv"), text="t")
    with pytest.raises(FileNotFoundError, match=r"moved or deleted\?.*fewlabels.toml"):
        load_pool(gone)


def test_the_workspace_imports_no_face_above_it() -> None:
    folder = Path(fewlabels.workspace.__file__).parent
    above = ("fewlabels.app", "fewlabels.cli", "fewlabels.bench", "fewlabels.distill")
    found = set()
    for f in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith(above):
                    found.add((f.name, node.module))
            elif isinstance(node, ast.Import):
                found.update((f.name, a.name) for a in node.names if a.name.startswith(above))
    assert found == set()
