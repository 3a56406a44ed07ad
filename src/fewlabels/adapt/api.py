"""``adapt``: fit an adaptation of a base encoder to the pool and return the new encoder.

This file runs past 400 lines because it is the one entry point: the table of methods, the
checks of what each accepts, and the dispatch; each method lives in its own module.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from fewlabels._validation import check_embeddings
from fewlabels.adapt.body import BODY_KIND, check_body_base
from fewlabels.adapt.encoder import (
    AdaptedEncoder,
    AdaptedMeta,
    adaptation_fingerprint,
    base_spec,
    make_adapted,
)
from fewlabels.adapt.head import HeadConfig, fit_head, head_kind
from fewlabels.adapt.image_body import (
    IMAGE_BODY_KIND,
    SimCLRImageConfig,
    check_image_base,
    fit_simclr_image,
)
from fewlabels.adapt.lora import require_peft
from fewlabels.adapt.scarf import ScarfConfig, fit_scarf
from fewlabels.adapt.setfit_body import SetFitBodyConfig, check_pair_labels, fit_setfit_body
from fewlabels.adapt.simcse import SimCSEConfig, fit_simcse
from fewlabels.adapt.transforms import output_dim
from fewlabels.data.dataset import Dataset
from fewlabels.encode.base import Encoder
from fewlabels.errors import FewlabelsError, InputTypeError

__all__ = ["METHODS", "MethodInfo", "adapt"]


@dataclass(frozen=True)
class MethodInfo:
    """An adaptation method: the modalities of base encoders it fits and its config class."""

    name: str
    modalities: tuple[str, ...]
    config: type
    description: str


METHODS: dict[str, MethodInfo] = {
    "head": MethodInfo(
        "head",
        ("text", "image", "tabular"),
        HeadConfig,
        "a residual projection on the frozen embeddings (seconds on CPU)",
    ),
    "scarf": MethodInfo(
        "scarf",
        ("tabular",),
        ScarfConfig,
        "SCARF: contrastive learning with random feature corruption, on tabular features",
    ),
    "setfit-body": MethodInfo(
        "setfit-body",
        ("text",),
        SetFitBodyConfig,
        "SetFit-style pair fine-tuning of a sentence-transformers body on the labels (minutes)",
    ),
    "simcse": MethodInfo(
        "simcse",
        ("text",),
        SimCSEConfig,
        "SimCSE continued pretraining of a sentence-transformers body on the pool (minutes)",
    ),
    "simclr-image": MethodInfo(
        "simclr-image",
        ("image",),
        SimCLRImageConfig,
        "SimCLR on the pool's images, fine-tuning the last blocks of EfficientNet-Lite0 (minutes)",
    ),
}

#: Methods that fine-tune the encoder's body and need the texts, not embeddings.
BODY_METHODS = ("setfit-body", "simcse")

Config = HeadConfig | ScarfConfig | SetFitBodyConfig | SimCSEConfig | SimCLRImageConfig


def _methods_for(modality: str) -> list[str]:
    return [m.name for m in METHODS.values() if modality in m.modalities]


def _base(base_encoder: Any) -> Encoder:
    if isinstance(base_encoder, str):
        from fewlabels.encode.registry import get_encoder

        return get_encoder(base_encoder)
    cls, own = type(base_encoder), getattr(base_encoder, "__dict__", {})
    if not all(hasattr(cls, a) or a in own for a in ("encode", "identity", "modality", "dim")):
        raise InputTypeError(
            "Expected the base encoder as a registry name ('minilm', 'tabular'...) or an encoder "
            f"object (name, dim, modality, identity, encode), but got {type(base_encoder).__name__}."
        )
    return base_encoder


def _row_digest(X: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{X.shape}{X.dtype}".encode())
    h.update(np.ascontiguousarray(X).tobytes())
    return h.hexdigest()


def _pool(
    data: Any, encoder: Encoder, *, cache_dir: Any, progress: bool
) -> tuple[np.ndarray, dict[str, Any], str]:
    """Base embeddings of the pool, the record of its rows, and the pool's modality."""
    from fewlabels.encode.cache import Embeddings, embed
    from fewlabels.encode.fingerprint import combine, fingerprints

    if isinstance(data, Dataset):
        data = embed(data, encoder, cache_dir=cache_dir, progress=progress)
    if isinstance(data, Embeddings):
        X = np.asarray(data.X, dtype=np.float32)
        rows = {
            "n": int(X.shape[0]),
            "digest": combine(fingerprints(data.dataset)),
            "by": "content",
        }
        return X, rows, data.dataset.modality
    if isinstance(data, (list, tuple, str)) or not hasattr(data, "shape"):
        raise InputTypeError(
            "Expected the pool as a fewlabels Dataset, the Embeddings of fewlabels.embed, or an "
            f"ndarray of base embeddings of shape (n, dim), but got {type(data).__name__}. Load a "
            "dataset with fewlabels.load_builtin or fewlabels.data.from_table."
        )
    X = check_embeddings(data, name="the pool's embeddings")
    if X.shape[1] != int(encoder.dim):
        raise FewlabelsError(
            f"Expected base embeddings of width {encoder.dim} from {encoder.name!r}, but the "
            f"array has shape {X.shape}. Embed the pool with that encoder (fewlabels.embed)."
        )
    return X, {"n": int(X.shape[0]), "digest": _row_digest(X), "by": "embeddings"}, encoder.modality


