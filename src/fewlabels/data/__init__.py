"""Datasets: items with ids, inputs, labels (-1 = unlabelled), loaders and label budgets."""

from fewlabels.data.budget import BudgetSplit, budget_split
from fewlabels.data.builtin import (
    BuiltinSplits,
    MultiLabelSplits,
    builtin_descriptions,
    list_builtin,
    list_multilabel_builtin,
    load_builtin,
    load_multilabel_builtin,
)
from fewlabels.data.dataset import Dataset, Inputs, MultiLabelDataset
from fewlabels.data.folder import from_folder
from fewlabels.data.labels import encode_label_sets, parse_label_sets
from fewlabels.data.source import load_source
from fewlabels.data.table import from_table

__all__ = [
    "BudgetSplit",
    "BuiltinSplits",
    "Dataset",
    "Inputs",
    "MultiLabelDataset",
    "MultiLabelSplits",
    "budget_split",
    "builtin_descriptions",
    "encode_label_sets",
    "from_folder",
    "from_table",
    "list_builtin",
    "list_multilabel_builtin",
    "load_builtin",
    "load_multilabel_builtin",
    "load_source",
    "parse_label_sets",
]
