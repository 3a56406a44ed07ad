"""Learners on embeddings: pure array functions underneath, scikit-learn estimators on top.

Every learner is fitted with ``fit(X, y)`` on the whole pool; ``y`` holds any label values
(strings too), with ``-1`` (numbers) or ``None`` (objects) marking the unlabelled rows;
``predict_proba`` columns follow ``classes_``. For ``GridSearchCV`` on such a pool, use
``scoring=labelled_scorer(...)`` and ``cv=LabelledKFold(...)``.
"""

from fewlabels.learn.auto import Auto
from fewlabels.learn.class_means import class_means
from fewlabels.learn.consistency import ConsistencyTraining
from fewlabels.learn.knn import KNN, knn_vote
from fewlabels.learn.knn_graph import knn_affinity, knn_graph, knn_search, normalize_graph
from fewlabels.learn.label_spreading import LabelSpreading, spread_labels
from fewlabels.learn.linear_probe import LinearProbe
from fewlabels.learn.model_selection import LabelledKFold, labelled_scorer
from fewlabels.learn.multilabel import OneVsRest
from fewlabels.learn.multilabel_metrics import multilabel_scores
from fewlabels.learn.nearest_class_mean import NearestClassMean
from fewlabels.learn.pseudo_labels import (
    confidence_weights,
    curriculum_threshold,
    select_pseudo_labels,
)
from fewlabels.learn.registry import describe_learners, get_learner, list_learners
from fewlabels.learn.self_training import SelfTraining
from fewlabels.learn.tabpfn import TabPFN
from fewlabels.learn.trees import TreeSelfTraining
from fewlabels.learn.zero_shot import ZeroShot

__all__ = [
    "KNN",
    "Auto",
    "ConsistencyTraining",
    "LabelSpreading",
    "LabelledKFold",
    "LinearProbe",
    "NearestClassMean",
    "OneVsRest",
    "SelfTraining",
    "TabPFN",
    "TreeSelfTraining",
    "ZeroShot",
    "class_means",
    "confidence_weights",
    "curriculum_threshold",
    "describe_learners",
    "get_learner",
    "knn_affinity",
    "knn_graph",
    "knn_search",
    "knn_vote",
    "labelled_scorer",
    "list_learners",
    "multilabel_scores",
    "normalize_graph",
    "select_pseudo_labels",
    "spread_labels",
]
