"""Exact forgetting: items leave the store, the embedding cache and every fitted model.

After "Label-Agnostic Forgetting" (the items and everything learnt from them go, whatever
their labels): :meth:`Workspace.forget <fewlabels.workspace.Workspace.forget>` runs

1. one store transaction (:meth:`fewlabels.store.LabelStore.forget`): the items' rows go, each
   leaves a tombstone (a salted hash of its id, who, when), and a journal of the steps below
   is written in the same transaction under the meta key ``pending_forget``;
2. the embedding cache: the vectors of the items are removed from every encoder folder under
   ``cache/`` (:func:`fewlabels.encode.cache.forget_cached`, crash-safe and re-runnable), or
   the whole cache is cleared when the encoder is fitted on the pool (``tabular``);
3. the fitted models: ``models/round-*.pkl`` (learners fitted on the pool's embeddings, the
   forgotten rows included) and the checkpoints of unfinished adaptations are deleted, the
   ids leave ``reports/*.json``, and adapted encoders under ``adapted/`` are reported stale;
4. the journal is cleared.

A process killed after step 1 leaves the journal: :meth:`Workspace.open` (every command
opens the workspace) runs steps 2 to 4 again before anything else, and they are idempotent.
Killed before step 1 commits, nothing happened. Once forgotten, an item that is still in the
data source (a built-in dataset, a file nobody deleted) is kept out of the pool through its
tombstone. The embedding learners refit on the next ``suggest``, and their fit then equals
one that never saw the items (``tests/workspace/test_forget.py``); distilled students record
the pool's fingerprint, so a student trained before the forget is reported as stale.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fewlabels._atomic import atomic_write_text
from fewlabels.errors import FewlabelsError, MissingFileError, MissingKeyError
from fewlabels.store.label_store import ForgetRecord, LabelStore, scrub_ids

if TYPE_CHECKING:
    from fewlabels.workspace.workspace import Workspace

__all__ = ["ForgetReport", "finish_forget", "forget_items", "read_id_file"]


@dataclass(frozen=True)
class ForgetReport:
    """What :meth:`Workspace.forget` did.

    Attributes
    ----------
    record : ForgetRecord or None
        The store's record, None when every id had been forgotten before.
    already_forgotten : list of str
        Ids passed that were forgotten before (a re-run): nothing left to do for them.
    cache_rows : int
        Embedding rows removed from the cache (over every encoder folder).
    cache_cleared : bool
        True when the whole cache was cleared instead (everything is encoded again): the
        encoder is fitted on the pool, or some items were no longer in the data source.
    models_removed : list of str
        Fitted model files deleted (``models/round-*.pkl``).
    reports_scrubbed : list of str
        Report files the ids were removed from.
    stale_adapted : list of str
        Adapted encoders (folders under ``adapted/``) trained on the pool before the forget:
        they are stale, adapt again to retrain them (the checkpoints of unfinished
        adaptations, ``adapted/.checkpoints``, are deleted: resuming them would bring the
        items back).
    """

    record: ForgetRecord | None
    already_forgotten: list[str] = field(default_factory=list)
    cache_rows: int = 0
    cache_cleared: bool = False
    models_removed: list[str] = field(default_factory=list)
    reports_scrubbed: list[str] = field(default_factory=list)
    stale_adapted: list[str] = field(default_factory=list)

    @property
    def n_forgotten(self) -> int:
        """How many items this call removed."""
        return 0 if self.record is None else self.record.n_items


def read_id_file(path: str | os.PathLike[str]) -> list[str]:
    """Item ids from a text file: one per line; blank lines and lines starting with # skipped.

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise MissingFileError(
            f"Expected a text file of item ids (one per line) at {str(p)!r}, but there is none."
        )
    lines = (ln.strip() for ln in p.read_text(encoding="utf-8").splitlines())
    return [ln for ln in lines if ln and not ln.startswith("#")]


def check_forget_ids(store: LabelStore, ids: Any) -> tuple[list[str], list[str]]:
    """Split ``ids`` into registered ids (to forget) and ids forgotten before.

    Raises
    ------
    MissingKeyError
        When some ids are neither registered nor forgotten: up to 10 are listed.
    """
    if isinstance(ids, str | bytes) or not hasattr(ids, "__iter__"):
        raise FewlabelsError(
            f"Expected a list of item ids to forget, but got {type(ids).__name__} {ids!r}. "
            "Pass e.g. ['item-1', 'item-2']."
        )
    wanted = list(dict.fromkeys(str(i) for i in ids))
    if not wanted:
        raise FewlabelsError(
            "Expected at least one item id to forget, but got none. Pass ids, or --from-file."
        )
    registered = {it.id for it in store.items()}
    rest = [i for i in wanted if i not in registered]
    before = set(store.forgotten(rest))
    unknown = [i for i in rest if i not in before]
    if unknown:
        raise MissingKeyError(
            f"Expected ids of items in the workspace, but {len(unknown)} of the {len(wanted)} "
            f"id(s) to forget are not: {unknown[:10]}{' ...' if len(unknown) > 10 else ''}. "
            "Nothing was forgotten; check the ids (`fewlabels export` lists them) and run again."
        )
    return [i for i in wanted if i in registered], [i for i in wanted if i in before]


