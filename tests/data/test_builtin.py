import numpy as np
import pytest

from fewlabels.data import builtin_descriptions, list_builtin, load_builtin
from fewlabels.data.builtin import BuiltinInfo

FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def test_digits_has_a_fixed_stratified_test_split() -> None:
    a, b = load_builtin("digits"), load_builtin("digits")
    assert a.train.ids.tolist() == b.train.ids.tolist()
    assert not set(a.train.ids) & set(a.test.ids)
    assert len(a.train) + len(a.test) == 1797
    assert a.train.inputs.shape[1:] == (8, 8) and a.train.inputs.dtype == np.uint8
    share = np.bincount(a.test.labels) / len(a.test)
    assert share.min() > 0.08 and share.max() < 0.12


@pytest.mark.parametrize(
    ("name", "modality", "n_classes"),
    [
        ("mnist5k", "image", 10),
        ("finefoods", "text", 2),
        ("fashion5k", "image", 10),
        ("movielens-genre", "text", 7),
        ("breast_cancer", "tabular", 2),
        ("wine", "tabular", 3),
        ("default", "tabular", 2),
    ],
)
def test_builtin_datasets_load_offline(name: str, modality: str, n_classes: int) -> None:
    splits = load_builtin(name)
    info = {i.name: i for i in list_builtin()}[name]
    assert splits.train.modality == modality and splits.train.n_classes == n_classes
    assert (len(splits.train), len(splits.test)) == (info.n_train, info.n_test)
    assert splits.train.labeled_mask.all() and splits.test.labeled_mask.all()


def test_mnist5k_folder_is_written_once_and_readable() -> None:
    splits = load_builtin("mnist5k-folder")
    assert len(splits.train) == 4000 and splits.train.modality == "image"
    again = load_builtin("mnist5k-folder")
    assert again.train.ids.tolist() == splits.train.ids.tolist()


def test_unknown_dataset_lists_the_known() -> None:
    with pytest.raises(ValueError, match="Unknown dataset 'cifar'.*digits.*finefoods"):
        load_builtin("cifar")


def test_fashion_mnist_is_the_full_set_in_the_mnist5k_format() -> None:
    splits = load_builtin("fashion-mnist")
    mnist = load_builtin("mnist5k").train.inputs
    for ds, n in ((splits.train, 60000), (splits.test, 10000)):
        assert ds.inputs.shape == (n, 28, 28) and ds.inputs.dtype == mnist.dtype
        assert ds.classes == FASHION_CLASSES
        assert np.bincount(ds.labels).tolist() == [n // 10] * 10
    assert splits.train.ids[0] == "fashion-mnist-train-0"
    assert splits.test.ids[-1] == "fashion-mnist-test-9999"
    assert 0 < splits.train.inputs.mean() < 255


def test_fashion5k_is_a_fixed_stratified_subset_of_the_training_file() -> None:
    a, b = load_builtin("fashion5k"), load_builtin("fashion5k")
    assert a.train.ids.tolist() == b.train.ids.tolist()
    assert a.test.ids.tolist() == b.test.ids.tolist()
    # pinned: the subset must not move across machines or library versions
    assert a.train.ids[:4].tolist() == [
        "fashion5k-3",
        "fashion5k-24",
        "fashion5k-40",
        "fashion5k-48",
    ]
    assert np.bincount(a.train.labels).tolist() == [400] * 10
    assert np.bincount(a.test.labels).tolist() == [100] * 10
    assert not set(a.train.ids) & set(a.test.ids)
    assert a.train.classes == FASHION_CLASSES and a.train.inputs.shape == (4000, 28, 28)
    full = load_builtin("fashion-mnist").train
    pos = int(a.test.ids[0].split("-")[1])
    assert (a.test.inputs[0] == full.inputs[pos]).all()
    assert a.test.labels[0] == full.labels[pos]


def test_movielens_genre_has_one_row_per_film_and_a_fixed_split() -> None:
    a, b = load_builtin("movielens-genre"), load_builtin("movielens-genre")
    assert a.test.ids.tolist() == b.test.ids.tolist()
    ids = [*a.train.ids, *a.test.ids]
    texts = [*a.train.inputs, *a.test.inputs]
    assert len(set(ids)) == len(ids) == 8359 and len(set(texts)) == len(texts)
    assert a.train.classes == (
        "Action",
        "Adventure",
        "Comedy",
        "Crime",
        "Documentary",
        "Drama",
        "Horror",
    )
    first = dict(zip(a.train.ids, a.train.inputs, strict=True))
    assert first["movielens-1"] == "Toy Story (1995)"
    assert 0.19 < len(a.test) / len(ids) < 0.21
    share = np.bincount(a.test.labels) / len(a.test)
    assert share.min() > 0.04 and share.max() < 0.32


def test_descriptions_are_read_only_and_listed_per_dataset() -> None:
    genres = builtin_descriptions("movielens-genre")
    assert set(genres) == set(load_builtin("movielens-genre").train.classes)
    assert all(isinstance(s, tuple) and 2 <= len(s) <= 3 for s in genres.values())
    assert "documentary" in " ".join(genres["Documentary"]).lower()
    assert builtin_descriptions("digits") == {}
    genres["Action"] = ()
    assert builtin_descriptions("movielens-genre")["Action"] != ()
    info = BuiltinInfo("x", "text", 1, 1, 2, "d", "-", descriptions={"a": ["one"]})
    assert info.descriptions["a"] == ("one",) and hash(info) == hash(info)
    with pytest.raises(TypeError):
        info.descriptions["b"] = ("two",)  # type: ignore[index]
    with pytest.raises(ValueError, match="Unknown dataset 'cifar'"):
        builtin_descriptions("cifar")
