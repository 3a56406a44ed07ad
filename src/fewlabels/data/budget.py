"""Label budgets: pick the labelled rows deterministically, stratified by class.

Like SimCLR's published ImageNet 1% and 10% subsets, a split is a small JSON of ids, so
every method and every peer sees exactly the same labelled rows.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fewlabels._atomic import atomic_write_text
from fewlabels.data.dataset import Dataset
from fewlabels.errors import FewlabelsError
from fewlabels.typing import UNLABELED


def check_budget(
    per_class: int | None, fraction: float | None, class_counts: dict[str, int]
) -> None:
    """Check a label budget against the labelled rows each class has."""
    if not class_counts:
        raise FewlabelsError(
            "Expected a dataset with classes to draw a label budget from, but it has none (no "
            "item is labelled). Load the dataset with its label column or class sub-folders."
        )
    if (per_class is None) == (fraction is None):
        raise FewlabelsError(
            "Expected exactly one of per_class=k or fraction=f, but got "
            f"per_class={per_class!r} and fraction={fraction!r}."
        )
    if per_class is not None:
        if int(per_class) != per_class or per_class < 1:
            raise FewlabelsError(
                f"Expected per_class to be a whole number >= 1, but got {per_class!r}."
            )
        short = {c: n for c, n in class_counts.items() if n < per_class}
        if short:
            raise FewlabelsError(
                f"Expected at least {per_class} labelled rows in every class for per_class="
                f"{per_class}, but these classes have fewer: {short}. "
                f"Lower per_class to at most {min(class_counts.values())} or use fraction=."
            )
    if fraction is not None and not 0.0 < fraction <= 1.0:
        raise FewlabelsError(f"Expected fraction in (0, 1], but got {fraction!r}.")


@dataclass(frozen=True)
class BudgetSplit:
    """Which rows of a dataset keep their labels.

    Attributes
    ----------
    dataset : str
        Name of the dataset the split was drawn from.
    labeled_ids : tuple of str
        Ids of the rows that keep their labels, in a fixed order.
    per_class : int or None
    fraction : float or None
    seed : int
    """

    dataset: str
    labeled_ids: tuple[str, ...]
    per_class: int | None
    fraction: float | None
    seed: int

    def apply(self, dataset: Dataset) -> Dataset:
        """Return ``dataset`` with every label outside the split set to -1.

        Raises a KeyError naming the ids of the split that the dataset lacks.
        """
        pos = dataset.positions(list(self.labeled_ids))
        labels = np.full(len(dataset), UNLABELED, dtype=np.int64)
        labels[pos] = dataset.labels[pos]
        if (labels[pos] == UNLABELED).any():
            bad = [self.labeled_ids[k] for k in np.flatnonzero(labels[pos] == UNLABELED)[:10]]
            raise FewlabelsError(
                f"Expected the split's ids to be labelled in {dataset.name!r}, but these are "
                f"unlabelled there: {bad}. Draw the split from the same labelled dataset."
            )
        return dataset.with_labels(labels)

    def to_dict(self) -> dict[str, object]:
        return {
            "format": "fewlabels.budget-split/1",
            "dataset": self.dataset,
            "per_class": self.per_class,
            "fraction": self.fraction,
            "seed": self.seed,
            "labeled_ids": list(self.labeled_ids),
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the split as JSON (atomically) and return the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write_text(target, json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> BudgetSplit:
        """Read a split written by :meth:`save`."""
        data = json.loads(Path(path).read_text())
        if not isinstance(data, dict) or data.get("format") != "fewlabels.budget-split/1":
            raise FewlabelsError(
                f"Expected a fewlabels budget split JSON (format 'fewlabels.budget-split/1') at "
                f"{path}, but found {str(data)[:80]!r}."
            )
        return cls(
            dataset=str(data["dataset"]),
            labeled_ids=tuple(str(i) for i in data["labeled_ids"]),
            per_class=data["per_class"],
            fraction=data["fraction"],
            seed=int(data["seed"]),
        )


def budget_split(
    dataset: Dataset,
    *,
    per_class: int | None = None,
    fraction: float | None = None,
    seed: int = 0,
) -> BudgetSplit:
    """Pick labelled rows per class: ``per_class`` rows each, or a ``fraction`` of each class.

    The choice depends only on the dataset's ids, labels and ``seed`` (not on row order), and a
    larger budget with the same seed contains the smaller one, so learning curves are nested.

    Parameters
    ----------
    dataset : Dataset
        A dataset whose labelled rows are the candidates.
    per_class : int, optional
        Labelled rows to keep in every class.
    fraction : float in (0, 1], optional
        Share of each class's labelled rows to keep (at least one per class).
    seed : int, default 0

    Returns
    -------
    BudgetSplit
    """
    check_budget(per_class, fraction, dataset.class_counts())
    chosen: list[str] = []
    for code in range(dataset.n_classes):
        ids = np.sort(dataset.ids[dataset.labels == code].astype(str))
        # Seeded by the class too, so classes do not share a permutation pattern.
        rng = np.random.default_rng([seed, code])
        order = ids[rng.permutation(ids.size)]
        if per_class is not None:
            k = int(per_class)
        else:
            assert fraction is not None
            k = max(1, round(fraction * ids.size))
        chosen.extend(order[:k].tolist())
    return BudgetSplit(
        dataset=dataset.name,
        labeled_ids=tuple(chosen),
        per_class=per_class,
        fraction=fraction,
        seed=seed,
    )
