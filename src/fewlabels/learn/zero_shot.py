"""Zero-shot classification from class names and descriptions, calibrated on the pool.

Class embeddings are the weighted mean text embedding of prompt templates filled with each
class name (the prompt ensembling of CLIP, Radford et al., 2021) and of the descriptions of
the class (Menon and Vondrick, 2023, "Visual Classification via Description from Large
Language Models"). With labels, each prompt is weighted by how well it agrees with the
labelled rows of its class (after "Does VLM Classification Benefit from LLM Description
Semantics?", 2024). The scores are calibrated transductively on the unlabelled pool, so that
one class does not swallow everything: rows are centred on the pool mean (SimpleShot's CL2N)
and per-class biases make the pool's soft class shares match a prior (after TFUP, Long et
al., 2024, and "Enhancing CLIP with CLIP", Huang et al., 2024). With labels, the text
prototypes are fused with the labelled class means, the weight chosen on held-out labels
(leave-one-out), and a training-free cache of confident pool rows and labelled rows adds a
similarity-weighted vote, as in Tip-Adapter (Zhang et al., 2022).

This file runs past 400 lines because it is one estimator with its prompt functions and the
check of the descriptions it takes; the pure calibration and fusion functions are in
``zero_shot_calibration.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fewlabels._validation import (
    check_choice,
    check_class_names,
    check_embeddings,
    check_param,
)
from fewlabels.encode.base import check_text_side
from fewlabels.errors import FewlabelsError
from fewlabels.learn.base import EmbeddingClassifier, sklearn_decision, softmax
from fewlabels.learn.features import center_normalize, l2_rows, pool_mean
from fewlabels.learn.zero_shot_calibration import (
    agreement_weights,
    balance_biases,
    fuse_prototypes,
    loo_prototype_scores,
    pick_prototype_weight,
    prompt_agreement,
    resolve_prior,
    shrunk_prior,
    weighted_prototypes,
)
from fewlabels.typing import UNLABELED

#: Prompt templates by the encoder's modality; ``{}`` is replaced by the class name.
DEFAULT_TEMPLATES: dict[str, tuple[str, ...]] = {
    "text": ("{}", "This text is about {}.", "A text about {}.", "It is {}."),
    "image": (
        "a photo of a {}.",
        "a photo of the {}.",
        "a blurry photo of a {}.",
        "a close-up photo of a {}.",
        "a drawing of a {}.",
        "an image of {}.",
    ),
}


def class_prompts(
    class_names: Sequence[str],
    templates: Sequence[str],
    descriptions: Mapping[str, str | Sequence[str]] | None = None,
) -> list[list[str]]:
    """The prompts of each class: every template filled with its name, then its descriptions.

    Parameters
    ----------
    class_names : sequence of str of length n_classes
    templates : sequence of str, each with one ``{}``
    descriptions : mapping of class name to str or sequence of str, optional

    Returns
    -------
    list of n_classes lists of str
    """
    out: list[list[str]] = []
    for name in class_names:
        prompts = [t.format(name) for t in templates]
        extra = (descriptions or {}).get(name)
        if isinstance(extra, str):
            prompts.append(extra)
        elif extra is not None:
            prompts.extend(str(e) for e in extra)
        out.append(prompts)
    return out


def prompt_ensemble(prompt_embeddings: Sequence[np.ndarray]) -> np.ndarray:
    """Average the normalised prompt embeddings of each class and renormalise.

    Parameters
    ----------
    prompt_embeddings : sequence of n_classes ndarrays of shape (n_prompts_c, dim)

    Returns
    -------
    ndarray of shape (n_classes, dim), float32, unit rows
    """
    return l2_rows(np.stack([l2_rows(e).mean(axis=0) for e in prompt_embeddings]))


def cache_logits(
    Z: np.ndarray, keys: np.ndarray, values: np.ndarray, *, sharpness: float
) -> np.ndarray:
    """Tip-Adapter's cache vote ``exp(-sharpness (1 - Z keys^T)) values``.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, dim), unit rows
    keys : ndarray of shape (n_keys, dim), unit rows
    values : ndarray of shape (n_keys, n_classes)
    sharpness : float

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
    """
    if len(keys) == 0:
        return np.zeros((len(Z), values.shape[1]))
    A = np.exp(-sharpness * (1.0 - (Z @ keys.T).astype(np.float64)))
    return A @ values


#: Ways to calibrate the zero-shot scores on the pool (see :class:`ZeroShot`).
CALIBRATIONS: tuple[str, ...] = ("center", "shrink", "balance", "none")

#: Weights of the text prototypes against the labelled class means tried by leave-one-out,
#: in order of preference (ties go to the earlier, more text-heavy weight).
PROTOTYPE_GRID: tuple[float, ...] = (1.0, 0.75, 0.5, 0.25, 0.0)


class ZeroShot(EmbeddingClassifier):
    """Classes from their names and descriptions (and a few labels or a pool, when there are).

    The rule, at ``fit``:

    1. Each class's prompts (every template filled with its name, then its descriptions)
       are embedded by the encoder's text side. By default each prompt weighs the same;
       with labels and ``prompt_weighting="agreement"`` a prompt weighs
       ``softmax(margin / agreement_temperature)`` within its class, where ``margin`` is its
       mean cosine similarity to the labelled rows of its class minus that to the other
       labelled rows. The weighted mean is the class's text prototype. (On finefoods at 4
       and 16 labels per class, agreement weighting lost 1 to 23 points of accuracy against
       uniform weights, the more the sharper it was: few labels make the margins noisy. See
       docs/benchmarks.md, "Zero-shot".)
    2. ``calibration``, transductive on the pool ``X``: ``"center"`` (the default) centres
       the rows on the pool mean before comparing them with the prototypes (SimpleShot's
       CL2N), which subtracts from each class score its mean over the pool, so a direction
       that every row shares cannot make one class swallow the pool (class names alone
       answered "great" for 89 % of the fine-food reviews, 66 % of which are), and rows
       that the prototypes separate stay separated; ``"balance"`` also fits one bias per
       class so that the mean soft prediction over the pool equals ``prior`` (uniform by
       default); ``"shrink"`` does the same towards shares half-way between the
       uncalibrated predictions and ``prior`` (:func:`shrunk_prior`). Both force the
       shares, even on a pool that the prototypes separate well, so neither is the
       default. ``"none"`` compares the raw rows.
    3. With labelled rows of at least two classes, each prototype is fused with the mean
       of the class's labelled rows: ``normalise(w text + (1 - w) mean)``, ``w`` chosen by
       leave-one-out accuracy on the labelled rows among ``PROTOTYPE_GRID`` (1, 0.75, 0.5,
       0.25, 0): the most text-heavy weight within two standard errors of the best
       (:func:`pick_prototype_weight`), unless ``prototype_weight`` is a number.
    4. A training-free cache (Tip-Adapter) of the labelled rows and of the
       ``cache_per_class`` most confident unlabelled rows per class adds
       ``cache_weight * exp(-sharpness (1 - cos))`` votes. The labelled rows stay out of
       it when rule 3's leave-one-out chose the text prototypes alone (``w = 1``).

    Parameters
    ----------
    encoder : object with ``encode_text(prompts) -> ndarray (n, dim)``
        The encoder that embedded ``X`` (its text side): the MiniLM encoder for text data,
        a CLIP encoder for images.
    class_names : sequence of str
        The classes. Labels passed to ``fit`` are class names (then ``classes_`` holds the
        names) or numeric positions in ``class_names`` (a Dataset's codes; then
        ``classes_`` is ``0 .. K-1``); without labels, ``classes_`` holds the names.
    templates : sequence of str, optional
        Prompt templates with one ``{}``. By default ``DEFAULT_TEMPLATES[encoder.modality]``
        for a class without descriptions, and none for a class with descriptions (its
        descriptions alone are its prompts: on finefoods, adding the name templates of
        "great" and "other" cost 2.4 points of accuracy). Pass templates explicitly to use
        them together with the descriptions.
    descriptions : mapping of class name to str or list of str, optional
        Sentences describing each class, added to its prompts. Several short, concrete
        sentences per class work best ("a disappointing product, I would not buy it
        again").
    calibration : {"center", "shrink", "balance", "none"}, default "center"
    prior : "uniform" or mapping of class name to float, default "uniform"
        The class shares ``"balance"`` calibrates the pool to, and ``"shrink"`` shrinks
        towards (normalised to sum to 1).
    prompt_weighting : {"uniform", "agreement"}, default "uniform"
    agreement_temperature : float, default 0.2
    prototype_weight : "auto" or float in [0, 1], default "auto"
    temperature : float, default 0.01
        ``softmax(cos / temperature + biases)`` of the zero-shot logits.
    cache_per_class : int, default 16
        Pool rows per class kept in the cache (the most confident zero-shot predictions
        among unlabelled rows); 0 turns the cache off. Labelled rows always enter it.
    cache_weight : float, default 1.0
        Weight of the cache vote against the zero-shot logits.
    sharpness : float, default 5.5
        Affinity ``exp(-sharpness (1 - cos))`` between a row and a cache key.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class names, or ``0 .. n_classes - 1`` when fitted on numeric labels.
    class_names_ : tuple of str
    prompts_ : list of list of str
    prompt_weights_ : list of ndarray of shape (n_prompts_c,)
    text_embeddings_ : ndarray of shape (n_classes, dim)
        The weighted text prototypes.
    prototypes_ : ndarray of shape (n_classes, dim)
        The prototypes after fusion with the labelled class means.
    prototype_weight_ : float
        ``w`` of rule 3 (1.0 without labels).
    prototype_scores_ : dict of float to float
        Leave-one-out accuracy of each weight tried (empty when none was tried).
    prior_ : ndarray of shape (n_classes,)
        The shares the pool was calibrated to (``"shrink"``: after shrinking).
    biases_ : ndarray of shape (n_classes,)
        Per-class biases in logit units (zeros for ``"center"`` and ``"none"``).
    cache_keys_ : ndarray of shape (n_keys, dim)
        Calibrated pool rows in the cache.
    cache_values_ : ndarray of shape (n_keys, n_classes)
        Their one-hot labels (given or zero-shot).
    cache_labeled_ : ndarray of shape (n_keys,), bool
        Which keys are labelled rows.
    mean_ : ndarray of shape (dim,) or None
        The pool mean the rows are centred on (None for ``calibration="none"``).
    class_shares_, labelled_shares_ : ndarray of shape (n_classes,)
        Predicted class shares over the fitted pool; shares of the labelled rows.
    n_features_in_ : int
    """

    needs_text_side = True

    def __init__(
        self,
        encoder: Any = None,
        class_names: Sequence[str] = (),
        *,
        templates: Sequence[str] | None = None,
        descriptions: Mapping[str, str | Sequence[str]] | None = None,
        calibration: str = "center",
        prior: str | Mapping[str, float] = "uniform",
        prompt_weighting: str = "uniform",
        agreement_temperature: float = 0.2,
        prototype_weight: str | float = "auto",
        temperature: float = 0.01,
        cache_per_class: int = 16,
        cache_weight: float = 1.0,
        sharpness: float = 5.5,
    ) -> None:
        self.encoder = encoder
        self.class_names = class_names
        self.templates = templates
        self.descriptions = descriptions
        self.calibration = calibration
        self.prior = prior
        self.prompt_weighting = prompt_weighting
        self.agreement_temperature = agreement_temperature
        self.prototype_weight = prototype_weight
        self.temperature = temperature
        self.cache_per_class = cache_per_class
        self.cache_weight = cache_weight
        self.sharpness = sharpness

    def _prompt_embeddings(self) -> list[np.ndarray]:
        """Embed every class's prompts; sets ``class_names_`` and ``prompts_``."""
        check_text_side(self.encoder)
        names = check_class_names(self.class_names)
        descriptions = check_descriptions(self.descriptions, names)
        templates = self.templates
        if templates is None:
            modality = getattr(self.encoder, "modality", "text")
            templates = DEFAULT_TEMPLATES.get(str(modality), DEFAULT_TEMPLATES["text"])
        bad = [t for t in templates if "{}" not in t]
        if bad:
            raise FewlabelsError(
                "ZeroShot expected prompt templates each holding one '{}' for the class name, "
                f"but got {bad}."
            )
        self.class_names_ = names
        self.prompts_ = class_prompts(names, list(templates), descriptions)
        if self.templates is None:
            # By default a class's descriptions replace its name templates: they are what
            # the user wrote because a name says too little (docs/benchmarks.md, "Zero-shot").
            self.prompts_ = [
                list(descriptions[n]) if n in descriptions else ps
                for n, ps in zip(names, self.prompts_, strict=True)
            ]
        empty = [n for n, ps in zip(names, self.prompts_, strict=True) if not ps]
        if empty:
            raise FewlabelsError(
                f"ZeroShot expected at least one prompt per class, but {empty} have none: "
                "templates=() needs a description for every class. Add descriptions or keep "
                "the default templates."
            )
        flat = [p for ps in self.prompts_ for p in ps]
        emb = np.asarray(self.encoder.encode_text(flat), dtype=np.float32)
        check_embeddings(emb, name="the text embeddings")
        splits = np.cumsum([len(ps) for ps in self.prompts_])[:-1]
        return [l2_rows(e) for e in np.split(emb, splits)]

    def _check_options(self) -> None:
        name = "ZeroShot"
        check_param(
            "temperature", self.temperature, low=0, high=np.inf, low_open=True, learner=name
        )
        check_param(
            "agreement_temperature",
            self.agreement_temperature,
            low=0,
            high=np.inf,
            low_open=True,
            learner=name,
        )
        check_param("cache_per_class", self.cache_per_class, low=0, high=np.inf, learner=name)
        check_choice("calibration", self.calibration, CALIBRATIONS, learner=name)
        check_choice(
            "prompt_weighting", self.prompt_weighting, ("agreement", "uniform"), learner=name
        )
        if not (isinstance(self.prototype_weight, str) and self.prototype_weight == "auto"):
            if isinstance(self.prototype_weight, str):
                raise FewlabelsError(
                    f"ZeroShot expected prototype_weight='auto' or a number in [0, 1], but got "
                    f"{self.prototype_weight!r}."
                )
            check_param("prototype_weight", self.prototype_weight, low=0, high=1, learner=name)

    def fit(self, X: Any, y: Any = None) -> ZeroShot:
        """Embed the class prompts, calibrate them on ``X`` and fuse them with any labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, dim)
            Embeddings of the pool, from ``encoder``.
        y : array-like of shape (n_samples,), optional
            Class names, or positions in ``class_names``; ``-1`` or ``None`` for unlabelled
            rows (the default: every row unlabelled).

        Returns
        -------
        self
        """
        self._check_options()
        prompt_emb = self._prompt_embeddings()
        K = len(self.class_names_)
        Xa, codes = self._validate_fit(X, self._default_y(X, y), require_labels=False)
        ya = self._name_codes(codes, by_position=y is not None and _numeric(y))
        if prompt_emb[0].shape[1] != Xa.shape[1]:
            raise FewlabelsError(
                f"ZeroShot expected X from the encoder's embedding space "
                f"({prompt_emb[0].shape[1]} features, like its text embeddings), but X has "
                f"{Xa.shape[1]}. Embed the data with the same encoder that embeds the prompts."
            )
        self.prior_ = resolve_prior(self.prior, self.class_names_)
        self.mean_ = None if self.calibration == "none" else pool_mean(Xa)
        Z = center_normalize(Xa, self.mean_)
        lab = np.flatnonzero(ya != UNLABELED)
        if self.prompt_weighting == "agreement" and lab.size:
            agreement = prompt_agreement(prompt_emb, Z[lab], ya[lab])
            weights = agreement_weights(agreement, temperature=float(self.agreement_temperature))
        else:
            weights = [np.full(len(e), 1.0 / len(e)) for e in prompt_emb]
        self.prompt_weights_ = weights
        T = weighted_prototypes(prompt_emb, weights)
        self.text_embeddings_ = T
        temp = float(self.temperature)
        if self.calibration == "shrink":
            raw = (l2_rows(Xa) @ T.T).argmax(axis=1)
            self.prior_ = shrunk_prior(np.bincount(raw, minlength=K) / len(raw), self.prior_)
        balance = self.prior_ if self.calibration in ("balance", "shrink") else None
        means = np.zeros_like(T)
        self.prototype_scores_: dict[float, float] = {}
        weight = 1.0
        if lab.size and len(np.unique(ya[lab])) >= 2:
            for c in np.unique(ya[lab]):
                means[c] = l2_rows(Z[lab][ya[lab] == c].mean(axis=0, keepdims=True))[0]
            if isinstance(self.prototype_weight, str):
                self.prototype_scores_ = loo_prototype_scores(
                    Z, Z[lab], ya[lab], T, grid=PROTOTYPE_GRID, temperature=temp, prior=balance
                )
                weight = pick_prototype_weight(self.prototype_scores_, n_labelled=lab.size)
            else:
                weight = float(self.prototype_weight)
        self.prototype_weight_ = weight
        self.prototypes_ = fuse_prototypes(T, means, weight)
        logits = (Z @ self.prototypes_.T).astype(np.float64) / temp
        self.biases_ = np.zeros(K)
        if balance is not None:
            self.biases_ = balance_biases(logits, prior=balance)
        # Labelled rows vote through the cache unless leave-one-out preferred the text alone
        # (then a few noisy labels would only move the answer away from it).
        if self.prototype_scores_ and weight == 1.0:
            lab = lab[:0]
        keys = [lab]
        values = [ya[lab]]
        n_cache = int(self.cache_per_class)
        if n_cache > 0:
            proba = softmax(logits + self.biases_)
            pred, conf = proba.argmax(axis=1), proba.max(axis=1)
            for c in range(K):
                rows = np.flatnonzero((pred == c) & (ya == UNLABELED))
                top = rows[np.argsort(-conf[rows], kind="stable")[:n_cache]]
                keys.append(top)
                values.append(np.full(len(top), c))
        key_rows = np.concatenate(keys)
        key_vals = np.concatenate(values).astype(np.int64)
        self.cache_keys_ = Z[key_rows]
        self.cache_values_ = np.eye(K)[key_vals]
        self.cache_labeled_ = np.arange(len(key_rows)) < len(keys[0])
        self._record_shares(Xa, ya)
        return self

    @staticmethod
    def _default_y(X: Any, y: Any) -> Any:
        if y is not None:
            return y
        return np.full(len(X), None, dtype=object)

    def _name_codes(self, codes: np.ndarray, *, by_position: bool) -> np.ndarray:
        """Codes into ``class_names`` from the labelled values; sets ``classes_``.

        Numeric labels are positions in ``class_names`` (a Dataset's codes) and
        ``classes_`` is ``0 .. K-1``; other labels are class names and ``classes_`` holds
        the names.
        """
        names = self.class_names_
        present = self.classes_
        K = len(names)
        if by_position:
            bad = [v for v in present.tolist() if not (float(v).is_integer() and 0 <= v < K)]
            if bad:
                raise FewlabelsError(
                    f"ZeroShot expected numeric labels to be positions 0..{K - 1} in "
                    f"class_names {list(names)} (or -1 for unlabelled), but got {bad}. Pass "
                    "the class names as labels instead."
                )
            where = present.astype(np.int64)
            self.classes_ = np.arange(K, dtype=np.int64)
        else:
            index = {n: i for i, n in enumerate(names)}
            unknown = [v for v in present.tolist() if str(v) not in index]
            if unknown:
                raise FewlabelsError(
                    f"ZeroShot expected labels among its class_names {list(names)}, but got "
                    f"{unknown}. Add those classes to class_names or fix the labels."
                )
            where = np.array([index[str(v)] for v in present.tolist()], dtype=np.int64)
            self.classes_ = np.asarray(names)
        out = np.full(codes.shape, UNLABELED, dtype=np.int64)
        lab = codes != UNLABELED
        out[lab] = where[codes[lab]]
        return out

    def decision_function(self, X: Any) -> np.ndarray:
        """Calibrated zero-shot logits plus the cache vote.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes (positive
        for ``classes_[1]``), as in scikit-learn.
        """
        return sklearn_decision(self._logits(self._check_predict(X)))

    def _logits(self, X: np.ndarray) -> np.ndarray:
        Z = center_normalize(X, self.mean_)
        logits = (Z @ self.prototypes_.T).astype(np.float64) / float(self.temperature)
        logits = logits + self.biases_
        if len(self.cache_keys_) and float(self.cache_weight) > 0:
            logits = logits + float(self.cache_weight) * cache_logits(
                Z, self.cache_keys_, self.cache_values_, sharpness=float(self.sharpness)
            )
        return logits

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        return softmax(self._logits(X))


def check_descriptions(
    descriptions: Mapping[str, str | Sequence[str]] | None, names: Sequence[str]
) -> dict[str, list[str]]:
    """Descriptions keyed by known class names, each a non-empty sentence or list of them.

    Parameters
    ----------
    descriptions : mapping of class name to str or sequence of str, or None
    names : sequence of str
        The class names.

    Returns
    -------
    dict of class name -> list of str
    """
    if not descriptions:
        return {}
    if not isinstance(descriptions, Mapping):
        raise FewlabelsError(
            "ZeroShot expected descriptions as a mapping of class name -> sentence(s), but got "
            f"{type(descriptions).__name__}."
        )
    unknown = sorted(str(k) for k in descriptions if str(k) not in set(names))
    if unknown:
        raise FewlabelsError(
            f"ZeroShot expected descriptions keyed by the class names {list(names)}, but got "
            f"unknown key(s) {unknown}. Fix the class names or add those classes."
        )
    out: dict[str, list[str]] = {}
    for key, value in descriptions.items():
        items = [value] if isinstance(value, str) else list(value)
        bad = [v for v in items if not isinstance(v, str)]
        if bad:
            raise FewlabelsError(
                f"ZeroShot expected the descriptions of class {key!r} to be sentences (str), "
                f"but got {bad[:3]!r}."
            )
        if not items or any(not v.strip() for v in items):
            raise FewlabelsError(
                f"ZeroShot expected non-empty descriptions, but class {key!r} has an empty one. "
                "Remove it or write a sentence about the class."
            )
        out[str(key)] = [v.strip() for v in items]
    return out


def _numeric(y: Any) -> bool:
    """Whether labels are numbers (positions in ``class_names``) rather than names."""
    arr = np.asarray(y)
    return bool(np.issubdtype(arr.dtype, np.number)) and not np.issubdtype(arr.dtype, np.bool_)


__all__ = [
    "CALIBRATIONS",
    "DEFAULT_TEMPLATES",
    "PROTOTYPE_GRID",
    "ZeroShot",
    "agreement_weights",
    "balance_biases",
    "cache_logits",
    "check_descriptions",
    "class_prompts",
    "fuse_prototypes",
    "loo_prototype_scores",
    "pick_prototype_weight",
    "prompt_agreement",
    "prompt_ensemble",
    "resolve_prior",
    "shrunk_prior",
    "weighted_prototypes",
]