def _cache_plan(ws: Workspace, ids: list[str]) -> dict[str, Any]:
    """The journal of the cache step: the fingerprints of the items' inputs to remove.

    An input whose content another remaining item shares keeps its vector (it is still that
    item's). The plan is to clear the whole cache instead when the encoder is fitted on the pool
    (``tabular``, ``pixels``: every cached vector, and the encoder's identity in the manifest,
    then depend on the forgotten rows' statistics) or when some items are gone from the data
    source (their content cannot be hashed again to find their vectors).
    """
    from fewlabels.encode.fingerprint import fingerprints

    if callable(getattr(ws.encoder(), "fit", None)):
        return {"cache_keys": [], "clear_cache": True}
    hashes = {it.id: it.hash for it in ws.store.items()}
    gone = set(ids)
    shared = {h for i, h in hashes.items() if i not in gone}
    own = [i for i in ids if hashes[i] not in shared]
    ds = ws.source_dataset()
    present = {str(i) for i in ds.ids}
    if any(i not in present for i in own):
        return {"cache_keys": [], "clear_cache": True}
    keys: list[bytes] = list(fingerprints(ds.subset(ds.positions(own)))) if own else []
    return {"cache_keys": sorted({k.decode("ascii") for k in keys}), "clear_cache": False}


def forget_items(ws: Workspace, ids: Any, *, who: str) -> ForgetReport:
    """Forget items of a workspace everywhere (see the module docstring for the steps).

    Parameters
    ----------
    ws : Workspace
    ids : sequence of str
        Item ids. Ids forgotten before are reported, not refused, so that a run that was
        killed can be repeated as it was.
    who : str
        Who asks (recorded with the tombstones).

    Raises
    ------
    MissingKeyError
        When some ids are not in the workspace: up to 10 are listed and nothing is written.
    """
    to_forget, before = check_forget_ids(ws.store, ids)
    if not to_forget:
        return ForgetReport(None, already_forgotten=before)
    record = ws.store.forget(to_forget, who=who, pending=_cache_plan(ws, to_forget))
    pending = ws.store.pending_forget()
    done = finish_forget(ws.root, ws.store, pending) if pending is not None else ForgetReport(None)
    return ForgetReport(
        record,
        already_forgotten=before,
        cache_rows=done.cache_rows,
        cache_cleared=done.cache_cleared,
        models_removed=done.models_removed,
        reports_scrubbed=done.reports_scrubbed,
        stale_adapted=done.stale_adapted,
    )


def finish_forget(root: Path, store: LabelStore, pending: dict[str, Any]) -> ForgetReport:
    """Run the steps of a forget after the store's transaction, then clear its journal.

    Idempotent: :meth:`Workspace.open` calls it when a forget was killed half-way.
    """
    from fewlabels.encode.cache import forget_cached

    cache_dir = root / "cache"
    rows, cleared = 0, bool(pending.get("clear_cache"))
    if cleared and cache_dir.is_dir():
        for entry in sorted(cache_dir.iterdir()):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    elif not cleared:
        rows = forget_cached(list(pending.get("cache_keys", [])), cache_dir=cache_dir)
    models = sorted((root / "models").glob("round-*.pkl"))
    for path in models:
        path.unlink(missing_ok=True)
    scrubbed = [p.name for p in sorted((root / "reports").glob("*.json")) if _scrub(p, store)]
    adapted = root / "adapted"
    shutil.rmtree(adapted / ".checkpoints", ignore_errors=True)
    stale = sorted(
        f"adapted/{p.name}"
        for p in (adapted.iterdir() if adapted.is_dir() else [])
        if p.is_dir() and not p.name.startswith(".")
    )
    store.clear_pending_forget(str(pending.get("event", "")))
    return ForgetReport(
        None,
        cache_rows=rows,
        cache_cleared=cleared,
        models_removed=[p.name for p in models],
        reports_scrubbed=scrubbed,
        stale_adapted=stale,
    )


def _strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _scrub(path: Path, store: LabelStore) -> bool:
    """Remove forgotten ids from one JSON report (rewritten atomically); whether it changed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False  # not a report of ours
    gone = set(store.forgotten(sorted(set(_strings(data)))))
    if not gone:
        return False
    atomic_write_text(path, json.dumps(scrub_ids(data, gone), indent=2))
    return True
