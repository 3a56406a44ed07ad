"""Calibrating and fusing zero-shot prototypes: pure functions on embeddings and scores.

The steps :class:`fewlabels.learn.ZeroShot` is built from: prompt weights from their
agreement with labelled rows (after "Does VLM Classification Benefit from LLM Description
Semantics?", 2024), per-class biases that calibrate the scores on the pool (after TFUP, Long
et al., 2024, and "Enhancing CLIP with CLIP", Huang et al., 2024), and the fusion of text
prototypes with labelled class means, its weight chosen by leave-one-out (Tip-Adapter-style,
Zhang et al., 2022).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from fewlabels.errors import FewlabelsError
from fewlabels.learn.base import softmax
from fewlabels.learn.features import l2_rows

__all__ = [
    "agreement_weights",
    "balance_biases",
    "fuse_prototypes",
    "loo_prototype_scores",
    "pick_prototype_weight",
    "prompt_agreement",
    "resolve_prior",
    "shrunk_prior",
    "weighted_prototypes",
]


def prompt_agreement(
    prompt_embeddings: Sequence[np.ndarray], Z: np.ndarray, y: np.ndarray
) -> list[np.ndarray]:
    """How well each prompt agrees with the labelled rows: a margin of cosine similarities.

    For a prompt of class ``c``: the mean cosine similarity to the labelled rows of ``c``
    minus the mean to the labelled rows of the other classes (NaN when either is empty).

    Parameters
    ----------
    prompt_embeddings : sequence of n_classes ndarrays of shape (n_prompts_c, dim), unit rows
    Z : ndarray of shape (n_labelled, dim), unit rows
    y : ndarray of shape (n_labelled,), int codes ``0 .. n_classes - 1``

    Returns
    -------
    list of n_classes ndarrays of shape (n_prompts_c,)
    """
    out = []
    for c, P in enumerate(prompt_embeddings):
        own, rest = Z[y == c], Z[y != c]
        if len(own) == 0 or len(rest) == 0:
            out.append(np.full(len(P), np.nan))
            continue
        out.append((own @ P.T).mean(axis=0) - (rest @ P.T).mean(axis=0))
    return out


def agreement_weights(agreement: Sequence[np.ndarray], *, temperature: float) -> list[np.ndarray]:
    """Prompt weights per class: ``softmax(agreement / temperature)``; uniform without labels.

    Parameters
    ----------
    agreement : sequence of n_classes ndarrays of shape (n_prompts_c,)
        From :func:`prompt_agreement`; NaN where a class has no labelled rows.
    temperature : float > 0
        Smaller values concentrate the weight on the best-agreeing prompts.

    Returns
    -------
    list of n_classes ndarrays of shape (n_prompts_c,), each summing to 1
    """
    out = []
    for a in agreement:
        if len(a) == 0 or np.isnan(a).any():
            out.append(np.full(len(a), 1.0 / max(len(a), 1)))
            continue
        e = np.exp((a - a.max()) / float(temperature))
        out.append(e / e.sum())
    return out


def weighted_prototypes(
    prompt_embeddings: Sequence[np.ndarray], weights: Sequence[np.ndarray]
) -> np.ndarray:
    """The weighted mean of each class's normalised prompt embeddings, renormalised.

    Parameters
    ----------
    prompt_embeddings : sequence of n_classes ndarrays of shape (n_prompts_c, dim)
    weights : sequence of n_classes ndarrays of shape (n_prompts_c,)

    Returns
    -------
    ndarray of shape (n_classes, dim), float32, unit rows
    """
    return l2_rows(
        np.stack(
            [
                (w[:, None] * l2_rows(e)).sum(axis=0)
                for e, w in zip(prompt_embeddings, weights, strict=True)
            ]
        )
    )


def balance_biases(
    logits: np.ndarray, *, prior: np.ndarray, n_iter: int = 200, tol: float = 1e-4
) -> np.ndarray:
    """Per-class biases that make the pool's mean soft prediction match ``prior``.

    The fixed point of ``b <- b + log(prior / mean_i softmax(logits_i + b))``, a transductive
    calibration on the unlabelled pool (one Sinkhorn half-step per iteration).

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_classes)
    prior : ndarray of shape (n_classes,), positive, summing to 1
    n_iter : int
    tol : float
        Stop once ``max |log(prior / share)|`` is below it.

    Returns
    -------
    ndarray of shape (n_classes,), float64, with mean 0
    """
    b = np.zeros(logits.shape[1])
    if len(logits) == 0:
        return b
    log_prior = np.log(prior)
    for _ in range(int(n_iter)):
        share = softmax(logits + b).mean(axis=0)
        step = log_prior - np.log(np.maximum(share, 1e-300))
        b = b + step
        if float(np.abs(step).max()) < tol:
            break
    return b - b.mean()


def shrunk_prior(shares: np.ndarray, prior: np.ndarray, *, weight: float = 0.5) -> np.ndarray:
    """Class shares half-way between the uncalibrated predictions and ``prior``.

    ``weight * shares + (1 - weight) * prior``, floored at ``1 / (10 n_classes)`` and
    renormalised: a shrinkage estimate of the pool's class shares that keeps the imbalance
    the zero-shot scores see while no class can swallow the pool.

    Parameters
    ----------
    shares : ndarray of shape (n_classes,)
        Shares of the uncalibrated zero-shot predictions on the pool.
    prior : ndarray of shape (n_classes,)
    weight : float in [0, 1]

    Returns
    -------
    ndarray of shape (n_classes,), positive, summing to 1
    """
    out = float(weight) * shares + (1.0 - float(weight)) * prior
    out = np.maximum(out, 1.0 / (10 * len(out)))
    return out / out.sum()


def fuse_prototypes(text: np.ndarray, means: np.ndarray, weight: float) -> np.ndarray:
    """``normalise(weight * text + (1 - weight) * means)`` row by row.

    Classes whose labelled mean is all zeros (no labelled rows) keep their text prototype.

    Parameters
    ----------
    text : ndarray of shape (n_classes, dim), unit rows
    means : ndarray of shape (n_classes, dim), unit rows (or zero rows)
    weight : float in [0, 1]

    Returns
    -------
    ndarray of shape (n_classes, dim), unit rows
    """
    has_mean = np.linalg.norm(means, axis=1) > 0
    w = np.where(has_mean, float(weight), 1.0)[:, None]
    return l2_rows(w * text + (1.0 - w) * means)


def pick_prototype_weight(scores: Mapping[float, float], *, n_labelled: int) -> float:
    """The first weight (most text-heavy) within two standard errors of the best score.

    The text prototypes are the prior; a few labels overrule them only when leave-one-out
    shows a gain beyond ``2 sqrt(p (1 - p) / n)`` (``p`` the best accuracy, ``n`` the
    labelled rows): with 8 labels, a 2-row lead is noise (on finefoods it cost 11 points).

    Parameters
    ----------
    scores : mapping of weight -> leave-one-out accuracy, in order of preference
    n_labelled : int

    Returns
    -------
    float
    """
    best = max(scores.values())
    se = float(np.sqrt(best * (1.0 - best) / max(n_labelled, 1)))
    return next(w for w, v in scores.items() if v >= best - 2.0 * se - 1e-12)


def loo_prototype_scores(
    Z_pool: np.ndarray,
    Z_lab: np.ndarray,
    y_lab: np.ndarray,
    text: np.ndarray,
    *,
    grid: Sequence[float],
    temperature: float,
    prior: np.ndarray | None,
) -> dict[float, float]:
    """Leave-one-out accuracy of the fused prototypes for each weight in ``grid``.

    Each labelled row is predicted with its class mean computed without it (a class left
    with no row falls back to its text prototype); the biases of ``prior`` (None: no
    biases) are fitted on the pool once per weight, with the full means.

    Parameters
    ----------
    Z_pool : ndarray of shape (n_samples, dim), unit rows
    Z_lab : ndarray of shape (n_labelled, dim), unit rows
    y_lab : ndarray of shape (n_labelled,), codes ``0 .. n_classes - 1``
    text : ndarray of shape (n_classes, dim), unit rows
    grid : sequence of float in [0, 1]
    temperature : float
    prior : ndarray of shape (n_classes,) or None

    Returns
    -------
    dict of weight -> accuracy in [0, 1]
    """
    K = len(text)
    sums = np.zeros_like(text, dtype=np.float64)
    np.add.at(sums, y_lab, Z_lab.astype(np.float64))
    counts = np.bincount(y_lab, minlength=K)
    full = l2_rows(sums.astype(np.float32))
    scores: dict[float, float] = {}
    for weight in grid:
        W = fuse_prototypes(text, full, weight)
        b = np.zeros(K)
        if prior is not None:
            b = balance_biases((Z_pool @ W.T).astype(np.float64) / temperature, prior=prior)
        hits = 0
        for i, c in enumerate(y_lab.tolist()):
            Wi = W.copy()
            if counts[c] > 1:
                rest = l2_rows((sums[c] - Z_lab[i]).astype(np.float32)[None, :])
                Wi[c] = fuse_prototypes(text[c : c + 1], rest, weight)[0]
            else:
                Wi[c] = text[c]
            logit = (Z_lab[i] @ Wi.T).astype(np.float64) / temperature + b
            hits += int(np.argmax(logit) == c)
        scores[float(weight)] = hits / max(len(y_lab), 1)
    return scores


def resolve_prior(prior: str | Mapping[str, float], names: Sequence[str]) -> np.ndarray:
    """The class shares to calibrate to: uniform, or a mapping of class name -> share.

    Parameters
    ----------
    prior : "uniform" or mapping of class name to float > 0
        A mapping may leave classes out; they share what the named ones leave, or get
        the smallest named share when those already sum to 1 or more. Normalised to sum to 1.
    names : sequence of str

    Returns
    -------
    ndarray of shape (n_classes,), positive, summing to 1
    """
    K = len(names)
    if isinstance(prior, str):
        if prior != "uniform":
            raise FewlabelsError(
                f"ZeroShot expected prior='uniform' or a mapping of class name -> share, but "
                f"got {prior!r}."
            )
        return np.full(K, 1.0 / K)
    unknown = sorted(str(k) for k in prior if str(k) not in set(names))
    if unknown:
        raise FewlabelsError(
            f"ZeroShot expected prior keyed by the class names {list(names)}, but got unknown "
            f"key(s) {unknown}."
        )
    given = {str(k): float(v) for k, v in prior.items()}
    bad = {k: v for k, v in given.items() if not (np.isfinite(v) and v > 0)}
    if bad:
        raise FewlabelsError(f"ZeroShot expected prior shares > 0, but got {bad}.")
    missing = [n for n in names if n not in given]
    if missing:
        left = 1.0 - sum(given.values())
        fill = left / len(missing) if left > 0 else min(given.values())
        given.update({n: fill for n in missing})
    out = np.array([given[n] for n in names], dtype=np.float64)
    return out / out.sum()
