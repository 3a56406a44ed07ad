"""Label spreading on a sparse kNN graph, solved iteratively so that it scales.

Zhou et al. (2004, "Learning with Local and Global Consistency"): ``F = (I - alpha S)^-1 Y``
with ``S = D^-1/2 W D^-1/2``. As in Iscen et al. (2019, "Label Propagation for Deep
Semi-supervised Learning") ``W`` is a kNN graph built with faiss and the linear system is
solved by conjugate gradient, one column per class; memory is O(n k), so 100,000+ rows fit
where scikit-learn's dense RBF kernel needs O(n^2).

This file runs past 400 lines because it is one estimator with its pure solver: the closed
form's iterative solve (in the graph's list order, :func:`permute_graph`), the estimator's fit
and its inductive predict; the graph itself is built in ``knn_graph.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from fewlabels._validation import check_param
from fewlabels.encode.index import NeighbourIndex, cache_source, neighbour_index, transform_key
from fewlabels.errors import FewlabelsError
from fewlabels.learn.base import EmbeddingClassifier
from fewlabels.learn.features import center_normalize, pool_mean
from fewlabels.learn.ivf_store import ivf_partition
from fewlabels.learn.knn_graph import (
    EXACT_UP_TO,
    knn_graph,
    knn_search,
    uses_index,
)
from fewlabels.typing import UNLABELED


def seed_matrix(
    y: np.ndarray, n_classes: int, *, sample_weight: np.ndarray | None = None
) -> np.ndarray:
    """The initial label matrix ``Y``, each class's seeds summing to 1.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), ``-1`` for unlabelled rows
    n_classes : int
    sample_weight : ndarray of shape (n_samples,), optional
        Non-negative seed weights (default 1), e.g. the confidence of a pseudo-label.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        ``Y[i, y_i] = w_i / sum_{j: y_j = y_i} w_j`` for labelled rows (Iscen et al.: so
        that a class with more labels does not spread further), zero elsewhere.
    """
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    Y = np.zeros((len(y), n_classes))
    lab = np.flatnonzero((y != UNLABELED) & (w > 0))
    totals = np.bincount(y[lab], weights=w[lab], minlength=n_classes)
    Y[lab, y[lab]] = w[lab] / totals[y[lab]]
    return Y


def spread_labels(
    S: sp.spmatrix,
    Y: np.ndarray,
    *,
    alpha: float = 0.99,
    tol: float = 1e-6,
    max_iter: int = 200,
    order: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Solve ``(I - alpha S) F = Y`` by conjugate gradient, all classes at once.

    Each column runs its own conjugate-gradient recursion, but the columns share one
    sparse product per iteration (``S @ P`` with ``P`` of shape (n, n_classes)), so the
    cost is that of one solve. Assumes a symmetric ``S`` with eigenvalues in ``[-1, 1]``
    (:func:`normalize_graph`), so ``I - alpha S`` is positive definite for
    ``0 <= alpha < 1``.

    With ``order`` the system is solved on the rows in that order (``S`` and ``Y``
    permuted once, ``F`` un-permuted at the end): the same answer up to rounding, and
    when graph neighbours are near each other in ``order`` (the inverted file's list
    order, ``S.node_order`` of :func:`fewlabels.learn.knn_graph.knn_graph`) each sparse
    product reads nearby rows of ``P`` instead of rows scattered over the whole pool.

    Parameters
    ----------
    S : sparse matrix of shape (n_samples, n_samples)
    Y : ndarray of shape (n_samples, n_classes)
    alpha : float, default 0.99
        How far labels spread (``alpha -> 1``: further).
    tol : float, default 1e-6
        Relative residual ``|Y - (I - alpha S) F| / |Y|`` at which a column stops.
    max_iter : int, default 200
        Iterations at most.
    order : ndarray of shape (n_samples,), optional
        A permutation of the rows to solve in (row ``order[i]`` at position ``i``).

    Returns
    -------
    F : ndarray of shape (n_samples, n_classes)
        Unnormalised scores; ``F = (I - alpha S)^-1 Y`` up to ``tol``, in the rows' own
        order whatever ``order``.
    n_iter : int
        Iterations run.
    """
    if order is not None:
        perm = _check_order(order, S.shape[0])
        F_perm, n_iter = spread_labels(
            permute_graph(S, perm),
            np.asarray(Y, dtype=np.float64)[perm],
            alpha=alpha,
            tol=tol,
            max_iter=max_iter,
        )
        F_out = np.empty_like(F_perm)
        F_out[perm] = F_perm
        return F_out, n_iter
    S = sp.csr_matrix(S, dtype=np.float64)
    B = np.asarray(Y, dtype=np.float64)

    def matvec(P: np.ndarray) -> np.ndarray:
        return P - alpha * (S @ P)

    F = B.copy()
    R = B - matvec(F)
    P = R.copy()
    rs = np.einsum("ij,ij->j", R, R)
    goal = (tol * np.linalg.norm(B, axis=0)) ** 2
    n_iter = 0
    for _ in range(max_iter):
        active = rs > goal
        if not active.any():
            break
        n_iter += 1
        AP = matvec(P)
        curvature = np.einsum("ij,ij->j", P, AP)
        step = np.divide(rs, curvature, out=np.zeros_like(rs), where=active & (curvature > 0))
        F += step * P
        R -= step * AP
        rs_new = np.einsum("ij,ij->j", R, R)
        beta = np.divide(rs_new, rs, out=np.zeros_like(rs), where=rs > 0)
        P = R + beta * P
        rs = np.where(active, rs_new, rs)
    return F, n_iter


