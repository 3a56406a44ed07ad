"""The pool of a workspace: its source data with the store's labels, the check of the source,
the encoder and its embeddings, and what the model would predict over the pool."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fewlabels.data.dataset import Dataset
from fewlabels.errors import FewlabelsError, StateError
from fewlabels.typing import UNLABELED
from fewlabels.workspace._base import WorkspaceBase
from fewlabels.workspace.config import CONFIG_NAME, WorkspaceConfig, check_descriptions
from fewlabels.workspace.source import SourceCheck, content_hashes, load_pool
from fewlabels.workspace.status import PoolPrediction


class PoolMixin(WorkspaceBase):
    """The pool, its encoder and embeddings (part of :class:`fewlabels.workspace.Workspace`)."""

    def source_dataset(self) -> Dataset:
        """The data source as loaded now, without labels (cached for this object)."""
        if self._dataset is None:
            pool = load_pool(
                self.config.data, self.config.classes, task=self.config.task
            ).unlabeled()
            gone = set(self.store.forgotten([str(i) for i in pool.ids]))
            if gone:  # forgotten items still in the source stay out of the pool
                pool = pool.subset(np.flatnonzero([str(i) not in gone for i in pool.ids]))
            self._dataset = pool
        return self._dataset

    @property
    def multilabel(self) -> bool:
        """Whether each item gets a set of classes (``task = "multilabel"``)."""
        return self.config.task == "multilabel"

    def dataset(self) -> Dataset:
        """The pool with the store's current human and imported labels.

        In a multi-label workspace every label stays ``-1`` (a set is no class code): see
        :meth:`label_indicator` for the sets.
        """
        ds = self.source_dataset()
        if self.multilabel:
            return ds
        index = {c: k for k, c in enumerate(ds.classes)}
        current = self.store.current_labels()
        labels = np.array(
            [index[current[i]] if i in current else UNLABELED for i in ds.ids], dtype=np.int64
        )
        return ds.with_labels(labels)

    def label_indicator(self, ids: Sequence[Any]) -> np.ndarray:
        """The current label sets of ``ids`` as an indicator (multi-label workspaces).

        Returns
        -------
        ndarray of shape (n_samples, n_classes), int8
            1 where the item's set holds the class, rows of 0 for the empty set and rows of
            -1 for unlabelled items.
        """
        from fewlabels.workspace.multilabel import indicator

        self._require_multilabel("label_indicator")
        return indicator(
            [str(i) for i in ids], self.store.current_label_sets(), self.config.classes
        )

    def _require_multilabel(self, what: str) -> None:
        if not self.multilabel:
            raise StateError(
                f"Expected a multi-label workspace for {what}, but {self.root} has one class "
                'per item (task "single"). Use its single-label calls (store.add_label).'
            )

    def check_source(self) -> SourceCheck:
        """Compare the data source now with the registered items (ids and content hashes)."""
        ds = self.source_dataset()
        now = dict(zip((str(i) for i in ds.ids), content_hashes(ds), strict=True))
        registered = {it.id: it.hash for it in self.store.items()}
        return SourceCheck(
            missing=[i for i in registered if i not in now or now[i] == "missing"],
            changed=[i for i, h in registered.items() if i in now and now[i] not in (h, "missing")],
            new=[i for i in now if i not in registered],
        )

    def set_descriptions(self, descriptions: Mapping[str, str | Sequence[str]]) -> WorkspaceConfig:
        """Replace the class descriptions and rewrite ``fewlabels.toml`` atomically.

        Parameters
        ----------
        descriptions : mapping of class name to str or list of str
            Every class described here, or none (``{}`` removes them); checked against the
            classes before anything is written.
        """
        checked = check_descriptions(descriptions, self.config.classes)
        config = dataclasses.replace(self.config, descriptions=checked)
        config.save(self.root / CONFIG_NAME)
        self.config = config
        return config

    def set_encoder(self, name: str) -> WorkspaceConfig:
        """Switch the workspace to the encoder ``name`` and rewrite ``fewlabels.toml``.

        Used by ``fewlabels adapt -w`` to switch to ``"adapted:<folder>"``. The encoder is
        built first, so a name that does not load is refused before anything is written.
        """
        from fewlabels.encode import get_encoder

        encoder = get_encoder(name)
        config = dataclasses.replace(self.config, encoder=name)
        config.save(self.root / CONFIG_NAME)
        self.config, self._encoder = config, encoder
        return config

    def encoder(self) -> Any:
        """The workspace's encoder (built once for this object)."""
        from fewlabels.encode import get_encoder

        if self._encoder is None:
            self._encoder = get_encoder(self.config.encoder)
        return self._encoder

    def zero_shot(self) -> Any:
        """A new ``ZeroShot`` on the encoder's text side, the classes and their descriptions.

        Raises
        ------
        InputTypeError
            When the encoder has no text side.
        """
        from fewlabels.workspace.suggest import zero_shot_learner

        return zero_shot_learner(self.encoder(), self.config.classes, self.config.descriptions)

    def embeddings(self, *, progress: bool = False, with_excluded: bool = False) -> Any:
        """The pool's embeddings (``fewlabels.encode.Embeddings``), cached under ``cache/``.

        Items excluded now (:meth:`exclude`) are left out of ``X`` and ``dataset`` unless
        ``with_excluded``: learners, suggestions, status and the audit never see them. The
        whole pool is embedded either way (an encoder fitted on data statistics sees every
        item, so bringing an item back changes no other item's embedding).
        """
        from fewlabels.encode import embed

        encoder = self.encoder()
        emb = embed(self.dataset(), encoder, cache_dir=self.root / "cache", progress=progress)
        excluded = self.store.excluded()
        if with_excluded or not excluded:
            return emb
        keep = ~np.isin(np.asarray(emb.dataset.ids).astype(str), list(excluded))
        return dataclasses.replace(emb, X=np.asarray(emb.X)[keep], dataset=emb.dataset.subset(keep))

    def predict_pool(self) -> PoolPrediction:
        """What the model would predict over the pool: zero-shot before labels, then the learner.

        In a multi-label workspace: the multi-label learner's share of items per class
        (:func:`fewlabels.workspace.multilabel.predict_label_sets`), no zero-shot.
        """
        from fewlabels.encode.base import has_text_side
        from fewlabels.workspace.suggest import predict_pool

        emb = self.embeddings()
        if self.multilabel:
            from fewlabels.workspace.multilabel import predict_label_sets

            return predict_label_sets(
                np.asarray(emb.X),
                self.label_indicator(emb.dataset.ids),
                self.config.classes,
                learner=self.config.learner,
                random_state=self.config.seed + len(self.store.rounds()),
            )
        has_text = has_text_side(self.encoder())
        return predict_pool(
            np.asarray(emb.X),
            emb.dataset.labels,
            class_names=self.config.classes,
            learner=self.config.learner,
            random_state=self.config.seed + len(self.store.rounds()),
            zero_shot=self.zero_shot() if has_text else None,
            zero_shot_unavailable=None if has_text else _no_text_side(self.config.encoder),
        )

    def test_accuracy(self, model: Any) -> float:
        """Accuracy of a fitted learner on a built-in dataset's held-out test split.

        Only for built-in sources: their fixed test split is separate from the pool and its
        labels never enter the workspace, so a demo can watch the model improve for real.
        """
        from fewlabels.data import load_builtin
        from fewlabels.encode import embed, get_encoder

        if self.config.data.kind != "builtin":
            raise FewlabelsError(
                f"Expected a workspace on a built-in dataset (it has a held-out test split), but "
                f"its source is a {self.config.data.kind}. Use `status` for the CV accuracy."
            )
        test = load_builtin(self.config.data.source).test
        emb = embed(
            test, get_encoder(self.config.encoder), cache_dir=self.root / "cache", progress=False
        )
        pred = np.asarray(model.predict(np.asarray(emb.X)))
        return float(np.mean(pred == emb.dataset.labels))

    def pool_fingerprint(self) -> str:
        """The fingerprint of the pool as it is now (see :meth:`LabelStore.pool_fingerprint`)."""
        return self.store.pool_fingerprint()


def _no_text_side(encoder: str) -> str:
    """Why zero-shot is unavailable with ``encoder``."""
    return (
        f"The encoder {encoder!r} has no text side to embed the class names; a text side comes "
        "with minilm, minilm-int8, use-int8 or st:<model-id> for text and clip:<model-id> for "
        "images (pick one with `fewlabels init --encoder`)."
    )
