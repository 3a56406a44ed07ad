"""Where a workspace stands: what :meth:`fewlabels.workspace.Workspace.status` returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from fewlabels.store.label_store import Round
from fewlabels.workspace.typos import LikelyTypo

__all__ = ["WorkspaceStatus"]


@dataclass(frozen=True)
class WorkspaceStatus:
    """Where a workspace stands.

    Attributes
    ----------
    n_items : int
    labelled_per_class : dict of str to int
        Current human and imported labels per class.
    cv_accuracy : float or None
        Cross-validated accuracy of a ridge classifier on the labelled embeddings
        (None with too few labels: see :func:`fewlabels.workspace.suggest.cv_accuracy`).
    rounds : list of Round
        Every round with the metrics recorded when it was made (the model improving).
    progress : tuple of (int, int) or None
        Labelled and total items of the current round.
    guesses_right : dict of int to (int, int)
        Per round with a model: how many of its labelled items the model had guessed right,
        and how many of them are labelled. The items were picked as hard ones, so this
        understates the model's accuracy on the pool, but it rises as the model learns.
    likely_typos : list of LikelyTypo
        Classes with one or two items whose names are close to a bigger class's
        (:func:`fewlabels.workspace.likely_typos`): probably a mistyped label.
    """

    n_items: int
    labelled_per_class: dict[str, int]
    cv_accuracy: float | None
    rounds: list[Round]
    progress: tuple[int, int] | None
    guesses_right: dict[int, tuple[int, int]]
    likely_typos: list[LikelyTypo] = field(default_factory=list)

    @property
    def n_labelled(self) -> int:
        return int(sum(self.labelled_per_class.values()))
