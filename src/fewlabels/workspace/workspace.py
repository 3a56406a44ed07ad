"""The workspace: ``fewlabels.toml``, ``labels.db``, the embedding cache, models and reports.

Everything the ``init``, ``suggest``, ``status``, ``export`` and ``import`` commands do is a
method here::

    ws = Workspace.init("work", data="digits", encoder="pixels")
    ws.suggest(n=20)            # a round to label (the labelling page shows it)
    ws.store.add_label(item_id, "3")
    ws.status().cv_accuracy
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from fewlabels._atomic import atomic_fill_folder
from fewlabels._validation import check_count
from fewlabels.data.dataset import Dataset
from fewlabels.data.source import detect_kind
from fewlabels.errors import FewlabelsError, MissingFileError, StateError
from fewlabels.store.label_store import (
    ExclusionRecord,
    LabelEvent,
    LabelStore,
    Round,
    encode_label_set,
)
from fewlabels.typing import UNLABELED
from fewlabels.workspace.config import (
    CONFIG_NAME,
    DataSourceConfig,
    WorkspaceConfig,
    check_descriptions,
)
from fewlabels.workspace.creation import check_encoder_fits
from fewlabels.workspace.export import ImportReport, export_labels, import_labels
from fewlabels.workspace.forget import ForgetReport, finish_forget, forget_items
from fewlabels.workspace.source import (
    SourceChangedError,
    SourceCheck,
    content_hashes,
    item_sources,
    load_pool,
)
from fewlabels.workspace.status import PoolPrediction, WorkspaceStatus
from fewlabels.workspace.typos import likely_typos

if TYPE_CHECKING:
    from fewlabels.audit import Audit
    from fewlabels.workspace.agreement import Agreement
    from fewlabels.workspace.review import ReviewItem

STORE_NAME = "labels.db"


def check_round_size(n: Any) -> int:
    """Check how many items a round of suggestions asks for."""
    return check_count(n, name="the number of items to suggest", low=1, hint="Pass e.g. -n 20.")


class Workspace:
    """A labelling workspace folder. Open one with :meth:`open`, create one with :meth:`init`.

    Parameters
    ----------
    root : Path
    config : WorkspaceConfig
    store : LabelStore
    """

    def __init__(self, root: Path, config: WorkspaceConfig, store: LabelStore) -> None:
        self.root = root
        self.config = config
        self.store = store
        self._dataset: Dataset | None = None
        self._encoder: Any = None

    # -- creating and opening ----------------------------------------------------------------
    @classmethod
    def init(
        cls,
        root: str | Path,
        *,
        data: str,
        classes: Sequence[str] | None = None,
        encoder: str | None = None,
        text: str | None = None,
        features: Sequence[str] | None = None,
        label: str | None = None,
        id: str | None = None,
        learner: str = "auto",
        seed: int = 0,
        descriptions: Mapping[str, str | Sequence[str]] | None = None,
        task: str = "single",
        sep: str | None = None,
    ) -> Workspace:
        """Create a workspace: write ``fewlabels.toml``, register every item, import source labels.

        Parameters
        ----------
        root : path
            The workspace folder (created; must not hold a workspace already).
        data : str
            A built-in dataset name (its labels are removed), an image folder or a table file.
        classes : sequence of str, optional
            Class names; by default those of the source (built-in classes, sub-folders, labels).
        encoder : str, optional
            An encoder name; by default :func:`fewlabels.encode.default_encoder` of the pool
            (``minilm-int8`` for text, ``efficientnet-lite0`` for image files, ``pixels`` for
            small in-memory images, ``tabular`` for rows).
        text, features, label, id : optional
            Column options of a table source.
        descriptions : mapping of class name to str or list of str, optional
            Sentences describing classes, for zero-shot guesses before labels (see
            :meth:`set_descriptions`).
        task : {"single", "multilabel"}, default "single"
            One class per item, or a set of classes per item (possibly empty). A
            multi-label workspace needs a table source; its label column (when given) holds a
            list per row, or labels joined by ``sep``, and those sets are imported. Its
            learner is ``"auto"`` or a name of
            :data:`fewlabels.learn.registry.MULTILABEL_LEARNERS`.
        sep : str, optional
            With ``task="multilabel"``: the separator of labels in a cell (``"|"``).

        Nothing is written before the source and the encoder are checked, and the workspace
        is built in a temporary folder moved into place at the end (``fewlabels.toml`` last):
        a failure leaves ``root`` as it was.
        """
        from fewlabels.encode.default import default_encoder

        folder = Path(root).expanduser()
        if (folder / CONFIG_NAME).exists() or (folder / STORE_NAME).exists():
            raise StateError(
                f"Expected a new workspace folder, but {folder} already holds a workspace "
                f"({CONFIG_NAME} or {STORE_NAME}). Open it instead, or pick another folder."
            )
        from fewlabels.workspace.config import TASKS

        if task not in TASKS:
            raise FewlabelsError(
                f"Expected a task in {list(TASKS)}, but got {task!r}. Pass --task multilabel "
                "for a set of classes per item, or leave it out for one class per item."
            )
        if sep is not None and task != "multilabel":
            raise FewlabelsError(
                f"Expected sep={sep!r} (labels joined in a cell) only with a multi-label task, "
                "but the task is 'single'. Pass --task multilabel too, or drop --sep."
            )
        multilabel = task == "multilabel"
        if multilabel:
            from fewlabels.workspace.multilabel import check_multilabel_learner

            check_multilabel_learner(learner)
        kind = detect_kind(data)
        source = data if kind == "builtin" else str(Path(data).expanduser().resolve())
        source_cfg = DataSourceConfig(
            kind=kind,
            source=source,
            text=text,
            features=tuple(features) if features is not None else None,
            label=label,
            id=id,
            sep=sep,
        )
        given = tuple(classes) if classes else None
        if multilabel:
            from fewlabels.workspace.source import load_label_sets

            sets_ds = load_label_sets(source_cfg, given)
            dataset = load_pool(source_cfg, given, task=task)
        else:
            dataset = load_pool(source_cfg, given)
            _refuse_list_classes(dataset.classes, label)
        if dataset.n_classes < 2:  # an unlabelled pool has no classes of its own
            raise FewlabelsError(
                f"Expected at least 2 classes for a workspace, but {data!r} gives "
                f"{dataset.n_classes}: {list(dataset.classes)}. Name them (--classes a,b on the "
                "command line, classes=['a', 'b'] in Python)."
            )
        config = WorkspaceConfig(
            data=source_cfg,
            classes=dataset.classes,
            encoder=check_encoder_fits(encoder, dataset.modality)
            if encoder
            else default_encoder(dataset),
            learner=learner,
            seed=seed,
            descriptions=check_descriptions(descriptions or {}, dataset.classes),
            task=task,
        )
        with atomic_fill_folder(folder, last=CONFIG_NAME) as tmp:
            for sub in ("cache", "models", "reports"):
                (tmp / sub).mkdir()
            store = LabelStore(
                tmp / STORE_NAME, classes=config.classes, task=task if multilabel else None
            )
            store.add_items(
                list(dataset.ids),
                hashes=content_hashes(dataset),
                sources=item_sources(dataset, source_cfg),
            )
            if multilabel:
                pairs = [
                    (str(i), labels)
                    for i, labels in zip(sets_ds.ids, sets_ds.sets(), strict=True)
                    if labels is not None
                ]
                if pairs:
                    store.add_label_sets(pairs, who="source", source="imported")
            elif kind != "builtin" and dataset.labeled_mask.any():
                mask = dataset.labeled_mask
                store.add_labels(
                    [
                        (str(i), dataset.classes[int(c)])
                        for i, c in zip(dataset.ids[mask], dataset.labels[mask], strict=True)
                    ],
                    who="source",
                    source="imported",
                )
            config.save(tmp / CONFIG_NAME)
        ws = cls(folder, config, LabelStore(folder / STORE_NAME, create=False))
        ws._dataset = dataset.unlabeled()
        return ws

    @classmethod
    def open(
        cls,
        root: str | Path = ".",
        *,
        on_source_change: Literal["error", "accept", "ignore"] = "error",
    ) -> Workspace:
        """Open a workspace and check its data source against the registered items.

        Parameters
        ----------
        root : path, default "."
        on_source_change : {"error", "accept", "ignore"}, default "error"
            What to do when registered items are missing from the source or changed:
            raise a :class:`SourceChangedError` naming them, re-register the new contents,
            or carry on. New items in the source are always registered.

        Raises
        ------
        FileNotFoundError
            No workspace there, or its data source moved.
        CorruptStoreError
            ``labels.db`` is not a healthy label store (it is left untouched).
        SourceChangedError
        """
        folder = Path(root).expanduser()
        cfg_path = folder / CONFIG_NAME
        if not cfg_path.exists():
            raise MissingFileError(
                f"Expected a workspace at {folder.resolve()} ({CONFIG_NAME}), but there is none. "
                "Create one with `fewlabels init DIR --data SOURCE --classes a,b` or pass -w DIR."
            )
        config = WorkspaceConfig.load(cfg_path)
        store = LabelStore(folder / STORE_NAME, create=False)
        if store.classes is not None and store.classes != config.classes:
            raise FewlabelsError(
                f"Expected the classes in {cfg_path} to match those of {store.path} "
                f"({list(store.classes)}), but the file says {list(config.classes)}. Classes "
                "cannot change once labels exist: restore them, or start a new workspace and "
                "`fewlabels import` an export of this one."
            )
        if store.task != config.task:
            raise FewlabelsError(
                f"Expected the task in {cfg_path} ({config.task!r}) to match that of "
                f"{store.path} ({store.task!r}), but they differ. A task cannot change once "
                f"labels exist: write task = {store.task!r} back, or start a new workspace."
            )
        ws = cls(folder, config, store)
        pending = store.pending_forget()
        if pending is not None:  # a forget killed half-way: finish it before anything else
            finish_forget(folder, store, pending)
        check = ws.check_source()
        if check.new:
            ws._register(check.new)
        if not check.ok:
            if on_source_change == "error":
                raise SourceChangedError(check.message(config.data.source))
            if on_source_change == "accept" and check.changed:
                ws._register(check.changed)
        return ws

    def _register(self, ids: Sequence[str]) -> None:
        ds = self.dataset()
        sub = ds.subset(ds.positions(list(ids)))
        self.store.add_items(
            list(sub.ids), hashes=content_hashes(sub), sources=item_sources(sub, self.config.data)
        )

    # -- the pool ----------------------------------------------------------------------------
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

    def label(self, item_id: str, labels: Sequence[str], *, who: str) -> LabelEvent:
        """Label one item: a set of classes (possibly empty) in a multi-label workspace,
        exactly one class in a single-label one. Returns the new history row.

        Raises
        ------
        FewlabelsError
            A class outside the workspace's classes (they are listed), or a single-label
            workspace given other than one class.
        MissingKeyError
            An item that is not in the workspace.
        """
        if isinstance(labels, str):
            raise FewlabelsError(
                f"Expected the labels of item {item_id!r} as a list of class names, but got the "
                f"single str {labels!r}. Pass [{labels!r}] (or [] for none of the labels)."
            )
        names = list(dict.fromkeys(str(c) for c in labels))
        outside = [c for c in names if c not in self.config.classes]
        if outside:
            raise FewlabelsError(
                f"Expected classes among {list(self.config.classes)}, but got {outside} for "
                f"item {item_id!r}. Fix the class name(s); nothing was written."
            )
        if self.multilabel:
            seq = self.store.add_label_sets([(item_id, names)], who=who)[0]
        else:
            if len(names) != 1:
                raise FewlabelsError(
                    f"Expected exactly one class for item {item_id!r} in a single-label "
                    f"workspace, but got {names}. Pass one class, or create a workspace with "
                    "--task multilabel for sets of classes."
                )
            seq = self.store.add_label(item_id, names[0], who=who)
        return next(e for e in reversed(self.store.history(item_id)) if e.seq == seq)

    def undo(self, *, item_id: str | None = None, who: str | None = None) -> LabelEvent:
        """Undo a label: the latest human label (of ``who`` when given), or the current label
        of ``item_id``; the item gets its previous label (or set) back.

        Raises
        ------
        UndoConflictError
            Nothing to undo, or the item's current label is no human label to undo.
        """
        if item_id is None:
            return self.store.undo(None, who=who)
        from fewlabels.store.label_store import UndoConflictError

        current = self.store.current().get(str(item_id))
        if current is None or current.source != "human":
            raise UndoConflictError(
                f"Expected item {item_id!r} to carry a human label to undo, but it has "
                f"{'none' if current is None else 'an imported one'}."
            )
        return self.store.undo(current.seq)

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

    # -- rounds ------------------------------------------------------------------------------
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
        (self.root / "reports").mkdir(exist_ok=True)
        (self.root / "reports" / f"round-{round_id:04d}.json").write_text(
            json.dumps(
                {"round": round_id, "strategy": plan.strategy, "selected": ids, **metrics}, indent=2
            )
        )
        if plan.model is not None:
            try:
                (self.root / "models").mkdir(exist_ok=True)
                with open(self.root / "models" / f"round-{round_id:04d}.pkl", "wb") as fh:
                    pickle.dump(plan.model, fh)
            except (pickle.PicklingError, TypeError, AttributeError):
                pass  # a learner that cannot be pickled still gives its round
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
        (self.root / "reports").mkdir(exist_ok=True)
        (self.root / "reports" / f"round-{round_id:04d}.json").write_text(
            json.dumps(
                {"round": round_id, "strategy": plan.strategy, "selected": ids, **metrics}, indent=2
            )
        )
        if plan.model is not None:
            try:
                (self.root / "models").mkdir(exist_ok=True)
                with open(self.root / "models" / f"round-{round_id:04d}.pkl", "wb") as fh:
                    pickle.dump(plan.model, fh)
            except (pickle.PicklingError, TypeError, AttributeError):
                pass
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
        current = self.store.current_labels(sources=("human",))
        right: dict[int, tuple[int, int]] = {}
        for rnd in rounds:
            pairs = [
                (g, current[i])
                for i, g in zip(rnd.item_ids, rnd.guesses, strict=True)
                if g is not None and i in current
            ]
            if pairs:
                right[rnd.id] = (sum(g == lab for g, lab in pairs), len(pairs))
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
        human = self.store.current_labels(sources=("human",))
        right: dict[int, tuple[int, int]] = {}
        for rnd in rounds:  # a guess is right when its whole set is
            pairs = [
                (g, human[i])
                for i, g in zip(rnd.item_ids, rnd.guesses, strict=True)
                if g is not None and i in human
            ]
            if pairs:
                right[rnd.id] = (sum(g == lab for g, lab in pairs), len(pairs))
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

    # -- exclusion, annotators and review ----------------------------------------------------
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
        return audit_workspace(self, learner=STATUS_AUDIT_LEARNER, outliers=False).n_flagged

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
        return audit_workspace(self, learner=learner, top=top)

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
        report = forget_items(self, ids, who=who)
        self._dataset = None  # reloaded without the items
        return report

    def pool_fingerprint(self) -> str:
        """The fingerprint of the pool as it is now (see :meth:`LabelStore.pool_fingerprint`)."""
        return self.store.pool_fingerprint()

    # -- labels in and out -------------------------------------------------------------------
    def export(
        self, path: str | Path | None = None, *, format: str | None = None, history: bool = False
    ) -> Path:
        """Write the current labels (or history) to CSV/JSONL (default ``labels.csv`` here)."""
        out = Path(path) if path is not None else self.root / "labels.csv"
        export_labels(self.store, out, format=format, history=history)  # type: ignore[arg-type]
        return out

    def import_labels(
        self,
        path: str | Path,
        *,
        on_conflict: Literal["keep", "overwrite"] = "keep",
        id_column: str = "id",
        label_column: str = "label",
    ) -> ImportReport:
        """Import labels from CSV or JSONL (an :meth:`export` imports as it is); see
        :func:`fewlabels.workspace.import_labels`."""
        return import_labels(
            self.store,
            path,
            on_conflict=on_conflict,
            id_column=id_column,
            label_column=label_column,
        )


def _refuse_list_classes(classes: Sequence[str], column: str | None) -> None:
    """Refuse single-label classes that are written lists: the column holds label sets."""
    import ast

    def is_list(name: str) -> bool:
        text = name.strip()
        if not (text.startswith("[") and text.endswith("]")):
            return False
        try:
            return isinstance(ast.literal_eval(text), list)
        except (ValueError, SyntaxError):
            return False

    lists = [c for c in classes if is_list(c)]
    if lists:
        raise FewlabelsError(
            f"Expected one class per item in the label column {column!r}, but it holds lists "
            f"such as {lists[0]} ({len(lists)} of the {len(classes)} distinct values): a set "
            "of labels per item. Pass --task multilabel (task='multilabel' in Python)."
        )


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


def _no_text_side(encoder: str) -> str:
    """Why zero-shot is unavailable with ``encoder``."""
    return (
        f"The encoder {encoder!r} has no text side to embed the class names; a text side comes "
        "with minilm, minilm-int8, use-int8 or st:<model-id> for text and clip:<model-id> for "
        "images (pick one with `fewlabels init --encoder`)."
    )
