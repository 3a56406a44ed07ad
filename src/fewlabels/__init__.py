"""fewlabels: a large unlabelled pool plus a few labels, turned into an accurate classifier.

The pipeline, each stage usable on its own:

* :mod:`fewlabels.data`: datasets, loaders, label budgets;
* :mod:`fewlabels.encode`: frozen encoders and the resumable embedding cache;
* :mod:`fewlabels.learn`: learners on embeddings (``y == -1`` marks unlabelled rows);
* :mod:`fewlabels.active`: acquisition strategies and the simulated loop;
* :mod:`fewlabels.store`: the SQLite label store;
* :mod:`fewlabels.workspace`: workspaces, the loop over a store (:mod:`fewlabels.app`, the page);
* :mod:`fewlabels.distill`: small students, ONNX export, torch-free prediction;
* :mod:`fewlabels.bench`: protocols, peers, runner and report.

The public names below are imported on first use (PEP 562), so that ``import fewlabels`` and
the command line start without loading scikit-learn, pandas or torch; ``from fewlabels import
Workspace`` works as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fewlabels._version import __version__

if TYPE_CHECKING:
    from fewlabels.active import get_strategy, list_strategies, simulate
    from fewlabels.data import (
        BudgetSplit,
        Dataset,
        budget_split,
        from_folder,
        from_table,
        load_builtin,
        load_source,
    )
    from fewlabels.encode import embed, get_encoder, iter_row_blocks, list_encoders
    from fewlabels.learn import (
        KNN,
        Auto,
        ConsistencyTraining,
        LabelSpreading,
        LinearProbe,
        NearestClassMean,
        SelfTraining,
        ZeroShot,
        get_learner,
        list_learners,
    )
    from fewlabels.store import LabelStore
    from fewlabels.workspace import Workspace

_WHERE = {
    "fewlabels.active": ("get_strategy", "list_strategies", "simulate"),
    "fewlabels.data": (
        "BudgetSplit",
        "Dataset",
        "budget_split",
        "from_folder",
        "from_table",
        "load_builtin",
        "load_source",
    ),
    "fewlabels.encode": ("embed", "get_encoder", "iter_row_blocks", "list_encoders"),
    "fewlabels.learn": (
        "KNN",
        "Auto",
        "ConsistencyTraining",
        "LabelSpreading",
        "LinearProbe",
        "NearestClassMean",
        "SelfTraining",
        "ZeroShot",
        "get_learner",
        "list_learners",
    ),
    "fewlabels.store": ("LabelStore",),
    "fewlabels.workspace": ("Workspace",),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}

__all__ = [
    "KNN",
    "Auto",
    "BudgetSplit",
    "ConsistencyTraining",
    "Dataset",
    "LabelSpreading",
    "LabelStore",
    "LinearProbe",
    "NearestClassMean",
    "SelfTraining",
    "Workspace",
    "ZeroShot",
    "__version__",
    "budget_split",
    "embed",
    "from_folder",
    "from_table",
    "get_encoder",
    "get_learner",
    "get_strategy",
    "iter_row_blocks",
    "list_encoders",
    "list_learners",
    "list_strategies",
    "load_builtin",
    "load_source",
    "simulate",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use and keep the name here (PEP 562)."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'fewlabels' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
