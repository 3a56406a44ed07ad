"""TabPFN: a transformer trained once on synthetic tables, predicting by in-context learning.

Hollmann et al., 2023, "TabPFN: A Transformer That Solves Small Tabular Classification
Problems in a Second". ``fit`` stores the labelled rows; ``predict_proba`` runs the network
with them as context. Its limits are the v1 checkpoint's: at most 1,000 context rows (more
labelled rows are subsampled, stratified, and the count recorded), 10 classes, 100 features
(more are subsampled by TabPFN's own option, recorded). It does not use the unlabelled rows.

An optional learner: ``pip install 'fewlabels[tabpfn]'`` brings the ``tabpfn`` package
(0.1.x); the checkpoint comes from :mod:`fewlabels.learn.tabpfn_checkpoint` (a checked file
on disk, or a download). Two shims make ``tabpfn`` 0.1.x run on current torch and
scikit-learn; they are applied to that package's own module when it is first imported.
"""

from __future__ import annotations

import functools
import typing
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from fewlabels._validation import check_count
from fewlabels.errors import FewlabelsError, missing_extra
from fewlabels.learn.base import EmbeddingClassifier
from fewlabels.learn.tabpfn_checkpoint import CHECKPOINT_SHA256, find_checkpoint
from fewlabels.learn.targets import align_proba
from fewlabels.typing import UNLABELED

#: The v1 checkpoint's limits.
MAX_CONTEXT_ROWS = 1000
MAX_CLASSES = 10
MAX_FEATURES = 100


def stratified_subsample(codes: np.ndarray, n: int, *, random_state: int | None) -> np.ndarray:
    """Positions of at most ``n`` labelled rows, keeping every class and its share.

    Each class keeps ``max(1, round(n * share))`` rows (trimmed from the largest classes
    when the rounding overshoots), drawn without replacement under ``random_state``.

    Parameters
    ----------
    codes : ndarray of shape (n_labelled,), int
        Class codes of the labelled rows (no ``-1``).
    n : int
        At most this many positions (>= the number of classes).

    Returns
    -------
    ndarray of shape (min(n, n_labelled),), int
        Sorted positions into ``codes``.
    """
    if codes.size <= n:
        return np.arange(codes.size)
    rng = np.random.default_rng(random_state)
    classes, counts = np.unique(codes, return_counts=True)
    take = np.maximum(1, np.round(n * counts / codes.size).astype(int))
    take = np.minimum(take, counts)
    while take.sum() > n:
        take[np.argmax(take)] -= 1
    picked = [
        rng.choice(np.flatnonzero(codes == c), size=k, replace=False)
        for c, k in zip(classes, take, strict=True)
    ]
    return np.sort(np.concatenate(picked))


