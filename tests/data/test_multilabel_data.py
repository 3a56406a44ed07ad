"""Multi-label tables and datasets: label sets from lists or a separator, bad input named."""

import json

import numpy as np
import pandas as pd
import pytest

from fewlabels.data import (
    MultiLabelDataset,
    from_table,
    load_builtin,
    load_multilabel_builtin,
    parse_label_sets,
)


def test_separator_cells_become_indicator_rows_with_unlabelled_and_empty_sets(tmp_path):
    p = tmp_path / "films.csv"
    p.write_text("id,title,genres\n1,A,Comedy|Drama\n2,B,\n3,C,[]\n4,D,Drama\n", encoding="utf-8")
    ds = from_table(p, text="title", label="genres", id="id", multilabel=True, sep="|")
    assert isinstance(ds, MultiLabelDataset)
    assert ds.classes == ("Comedy", "Drama")
    np.testing.assert_array_equal(ds.label_sets, [[1, 1], [-1, -1], [0, 0], [0, 1]])
    np.testing.assert_array_equal(ds.labeled_mask, [True, False, True, True])
    assert ds.sets() == [("Comedy", "Drama"), None, (), ("Drama",)]
    assert ds.class_counts() == {"Comedy": 1, "Drama": 2}


def test_a_column_of_lists_reads_without_a_separator(tmp_path):
    p = tmp_path / "items.jsonl"
    rows = [{"t": "x", "y": ["b", "a"]}, {"t": "y", "y": []}, {"t": "z", "y": None}]
    p.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    ds = from_table(p, text="t", label="y", multilabel=True)
    assert ds.sets() == [("a", "b"), (), None]
    frame = pd.DataFrame({"t": ["x", "y"], "y": [("a",), ["a", "c"]]})
    assert from_table(frame, text="t", label="y", multilabel=True).classes == ("a", "c")


def test_single_label_tables_are_unchanged(tmp_path):
    frame = pd.DataFrame({"t": ["x", "y", "z"], "y": ["a", None, "b"]})
    ds = from_table(frame, text="t", label="y")
    np.testing.assert_array_equal(ds.labels, [0, -1, 1])
    with pytest.raises(ValueError, match="sep only with multilabel=True"):
        from_table(frame, text="t", label="y", sep="|")


def test_a_column_mixing_lists_and_scalars_names_the_rows():
    frame = pd.DataFrame({"t": ["x", "y", "z"], "y": [["a"], "b", ["a", "b"]]})
    with pytest.raises(
        ValueError, match=r"mixes lists \(rows \[1, 3\]\) with single values \(rows \[2\]"
    ):
        from_table(frame, text="t", label="y", multilabel=True, sep="|")
    with pytest.raises(ValueError, match=r"rows \[2\] hold single values.*sep='\|'"):
        parse_label_sets(["[]", "a"], column="y")


def test_a_label_outside_the_classes_names_its_row():
    frame = pd.DataFrame({"t": ["x", "y"], "y": ["a|b", "a|zzz"]})
    with pytest.raises(ValueError, match=r"unknown label\(s\) \['zzz'\] in rows \[2\]"):
        from_table(frame, text="t", label="y", multilabel=True, sep="|", classes=["a", "b"])


def test_dataset_refuses_rows_mixing_the_unlabelled_marker():
    with pytest.raises(ValueError, match="mix -1 with 0/1, e.g. rows \\[1\\]"):
        MultiLabelDataset(
            ids=["a", "b"],
            inputs=["x", "y"],
            label_sets=np.array([[1, 0], [-1, 0]]),
            classes=("p", "q"),
            modality="text",
        )


def test_subset_and_pool_keep_ids_and_inputs():
    ds = MultiLabelDataset(
        ids=["a", "b", "c"],
        inputs=["x", "y", "z"],
        label_sets=np.array([[1, 0], [-1, -1], [0, 0]]),
        classes=("p", "q"),
        modality="text",
    )
    sub = ds.subset([2, 0])
    assert sub.sets() == [(), ("p",)]
    pool = ds.pool()
    assert list(pool.ids) == ["a", "b", "c"] and pool.inputs == ["x", "y", "z"]
    assert not pool.labeled_mask.any()
    assert not ds.unlabeled().labeled_mask.any()


def test_builtin_movielens_genres_has_a_fixed_split_of_film_genre_sets():
    train, test = load_multilabel_builtin("movielens-genres")
    assert (len(train), len(test)) == (7247, 1812)
    assert len(train.classes) == 19 and "Drama" in train.classes
    assert set(train.ids).isdisjoint(test.ids)
    assert train.labeled_mask.all()
    assert (train.label_sets.sum(axis=1) == 0).any()  # films without genres: the empty set
    again, _ = load_multilabel_builtin("movielens-genres")
    np.testing.assert_array_equal(again.ids, train.ids)
    with pytest.raises(ValueError, match="load_multilabel_builtin\\('movielens-genres'\\)"):
        load_builtin("movielens-genres")
    with pytest.raises(ValueError, match="single-label dataset: load it with load_builtin"):
        load_multilabel_builtin("digits")
