"""The ``excluded`` column of every export: an excluded item's label is marked, not passed off
as a training label; import leaves marked rows out."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from fewlabels.errors import FewlabelsError
from fewlabels.store import LabelStore
from fewlabels.workspace import export_labels, import_labels


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.db", classes=["cat", "dog"])
    s.add_items([f"i{k}" for k in range(4)], hashes=["h"] * 4)
    s.add_labels([("i0", "cat"), ("i1", "dog"), ("i2", "cat")], who="ana")
    return s


def _fresh(tmp_path: Path, name: str = "fresh.db") -> LabelStore:
    s = LabelStore(tmp_path / name, classes=["cat", "dog"])
    s.add_items([f"i{k}" for k in range(4)], hashes=["h"] * 4)
    return s


def _csv(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["id"]: r for r in csv.DictReader(fh)}


def _jsonl(path: Path) -> dict[str, dict[str, object]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {str(r["id"]): r for r in rows}


def test_a_label_then_excluded_is_marked_and_include_clears_it(
    store: LabelStore, tmp_path: Path
) -> None:
    store.exclude("i1", who="ana")
    out = tmp_path / "a.csv"
    assert export_labels(store, out) == 3  # the excluded item's row is kept by default
    rows = _csv(out)
    assert {k: r["excluded"] for k, r in rows.items()} == {
        "i0": "false",
        "i1": "true",
        "i2": "false",
    }
    assert rows["i1"]["label"] == "dog"  # its label is still there, marked
    store.include("i1", who="ana")
    export_labels(store, out)
    assert _csv(out)["i1"]["excluded"] == "false"


def test_jsonl_and_history_exports_carry_the_column(store: LabelStore, tmp_path: Path) -> None:
    store.exclude("i2", who="ana")
    assert export_labels(store, tmp_path / "a.jsonl") == 3
    rows = _jsonl(tmp_path / "a.jsonl")
    assert {k: r["excluded"] for k, r in rows.items()} == {"i0": False, "i1": False, "i2": True}
    assert export_labels(store, tmp_path / "h.csv", history=True) == 3
    with open(tmp_path / "h.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        assert "excluded" in (reader.fieldnames or [])
        assert {r["id"]: r["excluded"] for r in reader}["i2"] == "true"


def test_with_excluded_false_leaves_their_rows_out(store: LabelStore, tmp_path: Path) -> None:
    store.exclude("i0", who="ana")
    out = tmp_path / "train.csv"
    assert export_labels(store, out, with_excluded=False) == 2
    assert set(_csv(out)) == {"i1", "i2"}
    assert all(r["excluded"] == "false" for r in _csv(out).values())


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_import_leaves_rows_marked_excluded_out_and_says_so(
    store: LabelStore, tmp_path: Path, suffix: str
) -> None:
    store.exclude("i1", who="ana")
    out = tmp_path / f"a.{suffix}"
    export_labels(store, out)
    fresh = _fresh(tmp_path)
    report = import_labels(fresh, out)
    assert report.ok and report.written == 2 and report.excluded_rows == ["i1"]
    assert fresh.current_labels() == {"i0": "cat", "i2": "cat"}
    assert "1 row(s) marked excluded were not imported ['i1']" in report.summary()
    again = import_labels(store, out)  # into the same store: nothing changes
    assert again.written == 0 and again.unchanged == 2 and again.excluded_rows == ["i1"]


def test_a_file_without_the_column_imports_every_row(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("id,label\ni0,cat\ni1,dog\n", encoding="utf-8")
    fresh = _fresh(tmp_path)
    report = import_labels(fresh, path)
    assert report.written == 2 and report.excluded_rows == []


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("id,label,excluded\ni0,cat,yes\n", "row 2 has 'yes'"),
        ('{"id": "i0", "label": "cat", "excluded": 1}\n', "line 1 has 1"),
    ],
)
def test_an_odd_excluded_cell_is_refused(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / ("odd.jsonl" if text.startswith("{") else "odd.csv")
    path.write_text(text, encoding="utf-8")
    fresh = _fresh(tmp_path)
    with pytest.raises(FewlabelsError, match=rf"column 'excluded' .* true or false.*{where}"):
        import_labels(fresh, path)
    assert fresh.current_labels() == {}


def test_csv_cells_accept_any_case_and_blank(tmp_path: Path) -> None:
    path = tmp_path / "cased.csv"
    path.write_text("id,label,excluded\ni0,cat,TRUE\ni1,dog,\ni2,cat,False\n", encoding="utf-8")
    fresh = _fresh(tmp_path)
    report = import_labels(fresh, path)
    assert report.excluded_rows == ["i0"] and fresh.current_labels() == {"i1": "dog", "i2": "cat"}


def test_cli_export_marks_excluded_rows_and_skip_excluded_drops_them(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fewlabels.cli import app
    from fewlabels.workspace import Workspace

    src = tmp_path / "rows.csv"
    src.write_text(
        "id,x1,y\n" + "".join(f"r{k},{k},{'low' if k % 2 else 'high'}\n" for k in range(6)),
        encoding="utf-8",
    )
    ws = Workspace.init(tmp_path / "ws", data=str(src), features=["x1"], label="y", id="id")
    runner = CliRunner()
    w = str(ws.root)
    assert runner.invoke(app, ["exclude", "-w", w, "r1", "--who", "ana"]).exit_code == 0
    out = tmp_path / "all.csv"
    r = runner.invoke(app, ["export", str(out), "-w", w])
    assert r.exit_code == 0, r.output
    rows = _csv(out)
    assert len(rows) == 6 and rows["r1"]["excluded"] == "true"
    assert {r["excluded"] for k, r in rows.items() if k != "r1"} == {"false"}
    train = tmp_path / "train.jsonl"
    r = runner.invoke(app, ["export", str(train), "-w", w, "--skip-excluded"])
    assert r.exit_code == 0, r.output
    assert set(_jsonl(train)) == {"r0", "r2", "r3", "r4", "r5"}
    assert ws.export(tmp_path / "py.csv", with_excluded=False) == tmp_path / "py.csv"
    assert "r1" not in _csv(tmp_path / "py.csv")
