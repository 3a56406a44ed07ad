"""The field's standard semi-supervised settings and the numbers published for them.

Protocols ``cifar10``, ``cifar100``, ``stl10`` and ``imagenet`` (in ``bench/protocols/``) run
fewlabels on an image folder the user points to (``fewlabels bench --protocol cifar10
--data-root DIR``): ``DIR/<setting>/train/<class>/*`` and ``DIR/<setting>/test/<class>/*``.
The report then shows the published numbers below beside ours, all converted to top-1
accuracy in percent (published error rates e become 100 - e).

Only numbers read from the papers' tables are listed; where a variant or a value was not
certain it is left out rather than guessed.

Sources
-------
- FixMatch: Sohn et al., "FixMatch: Simplifying Semi-Supervised Learning with Consistency and
  Confidence", NeurIPS 2020, Table 2 (error rates in percent, mean over folds). CIFAR rows are
  FixMatch (RA); the STL-10 row is FixMatch (CTA).
- FreeMatch: Wang et al., "FreeMatch: Self-adaptive Thresholding for Semi-supervised
  Learning", ICLR 2023, Table 1 (error rates in percent, mean over seeds).
- SimCLRv2: Chen et al., "Big Self-Supervised Models are Strong Semi-Supervised Learners",
  NeurIPS 2020, Table 3 (ImageNet top-1 accuracy in percent; ResNet-152 (3x+SK), fine-tuned
  on the labelled subset then self-distilled with the unlabelled images).

These methods train the whole network on the task's images (FixMatch and FreeMatch from
scratch, SimCLRv2 with ImageNet self-supervised pre-training); fewlabels keeps a pre-trained
encoder frozen. The comparison says where a frozen encoder stands, not that the protocols are
the same: the label subsets differ (ours are stratified budget splits), and so do the
architectures and the compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd


@dataclass(frozen=True)
class PublishedResult:
    """One number from a paper's table, as published.

    Attributes
    ----------
    setting : str
        ``"cifar10"``, ``"cifar100"``, ``"stl10"`` or ``"imagenet"``.
    method : str
        ``"FixMatch"``, ``"FreeMatch"``, ``"SimCLRv2"``.
    n_labels : int or None
        Total labelled images (CIFAR, STL-10).
    fraction : float or None
        Share of labelled images (ImageNet 1% / 10%).
    metric : {"error", "accuracy"}
        What the table gives, in percent.
    value : float
        The number as published (percent).
    variant : str
        Model and augmentation as published.
    source : str
        Paper and table.
    """

    setting: str
    method: str
    n_labels: int | None
    fraction: float | None
    metric: Literal["error", "accuracy"]
    value: float
    variant: str
    source: str

    @property
    def accuracy(self) -> float:
        """Top-1 accuracy in percent (100 - error for error rates)."""
        return 100.0 - self.value if self.metric == "error" else self.value


_FIXMATCH = "Sohn et al. 2020 (FixMatch), NeurIPS, Table 2"
_FREEMATCH = "Wang et al. 2023 (FreeMatch), ICLR, Table 1"
_SIMCLRV2 = "Chen et al. 2020 (SimCLRv2), NeurIPS, Table 3"


def _fix(setting: str, n: int, err: float, variant: str = "FixMatch (RA)") -> PublishedResult:
    return PublishedResult(setting, "FixMatch", n, None, "error", err, variant, _FIXMATCH)


def _free(setting: str, n: int, err: float) -> PublishedResult:
    return PublishedResult(setting, "FreeMatch", n, None, "error", err, "FreeMatch", _FREEMATCH)


#: Every published number the reports show (see the module docstring for the sources).
PUBLISHED: tuple[PublishedResult, ...] = (
    _fix("cifar10", 40, 13.81),
    _fix("cifar10", 250, 5.07),
    _fix("cifar10", 4000, 4.26),
    _fix("cifar100", 400, 48.85),
    _fix("cifar100", 2500, 28.29),
    _fix("cifar100", 10000, 22.60),
    _fix("stl10", 1000, 5.17, "FixMatch (CTA)"),
    _free("cifar10", 40, 4.90),
    _free("cifar10", 250, 4.88),
    _free("cifar10", 4000, 4.10),
    _free("cifar100", 400, 37.98),
    _free("cifar100", 2500, 26.47),
    _free("cifar100", 10000, 21.68),
    _free("stl10", 40, 15.56),
    _free("stl10", 1000, 5.63),
    PublishedResult(
        "imagenet",
        "SimCLRv2",
        None,
        0.01,
        "accuracy",
        76.6,
        "ResNet-152 (3x+SK), self-distilled",
        _SIMCLRV2,
    ),
    PublishedResult(
        "imagenet",
        "SimCLRv2",
        None,
        0.10,
        "accuracy",
        80.9,
        "ResNet-152 (3x+SK), self-distilled",
        _SIMCLRV2,
    ),
)

#: The standard settings: protocol name -> (number of classes, expected folder layout).
SETTINGS: dict[str, tuple[int, str]] = {
    "cifar10": (10, "cifar10/train/<class>/*, cifar10/test/<class>/*"),
    "cifar100": (100, "cifar100/train/<class>/*, cifar100/test/<class>/*"),
    "stl10": (
        10,
        "stl10/train/<class>/*, stl10/train/unlabeled/* (optional), stl10/test/<class>/*",
    ),
    "imagenet": (1000, "imagenet/train/<wnid>/*, imagenet/test/<wnid>/* (the validation set)"),
}


def published_for(setting: str) -> pd.DataFrame:
    """The published numbers of one setting as a table.

    Returns
    -------
    DataFrame
        Columns ``method``, ``variant``, ``n_labels``, ``fraction``, ``budget`` (the budget
        label a protocol run shows: ``"4/class"`` or ``"1%"``), ``metric``, ``value``
        (as published) and ``accuracy`` (percent), ``source``. Empty for unknown settings.
    """
    rows = []
    n_classes = SETTINGS.get(setting, (0, ""))[0]
    for r in PUBLISHED:
        if r.setting != setting:
            continue
        if r.n_labels is not None and n_classes:
            budget = f"{r.n_labels // n_classes}/class"
        else:
            budget = f"{(r.fraction or 0.0) * 100:g}%"
        rows.append(
            {
                "method": r.method,
                "variant": r.variant,
                "n_labels": r.n_labels,
                "fraction": r.fraction,
                "budget": budget,
                "metric": r.metric,
                "value": r.value,
                "accuracy": r.accuracy,
                "source": r.source,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "method",
            "variant",
            "n_labels",
            "fraction",
            "budget",
            "metric",
            "value",
            "accuracy",
            "source",
        ],
    )
