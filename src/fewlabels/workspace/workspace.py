"""The workspace: ``fewlabels.toml``, ``labels.db``, the embedding cache, models and reports.

Everything the ``init``, ``suggest``, ``status``, ``export`` and ``import`` commands do is a
method here::

    ws = Workspace.init("work", data="digits", encoder="pixels")
    ws.suggest(n=20)            # a round to label (the labelling page shows it)
    ws.store.add_label(item_id, "3")
    ws.status().cv_accuracy

:class:`Workspace` is assembled from one module per concept: this one creates and opens a
workspace; ``pool.py`` holds the pool, its encoder and embeddings; ``labelling.py`` labels,
undo, export and import; ``curation.py`` exclusion, review, the audit and forgetting;
``rounds.py`` suggestions and status. Their names are re-exported here, where callers have
always imported them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from fewlabels._atomic import atomic_fill_folder
from fewlabels.data.source import detect_kind
from fewlabels.errors import FewlabelsError, MissingFileError, StateError
from fewlabels.store.label_store import LabelStore
from fewlabels.workspace._base import STORE_NAME
from fewlabels.workspace.config import (
    CONFIG_NAME,
    DataSourceConfig,
    WorkspaceConfig,
    check_descriptions,
)
from fewlabels.workspace.creation import check_encoder_fits
from fewlabels.workspace.curation import CurationMixin
from fewlabels.workspace.forget import finish_forget
from fewlabels.workspace.labelling import LabellingMixin
from fewlabels.workspace.pool import PoolMixin
from fewlabels.workspace.rounds import RoundsMixin, check_round_size
from fewlabels.workspace.source import (
    SourceChangedError,
    SourceCheck,
    content_hashes,
    item_sources,
    load_pool,
)
from fewlabels.workspace.status import PoolPrediction, WorkspaceStatus

__all__ = [
    "STORE_NAME",
    "PoolPrediction",
    "SourceChangedError",
    "SourceCheck",
    "Workspace",
    "WorkspaceStatus",
    "check_round_size",
]


class Workspace(RoundsMixin, LabellingMixin, CurationMixin, PoolMixin):
    """A labelling workspace folder. Open one with :meth:`open`, create one with :meth:`init`.

    Parameters
    ----------
    root : Path
    config : WorkspaceConfig
    store : LabelStore
    """

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
            :meth:`set_descriptions`). A built-in source brings its own (``finefoods``,
            ``movielens-genre``) when none are given; pass ``{}`` for none.
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
            descriptions=check_descriptions(
                _default_descriptions(descriptions, kind, data), dataset.classes
            ),
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


def _default_descriptions(
    given: Mapping[str, str | Sequence[str]] | None, kind: str, data: str
) -> Mapping[str, str | Sequence[str]]:
    """The descriptions a new workspace gets: those given, else a built-in source's own."""
    if given is not None:
        return given
    if kind == "builtin":
        from fewlabels.data.builtin import builtin_descriptions

        return builtin_descriptions(data)
    return {}
