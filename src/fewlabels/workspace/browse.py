"""Finding items to label together: neighbours, clusters, search, confident predictions.

Two layers, as elsewhere: pure functions on arrays (:func:`lexical_search`,
:func:`nearest`, :func:`confident_positions`, :func:`confusion_counts`), then
:class:`PoolBrowser`, which runs them over a workspace's embeddings and model. The labelling
page's grid, search and browse views call only this module::

    browser = PoolBrowser(ws)
    hits = browser.neighbours("t3", n=24)        # more like this
    hits = browser.search("refund", how="lexical")
    hits = browser.confident("law", n=50)        # "accept all that are right"

This file runs just past 400 lines: the pure ranking functions and :class:`PoolBrowser`, which
holds the one fitted view of the pool that they share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from fewlabels._validation import check_count
from fewlabels.errors import FewlabelsError, InputTypeError, MissingKeyError
from fewlabels.typing import UNLABELED, FloatArray, IntArray

if TYPE_CHECKING:
    from fewlabels.audit import AuditRow
    from fewlabels.workspace.workspace import Workspace

#: The ways to search: a word in the text, or the meaning of the query (encoder text side).
SEARCH_KINDS = ("lexical", "semantic")
#: The orders of the browse view.
BROWSE_KINDS = ("predicted", "confidence", "labelled")
#: The most items one grid shows.
MAX_GRID = 200
#: How sure the model must be for "accept all that are right", by default.
CONFIDENT_THRESHOLD = 0.8


@dataclass(frozen=True)
class Hit:
    """One item found: its id and why (a similarity, a probability, a match count)."""

    item_id: str
    score: float


def check_query(query: Any) -> str:
    """A search query, stripped; an empty one is refused with what to type."""
    if not isinstance(query, str) or not query.strip():
        raise FewlabelsError(
            f"Expected a search query (a word or a phrase), but got {query!r}. Type what the "
            "items you look for say or are about, e.g. 'refund'."
        )
    return query.strip()


def lexical_search(texts: Sequence[str], query: str, *, limit: int) -> tuple[IntArray, FloatArray]:
    """Rank texts by a case-insensitive match of ``query``.

    A text containing the whole query scores 1 plus the share of the query's tokens it
    holds; one holding only some tokens scores that share. Texts with no match are left out.
    Ties keep the pool order. Assumes a valid query.

    Parameters
    ----------
    texts : sequence of str of length n_samples
    query : str
    limit : int
        The most positions returned.

    Returns
    -------
    positions : ndarray of shape (n_found,), int64
    scores : ndarray of shape (n_found,), float64
        In (0, 2], best first.
    """
    q = query.lower()
    tokens = sorted(set(q.split()))
    scores = np.zeros(len(texts), dtype=np.float64)
    for k, text in enumerate(texts):
        low = str(text).lower()
        words = set(low.split())
        share = sum(t in words or t in low for t in tokens) / max(len(tokens), 1)
        scores[k] = (1.0 if q in low else 0.0) + share
    order = np.argsort(-scores, kind="stable")
    order = order[scores[order] > 0][:limit]
    return order.astype(np.int64), scores[order]


def nearest(
    X: FloatArray, query: FloatArray, *, k: int, skip: int | None = None
) -> tuple[IntArray, FloatArray]:
    """The ``k`` rows of ``X`` most similar (inner product) to one query vector (faiss).

    Parameters
    ----------
    X : ndarray of shape (n_samples, dim)
        Unit-norm rows (the encoders' output), so the inner product is the cosine.
    query : ndarray of shape (dim,)
    k : int
    skip : int, optional
        A row left out of the answer (the query item itself).

    Returns
    -------
    positions : ndarray of shape (min(k, n_samples),), int64
    similarities : ndarray of the same shape, float64
        Best first.
    """
    from fewlabels.active._faiss import threads_for

    Xf = np.ascontiguousarray(X, dtype=np.float32)
    want = min(k + (skip is not None), Xf.shape[0])
    if want <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    with threads_for(float(Xf.shape[0]) * Xf.shape[1]) as faiss:
        index = faiss.IndexFlatIP(Xf.shape[1])
        index.add(Xf)
        sims, pos = index.search(np.ascontiguousarray(query, dtype=np.float32)[None, :], want)
    keep = (pos[0] >= 0) & (pos[0] != (-1 if skip is None else skip))
    return pos[0][keep][:k].astype(np.int64), sims[0][keep][:k].astype(np.float64)


def confident_positions(
    proba: FloatArray, code: int, *, threshold: float, candidates: Any = None
) -> tuple[IntArray, FloatArray]:
    """Rows whose most probable class is ``code`` with probability ``>= threshold``.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
    code : int
        A column of ``proba``.
    threshold : float
    candidates : ndarray of shape (n_samples,), bool, optional
        Only these rows (the unlabelled ones, say).

    Returns
    -------
    positions : ndarray of shape (n_found,), int64
    probabilities : ndarray of shape (n_found,), float64
        Most confident first.
    """
    p = np.asarray(proba, dtype=np.float64)
    ok = (p.argmax(axis=1) == code) & (p[:, code] >= threshold)
    if candidates is not None:
        ok &= np.asarray(candidates, dtype=bool)
    pos = np.flatnonzero(ok)
    order = pos[np.argsort(-p[pos, code], kind="stable")]
    return order.astype(np.int64), p[order, code]


def confusion_counts(rows: Sequence[AuditRow], classes: Sequence[str]) -> np.ndarray:
    """Human labels against cross-fitted predictions.

    Parameters
    ----------
    rows : sequence of AuditRow
        ``given`` (the human label) and ``suggested`` (the out-of-sample model's class).
    classes : sequence of str of length n_classes

    Returns
    -------
    ndarray of shape (n_classes, n_classes), int64
        ``[i, j]``: items labelled ``classes[i]`` that the model puts in ``classes[j]``.
    """
    index = {c: k for k, c in enumerate(classes)}
    out = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for r in rows:
        if r.given in index and r.suggested in index:
            out[index[r.given], index[r.suggested]] += 1
    return out


class PoolBrowser:
    """Neighbours, clusters, search and the model's view of a workspace's pool.

    The embeddings are read once (:meth:`Workspace.embeddings`, excluded items left out);
    the model's probabilities (:meth:`proba`) are fitted on first use and again when the
    labels or exclusions changed since (or after :meth:`refresh`), never twice for the same
    labels.

    Parameters
    ----------
    workspace : Workspace
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._emb: Any = None
        self._proba: np.ndarray | None = None
        self._model: str = ""
        self._clusters: np.ndarray | None = None
        self._state: int | None = None  # the labels and exclusions the model was fitted on

    # -- what it reads ---------------------------------------------------------------------
    def refresh(self) -> None:
        """Forget the embeddings, model and clusters (labels or exclusions changed)."""
        self._emb = self._proba = self._clusters = None

    def _embeddings(self) -> Any:
        if self._emb is None:
            self._emb = self.workspace.embeddings()
            ids = [str(i) for i in self._emb.dataset.ids]
            self._ids = np.asarray(ids, dtype=object)
            self._pos = {i: k for k, i in enumerate(ids)}
        return self._emb

    @property
    def ids(self) -> np.ndarray:
        """The item ids of the pool as the browser sees it, ndarray of shape (n_samples,)."""
        self._embeddings()
        return self._ids

    def position(self, item_id: str) -> int:
        """The row of ``item_id``; an item not in the pool (excluded, unknown) is refused."""
        self._embeddings()
        if item_id not in self._pos:
            raise MissingKeyError(
                f"Expected the id of an item in the pool, but {item_id!r} is not one (unknown, "
                "forgotten or excluded). Check the id, or bring an excluded item back first."
            )
        return self._pos[item_id]

    def _hits(self, positions: IntArray, scores: FloatArray) -> list[Hit]:
        return [Hit(str(self._ids[p]), float(s)) for p, s in zip(positions, scores, strict=True)]

    def _unlabelled(self) -> np.ndarray:
        labelled = set(self.workspace.store.current_labels())
        return np.array([i not in labelled for i in self.ids], dtype=bool)

    # -- grids -----------------------------------------------------------------------------
    def neighbours(self, item_id: str, *, n: int = 24) -> list[Hit]:
        """The ``n`` items nearest ``item_id`` (cosine), most similar first, itself left out."""
        n = check_count(n, name="the grid size", low=1, high=MAX_GRID)
        X = np.asarray(self._embeddings().X)
        k = self.position(item_id)
        return self._hits(*nearest(X, X[k], k=n, skip=k))

    def cluster(self, item_id: str, *, n: int = 24) -> list[Hit]:
        """Up to ``n`` items of ``item_id``'s cluster (TypiClust's k-means), most typical first.

        The pool is cut into about one cluster per 40 items (2 to 500, the cap of
        :func:`fewlabels.active.typiclust.typiclust_select`); the score is the typicality.
        """
        from fewlabels.active.typiclust import kmeans_labels, typicality

        n = check_count(n, name="the grid size", low=1, high=MAX_GRID)
        X = np.asarray(self._embeddings().X)
        if self._clusters is None:
            k = int(np.clip(len(X) // 40, 2, 500))
            self._clusters = kmeans_labels(X, k, random_state=self.workspace.config.seed)
        members = np.flatnonzero(self._clusters == self._clusters[self.position(item_id)])
        typ = typicality(X[members])
        order = np.argsort(-typ, kind="stable")[:n]
        return self._hits(members[order], typ[order])

    def search(self, query: str, *, how: str = "lexical", n: int = 24) -> list[Hit]:
        """Items matching ``query``: its words in the text, or its meaning (text side).

        Raises
        ------
        FewlabelsError
            An empty query, an unknown ``how``, a lexical search on items without text.
        InputTypeError
            A semantic search with an encoder that has no text side (the message offers
            "more like this").
        """
        query = check_query(query)
        n = check_count(n, name="the grid size", low=1, high=MAX_GRID)
        if how not in SEARCH_KINDS:
            raise FewlabelsError(f"Expected a search kind in {SEARCH_KINDS}, but got {how!r}.")
        emb = self._embeddings()
        if how == "lexical":
            if emb.dataset.modality != "text":
                raise FewlabelsError(
                    f"Expected text items for a search by words, but the pool holds "
                    f"{emb.dataset.modality} items. Search by meaning, or open an item and "
                    "use 'more like this'."
                )
            return self._hits(*lexical_search(list(emb.dataset.inputs), query, limit=n))
        from fewlabels.encode.base import has_text_side

        encoder = self.workspace.encoder()
        if not has_text_side(encoder):
            raise InputTypeError(
                f"A search by meaning needs an encoder with a text side, but the encoder "
                f"{self.workspace.config.encoder!r} has none. Open an item and use 'more like "
                "this' (its nearest neighbours), or pick a text or CLIP encoder "
                "(`fewlabels init --encoder`)."
            )
        vec = np.asarray(encoder.encode_text([query]), dtype=np.float32)[0]
        return self._hits(*nearest(np.asarray(emb.X), vec, k=n))

    # -- the model's view ------------------------------------------------------------------
    def proba(self) -> np.ndarray:
        """The model's probabilities over the pool, ndarray of shape (n_samples, n_classes).

        The model :meth:`Workspace.suggest` would use: the learner once two classes have
        labels, zero-shot before (on an encoder with a text side).

        Raises
        ------
        StateError
            When there is no model yet (too few labels and no text side).
        """
        from fewlabels.errors import StateError
        from fewlabels.workspace.suggest import _fit_proba, _get_learner

        ws = self.workspace
        current = ws.store.current_labels()  # now, not when the embeddings were read
        state = hash((tuple(sorted(current.items())), tuple(sorted(ws.store.excluded()))))
        if self._proba is not None and state != self._state:
            self.refresh()  # labelled or excluded since the fit: a stale model misleads the grid
        if self._proba is None:
            self._state = state
            emb = self._embeddings()
            K = len(ws.config.classes)
            code = {c: k for k, c in enumerate(ws.config.classes)}
            X = np.asarray(emb.X)
            y = np.array([code.get(current.get(i, ""), UNLABELED) for i in self.ids])
            seed = ws.config.seed + len(ws.store.rounds())
            labelled = y != UNLABELED
            if np.unique(y[labelled]).size >= 2:
                zs = None
                from fewlabels.encode.base import has_text_side

                if has_text_side(ws.encoder()):
                    zs = ws.zero_shot()
                self._proba = _fit_proba(_get_learner(ws.config.learner, seed, zs), X, y, K)
                self._model = f"the learner {ws.config.learner!r} on {int(labelled.sum())} labels"
            else:
                from fewlabels.encode.base import has_text_side

                if not has_text_side(ws.encoder()):
                    raise StateError(
                        "Expected a model to browse by, but there is none yet: label items of "
                        "at least 2 classes first (the encoder has no text side for zero-shot)."
                    )
                self._proba = _fit_proba(ws.zero_shot(), X, y, K)
                self._model = "zero-shot from the class names"
        return self._proba

    @property
    def model(self) -> str:
        """Which model :meth:`proba` used, in words (empty before it ran)."""
        return self._model

    def _code(self, label: str) -> int:
        classes = list(self.workspace.config.classes)
        if label not in classes:
            raise FewlabelsError(f"Expected a class among {classes}, but got {label!r}.")
        return classes.index(label)

    def confident(
        self, label: str, *, n: int = 24, threshold: float = CONFIDENT_THRESHOLD
    ) -> list[Hit]:
        """Unlabelled items the model puts in ``label`` with probability ``>= threshold``."""
        n = check_count(n, name="the grid size", low=1, high=MAX_GRID)
        pos, p = confident_positions(
            self.proba(), self._code(label), threshold=threshold, candidates=self._unlabelled()
        )
        return self._hits(pos[:n], p[:n])

    def browse(self, by: str, *, label: str | None = None, n: int = 24) -> list[Hit]:
        """Items by predicted class, by confidence (least sure first) or by their label.

        Parameters
        ----------
        by : {"predicted", "confidence", "labelled"}
        label : str, optional
            The class (needed for "predicted" and "labelled"; for "confidence" it keeps only
            the items predicted as it).
        n : int, default 24

        Returns
        -------
        list of Hit
            Scores are the model's probability of the shown class (1 for "labelled").
        """
        n = check_count(n, name="the grid size", low=1, high=MAX_GRID)
        if by not in BROWSE_KINDS:
            raise FewlabelsError(f"Expected a browse order in {BROWSE_KINDS}, but got {by!r}.")
        if by == "labelled":
            if label is None:
                raise FewlabelsError("Expected a class to browse the items labelled as it.")
            self._code(label)
            current = self.workspace.store.current_labels()
            ids = [i for i in self.ids if current.get(i) == label][:n]
            return [Hit(i, 1.0) for i in ids]
        proba = self.proba()
        top, conf = proba.argmax(axis=1), proba.max(axis=1)
        keep = np.ones(len(proba), dtype=bool)
        if label is not None:
            keep &= top == self._code(label)
        elif by == "predicted":
            raise FewlabelsError("Expected a class to browse the items predicted as it.")
        pos = np.flatnonzero(keep)
        order = pos[np.argsort(conf[pos] if by == "confidence" else -conf[pos], kind="stable")]
        return self._hits(order[:n], conf[order[:n]])
