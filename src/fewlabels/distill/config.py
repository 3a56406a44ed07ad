"""The settings of a distillation, in one validated dataclass that imports without torch.

:class:`DistillConfig` holds what :func:`fewlabels.distill.distill` does with the teacher's
rows (``weighting``, ``drop_fraction``, ``labelled_only``) and how the student is trained
(epochs, batch size, learning rate, temperature, early stopping, device, seed). The CLI
flags of ``fewlabels distill`` map onto its fields, and :meth:`DistillConfig.from_dict`
reads a dict or a TOML table, refusing any key it does not know.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fewlabels._validation import check_known_keys
from fewlabels.distill.weighting import Weighting
from fewlabels.errors import FewlabelsError, InputTypeError

__all__ = ["WEIGHTINGS", "DistillConfig", "TrainConfig"]

#: The values of :attr:`DistillConfig.weighting`.
WEIGHTINGS: tuple[str, ...] = ("none", "max", "margin", "entropy")


@dataclass(frozen=True)
class DistillConfig:
    """How a student is distilled from a teacher, and how it is trained.

    Parameters
    ----------
    epochs : int >= 1
        Most passes over the training rows.
    batch_size : int >= 1
    lr : float > 0
        Adam learning rate.
    weight_decay : float >= 0
    patience : int >= 1
        Stop after this many epochs without a better validation score (agreement with the
        teacher, see ``Trainer.stop_score``); the weights of the best epoch are kept.
    min_epochs : int in [0, epochs], optional
        Never stop before this epoch (default: half of ``epochs``). While the learning rate
        is still high the validation loss is noisy, and stopping then picks a poor epoch.
    val_fraction : float in [0, 0.5]
        Share of the teacher-labelled rows held out to decide when to stop (human-labelled
        rows always train). 0 trains every epoch.
    temperature : float > 0
        Distillation temperature (Hinton, Vinyals and Dean, 2015, "Distilling the Knowledge
        in a Neural Network").
    hard_weight : float >= 0
        Weight of the cross-entropy on human labels.
    weighting : {"none", "max", "margin", "entropy"}
        Weight teacher rows by the teacher's confidence (Robust Active Distillation, Baykal
        et al., 2023); see :func:`fewlabels.distill.trust_weights`.
    drop_fraction : float in [0, 1)
        Drop this share of the least confident teacher rows.
    labelled_only : bool
        Train on the human-labelled rows only, ignoring the teacher (a baseline that shows
        the gain from the unlabelled pool).
    random_state : int
        Seeds the weights, the split, the batches and the augmentations.
    device : str or None
        Torch device; ``"auto"`` (or None) picks CUDA when present.
    progress : bool
        Show progress (rich bars for teacher labelling and epochs, one line per stage of
        :func:`fewlabels.distill.distill_workspace`) on stderr.
    holdout_fraction : float in [0, 0.5]
        :func:`fewlabels.distill.distill_workspace` only: share of each class's human labels
        hidden from teacher and student to score both (when every class has >= 2 labels;
        at least one per class, never a class's last). 0 uses every label for training.

    Examples
    --------
    >>> from fewlabels.distill.config import DistillConfig
    >>> DistillConfig(epochs=10, temperature=4.0).batch_size
    64
    >>> DistillConfig.from_dict({"epochs": 10, "temprature": 4.0})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fewlabels.errors.FewlabelsError: Unknown distill setting(s) ['temprature'] in ...
    """

    epochs: int = 30
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 0.0
    patience: int = 4
    min_epochs: int | None = None
    val_fraction: float = 0.1
    temperature: float = 2.0
    hard_weight: float = 1.0
    weighting: Weighting = "none"
    drop_fraction: float = 0.0
    labelled_only: bool = False
    random_state: int = 0
    device: str | None = "auto"
    progress: bool = True
    holdout_fraction: float = 0.2

    def __post_init__(self) -> None:
        for name, low in (("epochs", 1), ("batch_size", 1), ("patience", 1)):
            _check_whole(name, getattr(self, name), low)
        _check_whole("random_state", self.random_state, 0)
        if self.min_epochs is not None:
            _check_whole("min_epochs", self.min_epochs, 0)
            if self.min_epochs > self.epochs:
                raise FewlabelsError(
                    f"Expected min_epochs in [0, epochs={self.epochs}] (no early stopping "
                    f"before it), but got {self.min_epochs!r}."
                )
        if not _is_number(self.temperature) or not self.temperature > 0:
            raise FewlabelsError(
                "Expected a distillation temperature > 0 (1 = the teacher's probabilities as "
                f"they are, 2 to 4 usual), but got {self.temperature!r}."
            )
        if not _is_number(self.val_fraction) or not 0.0 <= self.val_fraction <= 0.5:
            raise FewlabelsError(
                "Expected val_fraction in [0, 0.5] (share of teacher rows held out for early "
                f"stopping), but got {self.val_fraction!r}."
            )
        for name in ("lr", "weight_decay", "hard_weight"):
            v = getattr(self, name)
            if not (_is_number(v) and v >= (1e-12 if name == "lr" else 0)):
                raise FewlabelsError(
                    f"Expected {name} to be a finite number >= 0 (lr > 0), but got {v!r}."
                )
        if self.weighting not in WEIGHTINGS:
            raise FewlabelsError(f"Expected weighting in {WEIGHTINGS}, but got {self.weighting!r}.")
        if not _is_number(self.holdout_fraction) or not 0.0 <= self.holdout_fraction <= 0.5:
            raise FewlabelsError(
                "Expected holdout_fraction in [0, 0.5] (share of each class's human labels "
                f"held out to score teacher and student), but got {self.holdout_fraction!r}."
            )
        if not _is_number(self.drop_fraction) or not 0.0 <= self.drop_fraction < 1.0:
            raise FewlabelsError(
                "Expected drop_fraction in [0, 1) (share of least confident teacher rows to "
                f"drop), but got {self.drop_fraction!r}."
            )
        for name in ("labelled_only", "progress"):
            if not isinstance(getattr(self, name), bool):
                raise InputTypeError(
                    f"Expected {name} to be True or False, but got {getattr(self, name)!r}."
                )
        if self.device is not None and not isinstance(self.device, str):
            raise InputTypeError(
                f"Expected device to be a torch device name ('auto', 'cpu', 'cuda', "
                f"'cuda:1', ...) or None, but got {self.device!r}."
            )

    @classmethod
    def fields(cls) -> list[str]:
        """The setting names, in declaration order."""
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "the settings") -> DistillConfig:
        """A config from a dict (a TOML table, JSON...); an unknown key is an error.

        Parameters
        ----------
        data : mapping
            Setting name -> value; missing settings keep their default.
        source : str
            What to call ``data`` in messages (a file name).

        Raises
        ------
        FewlabelsError
            For a key that is not a setting (the message lists the known ones), or a bad value.
        """
        if not isinstance(data, Mapping):
            raise InputTypeError(
                f"Expected a mapping of distill settings in {source}, but got "
                f"{type(data).__name__}."
            )
        check_known_keys(data, cls.fields(), where=source, what="distill setting")
        return cls(**dict(data))

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (``from_dict(to_dict())`` gives an equal config)."""
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> DistillConfig:
        """A copy with ``changes`` (validated; an unknown name is an error)."""
        return self.from_dict({**self.to_dict(), **changes}, source="replace()")


#: The former name of :class:`DistillConfig` (the same class), kept for existing code.
TrainConfig = DistillConfig


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _check_whole(name: str, v: Any, low: int) -> None:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < low:
        raise FewlabelsError(f"Expected {name} to be a whole number >= {low}, but got {v!r}.")