def _texts(data: Any, *, method: str) -> tuple[list[str], Any, dict[str, Any]]:
    """The pool's texts, its Dataset and the record of its rows, for a body method."""
    from fewlabels.encode.cache import Embeddings
    from fewlabels.encode.fingerprint import combine, fingerprints

    dataset = data.dataset if isinstance(data, Embeddings) else data
    if not isinstance(dataset, Dataset):
        raise InputTypeError(
            f"The adaptation method {method!r} fine-tunes the encoder on the texts themselves, "
            "so it expected the pool as a fewlabels Dataset (or the Embeddings of "
            f"fewlabels.embed), but got {type(data).__name__}. Pass the Dataset rather than "
            "its embeddings."
        )
    texts = [str(t) for t in dataset.inputs]
    rows = {"n": len(texts), "digest": combine(fingerprints(dataset)), "by": "content"}
    return texts, dataset, rows


def _images(data: Any, *, method: str) -> tuple[Any, Any, dict[str, Any]]:
    """The pool's images (paths or an array), its Dataset and the record of its rows."""
    from fewlabels.encode.cache import Embeddings
    from fewlabels.encode.fingerprint import combine, fingerprints

    dataset = data.dataset if isinstance(data, Embeddings) else data
    if not isinstance(dataset, Dataset):
        raise InputTypeError(
            f"The adaptation method {method!r} fine-tunes the network on the images themselves, "
            "so it expected the pool as a fewlabels Dataset (or the Embeddings of "
            f"fewlabels.embed), but got {type(data).__name__}. Pass the Dataset rather than "
            "its embeddings."
        )
    rows = {"n": len(dataset), "digest": combine(fingerprints(dataset)), "by": "content"}
    return dataset.inputs, dataset, rows


def _codes(labels: Any, n: int) -> tuple[np.ndarray | None, dict[str, Any]]:
    """Label values (-1 or None unlabelled) as codes 0..k-1, and their record."""
    if labels is None:
        return None, {"n_labeled": 0, "digest": None}
    arr = np.asarray(labels, dtype=object).ravel()
    if arr.shape[0] != n:
        raise FewlabelsError(
            f"Expected one label per pool row ({n}), but got {arr.shape[0]}. Mark unlabelled "
            "rows with -1 or None."
        )
    unlabelled = np.array(
        [
            v is None
            or (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v == -1)
            or (isinstance(v, float) and (np.isnan(v) or v == -1))
            for v in arr
        ],
        dtype=bool,
    )
    values = [str(type(v).__name__) + ":" + str(v) for v in arr[~unlabelled]]
    classes = sorted(set(values))
    codes = np.full(n, -1, dtype=np.int64)
    codes[~unlabelled] = [classes.index(v) for v in values]
    if len(classes) < 2 and (~unlabelled).any():
        raise FewlabelsError(
            f"Expected labels of at least 2 classes for supervised adaptation, but the labelled "
            f"rows hold only {classes[0].split(':', 1)[1]!r}. Label more classes, or pass "
            "labels=None to adapt self-supervised."
        )
    digest = hashlib.blake2b(codes.tobytes(), digest_size=12).hexdigest()
    return codes, {"n_labeled": int((~unlabelled).sum()), "digest": digest}