def _check_order(order: np.ndarray, n: int) -> np.ndarray:
    perm = np.asarray(order)
    ok = perm.shape == (n,) and perm.dtype.kind in "iu"
    if ok and n:
        ok = bool(np.bincount(perm, minlength=n).max() == 1) and int(perm.max()) < n
    if not ok:
        raise FewlabelsError(
            f"spread_labels expected order to be a permutation of the {n} rows (each of "
            f"0..{n - 1} once), but got an array of shape {perm.shape} and dtype {perm.dtype} "
            "that is not one. Pass S.node_order of a knn_graph, or None."
        )
    return perm.astype(np.int64, copy=False)


def permute_graph(S: sp.spmatrix, order: np.ndarray) -> sp.csr_matrix:
    """``S`` on the rows in ``order``: ``S[order][:, order]``, in one pass over the entries.

    Assumes ``order`` is a permutation of ``range(n)``.

    Parameters
    ----------
    S : sparse matrix of shape (n, n)
    order : ndarray of shape (n,), int

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n, n), float64
        Entry ``(i, j)`` is ``S[order[i], order[j]]``.
    """
    coo = sp.coo_matrix(S, dtype=np.float64)
    inv = np.empty(len(order), dtype=np.int64)
    inv[order] = np.arange(len(order))
    return sp.csr_matrix((coo.data, (inv[coo.row], inv[coo.col])), shape=S.shape)


def normalize_scores(F: np.ndarray, prior: np.ndarray | None = None) -> np.ndarray:
    """Clip scores at 0 and scale rows to sum to 1; a row with no mass gets ``prior``.

    Parameters
    ----------
    F : ndarray of shape (n_samples, n_classes)
    prior : ndarray of shape (n_classes,), optional
        Default uniform.

    Returns
    -------
    ndarray of shape (n_samples, n_classes), rows sum to 1
    """
    P = np.maximum(F, 0.0)
    total = P.sum(axis=1, keepdims=True)
    if prior is None:
        prior = np.full(F.shape[1], 1.0 / F.shape[1])
    empty = total[:, 0] <= 0
    P[empty] = prior
    total[empty] = 1.0
    return P / total


