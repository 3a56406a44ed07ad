"""Zero-shot classification from class names, with an optional training-free cache.

Class embeddings are the mean text embedding of prompt templates filled with each class
name (the prompt ensembling of CLIP, Radford et al., 2021), plus optional descriptions per
class (Menon and Vondrick, 2023, "Visual Classification via Description from Large
Language Models"). Given a pool, a training-free cache of its most confident rows per class
(and of any labelled rows) adds a similarity-weighted vote, as in Tip-Adapter (Zhang et al.,
2022) and TFUP (Long et al., 2024, "Training-Free Unsupervised Prompt for Vision-Language
Models").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fewlabels._validation import (
    check_class_names,
    check_embeddings,
    check_param,
)
from fewlabels.encode.base import check_text_side
from fewlabels.errors import FewlabelsError
from fewlabels.learn.base import EmbeddingClassifier, sklearn_decision, softmax
from fewlabels.learn.features import center_normalize, l2_rows, pool_mean
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


class ZeroShot(EmbeddingClassifier):
    """Classes from their names alone (and a few labels or a pool, when there are some).

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
        Prompt templates with one ``{}``; default ``DEFAULT_TEMPLATES[encoder.modality]``.
    descriptions : mapping of class name to str or list of str, optional
        Extra prompts per class, averaged with the templates.
    temperature : float, default 0.01
        ``softmax(cos / temperature)`` of the zero-shot logits.
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
    text_embeddings_ : ndarray of shape (n_classes, dim)
    cache_keys_ : ndarray of shape (n_keys, dim)
        Centred, normalised pool rows in the cache.
    cache_values_ : ndarray of shape (n_keys, n_classes)
        Their one-hot labels (given or zero-shot).
    cache_labeled_ : ndarray of shape (n_keys,), bool
        Which keys are labelled rows.
    mean_ : ndarray of shape (dim,)
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
        temperature: float = 0.01,
        cache_per_class: int = 16,
        cache_weight: float = 1.0,
        sharpness: float = 5.5,
    ) -> None:
        self.encoder = encoder
        self.class_names = class_names
        self.templates = templates
        self.descriptions = descriptions
        self.temperature = temperature
        self.cache_per_class = cache_per_class
        self.cache_weight = cache_weight
        self.sharpness = sharpness

    def _text_embeddings(self) -> np.ndarray:
        check_text_side(self.encoder)
        names = check_class_names(self.class_names)
        if self.descriptions:
            unknown = sorted(set(self.descriptions) - set(names))
            if unknown:
                raise FewlabelsError(
                    f"ZeroShot expected descriptions keyed by the class names {list(names)}, "
                    f"but got unknown key(s) {unknown}."
                )
        templates = self.templates
        if templates is None:
            modality = getattr(self.encoder, "modality", "text")
            templates = DEFAULT_TEMPLATES.get(str(modality), DEFAULT_TEMPLATES["text"])
        bad = [t for t in templates if "{}" not in t]
        if bad or not templates:
            raise FewlabelsError(
                "ZeroShot expected prompt templates each holding one '{}' for the class name, "
                f"but got {list(templates) if not bad else bad}."
            )
        self.class_names_ = names
        self.prompts_ = class_prompts(names, list(templates), self.descriptions)
        flat = [p for ps in self.prompts_ for p in ps]
        emb = np.asarray(self.encoder.encode_text(flat), dtype=np.float32)
        check_embeddings(emb, name="the text embeddings")
        splits = np.cumsum([len(ps) for ps in self.prompts_])[:-1]
        return prompt_ensemble(np.split(emb, splits))

    def fit(self, X: Any, y: Any = None) -> ZeroShot:
        """Embed the class prompts and, from ``X`` and any labels, fill the cache.

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
        name = "ZeroShot"
        check_param(
            "temperature", self.temperature, low=0, high=np.inf, low_open=True, learner=name
        )
        check_param("cache_per_class", self.cache_per_class, low=0, high=np.inf, learner=name)
        T = self._text_embeddings()
        K = len(self.class_names_)
        Xa, codes = self._validate_fit(X, self._default_y(X, y), require_labels=False)
        ya = self._name_codes(codes, by_position=y is not None and _numeric(y))
        if T.shape[1] != Xa.shape[1]:
            raise FewlabelsError(
                f"ZeroShot expected X from the encoder's embedding space ({T.shape[1]} "
                f"features, like its text embeddings), but X has {Xa.shape[1]}. Embed the "
                "data with the same encoder that embeds the prompts."
            )
        self.text_embeddings_ = T
        self.mean_ = pool_mean(Xa)
        keys = [np.flatnonzero(ya != UNLABELED)]
        values = [ya[keys[0]]]
        n_cache = int(self.cache_per_class)
        if n_cache > 0:
            proba = self._zero_shot(Xa)
            pred, conf = proba.argmax(axis=1), proba.max(axis=1)
            for c in range(K):
                rows = np.flatnonzero((pred == c) & (ya == UNLABELED))
                top = rows[np.argsort(-conf[rows], kind="stable")[:n_cache]]
                keys.append(top)
                values.append(np.full(len(top), c))
        key_rows = np.concatenate(keys)
        key_vals = np.concatenate(values).astype(np.int64)
        self.cache_keys_ = center_normalize(Xa[key_rows], self.mean_)
        self.cache_values_ = np.eye(K)[key_vals]
        self.cache_labeled_ = np.arange(len(key_rows)) < len(keys[0])
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

    def _zero_shot(self, X: np.ndarray) -> np.ndarray:
        return softmax((l2_rows(X) @ self.text_embeddings_.T) / float(self.temperature))

    def decision_function(self, X: Any) -> np.ndarray:
        """Zero-shot logits plus the cache vote.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes (positive
        for ``classes_[1]``), as in scikit-learn.
        """
        return sklearn_decision(self._logits(self._check_predict(X)))

    def _logits(self, X: np.ndarray) -> np.ndarray:
        logits = (l2_rows(X) @ self.text_embeddings_.T).astype(np.float64) / float(self.temperature)
        if len(self.cache_keys_) and float(self.cache_weight) > 0:
            Z = center_normalize(X, self.mean_)
            logits = logits + float(self.cache_weight) * cache_logits(
                Z, self.cache_keys_, self.cache_values_, sharpness=float(self.sharpness)
            )
        return logits

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        return softmax(self._logits(X))


def _numeric(y: Any) -> bool:
    """Whether labels are numbers (positions in ``class_names``) rather than names."""
    arr = np.asarray(y)
    return bool(np.issubdtype(arr.dtype, np.number)) and not np.issubdtype(arr.dtype, np.bool_)
