"""Strategies by name: ``get_strategy`` and ``list_strategies``.

:data:`STRATEGIES` is a :class:`fewlabels._registry.Registry` of
:class:`~fewlabels._registry.Entry` rows, ``"random"`` first. An entry's ``needs_labels``
says whether the strategy ranks by a model's probabilities (``proba``), so it has something
to say only once a learner has been fitted on labels; ``meta["cold_start"]`` names what such
a strategy does while ``proba`` is None (TypiClust). ``random``, ``coreset`` and
``typiclust`` use the embeddings alone and fit the first batch.
"""

from __future__ import annotations

import inspect
from types import MappingProxyType
from typing import Any

from fewlabels._registry import Entry, Registry
from fewlabels._validation import _preview
from fewlabels.active.base import Strategy
from fewlabels.errors import FewlabelsError, InputTypeError

__all__ = ["STRATEGIES", "describe_strategy", "get_strategy", "list_strategies"]

_COLD = MappingProxyType({"uses_proba": False, "cold_start": None})
_WARM = MappingProxyType({"uses_proba": True, "cold_start": "typiclust"})

STRATEGIES = Registry(
    "strategy",
    [
        Entry(
            "random",
            "fewlabels.active.random:RandomStrategy",
            "Select unlabelled rows uniformly at random.",
            needs_labels=False,
            meta=_COLD,
        ),
        Entry(
            "least-confidence",
            "fewlabels.active.uncertainty:LeastConfidence",
            "Select the rows whose top predicted class is least probable.",
            meta=_WARM,
        ),
        Entry(
            "margin",
            "fewlabels.active.uncertainty:Margin",
            "Select the rows with the smallest gap between the two most probable classes.",
            meta=_WARM,
        ),
        Entry(
            "entropy",
            "fewlabels.active.uncertainty:Entropy",
            "Select the rows whose predicted class distribution has the highest entropy.",
            meta=_WARM,
        ),
        Entry(
            "coreset",
            "fewlabels.active.coreset:Coreset",
            "k-center greedy coverage of the pool (Sener and Savarese, ICLR 2018).",
            needs_labels=False,
            meta=_COLD,
        ),
        Entry(
            "typiclust",
            "fewlabels.active.typiclust:TypiClust",
            "Typical points of the largest unlabelled clusters: the cold-start strategy.",
            needs_labels=False,
            meta=_COLD,
        ),
        Entry(
            "class-balanced",
            "fewlabels.active.class_balanced:ClassBalanced",
            "Uncertainty ranking filled class by class over predicted labels (after PCB).",
            meta=_WARM,
        ),
        Entry(
            "badge",
            "fewlabels.active.badge:Badge",
            "BADGE: k-means++ over uncertainty-weighted gradient embeddings.",
            meta=_WARM,
        ),
        Entry(
            "multilabel-uncertainty",
            "fewlabels.active.multilabel_uncertainty:MultiLabelUncertainty",
            "Select the rows whose labels the multi-label model is least sure of.",
            meta=MappingProxyType({**_WARM, "task": "multilabel"}),
        ),
    ],
    hint="See fewlabels.active.list_strategies().",
    plural="strategies",
)


def list_strategies() -> list[str]:
    """Names accepted by :func:`get_strategy`, ``"random"`` first.

    Returns
    -------
    list of str
    """
    return STRATEGIES.names()


def describe_strategy(name: str) -> str:
    """The first line of a strategy's docstring, for listings in the CLI and the app."""
    return _entry(name).description


def _entry(name: Any) -> Entry:
    if name not in STRATEGIES:
        raise FewlabelsError(
            f"Unknown strategy {name!r}. Expected one of {list_strategies()}. "
            "See fewlabels.active.list_strategies()."
        )
    return STRATEGIES.entry(name)


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
    cls = _entry(name).load()
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise InputTypeError(
            f"Strategy {name!r} got unknown parameter(s) {_preview(unknown)}; it accepts "
            f"{accepted}."
        )
    strategy: Strategy = cls(**params)
    return strategy