def adapt(
    dataset_or_embeddings: Any,
    base_encoder: Any,
    *,
    method: str = "head",
    labels: Any = None,
    config: Config | None = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    device: str | None = "auto",
    progress: bool = False,
    **settings: Any,
) -> AdaptedEncoder:
    """Adapt ``base_encoder`` to a pool and return the adapted encoder.

    Only the rows passed here are seen: pass the training pool, never a test split.

    Parameters
    ----------
    dataset_or_embeddings : Dataset, Embeddings or ndarray of shape (n, base dim)
        The pool: a Dataset (embedded with the base through the cache), the result of
        :func:`fewlabels.embed`, or base embeddings.
    base_encoder : str or Encoder
        A registry name or an encoder object (fitted, for ``tabular``/``pixels``, when
        embeddings are given).
    method : {"head", "scarf", "setfit-body", "simcse", "simclr-image"}, default "head"
        ``"head"`` (any modality) trains a residual projection on the frozen embeddings;
        ``"scarf"`` (tabular encoders) trains an MLP with SCARF's corruption;
        ``"setfit-body"`` (sentence-transformers encoders) fine-tunes the body on pairs of
        labelled texts; ``"simcse"`` continues pretraining the body on the pool's texts;
        ``"simclr-image"`` (``efficientnet-lite0``) fine-tunes the network's last blocks with
        SimCLR on the pool's images. The body methods need the pool as a Dataset (or its
        Embeddings), not an array.
    labels : array-like of shape (n,), optional
        Label values, -1 or None for unlabelled rows; the head then adds supervised
        contrastive learning on them and on confident pseudo-labels; ``setfit-body`` needs
        them. SCARF and SimCSE use no labels.
    config : HeadConfig, ScarfConfig, SetFitBodyConfig, SimCSEConfig or SimCLRImageConfig, optional
        The method's settings; or give them as keyword arguments (``epochs=10``).
    checkpoint_dir : path, optional
        Write a checkpoint after each epoch there and resume from it (same run only).
    cache_dir : path, optional
        The embedding cache used when a Dataset is given.
    device : str, default "auto"
        Where a body method trains and the body-adapted encoder runs (CUDA when present).
        Not part of the adapted encoder's identity.
    progress : bool, default False

    Returns
    -------
    AdaptedEncoder
        Save it with ``.save(folder)``; load with ``get_encoder("adapted:<folder>")``.

    Raises
    ------
    FewlabelsError
        For a method that does not fit the encoder's modality (naming those that do), a pool
        too small to adapt (saying how many rows are needed), or labels that do not fit.
    """
    if method not in METHODS:
        raise FewlabelsError(
            f"Expected an adaptation method {', '.join(map(repr, METHODS))}, but got {method!r}."
        )
    info = METHODS[method]
    encoder = _base(base_encoder)
    if encoder.modality not in info.modalities:
        raise FewlabelsError(
            f"The adaptation method {method!r} fits {', '.join(info.modalities)} encoders, but "
            f"{getattr(encoder, 'name', encoder)!r} encodes {encoder.modality}. Methods for "
            f"{encoder.modality} encoders: {', '.join(_methods_for(encoder.modality))}."
        )
    if config is None:
        try:
            config = info.config(**settings)
        except TypeError as exc:
            raise FewlabelsError(
                f"The adaptation method {method!r} does not take {sorted(settings)}: {exc}. "
                f"See help(fewlabels.adapt.{info.config.__name__})."
            ) from None
    elif settings or not isinstance(config, info.config):
        raise FewlabelsError(
            f"Expected either config={info.config.__name__}(...) or settings as keywords for "
            f"method {method!r}, but got config={type(config).__name__} and {sorted(settings)}."
        )
    if method in BODY_METHODS:
        check_body_base(encoder, method=method)
        if isinstance(config, (SetFitBodyConfig, SimCSEConfig)) and config.lora:
            require_peft()  # before any model is loaded: name the extra at once
        texts, dataset, rows = _texts(dataset_or_embeddings, method=method)
        X, modality = None, dataset.modality
        n_rows = len(texts)
    elif method == "simclr-image":
        check_image_base(encoder, method=method)
        images, dataset, rows = _images(dataset_or_embeddings, method=method)
        X, modality = None, dataset.modality
        n_rows = len(images)
    else:
        X, rows, modality = _pool(
            dataset_or_embeddings, encoder, cache_dir=cache_dir, progress=progress
        )
        n_rows = X.shape[0]
    need = config.min_rows()
    if n_rows < need:
        raise FewlabelsError(
            f"Adapting with {method!r} needs a pool of at least {need} rows, but it has "
            f"{n_rows}. Add unlabelled rows to the pool (they need no labels), or use the "
            "frozen encoder."
        )
    codes, label_record = (
        _codes(labels, n_rows) if method in ("head", "setfit-body") else _codes(None, 0)
    )
    if method == "setfit-body":
        check_pair_labels(codes)
    spec = base_spec(encoder)
    settings_dict = config.settings()
    fingerprint = adaptation_fingerprint(
        method=method,
        settings=settings_dict,
        base_identity=spec["identity"],
        rows=rows,
        labels=label_record,
    )
    # The checkpoint key leaves out the epochs: a longer run resumes from a shorter one.
    key = f"{method}/" + adaptation_fingerprint(
        method=method,
        settings={k: v for k, v in settings_dict.items() if k != "epochs"},
        base_identity=spec["identity"],
        rows=rows,
        labels=label_record,
    )
    n_pseudo = 0
    if isinstance(config, SetFitBodyConfig):
        assert codes is not None
        X_base = None
        if config.pseudo_threshold < 1.0:
            X_base, _, _ = _pool(
                dataset_or_embeddings, encoder, cache_dir=cache_dir, progress=progress
            )
        tensors, result, n_pseudo = fit_setfit_body(
            texts,
            codes,
            config,
            base=encoder,
            key=key,
            X_base=X_base,
            device=device,
            checkpoint_dir=checkpoint_dir,
            progress=progress,
        )
        kind, dim = BODY_KIND, int(encoder.dim)
    elif isinstance(config, SimCSEConfig):
        tensors, result = fit_simcse(
            texts,
            config,
            base=encoder,
            key=key,
            device=device,
            checkpoint_dir=checkpoint_dir,
            progress=progress,
        )
        kind, dim = BODY_KIND, int(encoder.dim)
    elif isinstance(config, SimCLRImageConfig):
        tensors, result = fit_simclr_image(
            images,
            config,
            base=encoder,
            key=key,
            device=device,
            checkpoint_dir=checkpoint_dir,
            progress=progress,
        )
        kind, dim = IMAGE_BODY_KIND, int(encoder.dim)
    elif isinstance(config, HeadConfig):
        assert X is not None
        tensors, result, n_pseudo = fit_head(
            X, codes, config, key=key, checkpoint_dir=checkpoint_dir, progress=progress
        )
        kind = head_kind(config)
        dim = output_dim(kind, tensors, X.shape[1])
    else:
        assert X is not None
        tensors, result = fit_scarf(
            X, config, key=key, checkpoint_dir=checkpoint_dir, progress=progress
        )
        kind = "mlp"
        dim = output_dim(kind, tensors, X.shape[1])
    label_record = {**label_record, "n_pseudo": n_pseudo}
    meta = AdaptedMeta(
        method=method,
        kind=kind,
        settings=settings_dict,
        base=spec,
        rows=rows,
        labels=label_record,
        dim=dim,
        fingerprint=fingerprint,
        training={
            "epochs": result.epochs,
            "resumed_from": result.resumed_from,
            "history": result.history,
            "held_out": result.held_out,
            "best_epoch": result.best_epoch,
            "stopped": result.stopped,
            "seconds": round(result.seconds, 3),
            "steps_per_second": round(result.steps_per_second, 1),
            "modality": modality,
        },
    )
    return make_adapted(encoder, tensors, meta, device=device)
