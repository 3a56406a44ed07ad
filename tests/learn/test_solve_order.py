"""Label spreading solved in the inverted file's list order: the same answer as in row order."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import scipy.sparse as sp

from fewlabels.errors import FewlabelsError
from fewlabels.learn.label_spreading import (
    LabelSpreading,
    permute_graph,
    seed_matrix,
    spread_labels,
)
from learn.learn_helpers import blobs, hide, random_graph

KG = importlib.import_module("fewlabels.learn.knn_graph")


def small_graph(n: int = 7, seed: int = 0) -> sp.csr_matrix:
    return random_graph(n, seed)


def test_permute_graph_is_the_symmetric_permutation() -> None:
    S = small_graph()
    order = np.array([3, 0, 6, 1, 5, 2, 4])
    P = permute_graph(S, order)
    np.testing.assert_allclose(P.toarray(), S.toarray()[order][:, order])
    assert isinstance(P, sp.csr_matrix) and P.nnz == S.nnz


def test_solving_in_another_order_gives_the_closed_form_in_row_order() -> None:
    S = small_graph(9, seed=1)
    y = np.array([0, -1, 1, -1, -1, 2, -1, -1, 0])
    Y = seed_matrix(y, 3)
    alpha = 0.9
    closed = np.linalg.solve(np.eye(9) - alpha * S.toarray(), Y)
    order = np.random.default_rng(4).permutation(9)
    F, n_iter = spread_labels(S, Y, alpha=alpha, tol=1e-12, order=order)
    F0, n0 = spread_labels(S, Y, alpha=alpha, tol=1e-12)
    np.testing.assert_allclose(F, closed, atol=1e-9)
    np.testing.assert_allclose(F, F0, atol=1e-12)
    assert n_iter == n0


@pytest.mark.parametrize(
    "order",
    [np.array([0, 1, 1, 3, 4, 5, 6]), np.arange(6), np.arange(7) + 1, np.arange(7.0)],
)
def test_an_order_that_is_not_a_permutation_is_refused(order: np.ndarray) -> None:
    S = small_graph()
    with pytest.raises(FewlabelsError, match=r"order to be a permutation of the 7 rows.*got"):
        spread_labels(S, seed_matrix(np.array([0, 1, -1, -1, -1, -1, -1]), 2), order=order)


def test_label_spreading_in_list_order_equals_the_row_order_solve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import fewlabels.learn.ivf_graph as ivf_module
    import fewlabels.learn.label_spreading as ls_module

    X, y_true = blobs(200, 4, 16, spread=0.3, seed=2)
    y = hide(y_true, 3)
    monkeypatch.setattr(KG, "EXACT_UP_TO", 100)
    monkeypatch.setattr(ls_module, "EXACT_UP_TO", 100)
    monkeypatch.setattr(ivf_module, "LIST_SIZE", 40)
    seen: list[np.ndarray | None] = []
    real = ls_module.spread_labels

    def spy(S, Y, **kw):  # type: ignore[no-untyped-def]
        seen.append(kw.get("order"))
        return real(S, Y, **kw)

    monkeypatch.setattr(ls_module, "spread_labels", spy)
    ordered = LabelSpreading().fit(X, y)
    first = seen[0]  # (the permuted system is then solved by a call in row order)
    assert first is not None and not np.array_equal(first, np.arange(len(X)))
    np.testing.assert_array_equal(first, ordered.clusters_.lists()[0])
    seen.clear()
    # the same graph without its node order: solved in row order
    graph = sp.csr_matrix(LabelSpreading().build_graph(X))
    assert getattr(graph, "node_order", None) is None
    plain = LabelSpreading().fit(X, y, graph=graph)
    assert seen == [None]
    np.testing.assert_allclose(ordered.label_distributions_, plain.label_distributions_, atol=1e-9)
    np.testing.assert_allclose(ordered.fit_proba_, plain.fit_proba_, atol=1e-9)
    np.testing.assert_array_equal(ordered.transduction_, plain.transduction_)
    assert ordered.n_iter_ == plain.n_iter_
    # build_graph keeps the order, so a fit on it (self-training's) solves in list order too
    assert LabelSpreading().build_graph(X).node_order is not None
