"""Datasets: items with ids, inputs, labels (-1 = unlabelled), loaders and label budgets."""

from fewlabels.data.budget import BudgetSplit, budget_split
from fewlabels.data.builtin import BuiltinSplits, builtin_descriptions, list_builtin, load_builtin
from fewlabels.data.dataset import Dataset, Inputs
from fewlabels.data.folder import from_folder
from fewlabels.data.source import load_source
from fewlabels.data.table import from_table

__all__ = [
    "BudgetSplit",
    "BuiltinSplits",
    "Dataset",
    "Inputs",
    "budget_split",
    "builtin_descriptions",
    "from_folder",
    "from_table",
    "list_builtin",
    "load_builtin",
    "load_source",
]