def reweight_posterior(proba: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Posterior probabilities with class ``c`` scaled by ``weights[c]``, rows renormalised.

    With the weights of ``class_weight="balanced"`` (inverse labelled shares) this is the
    posterior under equal class priors (Saerens et al., 2002, the prior-shift rule).

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
    weights : ndarray of shape (n_classes,), > 0

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
    """
    scaled = proba * weights[None, :]
    total = scaled.sum(axis=1, keepdims=True)
    return np.divide(scaled, total, out=np.zeros_like(scaled), where=total > 0)


def _shim(func: Any) -> Any:
    """``func`` taking scikit-learn's old ``force_all_finite`` as ``ensure_all_finite``."""

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if "force_all_finite" in kwargs:
            kwargs["ensure_all_finite"] = kwargs.pop("force_all_finite")
        return func(*args, **kwargs)

    return wrapped


@functools.cache
def tabpfn_classifier_class() -> Any:
    """``tabpfn.TabPFNClassifier`` (0.1.x), with its two shims applied once.

    Raises
    ------
    MissingExtraError
        When ``tabpfn`` is not installed.
    """
    try:
        import torch.nn.modules.transformer as transformer

        if not hasattr(transformer, "Optional"):  # tabpfn 0.1 reads it from there
            transformer.Optional = typing.Optional  # type: ignore[attr-defined]
        import tabpfn.scripts.transformer_prediction_interface as interface
    except ImportError as exc:
        raise missing_extra("The TabPFN learner", "tabpfn", exc) from exc
    for name in ("check_X_y", "check_array"):
        func = getattr(interface, name)
        if not getattr(func, "_fewlabels_shim", False):
            shimmed = _shim(func)
            shimmed._fewlabels_shim = True
            setattr(interface, name, shimmed)
    return interface.TabPFNClassifier


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence torch's ``use_reentrant`` warning, which tabpfn 0.1 triggers on every call."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*use_reentrant.*", category=UserWarning)
        yield


class TabPFN(EmbeddingClassifier):
    """TabPFN v1 on the labelled rows (in-context learning; no gradient steps).

    Parameters
    ----------
    n_ensemble : int, default 4
        TabPFN's ``N_ensemble_configurations`` (feature and class permutations averaged).
    max_context_rows : int, default 1000
        At most this many labelled rows are the context (1 to 1,000, the checkpoint's
        limit); more are subsampled, stratified (:func:`stratified_subsample`).
    base_path : str or None, default None
        A folder holding ``models_diff/<checkpoint>``; None: ``$FEWLABELS_TABPFN_DIR`` or
        ``~/.cache/fewlabels/tabpfn`` (:mod:`fewlabels.learn.tabpfn_checkpoint`).
    checkpoint_sha256 : str or None
        The checkpoint's expected SHA-256 (the published file's by default); None trusts
        the file as it is (it is unpickled).
    allow_download : bool, default True
        Download the checkpoint when it is missing and the host answers within 3 s.
    device : str, default "cpu"
    random_state : int or None, default 0
        Seeds TabPFN's ensemble and the context subsample.
    class_weight : None, "balanced" or dict, default None
        Applied to the posterior (TabPFN has no loss to weight): class ``c``'s probability
        is multiplied by its weight and rows renormalised (:func:`reweight_posterior`);
        ``"balanced"`` predicts as if the labelled classes were equally frequent.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_weight_ : ndarray of shape (n_classes,)
    class_shares_, labelled_shares_ : ndarray of shape (n_classes,)
    n_context_ : int
        Labelled rows used as the context.
    n_labelled_ : int
        Labelled rows given to ``fit``.
    subsample_features_ : bool
        Whether TabPFN subsamples features (more than 100).
    base_path_ : str
        The checkpoint folder used.
    model_ : TabPFNClassifier
    n_features_in_ : int
    """

    def __init__(
        self,
        *,
        n_ensemble: int = 4,
        max_context_rows: int = MAX_CONTEXT_ROWS,
        base_path: str | None = None,
        checkpoint_sha256: str | None = CHECKPOINT_SHA256,
        allow_download: bool = True,
        device: str = "cpu",
        random_state: int | None = 0,
        class_weight: Any = None,
    ) -> None:
        self.n_ensemble = n_ensemble
        self.max_context_rows = max_context_rows
        self.base_path = base_path
        self.checkpoint_sha256 = checkpoint_sha256
        self.allow_download = allow_download
        self.device = device
        self.random_state = random_state
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any) -> TabPFN:
        """Keep the labelled rows (at most ``max_context_rows``) as TabPFN's context.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), ``-1`` or None for unlabelled rows

        Returns
        -------
        self
        """
        check_count(self.n_ensemble, name="n_ensemble", low=1, high=64, owner="TabPFN")
        check_count(
            self.max_context_rows,
            name="max_context_rows",
            low=1,
            high=MAX_CONTEXT_ROWS,
            owner="TabPFN",
            hint="The v1 checkpoint takes at most 1,000 context rows.",
        )
        Xa, codes = self._validate_fit(X, y)
        if len(self.classes_) > MAX_CLASSES:
            raise FewlabelsError(
                f"Expected at most {MAX_CLASSES} classes for TabPFN (its checkpoint's limit), but "
                f"the labels hold {len(self.classes_)}. Use learner 'trees' or 'linear'."
            )
        labelled = np.flatnonzero(codes != UNLABELED)
        if len(self.classes_) > self.max_context_rows:
            raise FewlabelsError(
                f"Expected max_context_rows >= the number of classes ({len(self.classes_)}) so "
                f"that every class is in the context, but got {self.max_context_rows}."
            )
        keep = labelled[
            stratified_subsample(
                codes[labelled], int(self.max_context_rows), random_state=self.random_state
            )
        ]
        self.n_labelled_ = int(labelled.size)
        self.n_context_ = int(keep.size)
        self.subsample_features_ = bool(Xa.shape[1] > MAX_FEATURES)
        self.base_path_ = str(
            find_checkpoint(
                self.base_path, sha256=self.checkpoint_sha256, allow_download=self.allow_download
            )
        )
        cls = tabpfn_classifier_class()
        self.model_ = cls(
            device=self.device,
            base_path=self.base_path_,
            N_ensemble_configurations=int(self.n_ensemble),
            seed=0 if self.random_state is None else int(self.random_state),
            subsample_features=self.subsample_features_,
        )
        with _quiet():
            self.model_.fit(Xa[keep], codes[keep])
        self._columns = np.asarray(self.model_.classes_, dtype=np.int64)
        self._class_weights(codes)
        self._record_shares(Xa, codes)
        return self

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        with _quiet():
            raw = np.asarray(self.model_.predict_proba(X), dtype=np.float64)
        proba = align_proba(raw, self._columns, np.arange(len(self.classes_)))
        if np.all(self.class_weight_ == 1.0):
            return proba
        return reweight_posterior(proba, self.class_weight_)
