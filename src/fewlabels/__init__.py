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
"""

from fewlabels._version import __version__
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
