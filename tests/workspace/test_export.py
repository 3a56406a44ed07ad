"""Export to CSV/JSONL and import from CSV with a conflict report."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from fewlabels.store import LabelStore
from fewlabels.workspace import export_labels, import_labels


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.db", classes=["cat", "dog"])
    s.add_items([f"i{k}" for k in range(5)], hashes=["h"] * 5)
    return s


def _write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "label"])
        w.writerows(rows)
    return path


def test_round_trip_csv(store: LabelStore, tmp_path: Path) -> None:
    store.add_labels([("i0", "cat"), ("i1", "dog")])
    store.add_label("i1", "cat")  # latest wins in the export
    out = tmp_path / "out.csv"
    assert export_labels(store, out) == 2
    rows = list(csv.DictReader(open(out)))
    assert {r["id"]: r["label"] for r in rows} == {"i0": "cat", "i1": "cat"}
    fresh = LabelStore(tmp_path / "fresh.db", classes=["cat", "dog"])
    fresh.add_items([f"i{k}" for k in range(5)], hashes=["h"] * 5)
    report = import_labels(fresh, out)
    assert report.ok and report.written == 2 and not report.conflicts
    assert fresh.current_labels() == {"i0": "cat", "i1": "cat"}
    assert {e.source for e in fresh.current().values()} == {"imported"}


def test_jsonl_and_history_export(store: LabelStore, tmp_path: Path) -> None:
    store.add_label("i0", "cat")
    store.undo()
    store.add_label("i2", "dog")
    assert export_labels(store, tmp_path / "a.jsonl") == 1
    lines = [json.loads(x) for x in open(tmp_path / "a.jsonl")]
    assert len(lines) == 1 and (lines[0]["id"], lines[0]["label"]) == ("i2", "dog")
    assert export_labels(store, tmp_path / "h.csv", history=True) == 3
    hist = list(csv.DictReader(open(tmp_path / "h.csv")))
    assert [r["label"] for r in hist] == ["cat", "", "dog"]
    assert hist[1]["undoes"] == hist[0]["seq"]
    with pytest.raises(ValueError, match="Expected an export format 'csv' or 'jsonl'"):
        export_labels(store, tmp_path / "x.xlsx")


def test_import_reports_conflicts_and_keeps_by_default(store: LabelStore, tmp_path: Path) -> None:
    store.add_labels([("i0", "cat"), ("i1", "dog")])
    f = _write_csv(tmp_path / "in.csv", [("i0", "cat"), ("i1", "cat"), ("i2", "dog"), ("i3", "")])
    report = import_labels(store, f)
    assert (report.written, report.unchanged) == (1, 1)
    assert report.conflicts == [("i1", "dog", "cat")]
    assert store.current_labels() == {"i0": "cat", "i1": "dog", "i2": "dog"}
    assert "1 conflict(s)" in report.summary()
    report2 = import_labels(store, f, on_conflict="overwrite")
    assert report2.written == 1 and store.current_labels()["i1"] == "cat"


def test_unknown_items_or_classes_write_nothing(store: LabelStore, tmp_path: Path) -> None:
    f = _write_csv(tmp_path / "bad.csv", [("i0", "cat"), ("ghost", "dog"), ("i1", "cow")])
    report = import_labels(store, f)
    assert not report.ok and report.written == 0
    assert report.unknown_items == ["ghost"]
    assert report.unknown_classes == [("i1", "cow")]
    assert store.history() == []
    assert report.summary().startswith("Nothing was written")


def test_duplicate_ids_with_different_labels_write_nothing(
    store: LabelStore, tmp_path: Path
) -> None:
    f = _write_csv(tmp_path / "dup.csv", [("i0", "cat"), ("i0", "dog")])
    report = import_labels(store, f)
    assert report.duplicates == ["i0"] and report.written == 0 and store.history() == []


def test_import_needs_id_and_label_columns(store: LabelStore, tmp_path: Path) -> None:
    f = tmp_path / "cols.csv"
    f.write_text("name,class\ni0,cat\n")
    with pytest.raises(KeyError, match=r"Expected the columns \['id', 'label'\].*id_column="):
        import_labels(store, f)
    assert import_labels(store, f, id_column="name", label_column="class").written == 1


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_every_export_format_imports_back(store: LabelStore, tmp_path: Path, suffix: str) -> None:
    ids = ["i0", "i1", "i2", "i3"]
    other = LabelStore(tmp_path / "other.db", classes=["cat", "dog"])
    other.add_items(ids, hashes=["h"] * 4)
    other.add_labels([("i0", "cat"), ("i1", "dog"), ("i2", "dog")])
    other.add_label("i2", "cat")
    out = tmp_path / f"labels.{suffix}"
    assert export_labels(other, out) == 3
    report = import_labels(store, out)
    assert report.ok and report.written == 3, report.summary()
    assert (
        store.current_labels()
        == other.current_labels()
        == {
            "i0": "cat",
            "i1": "dog",
            "i2": "cat",
        }
    )
    assert import_labels(store, out).unchanged == 3  # importing again changes nothing


def test_ids_and_labels_import_as_written(tmp_path: Path) -> None:
    s = LabelStore(tmp_path / "l.db", classes=["007", "7"])
    s.add_items(["001", "1.50", "2"], hashes=["h"] * 3)
    (tmp_path / "a.jsonl").write_text(
        '{"id": "001", "label": "007"}\n\n{"id": "1.50", "label": "7"}\n{"id": 2, "label": 7}\n'
    )
    report = import_labels(s, tmp_path / "a.jsonl")
    assert report.ok and s.current_labels() == {"001": "007", "1.50": "7", "2": "7"}


def test_import_refuses_a_history_export(store: LabelStore, tmp_path: Path) -> None:
    store.add_label("i0", "cat")
    for suffix in ("csv", "jsonl"):
        export_labels(store, tmp_path / f"h.{suffix}", history=True)
        with pytest.raises(ValueError, match=r"history export.*without --history"):
            import_labels(store, tmp_path / f"h.{suffix}")


def test_import_names_the_file_and_line_of_bad_input(store: LabelStore, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "i0", "label": "cat"}\n{"id": "i1", "label": \n')
    with pytest.raises(ValueError, match=r"bad.jsonl.*line 2 is not valid JSON"):
        import_labels(store, bad)
    bad.write_text('["i0", "cat"]\n')
    with pytest.raises(ValueError, match=r"line 1 is a list"):
        import_labels(store, bad)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,label\ni0,caf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin.csv.*not UTF-8"):
        import_labels(store, latin)
    blank = _write_csv(tmp_path / "blank.csv", [("i0", "cat"), ("", "dog")])
    with pytest.raises(ValueError, match=r"row 3 has the label 'dog' and a blank 'id'"):
        import_labels(store, blank)
    with pytest.raises(FileNotFoundError, match=r"nope.csv.*does not exist"):
        import_labels(store, tmp_path / "nope.csv")
    assert store.history() == []


def test_only_conflicts_is_reported_with_the_overwrite_hint(
    store: LabelStore, tmp_path: Path
) -> None:
    store.add_labels([("i0", "cat"), ("i1", "dog")])
    f = _write_csv(tmp_path / "in.csv", [("i0", "dog"), ("i1", "dog")])
    report = import_labels(store, f)
    assert report.only_conflicts and report.written == 0 and report.unchanged == 1
    assert "--overwrite" in report.summary()
    forced = import_labels(store, f, on_conflict="overwrite")
    assert not forced.only_conflicts and forced.overwritten == 1 and forced.written == 1
    assert "--overwrite" not in forced.summary()
