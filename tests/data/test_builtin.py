import numpy as np
import pytest

from fewlabels.data import list_builtin, load_builtin


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
