"""The loop over a label store: a workspace folder, its data source, suggestions and status.

A workspace is ``fewlabels.toml`` (:class:`WorkspaceConfig`), ``labels.db`` (a
:class:`fewlabels.store.LabelStore`), the embedding cache, models and reports. This package
brings the floors below together (data, encode, learn, active, store); the store itself knows
nothing of them.
"""

from fewlabels.workspace.config import CONFIG_NAME, DataSourceConfig, WorkspaceConfig
from fewlabels.workspace.export import ImportReport, export_labels, import_labels
from fewlabels.workspace.forget import ForgetReport
from fewlabels.workspace.source import SourceChangedError, SourceCheck, load_pool
from fewlabels.workspace.suggest import RoundPlan, cv_accuracy, plan_round
from fewlabels.workspace.typos import LikelyTypo, likely_typos
from fewlabels.workspace.workspace import STORE_NAME, Workspace, WorkspaceStatus

__all__ = [
    "CONFIG_NAME",
    "STORE_NAME",
    "DataSourceConfig",
    "ForgetReport",
    "ImportReport",
    "LikelyTypo",
    "RoundPlan",
    "SourceChangedError",
    "SourceCheck",
    "Workspace",
    "WorkspaceConfig",
    "WorkspaceStatus",
    "cv_accuracy",
    "export_labels",
    "import_labels",
    "likely_typos",
    "load_pool",
    "plan_round",
]
