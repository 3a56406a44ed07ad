from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fewlabels.data import from_table, load_source
from fewlabels.errors import FewlabelsError


@pytest.fixture
def reviews() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "review": ["great taste", "awful", "fine", "superb"],
            "score": ["good", "bad", None, ""],
            "uid": ["r1", "r2", "r3", "r4"],
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_text_table_every_format(reviews: pd.DataFrame, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"reviews{suffix}"
    if suffix == ".csv":
        reviews.to_csv(path, index=False)
    elif suffix == ".parquet":
        reviews.to_parquet(path)
    else:
        reviews.to_json(path, orient="records", lines=True)
    ds = from_table(path, text="review", label="score", id="uid")
    assert ds.modality == "text" and ds.name == "reviews"
    assert ds.ids.tolist() == ["r1", "r2", "r3", "r4"]
    assert ds.classes == ("bad", "good")
    assert ds.labels.tolist() == [1, 0, -1, -1]  # blank and missing labels are unlabelled


def test_tabular_features_with_numeric_labels(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "kind": ["u", "v", "u"], "y": [1, 0, np.nan]})
    ds = from_table(frame, features=["x", "kind"], label="y")
    assert ds.modality == "tabular"
    assert list(ds.inputs.columns) == ["x", "kind"]
    assert ds.classes == ("0", "1") and ds.labels.tolist() == [1, 0, -1]
    assert ds.ids.tolist() == ["0", "1", "2"]


def test_missing_column_lists_the_columns(reviews: pd.DataFrame) -> None:
    with pytest.raises(KeyError, match=r"text column\(s\) \['body'\].*'review', 'score', 'uid'"):
        from_table(reviews, text="body")
    with pytest.raises(KeyError, match=r"label column\(s\) \['label'\]"):
        from_table(reviews, text="review", label="label")


def test_unknown_labels_are_listed(reviews: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"unknown label\(s\) \['bad'\]"):
        from_table(reviews, text="review", label="score", classes=["good", "meh"])


def test_nan_features_name_the_columns() -> None:
    frame = pd.DataFrame({"a": [1.0, np.nan], "b": [1.0, 2.0], "c": [None, "x"]})
    with pytest.raises(ValueError, match=r"\{'a': 1, 'c': 1\}"):
        from_table(frame, features=["a", "b", "c"], classes=["u", "v"])


def test_duplicate_ids_and_empty_table(reviews: pd.DataFrame) -> None:
    reviews.loc[1, "uid"] = "r1"
    with pytest.raises(ValueError, match="more than once: \\['r1'\\]"):
        from_table(reviews, text="review", id="uid", label="score")
    with pytest.raises(ValueError, match="empty"):
        from_table(reviews.iloc[:0], text="review", classes=["good", "bad"])


def test_exactly_one_of_text_and_features(reviews: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="exactly one of text="):
        from_table(reviews)


def test_load_source_dispatch(image_folder: Path, tmp_path: Path, reviews: pd.DataFrame) -> None:
    assert load_source(str(image_folder)).modality == "image"
    reviews.to_csv(tmp_path / "r.csv", index=False)
    ds = load_source(str(tmp_path / "r.csv"), text="review", classes=["good", "bad"])
    assert ds.modality == "text" and not ds.labeled_mask.any()
    unlabelled = load_source(str(tmp_path / "r.csv"), text="review")  # no classes needed
    assert unlabelled.classes == () and not unlabelled.labeled_mask.any()
    assert load_source("wine").modality == "tabular"
    with pytest.raises(FileNotFoundError, match="built-in dataset name"):
        load_source(str(tmp_path / "nothing"))


def test_an_empty_csv_says_so_and_names_the_file(tmp_path: Path) -> None:
    from fewlabels.errors import FewlabelsError

    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(FewlabelsError, match=r"empty\.csv.*the file is empty"):
        from_table(path, text="text")


def test_a_non_utf8_csv_names_the_file_and_the_fix(tmp_path: Path) -> None:
    from fewlabels.errors import FewlabelsError

    path = tmp_path / "latin.csv"
    path.write_bytes("text,label\ncaf\xe9,a\nthe,b\n".encode("latin-1"))
    with pytest.raises(FewlabelsError, match=r"UTF-8 .*latin\.csv.*Save the file as UTF-8"):
        from_table(path, text="text", label="label")


# --- issue 10, item 1: ids and labels are read as written ---------------------------------


def test_csv_ids_keep_leading_zeros_and_decimals(tmp_path: Path) -> None:
    for suffix, sep in ((".csv", ","), (".tsv", "\t")):
        path = tmp_path / f"ids{suffix}"
        path.write_text(
            sep.join(["id", "text"])
            + "\n"
            + "\n".join(
                sep.join(row) for row in (("001", "a"), ("002", "b"), ("1.50", "c"), ("NA", "d"))
            )
            + "\n"
        )
        ds = from_table(path, text="text", id="id", classes=["p", "q"])
        assert ds.ids.tolist() == ["001", "002", "1.50", "NA"]


