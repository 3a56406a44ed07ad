"""``load_source``: the one loader of a source named by a string (built-in, folder, table)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fewlabels
from fewlabels.data import load_builtin, load_source
from fewlabels.data.source import detect_kind
from fewlabels.errors import FewlabelsError


@pytest.fixture
def rows(tmp_path: Path) -> Path:
    frame = pd.DataFrame(
        {"id": ["r0", "r1", "r2", "r3"], "x": [0.0, 1.0, 2.0, 3.0], "y": ["lo", "hi", "", "lo"]}
    )
    frame.to_csv(tmp_path / "rows.csv", index=False)
    return tmp_path / "rows.csv"


def test_there_is_one_load_source_in_the_package() -> None:
    root = Path(fewlabels.__file__).parent
    defined = [
        str(f.relative_to(root))
        for f in sorted(root.rglob("*.py"))
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef) and node.name == "load_source"
    ]
    assert defined == ["data/source.py"]
    assert fewlabels.load_source is load_source is fewlabels.data.source.load_source


def test_kinds_are_detected(image_folder: Path, rows: Path) -> None:
    assert [detect_kind("wine"), detect_kind(str(image_folder)), detect_kind(str(rows))] == [
        "builtin",
        "folder",
        "table",
    ]
    with pytest.raises(FileNotFoundError, match="built-in dataset name .* does not exist"):
        detect_kind(str(rows.parent / "nothing"))


def test_a_builtin_name_gives_its_labelled_splits() -> None:
    splits = load_builtin("wine")
    train = load_source("wine")
    test = load_source("wine", kind="builtin", split="test")
    assert list(train.ids) == list(splits.train.ids) and train.labeled_mask.all()
    assert list(test.ids) == list(splits.test.ids)
    np.testing.assert_array_equal(test.labels, splits.test.labels)


def test_a_builtin_checks_the_classes_it_is_given() -> None:
    classes = load_builtin("wine").train.classes
    assert load_source("wine", classes=list(classes)).classes == classes
    with pytest.raises(FewlabelsError, match=r"classes of the built-in dataset 'wine'.*--classes"):
        load_source("wine", classes=["a", "b", "c"])


def test_column_options_only_for_a_table(image_folder: Path, rows: Path) -> None:
    with pytest.raises(FewlabelsError, match=r"column options \['text'\] only for a table"):
        load_source("wine", text="review")
    with pytest.raises(FewlabelsError, match=r"column options \['label'\] only for a table"):
        load_source(str(image_folder), label="y")
    ds = load_source(str(rows), features=["x"], label="y", id="id", name="my-rows")
    assert (ds.modality, ds.name, list(ds.ids)) == ("tabular", "my-rows", ["r0", "r1", "r2", "r3"])
    assert ds.labeled_mask.tolist() == [True, True, False, True]
    with pytest.raises(FewlabelsError, match="--text COLUMN .* or --features"):
        load_source(str(rows))


def test_only_a_builtin_has_a_test_split(image_folder: Path) -> None:
    with pytest.raises(FewlabelsError, match="only built-in datasets have a test split"):
        load_source(str(image_folder), split="test")
    with pytest.raises(FewlabelsError, match="split 'train' or 'test'"):
        load_source("wine", split="valid")  # type: ignore[arg-type]


def test_a_given_kind_is_checked(image_folder: Path, rows: Path) -> None:
    ds = load_source(str(image_folder), kind="folder", classes=["b", "a"], name="pics")
    assert (ds.classes, ds.name) == (("b", "a"), "pics")
    with pytest.raises(FileNotFoundError, match="Expected an image folder"):
        load_source(str(rows), kind="folder")
    with pytest.raises(FileNotFoundError, match="Expected a table file"):
        load_source(str(image_folder), kind="table", text="x")
    with pytest.raises(FewlabelsError, match="kind of a data source"):
        load_source("wine", kind="zip")
