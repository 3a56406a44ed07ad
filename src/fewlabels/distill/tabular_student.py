"""The tabular student: a small MLP on standardised numbers and one-hot categories.

Gradient-boosted trees are left out on purpose: they have no exporter here that avoids
pickles and keeps predictions identical, and a small MLP distils soft labels well.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from torch import nn

from fewlabels.distill.config import DistillConfig
from fewlabels.distill.student import Student
from fewlabels.distill.table_input import TableInput


class TableMLP(nn.Module):
    """``Linear -> ReLU`` blocks then logits.

    Parameters
    ----------
    n_features : int
    n_classes : int
    hidden : tuple of int
        Widths of the hidden layers.
    dropout : float
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        *,
        hidden: tuple[int, ...] = (64, 64),
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = n_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, features: Any) -> Any:
        return self.net(features)


class TabularStudent(Student):
    """A small MLP over raw table columns, trained on soft labels.

    Parameters
    ----------
    hidden : tuple of int, default (64, 64)
    dropout : float, default 0.1
    config : DistillConfig, optional
    """

    kind = "mlp"
    modality = "tabular"

    def __init__(
        self,
        *,
        hidden: tuple[int, ...] = (64, 64),
        dropout: float = 0.1,
        config: DistillConfig | None = None,
    ) -> None:
        self.hidden = hidden
        self.dropout = dropout
        self.config = config

    def _fit_spec(self, inputs: Any) -> TableInput:
        return TableInput.from_table(pd.DataFrame(inputs))

    def _features(self, inputs: Any, spec: TableInput, *, training: bool) -> np.ndarray:
        return spec.transform(pd.DataFrame(inputs))

    def _build(self, spec: TableInput, n_classes: int) -> nn.Module:
        return TableMLP(
            spec.n_features, n_classes, hidden=tuple(self.hidden), dropout=float(self.dropout)
        )

    def _example(self) -> tuple[dict[str, np.ndarray], dict[str, dict[int, str]]]:
        return {"features": np.zeros((2, self.input_spec_.n_features), np.float32)}, {
            "features": {0: "n"}
        }