def test_jsonl_and_frame_ids_keep_what_the_format_stores(tmp_path: Path) -> None:
    path = tmp_path / "ids.jsonl"
    path.write_text('{"id": "001", "t": "a"}\n{"id": 2, "t": "b"}\n{"id": 1.5, "t": "c"}\n')
    assert from_table(path, text="t", id="id", classes=["p", "q"]).ids.tolist() == [
        "001",
        "2",
        "1.5",
    ]
    # pandas stores an integer column with a gap as floats: 7.0 is still the id "7".
    frame = pd.DataFrame({"id": [7, 8, None], "t": ["a", "b", "c"], "y": [1, None, 0]})
    frame.loc[2, "id"] = 9
    ds = from_table(frame, text="t", id="id", label="y")
    assert ds.ids.tolist() == ["7", "8", "9"] and ds.classes == ("0", "1")


def test_a_blank_id_is_refused_naming_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("id,text\nr1,a\n,b\nr3,c\n  ,d\n")
    with pytest.raises(FewlabelsError, match=r"id column 'id'.*2 row\(s\).*rows \[2, 4\]"):
        from_table(path, text="text", id="id", classes=["p", "q"])
    frame = pd.DataFrame({"id": ["r1", None], "text": ["a", "b"]})
    with pytest.raises(FewlabelsError, match=r"rows \[2\]"):
        from_table(frame, text="text", id="id", classes=["p", "q"])


def test_labels_007_and_7_are_two_classes(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("text,label\na,007\nb,7\nc,\nd,7\n")
    ds = from_table(path, text="text", label="label")
    assert ds.classes == ("007", "7")
    assert ds.labels.tolist() == [0, 1, -1, 1]  # a blank label cell is unlabelled
    jsonl = tmp_path / "codes.jsonl"
    jsonl.write_text('{"t": "a", "y": "007"}\n{"t": "b", "y": 7}\n{"t": "c", "y": null}\n')
    ds = from_table(jsonl, text="t", label="y")
    assert ds.classes == ("007", "7") and ds.labels.tolist() == [0, 1, -1]


def test_encode_labels_normalises_only_real_floats() -> None:
    from fewlabels.data.labels import encode_labels

    labels, names = encode_labels([7.0, "7", "7.0", "007", np.float32(2.0), None, ""], None)
    assert names == ("007", "2", "7", "7.0")
    assert labels.tolist() == [2, 2, 3, 0, 1, -1, -1]


# --- issue 10, item 4: infinite features are refused like missing ones ---------------------


def test_infinite_features_are_refused_naming_columns_and_counts(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"a": [1.0, np.inf, -np.inf], "b": [1.0, 2.0, 3.0], "c": [np.nan, 1.0, np.inf]}
    )
    with pytest.raises(
        FewlabelsError,
        match=r"missing \(NaN\) values in \{'c': 1\}; infinite values in "
        r"\{'a': 2, 'c': 1\}",
    ):
        from_table(frame, features=["a", "b", "c"], classes=["p", "q"])
    path = tmp_path / "inf.csv"
    path.write_text("x,y\n1,inf\n2,3\n")
    with pytest.raises(FewlabelsError, match=r"infinite values in \{'y': 1\}"):
        from_table(path, features=["x", "y"], classes=["p", "q"])


# --- issue 10, item 18: messages at the edge -----------------------------------------------


def test_a_missing_source_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"'.*nothing\.csv' does not exist"):
        load_source(str(tmp_path / "nothing.csv"), text="t")
    with pytest.raises(FileNotFoundError, match=r"does not exist"):
        from_table(tmp_path / "nothing.csv", text="t")


def test_an_empty_or_non_utf8_csv_through_load_source_names_the_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(FewlabelsError, match=r"empty\.csv.*the file is empty"):
        load_source(str(empty), text="text", label="label", id="id")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,text\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(FewlabelsError, match=r"UTF-8 .*latin\.csv"):
        load_source(str(latin), text="text", id="id")


def test_the_column_hint_serves_python_and_the_command_line(
    reviews: pd.DataFrame, tmp_path: Path
) -> None:
    reviews.to_csv(tmp_path / "r.csv", index=False)
    with pytest.raises(FewlabelsError, match=r"text=COLUMN .*--text COLUMN.*--features"):
        from_table(tmp_path / "r.csv")
    with pytest.raises(FewlabelsError, match=r"--text COLUMN .*text= or features=\[\.\.\.\] in"):
        load_source(str(tmp_path / "r.csv"))
