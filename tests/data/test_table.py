from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fewlabels.data import from_table, load_source


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
    with pytest.raises(ValueError, match="Pass the class names"):
        load_source(str(tmp_path / "r.csv"), text="review")
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