def class_mass_normalize(P: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Scale the columns of ``P`` so that class masses follow ``prior``, then the rows to 1.

    Zhu et al. (2003), class mass normalisation.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_classes), non-negative, rows summing to 1
    prior : ndarray of shape (n_classes,)
        Wanted share of each class (the labelled class proportions).

    Returns
    -------
    ndarray of shape (n_samples, n_classes), rows sum to 1
    """
    mass = P.sum(axis=0)
    scale = np.divide(prior, mass, out=np.zeros_like(prior, dtype=float), where=mass > 0)
    return normalize_scores(P * scale[None, :], prior)


class LabelSpreading(EmbeddingClassifier):
    """Label spreading over a sparse, symmetric, normalised kNN graph (faiss).

    Zhou et al. (2004), "Learning with Local and Global Consistency"; scikit-learn's
    ``LabelSpreading`` on a sparse graph that scales to 100,000+ rows.

    Parameters
    ----------
    n_neighbors : int, default 5
        Neighbours per row in the graph (and for predicting new rows). Small graphs
        spread best with few labels: 5 beat 7, 10 and 15 on digits and mnist5k pixels.
    alpha : float, default 0.99
        Spreading strength in ``[0, 1)``.
    power : float, default 3.0
        Affinity ``max(cos, 0) ** power``.
    center : bool, default True
        Centre on the pool mean before L2 normalisation.
    class_mass : bool, default True
        Class mass normalisation (Zhu et al., 2003, "Semi-Supervised Learning Using
        Gaussian Fields and Harmonic Functions"): before the argmax, scale each class's
        column so that its total mass over the pool matches the class proportions of the
        labelled rows. It keeps a class with well-connected seeds from swallowing the
        others (+0.3 to +4 points on digits and mnist5k pixels).
    tol : float, default 1e-6
    max_iter : int, default 200
    class_weight : None, "balanced" or dict, default None
        The class masses aimed at. Each class's seeds already sum to 1 (so a class labelled
        more often does not spread further: the balanced rule); class mass normalisation
        (``class_mass``, Zhu et al., 2003) then scales each class's column so that its
        mass over the pool is proportional to ``labelled share * weight``. ``None``: the
        labelled shares; ``"balanced"`` (``n_labelled / (K count_c)``): the same mass for
        every class, whatever the labelled rows' imbalance; a dict ``{class: weight}`` in
        the user's values (missing classes 1) scales the labelled shares. Without class
        mass normalisation the seeds are balanced already, so ``None`` and ``"balanced"``
        agree there, and a dict multiplies each class's seed column by its weight.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_weight_ : ndarray of shape (n_classes,)
        The resolved class weights.
    class_shares_ : ndarray of shape (n_classes,)
        Shares of the predicted classes (argmax of ``fit_proba_``) over the fitted rows.
    labelled_shares_ : ndarray of shape (n_classes,)
        Class shares of the labelled rows.
    label_distributions_ : ndarray of shape (n_samples, n_classes)
        ``(I - alpha S)^-1 Y``, clipped at 0 and row-normalised.
    transduction_ : ndarray of shape (n_samples,)
        The transductive answer: the label of every fitted row, the given label for
        labelled rows, else the argmax of ``fit_proba_``.
    fit_proba_ : ndarray of shape (n_samples, n_classes)
        ``label_distributions_`` after class mass normalisation (``class_mass``), with
        labelled rows set to their one-hot label. ``predict_proba`` is inductive, for any
        rows (the fitted ones too): the similarity-weighted mean of ``fit_proba_`` over
        the ``n_neighbors`` nearest fitted rows, so it never depends on the order or the
        company of the rows it is given.
    X_fit_ : ndarray of shape (n_samples, n_features)
        The fitted rows, centred and normalised.
    n_iter_ : int
        Conjugate-gradient iterations.
    clusters_ : Clusters or None
        The inverted file of ``X_fit_`` (:mod:`fewlabels.learn.ivf_graph`, lists of about
        1,000 rows; pools of more than ``EXACT_UP_TO`` rows fitted without a precomputed
        graph or a neighbour index): the graph is searched on it, and it is reused to
        predict new rows. When ``X`` is the memory-mapped embedding cache it is saved
        beside the cache and read back by the next fit of the same pool
        (:mod:`fewlabels.learn.ivf_store`). The system is solved in its list order
        (:func:`spread_labels` with ``order``), which keeps the sparse products local.
    index_ : NeighbourIndex or None
        The faiss neighbour index of ``X_fit_`` (pools of more than
        :data:`fewlabels.learn.knn_graph.ANN_ABOVE` rows fitted without a precomputed
        graph), reused to predict new rows. When ``X`` is the memory-mapped embedding cache
        (what :func:`fewlabels.encode.embed` returns), it is saved beside the cache and read
        back by the next fit of the same pool.
    index_recall_ : float or None
        Recall@10 of the neighbour index against exact search, measured on a sample of rows
        when it was built (also for a precomputed graph from :meth:`build_graph`); None when
        the graph was exact or came from the inverted file (see ``graph_recall_``).
    graph_recall_ : float or None
        Recall@10 against exact search of the neighbour search behind the graph (the
        inverted-file graph of :mod:`fewlabels.learn.ivf_graph` above ``EXACT_UP_TO`` rows,
        or the neighbour index), measured on 500 sampled rows; None when the graph is exact.
    mean_ : ndarray of shape (n_features,) or None
    n_features_in_ : int
    """

    transductive = True
    accepts_graph = True  # fit(X, y, graph=build_graph(X)) skips the kNN search

    def __init__(
        self,
        *,
        n_neighbors: int = 5,
        alpha: float = 0.99,
        power: float = 3.0,
        center: bool = True,
        class_mass: bool = True,
        tol: float = 1e-6,
        max_iter: int = 200,
        class_weight: Any = None,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.alpha = alpha
        self.power = power
        self.center = center
        self.class_mass = class_mass
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight

    def build_graph(self, X: np.ndarray) -> sp.csr_matrix:
        """The normalised kNN graph of ``X`` with this learner's settings.

        Labels play no part, so the graph of a pool can be built once and passed to many
        fits (``fit(X, y, graph=...)``), as :class:`Auto` does across its folds.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features), finite

        Returns
        -------
        scipy.sparse.csr_matrix of shape (n_samples, n_samples)
            With an ``index_recall`` attribute: the neighbour index's recall@10 above
            ``ANN_ABOVE`` rows, else None.
        """
        mean = self._pool_mean(X)
        Z = center_normalize(X, mean)
        index: NeighbourIndex | None = None
        clusters = None
        if uses_index(len(Z)):
            index = neighbour_index(Z, source=cache_source(X), transform=transform_key(mean))
        elif len(Z) > EXACT_UP_TO:
            clusters = ivf_partition(Z, source=cache_source(X), transform=transform_key(mean))
        S = knn_graph(
            Z,
            n_neighbors=int(self.n_neighbors),
            power=float(self.power),
            index=index,
            clusters=clusters,
        )
        # The recall travels with the graph, so a fit on it (SelfTraining) can record it.
        S.index_recall = None if index is None else index.recall
        return S

    def _pool_mean(self, X: np.ndarray) -> np.ndarray | None:
        return pool_mean(X) if self.center else None

    def fit(
        self, X: Any, y: Any, *, sample_weight: Any = None, graph: sp.spmatrix | None = None
    ) -> LabelSpreading:
        """Spread the labels of the labelled rows over the graph of all rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Every row of the pool.
        y : array-like of shape (n_samples,), ``-1`` for unlabelled rows
        sample_weight : array-like of shape (n_samples,), optional
            Weight of each labelled row as a seed (see :func:`seed_matrix`).
        graph : sparse matrix of shape (n_samples, n_samples), optional
            A precomputed :meth:`build_graph` of the same ``X`` (saves the kNN search).

        Returns
        -------
        self
        """
        check_param("alpha", self.alpha, low=0, high=1, high_open=True, learner="LabelSpreading")
        check_param("n_neighbors", self.n_neighbors, low=1, high=np.inf, learner="LabelSpreading")
        source = cache_source(X)  # before validation, which may copy the memmap
        Xa, ya = self._validate_fit(X, y)
        Z = self._fit_features(Xa, center=self.center)
        # Large pools: one index (or inverted file) serves the graph and, later, new rows
        # (with a precomputed graph it is built only if new rows come).
        self.index_: NeighbourIndex | None = None
        self.clusters_ = None
        if graph is None and uses_index(len(Z)):
            self.index_ = neighbour_index(Z, source=source, transform=transform_key(self.mean_))
        elif graph is None and len(Z) > EXACT_UP_TO:
            self.clusters_ = ivf_partition(Z, source=source, transform=transform_key(self.mean_))
        self.index_recall_ = (
            self.index_.recall if self.index_ is not None else getattr(graph, "index_recall", None)
        )
        if graph is None:
            S = knn_graph(
                Z,
                n_neighbors=int(self.n_neighbors),
                power=float(self.power),
                clusters=self.clusters_,
                index=self.index_,
            )
            self.graph_recall_ = getattr(S, "graph_recall", None)
            order = getattr(S, "node_order", None)
        else:
            self.graph_recall_ = getattr(graph, "graph_recall", None)
            order = getattr(graph, "node_order", None)
            if graph.shape != (len(Z), len(Z)):
                raise FewlabelsError(
                    f"LabelSpreading expected a graph of shape {(len(Z), len(Z))} for "
                    f"{len(Z)} rows, but got {graph.shape}. Build it with build_graph(X) on "
                    "the same X."
                )
            S = sp.csr_matrix(graph)
        K = len(self.classes_)
        w = self._check_weights(sample_weight, Xa)
        Y = seed_matrix(ya, K, sample_weight=w)
        cw = self._class_weights(ya, w)
        weighted = not np.all(cw == 1.0)
        if weighted and not self.class_mass and not isinstance(self.class_weight, str):
            Y *= cw[None, :]  # a dict scales the (already class-balanced) seed columns
        # In the inverted file's list order the sparse products read nearby rows.
        F, self.n_iter_ = spread_labels(
            S,
            Y,
            alpha=float(self.alpha),
            tol=float(self.tol),
            max_iter=int(self.max_iter),
            order=order,
        )
        lab = ya != UNLABELED
        prior = np.bincount(ya[lab], minlength=K) / lab.sum()
        target = prior
        if weighted:
            target = prior * cw
            target = target / target.sum()
        self.label_distributions_ = normalize_scores(F, target)
        fit_proba = self.label_distributions_.copy()
        if self.class_mass:
            fit_proba = class_mass_normalize(fit_proba, target)
        fit_proba[lab] = 0.0
        fit_proba[lab, ya[lab]] = 1.0
        self.fit_proba_ = fit_proba
        self.transduction_ = self.classes_[fit_proba.argmax(axis=1)]
        self.X_fit_ = Z
        self._record_shares(Xa, ya)
        return self

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        Z = self._features(X)
        sims, idx = knn_search(
            self.X_fit_, Z, int(self.n_neighbors), clusters=self.clusters_, index=self.index_
        )
        w = np.maximum(sims.astype(np.float64), 0.0) ** float(self.power)
        w[idx < 0] = 0.0
        P = np.einsum("qk,qkc->qc", w, self.fit_proba_[np.maximum(idx, 0)])
        return normalize_scores(P)
