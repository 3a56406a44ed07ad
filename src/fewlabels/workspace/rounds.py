"""Rounds of a workspace: :meth:`suggest` (embed, fit, pick the next items to label) and
:meth:`status` (labels per class, the model's cross-validated score, each round's metrics),
single-label and multi-label."""

from __future__ import annotations

import json
import pickle
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fewlabels._atomic import atomic_write_bytes, atomic_write_text
from fewlabels._validation import check_count
from fewlabels.errors import FewlabelsError
from fewlabels.store.label_store import Round, encode_label_set
from fewlabels.workspace.curation import CurationMixin
from fewlabels.workspace.status import WorkspaceStatus
from fewlabels.workspace.typos import likely_typos


def check_round_size(n: Any) -> int:
    """Check how many items a round of suggestions asks for."""
    return check_count(n, name="the number of items to suggest", low=1, hint="Pass e.g. -n 20.")


class RoundsMixin(CurationMixin):
    """Suggesting rounds and the status (part of :class:`fewlabels.workspace.Workspace`)."""

    def suggest(
        self,
        n: int = 20,
        *,
        strategy: str | None = None,
        progress: bool = False,
        double: float | None = None,
    ) -> Round:
        """Embed the pool, fit the learner on the current labels and record a round of ``n`` items.

        Parameters
        ----------
        n : int, default 20
        strategy : str, optional
            An active-learning strategy name; by default typiclust at cold start, then badge.
        double : float, optional
            The share of the round sent to a second annotator (default: ``[labelling]
            double_label_share`` of ``fewlabels.toml``, 0 unless set): that many items labelled
            by exactly one annotator come first in the round, shown without a guess, and are
            never offered to the annotator who labelled them.

        Returns
        -------
        Round
            The new current round, with the model's guess and confidence per item and its metrics.
        """
        from fewlabels.encode.base import has_text_side
        from fewlabels.workspace.agreement import pick_second_opinions
        from fewlabels.workspace.config import LabellingConfig
        from fewlabels.workspace.suggest import close_previous_round, plan_round

        check_round_size(n)
        share = (
            self.config.labelling if double is None else LabellingConfig(double_label_share=double)
        ).double_label_share
        if self.multilabel:
            return self._suggest_multilabel(n, strategy=strategy, progress=progress, double=share)
        if strategy is not None:
            _refuse_multilabel_strategy(strategy)
        emb = self.embeddings(progress=progress)
        ds = emb.dataset
        votes = {i: v.votes for i, v in self.store.votes().items() if not v.current_is_review}
        second = pick_second_opinions(
            votes,
            candidates=[str(i) for i in ds.ids],
            k=round(share * n),
            random_state=self.config.seed + len(self.store.rounds()),
        )
        plan = plan_round(
            np.asarray(emb.X),
            ds.labels,
            n=n - len(second),
            n_classes=ds.n_classes,
            strategy=strategy,
            learner=self.config.learner,
            random_state=self.config.seed + len(self.store.rounds()),
            cv_seed=self.config.seed,
            zero_shot=self.zero_shot() if has_text_side(self.encoder()) else None,
        )
        ids = second + [str(ds.ids[p]) for p in plan.positions]
        metrics = dict(plan.metrics)
        metrics["second_opinion"] = len(second)
        metrics["skipped_unreadable"] = len(emb.skipped)
        if plan.guess_model is not None and self.config.data.kind == "builtin":
            metrics["test_accuracy"] = self.test_accuracy(plan.guess_model)
        metrics["previous_round"] = close_previous_round(self.store)  # its leftovers: the pool
        round_id = self.store.add_round(
            plan.strategy,
            ids,
            metrics=metrics,
            guesses=[None] * len(second)
            + [None if g is None else ds.classes[g] for g in plan.guesses],
            confidences=[None] * len(second) + list(plan.confidences),
            second_opinion=second,
        )
        self._write_round_files(round_id, plan.strategy, ids, metrics, plan.model)
        latest = self.store.latest_round()
        assert latest is not None
        return latest

    def _suggest_multilabel(
        self, n: int, *, strategy: str | None, progress: bool, double: float
    ) -> Round:
        """:meth:`suggest` for a multi-label workspace (see :mod:`fewlabels.workspace.multilabel`)."""
        from fewlabels.workspace.agreement import pick_second_opinions
        from fewlabels.workspace.multilabel import check_multilabel_strategy, plan_multilabel_round
        from fewlabels.workspace.suggest import close_previous_round

        check_multilabel_strategy(strategy)  # before the pool is embedded
        emb = self.embeddings(progress=progress)
        ds = emb.dataset
        seed = self.config.seed + len(self.store.rounds())
        votes = {i: v.votes for i, v in self.store.votes().items() if not v.current_is_review}
        second = pick_second_opinions(
            votes, candidates=[str(i) for i in ds.ids], k=round(double * n), random_state=seed
        )
        plan = plan_multilabel_round(
            np.asarray(emb.X),
            self.label_indicator(ds.ids),
            n=n - len(second),
            strategy=strategy,
            learner=self.config.learner,
            random_state=seed,
        )
        ids = second + [str(ds.ids[p]) for p in plan.positions]
        metrics = dict(plan.metrics)
        if "label_proba" in metrics:  # per selected item, keyed by id for the page
            chosen = [str(ds.ids[p]) for p in plan.positions]
            metrics["label_proba"] = dict(zip(chosen, metrics["label_proba"], strict=True))
            metrics["guess_sets"] = dict(zip(chosen, metrics["guess_sets"], strict=True))
        metrics["second_opinion"] = len(second)
        metrics["skipped_unreadable"] = len(emb.skipped)
        metrics["previous_round"] = close_previous_round(self.store)
        sets = metrics.get("guess_sets", {})
        guesses = [
            None
            if i not in sets
            else encode_label_set([self.config.classes[k] for k in sets[i]], self.config.classes)
            for i in ids
        ]
        round_id = self.store.add_round(
            plan.strategy, ids, metrics=metrics, guesses=guesses, second_opinion=second
        )
        self._write_round_files(round_id, plan.strategy, ids, metrics, plan.model)
        latest = self.store.latest_round()
        assert latest is not None
        return latest

    def status(self, *, with_accuracy: bool = True) -> WorkspaceStatus:
        """Labelled items per class, the model's cross-validated accuracy, each round's metrics.

        With ``with_accuracy`` (the default) also what the model would predict over the pool
        (:meth:`predict_pool`).
        """
        from fewlabels.workspace.suggest import cv_accuracy

        if self.multilabel:
            return self._status_multilabel(with_accuracy=with_accuracy)
        acc = None
        counts = self.store.label_counts()
        if with_accuracy and sum(1 for c in counts.values() if c) >= 2:
            emb = self.embeddings()
            acc = cv_accuracy(np.asarray(emb.X), emb.dataset.labels, random_state=self.config.seed)
        prog = self.store.progress()
        rounds = self.store.rounds()
        right = _guesses_right(rounds, self.store.current_labels(sources=("human",)))
        return WorkspaceStatus(
            n_items=self.store.n_items(),
            labelled_per_class=counts,
            cv_accuracy=acc,
            rounds=rounds,
            progress=None if prog is None else (prog.done, prog.total),
            guesses_right=right,
            likely_typos=likely_typos(counts),
            prediction=self.predict_pool() if with_accuracy else None,
            n_suspect=self._n_suspect() if with_accuracy and acc is not None else None,
            agreement=self.agreement(),
            n_excluded=len(self.store.excluded()),
        )

    def _status_multilabel(self, *, with_accuracy: bool) -> WorkspaceStatus:
        """:meth:`status` of a multi-label workspace: counts per class, items with the empty
        set, cross-fitted micro/macro-F1 and the learner's prediction over the pool."""
        from fewlabels.workspace.multilabel import cross_fit_scores

        counts = self.store.label_counts()
        current = self.store.current_label_sets(with_excluded=False)
        scores = None
        prediction = None
        if with_accuracy:
            emb = self.embeddings()
            X = np.asarray(emb.X)
            Y = self.label_indicator(emb.dataset.ids)
            scores = cross_fit_scores(
                X,
                Y,
                self.config.classes,
                learner=self.config.learner,
                random_state=self.config.seed,
            )
            prediction = self.predict_pool()
        prog = self.store.progress()
        rounds = self.store.rounds()
        # a guess of a set is right when its whole set is (both are kept as canonical text)
        right = _guesses_right(rounds, self.store.current_labels(sources=("human",)))
        return WorkspaceStatus(
            n_items=self.store.n_items(),
            labelled_per_class=counts,
            cv_accuracy=None,
            rounds=rounds,
            progress=None if prog is None else (prog.done, prog.total),
            guesses_right=right,
            likely_typos=[],
            prediction=prediction,
            n_suspect=None,
            agreement=self.agreement(),
            n_excluded=len(self.store.excluded()),
            multilabel=True,
            n_labelled_items=len(current),
            n_empty=sum(1 for v in current.values() if not v),
            label_scores=scores,
        )

    def _write_round_files(
        self, round_id: int, strategy: str, ids: list[str], metrics: dict[str, Any], model: Any
    ) -> None:
        """Write the round's report (``reports/round-NNNN.json``) and, when it pickles, its model
        (``models/round-NNNN.pkl``), each atomically: a crash leaves the file whole or absent."""
        (self.root / "reports").mkdir(exist_ok=True)
        atomic_write_text(
            self.root / "reports" / f"round-{round_id:04d}.json",
            json.dumps(
                {"round": round_id, "strategy": strategy, "selected": ids, **metrics}, indent=2
            ),
        )
        if model is None:
            return
        try:
            data = pickle.dumps(model)
        except (pickle.PicklingError, TypeError, AttributeError):
            return  # a learner that cannot be pickled still gives its round
        (self.root / "models").mkdir(exist_ok=True)
        atomic_write_bytes(self.root / "models" / f"round-{round_id:04d}.pkl", data)


def _refuse_multilabel_strategy(name: str) -> None:
    """Refuse a strategy made for label sets in a single-label workspace."""
    from fewlabels.active.registry import STRATEGIES

    if name in STRATEGIES and STRATEGIES.entry(name).meta.get("task") == "multilabel":
        fits = [e.name for e in STRATEGIES if e.meta.get("task") != "multilabel"]
        raise FewlabelsError(
            f"Expected a strategy for a single-label workspace, but {name!r} ranks per-label "
            f"probabilities of label sets. Use one of {fits}, or a workspace with task = "
            '"multilabel".'
        )


def _guesses_right(rounds: Sequence[Round], human: Mapping[str, str]) -> dict[int, tuple[int, int]]:
    """Per round id: how many of its guesses the human label (as stored) matches, of those
    guessed and labelled."""
    right: dict[int, tuple[int, int]] = {}
    for rnd in rounds:
        pairs = [
            (g, human[i])
            for i, g in zip(rnd.item_ids, rnd.guesses, strict=True)
            if g is not None and i in human
        ]
        if pairs:
            right[rnd.id] = (sum(g == lab for g, lab in pairs), len(pairs))
    return right
