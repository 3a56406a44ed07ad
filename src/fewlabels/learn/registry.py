"""Learners by name: ``get_learner("label-spreading", n_neighbors=20)``.

One :class:`~fewlabels._registry.Registry` of name -> ``"module:Class"`` rows with metadata:
``needs_labels`` (False for zero-shot), ``needs_text_side`` (an encoder that embeds
prompts), and ``meta["selector"]`` for learners that choose among the others (``Auto``,
which takes its candidates from here).
"""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator

from fewlabels._registry import Entry, Registry

LEARNERS = Registry(
    "learner",
    [
        Entry(
            "ncm",
            "fewlabels.learn.nearest_class_mean:NearestClassMean",
            "NearestClassMean: cosine similarity to class means",
        ),
        Entry(
            "knn",
            "fewlabels.learn.knn:KNN",
            "KNN: similarity-weighted votes of the nearest labelled rows (faiss)",
        ),
        Entry(
            "linear",
            "fewlabels.learn.linear_probe:LinearProbe",
            "LinearProbe: logistic regression, C chosen by cross-validation",
        ),
        Entry(
            "label-spreading",
            "fewlabels.learn.label_spreading:LabelSpreading",
            "LabelSpreading on a sparse kNN graph (faiss)",
        ),
        Entry(
            "self-training",
            "fewlabels.learn.self_training:SelfTraining",
            "SelfTraining: rounds of pseudo-labels around a learner",
        ),
        Entry(
            "consistency",
            "fewlabels.learn.consistency:ConsistencyTraining",
            "ConsistencyTraining: FixMatch with an EMA teacher (torch)",
            extra="text",
        ),
        Entry(
            "trees",
            "fewlabels.learn.trees:TreeSelfTraining",
            "TreeSelfTraining: gradient-boosted trees (HGB) inside self-training, for tables",
            modalities=("tabular",),
        ),
        Entry(
            "tabpfn",
            "fewlabels.learn.tabpfn:TabPFN",
            "TabPFN: a pretrained transformer for small tables (in-context; optional extra)",
            modalities=("tabular",),
            extra="tabpfn",
        ),
        Entry(
            "zero-shot",
            "fewlabels.learn.zero_shot:ZeroShot",
            "ZeroShot: class names through the encoder's text side",
            needs_labels=False,
            needs_text_side=True,
        ),
        Entry(
            "auto",
            "fewlabels.learn.auto:Auto",
            "Auto: picks a learner by cross-validation on the labelled rows",
            meta={"selector": True},
        ),
    ],
    hint="See fewlabels.learn.list_learners().",
)


#: Multi-label learners (each row a set of labels; ``y`` an indicator with rows of -1 for
#: unlabelled rows). Apart from ``LEARNERS``, whose consumers (``Auto``, the audit, bench
#: methods) expect single-label classifiers.
MULTILABEL_LEARNERS = Registry(
    "multi-label learner",
    [
        Entry(
            "one-vs-rest",
            "fewlabels.learn.multilabel:OneVsRest",
            "OneVsRest: one embedding learner per label, thresholds chosen on held-out labels",
            meta={"task": "multilabel"},
        ),
    ],
    hint="See fewlabels.learn.registry.MULTILABEL_LEARNERS.names().",
)


def list_learners() -> list[str]:
    """The registry names, simplest first."""
    return LEARNERS.names()


def describe_learners() -> dict[str, str]:
    """One line about each registry name."""
    return LEARNERS.describe()


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
    est: BaseEstimator = LEARNERS.create(name, **params)
    return est
