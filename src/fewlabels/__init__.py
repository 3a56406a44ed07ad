"""fewlabels: a large unlabelled pool plus a few labels, turned into an accurate classifier."""

from fewlabels.data import Dataset, budget_split, from_folder, from_table, load_builtin
from fewlabels.encode import embed, get_encoder

__version__ = "0.1.0"

__all__ = [
    "Dataset",
    "__version__",
    "budget_split",
    "embed",
    "from_folder",
    "from_table",
    "get_encoder",
    "load_builtin",
]
