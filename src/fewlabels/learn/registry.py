"""Learners by name: ``get_learner("label-spreading", n_neighbors=20)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sklearn.base import BaseEstimator

from fewlabels.errors import FewlabelsError, InputTypeError


def _ncm(**p: Any) -> BaseEstimator:
    from fewlabels.learn.nearest_class_mean import NearestClassMean

    return NearestClassMean(**p)


def _knn(**p: Any) -> BaseEstimator:
    from fewlabels.learn.knn import KNN

    return KNN(**p)


def _linear(**p: Any) -> BaseEstimator:
    from fewlabels.learn.linear_probe import LinearProbe

    return LinearProbe(**p)


def _label_spreading(**p: Any) -> BaseEstimator:
    from fewlabels.learn.label_spreading import LabelSpreading

    return LabelSpreading(**p)


def _self_training(**p: Any) -> BaseEstimator:
    from fewlabels.learn.self_training import SelfTraining

    return SelfTraining(**p)


def _consistency(**p: Any) -> BaseEstimator:
    from fewlabels.learn.consistency import ConsistencyTraining

    return ConsistencyTraining(**p)


def _zero_shot(**p: Any) -> BaseEstimator:
    from fewlabels.learn.zero_shot import ZeroShot

    return ZeroShot(**p)


def _auto(**p: Any) -> BaseEstimator:
    from fewlabels.learn.auto import Auto

    return Auto(**p)


_REGISTRY: dict[str, tuple[Callable[..., BaseEstimator], str]] = {
    "ncm": (_ncm, "NearestClassMean: cosine similarity to class means"),
    "knn": (_knn, "KNN: similarity-weighted votes of the nearest labelled rows (faiss)"),
    "linear": (_linear, "LinearProbe: logistic regression, C chosen by cross-validation"),
    "label-spreading": (_label_spreading, "LabelSpreading on a sparse kNN graph (faiss)"),
    "self-training": (_self_training, "SelfTraining: rounds of pseudo-labels around a learner"),
    "consistency": (_consistency, "ConsistencyTraining: FixMatch with an EMA teacher (torch)"),
    "zero-shot": (_zero_shot, "ZeroShot: class names through the encoder's text side"),
    "auto": (_auto, "Auto: picks a learner by cross-validation on the labelled rows"),
}


def list_learners() -> list[str]:
    """The registry names, simplest first."""
    return list(_REGISTRY)


def describe_learners() -> dict[str, str]:
    """One line about each registry name."""
    return {name: doc for name, (_, doc) in _REGISTRY.items()}


def get_learner(name: str, **params: Any) -> BaseEstimator:
    """A new, unfitted learner by registry name.

    Parameters
    ----------
    name : str
        One of :func:`list_learners`.
    **params
        Constructor parameters of that learner (``ZeroShot`` needs ``encoder`` and
        ``class_names``).

    Returns
    -------
    estimator
    """
    if name not in _REGISTRY:
        raise FewlabelsError(f"Unknown learner {name!r}. Known learners: {', '.join(_REGISTRY)}.")
    try:
        return _REGISTRY[name][0](**params)
    except TypeError as exc:
        raise InputTypeError(
            f"Learner {name!r} does not take the parameter(s) {sorted(params)}: {exc}. "
            f"See help(type(fewlabels.learn.get_learner({name!r})))."
        ) from exc
