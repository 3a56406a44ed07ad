import numpy as np
import pandas as pd
import pytest

from fewlabels.data import Dataset


def make(n: int = 4, **kw: object) -> Dataset:
    args: dict[str, object] = {
        "ids": [f"i{k}" for k in range(n)],
        "inputs": [f"text {k}" for k in range(n)],
        "labels": np.array([0, 1, -1, -1][:n]),
        "classes": ("a", "b"),
        "modality": "text",
    }
    args.update(kw)
    return Dataset(**args)  # type: ignore[arg-type]


def test_basic_properties() -> None:
    ds = make()
    assert len(ds) == 4
    assert ds.labeled_mask.tolist() == [True, True, False, False]
    assert ds.class_counts() == {"a": 1, "b": 1}
    assert ds.labels.dtype == np.int64


def test_subset_keeps_alignment_for_every_input_kind() -> None:
    ds = make()
    sub = ds.subset([3, 0])
    assert sub.ids.tolist() == ["i3", "i0"]
    assert sub.inputs == ["text 3", "text 0"]
    assert sub.labels.tolist() == [-1, 0]
    table = make(inputs=pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]}), modality="tabular")
    assert table.subset(np.array([False, True, False, True])).inputs["x"].tolist() == [2.0, 4.0]
    images = make(inputs=np.arange(4 * 4).reshape(4, 2, 2), modality="image")
    assert images.subset([1]).inputs.shape == (1, 2, 2)


def test_duplicate_ids_are_refused_with_the_ids() -> None:
    with pytest.raises(ValueError, match=r"unique ids.*'i0'"):
        make(ids=["i0", "i0", "i1", "i2"])


def test_empty_dataset_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one item, but it is empty"):
        make(n=0, ids=[], inputs=[], labels=np.array([], dtype=int))


def test_label_codes_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"label codes in \[-1, 1\]"):
        make(labels=np.array([0, 2, -1, -1]))


def test_inputs_and_ids_must_align() -> None:
    with pytest.raises(ValueError, match="4 ids and 3 inputs"):
        make(inputs=["a", "b", "c"])


def test_positions_reports_unknown_ids() -> None:
    ds = make()
    assert ds.positions(["i2", "i0"]).tolist() == [2, 0]
    with pytest.raises(KeyError, match="nope"):
        ds.positions(["nope"])


def test_unlabeled_and_with_labels() -> None:
    ds = make()
    assert (ds.unlabeled().labels == -1).all()
    assert ds.with_labels(np.array([1, 1, 0, -1])).class_counts() == {"a": 1, "b": 2}


def test_an_unlabelled_pool_has_no_classes_yet() -> None:
    """Issue 10, item 3: unlabelled data is the main input; it needs no class names."""
    from fewlabels.data import budget_split
    from fewlabels.errors import FewlabelsError

    ds = make(labels=np.full(4, -1), classes=())
    assert ds.classes == () and ds.n_classes == 0 and not ds.labeled_mask.any()
    assert ds.class_counts() == {} and len(ds.subset([0, 2])) == 2
    one = make(labels=np.array([0, -1, 0, -1]), classes=("a",))  # every label one class
    assert one.class_counts() == {"a": 2}
    with pytest.raises(FewlabelsError, match="without classes, but found the codes \\[0\\]"):
        make(labels=np.array([0, -1, -1, -1]), classes=())
    with pytest.raises(FewlabelsError, match="distinct class names"):
        make(classes=("a", "a"))
    with pytest.raises(FewlabelsError, match="budget from, but it has none"):
        budget_split(ds, per_class=1)
