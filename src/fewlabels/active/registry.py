"""Strategies by name: ``get_strategy`` and ``list_strategies``."""

from __future__ import annotations

import inspect
from typing import Any

from fewlabels._validation import _preview
from fewlabels.active.badge import Badge
from fewlabels.active.base import Strategy
from fewlabels.active.class_balanced import ClassBalanced
from fewlabels.active.coreset import Coreset
from fewlabels.active.random import RandomStrategy
from fewlabels.active.typiclust import TypiClust
from fewlabels.active.uncertainty import Entropy, LeastConfidence, Margin
from fewlabels.errors import FewlabelsError, InputTypeError

_STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (
        RandomStrategy,
        LeastConfidence,
        Margin,
        Entropy,
        Coreset,
        TypiClust,
        ClassBalanced,
        Badge,
    )
}


def list_strategies() -> list[str]:
    """Names accepted by :func:`get_strategy`, ``"random"`` first.

    Returns
    -------
    list of str
    """
    return list(_STRATEGIES)


def describe_strategy(name: str) -> str:
    """The first line of a strategy's docstring, for listings in the CLI and the app."""
    cls = _lookup(name)
    return (inspect.getdoc(cls) or cls.__name__).splitlines()[0]


def _lookup(name: str) -> type[Strategy]:
    if not isinstance(name, str) or name not in _STRATEGIES:
        raise FewlabelsError(
            f"Unknown strategy {name!r}. Expected one of {list_strategies()}. "
            "See fewlabels.active.list_strategies()."
        )
    return _STRATEGIES[name]


def get_strategy(name: str | Strategy, **params: Any) -> Strategy:
    """Build a strategy by name.

    Parameters
    ----------
    name : str or Strategy
        One of :func:`list_strategies`; a Strategy instance is returned as is (then
        ``params`` must be empty).
    **params
        Keyword options of that strategy (e.g. ``dedup_threshold=None``,
        ``base="margin"`` for ``"class-balanced"``).

    Returns
    -------
    Strategy
        An object with ``score(X, *, proba=None, labeled_mask)`` and
        ``select(X, *, n, proba=None, labeled_mask, random_state=None)``.
    """
    if isinstance(name, Strategy):
        if params:
            raise FewlabelsError(
                f"Expected no parameters with a ready Strategy instance, but got "
                f"{sorted(params)}. Pass a name, e.g. get_strategy('margin', **params)."
            )
        return name
    cls = _lookup(name)
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise InputTypeError(
            f"Strategy {name!r} got unknown parameter(s) {_preview(unknown)}; it accepts "
            f"{accepted}."
        )
    return cls(**params)
