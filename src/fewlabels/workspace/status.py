"""Where a workspace stands: what :meth:`fewlabels.workspace.Workspace.status` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fewlabels.store.label_store import Round
from fewlabels.workspace.agreement import Agreement
from fewlabels.workspace.typos import LikelyTypo

if TYPE_CHECKING:
    from fewlabels.workspace.multilabel import CrossFitScores

__all__ = ["PoolPrediction", "WorkspaceStatus"]


@dataclass(frozen=True)
class PoolPrediction:
    """What the workspace's model would predict over the pool, and which model that is.

    Attributes
    ----------
    kind : {"zero-shot", "learner"} or None
        ``"zero-shot"`` (:class:`fewlabels.learn.ZeroShot` on the class names and any
        descriptions) while fewer than two classes have labels, ``"learner"`` after; None
        when there is no model.
    model : str
        Which model, in words ("zero-shot from class names and descriptions", "the learner
        'auto' (chose 'linear-probe')"); empty when ``kind`` is None.
    shares : dict of str to float
        Per class, in class order, the fraction of the pool's items predicted as it.
    n_items : int
        How many items were predicted (the whole pool, labelled items included).
    unavailable : str or None
        Why there is no prediction (``kind`` is None): e.g. the encoder has no text side.
    multilabel : bool, default False
        A multi-label prediction: ``shares`` is, per class, the fraction of items whose
        predicted set holds it (they need not sum to 1).
    empty_share : float or None
        Multi-label: the fraction of items predicted to have no class.
    """

    kind: str | None
    model: str
    shares: dict[str, float]
    n_items: int
    unavailable: str | None = None
    multilabel: bool = False
    empty_share: float | None = None

    def message(self) -> str:
        """One line: ``zero-shot from class names would predict: great 61%, other 39% ...``."""
        if self.kind is None:
            return f"no model's prediction yet: {self.unavailable}"
        shares = ", ".join(f"{name} {100 * v:.0f}%" for name, v in self.shares.items())
        if self.multilabel:
            empty = 100 * (self.empty_share or 0.0)
            return (
                f"{self.model} would give each class to: {shares} of {self.n_items} item(s); "
                f"{empty:.0f}% would get no label"
            )
        line = f"{self.model} would predict: {shares} (of {self.n_items} item(s))"
        collapsed = self.collapse()
        return line if collapsed is None else f"{line}. Warning: {collapsed}"

    def collapse(self) -> str | None:
        """The collapse warning when one class takes (almost) every item, else None.

        See :func:`fewlabels.learn.imbalance.collapse_message` (one class at least
        ``COLLAPSE_SHARE``, 95%, of the pool).
        """
        from fewlabels.learn.imbalance import collapse_message

        if self.kind is None or len(self.shares) < 2 or self.multilabel:
            return None
        return collapse_message(list(self.shares.values()), list(self.shares), who="it")


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
    prediction : PoolPrediction or None
        What the model would predict over the pool (zero-shot before labels, the learner
        once two classes have them); None when not computed (``with_accuracy=False``).
    n_suspect : int or None
        How many labels the audit flags as likely wrong (:meth:`Workspace.audit`); None
        when not computed (``with_accuracy=False``, or fewer than 2 classes labelled).
    multilabel : bool
        A multi-label workspace: ``labelled_per_class`` counts each item once per class
        of its set, ``cv_accuracy`` is None and ``label_scores`` holds the cross-fitted
        micro/macro-F1.
    n_labelled_items : int or None
        Multi-label: how many items carry a label set (the empty set included).
    n_empty : int
        Multi-label: how many items are labelled with the empty set ("none of the labels").
    label_scores : CrossFitScores or None
        Multi-label: micro/macro-F1 of cross-fitted predictions (None with too few labels
        or ``with_accuracy=False``).
    """

    n_items: int
    labelled_per_class: dict[str, int]
    cv_accuracy: float | None
    rounds: list[Round]
    progress: tuple[int, int] | None
    guesses_right: dict[int, tuple[int, int]]
    likely_typos: list[LikelyTypo] = field(default_factory=list)
    prediction: PoolPrediction | None = None
    n_suspect: int | None = None  # labels the audit flags (fewlabels audit); None: not run
    agreement: Agreement | None = None  # annotators on items labelled twice; None: no such item
    n_excluded: int = 0  # items out of the pool ("none of these"), kept in the store
    multilabel: bool = False
    n_labelled_items: int | None = None
    n_empty: int = 0
    label_scores: CrossFitScores | None = None

    @property
    def n_labelled(self) -> int:
        """Labelled items (in a multi-label workspace each item once, whatever its set)."""
        if self.n_labelled_items is not None:
            return self.n_labelled_items
        return int(sum(self.labelled_per_class.values()))
