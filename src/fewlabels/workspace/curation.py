"""Curating a workspace's pool: exclusion ("none of these"), annotator agreement, the review
queue and its decisions, the audit of labels, and forgetting items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from fewlabels.errors import FewlabelsError
from fewlabels.store.label_store import ExclusionRecord, LabelEvent
from fewlabels.workspace.forget import ForgetReport, forget_items
from fewlabels.workspace.pool import PoolMixin

if TYPE_CHECKING:
    from fewlabels.audit import Audit
    from fewlabels.workspace.agreement import Agreement
    from fewlabels.workspace.review import ReviewItem
    from fewlabels.workspace.workspace import Workspace


class CurationMixin(PoolMixin):
    """Exclusion, agreement, review, audit and forgetting (part of
    :class:`fewlabels.workspace.Workspace`)."""

    def exclude(
        self, ids: Sequence[str], *, who: str, reason: str = "none of these"
    ) -> list[ExclusionRecord]:
        """Take items out of the pool ("none of these"); they stay in the store.

        They leave learning, suggestions, status and the audit, count as done in their
        round, and :meth:`include` brings them back. Items excluded already are left as they
        are; unknown ids are an error listing them, and nothing is written.

        Returns
        -------
        list of ExclusionRecord
            One per newly excluded item.
        """
        return self.store.exclude_many(list(ids), who=who, reason=reason)

    def include(self, ids: Sequence[str], *, who: str) -> list[ExclusionRecord]:
        """Bring excluded items back into the pool (those not excluded are left as they are)."""
        return self.store.include_many(list(ids), who=who)

    def agreement(self) -> Agreement | None:
        """Agreement of the annotators on the items two or more of them labelled (Cohen's kappa
        for two annotators, Fleiss' otherwise), excluded items aside; None when there is none."""
        from fewlabels.workspace.agreement import agreement

        excluded = self.store.excluded()
        return agreement({i: v.votes for i, v in self.store.votes().items() if i not in excluded})

    def review_queue(self, *, audit: Any = None) -> list[ReviewItem]:
        """The items waiting for review: conflicts between annotators, then the ``audit``'s
        flagged labels (an :class:`fewlabels.audit.Audit`, e.g. :meth:`audit`), when given."""
        from fewlabels.workspace.review import review_queue

        return review_queue(
            self.store.votes(),
            self.store.current_labels(),
            excluded=set(self.store.excluded()),
            audit_rows=() if audit is None else audit.rows,
        )

    def review(
        self, item_id: str, action: str, *, who: str, label: str | None = None
    ) -> LabelEvent | ExclusionRecord:
        """Decide on an item of the review queue: ``"keep"``, ``"change"`` (to ``label``) or
        ``"exclude"``; see :meth:`fewlabels.store.LabelStore.review`."""
        return self.store.review(item_id, action, who=who, label=label)

    def _n_suspect(self) -> int | None:
        """How many labels a quick audit flags (None with labels of fewer than 2 classes).

        ``status`` runs on every call, so it audits with ``STATUS_AUDIT_LEARNER`` (kNN, whose
        leave-one-out probabilities have a closed form: milliseconds); ``fewlabels audit``
        uses the stronger, slower default.
        """
        from fewlabels.workspace.audit import STATUS_AUDIT_LEARNER, audit_workspace, can_audit

        if not can_audit(self.dataset().labels):
            return None
        return audit_workspace(
            cast("Workspace", self), learner=STATUS_AUDIT_LEARNER, outliers=False
        ).n_flagged

    def audit(self, *, learner: str | None = None, top: int | None = None) -> Audit:
        """Likely wrong labels, most suspect first (``fewlabels.audit.Audit``).

        See :func:`fewlabels.workspace.audit.audit_workspace`: a learner cross-fitted on
        the current labels (default ``AUDIT_LEARNER``), then confident learning (cleanlab).
        """
        from fewlabels.workspace.audit import audit_workspace

        if self.multilabel:
            raise FewlabelsError(
                f"Expected a single-label workspace for the audit, but {self.root} is "
                'multi-label (task = "multilabel"): auditing label sets is not built yet. '
                "`fewlabels status` shows the cross-fitted micro/macro-F1 and per-class counts."
            )
        return audit_workspace(cast("Workspace", self), learner=learner, top=top)

    # -- forgetting --------------------------------------------------------------------------
    def forget(self, ids: Sequence[str], *, who: str) -> ForgetReport:
        """Forget items: out of the store (a tombstone stays), the embedding cache and the models.

        See :mod:`fewlabels.workspace.forget` for the steps and why a crash between them is
        recovered by the next :meth:`open`. Ids forgotten before are reported, not refused.

        Parameters
        ----------
        ids : sequence of str
        who : str
            Who asks (1 to 200 characters), recorded with the tombstones.

        Returns
        -------
        ForgetReport

        Raises
        ------
        MissingKeyError
            When some ids are not in the workspace (up to 10 listed); nothing is written.
        """
        report = forget_items(cast("Workspace", self), ids, who=who)
        self._dataset = None  # reloaded without the items
        return report
