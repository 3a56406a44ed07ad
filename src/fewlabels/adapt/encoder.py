"""The adapted encoder: a base encoder followed by a learned transform, saved and reloaded.

On disk an adapted encoder is a folder::

    <folder>/
        adapter.json          metadata: format, fewlabels version, method, settings, base
                              encoder (name, identity, fitted state, extra), dims, fingerprint
        weights.safetensors   the transform's float32 tensors (never a pickle); for a body
                              adaptation (kind ``"body"``), the fine-tuned transformer's
                              weights, which replace the base model's; for an image body
                              (kind ``"image-body"``), the fine-tuned last blocks of the net

``get_encoder("adapted:<folder>")`` loads it offline: the base is rebuilt by its registry name,
its fitted state (``tabular`` statistics, ``pixels`` size) restored, and its identity
compared with the one recorded, so that a changed base model is refused rather than
silently mixed with a head trained on another one.

This file runs past 400 lines because it holds the one folder format (identity, metadata,
safetensors, the checks that refuse a foreign or corrupt file) shared by every kind; the body
kinds are in ``body_encoder.py`` and ``image_encoder.py``, rebuilding a base in
``base_rebuild.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fewlabels._atomic import atomic_folder
from fewlabels._version import __version__
from fewlabels.adapt.base_rebuild import base_spec, rebuild_base
from fewlabels.adapt.transforms import apply_transform, check_tensors
from fewlabels.encode.base import Encoder, has_text_side
from fewlabels.errors import FewlabelsError, MissingFileError
from fewlabels.typing import Modality

__all__ = [
    "FORMAT",
    "AdaptedEncoder",
    "AdaptedMeta",
    "AdaptedTextEncoder",
    "base_spec",
    "load_adapted",
]

FORMAT = "fewlabels.adapted-encoder/1"
META_NAME = "adapter.json"
WEIGHTS_NAME = "weights.safetensors"
#: Written into the safetensors header, so a foreign safetensors file is told apart.
WEIGHTS_FORMAT = "fewlabels.adapted-weights/1"


@dataclass(frozen=True)
class AdaptedMeta:
    """What an adapted encoder records about itself (``adapter.json``).

    Attributes
    ----------
    method : str
        ``"head"`` or ``"scarf"``.
    kind : str
        The transform's kind (:data:`fewlabels.adapt.transforms.KINDS`).
    settings : dict
        The method's settings (``HeadConfig``/``ScarfConfig`` fields).
    base : dict
        ``name``, ``identity``, ``modality``, ``dim``, ``state`` (fitted statistics or None)
        and ``extra`` (the fewlabels extra that installs it) of the base encoder.
    rows : dict
        ``n`` rows seen and ``digest``, the combined content fingerprint of those rows in order.
    labels : dict
        ``n_labeled`` and ``n_pseudo`` rows and ``digest`` of the label codes (None without).
    dim : int
        Output width.
    fingerprint : str
        Digest of method, settings, base identity, rows and labels: the adaptation's name.
    training : dict
        Epochs, loss history, seconds, resumed_from.
    version : str
        The fewlabels version that wrote it.
    """

    method: str
    kind: str
    settings: dict[str, Any]
    base: dict[str, Any]
    rows: dict[str, Any]
    labels: dict[str, Any]
    dim: int
    fingerprint: str
    training: dict[str, Any] = field(default_factory=dict)
    version: str = __version__

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "fewlabels_version": self.version,
            "method": self.method,
            "kind": self.kind,
            "settings": self.settings,
            "base": self.base,
            "rows": self.rows,
            "labels": self.labels,
            "dim": self.dim,
            "fingerprint": self.fingerprint,
            "training": self.training,
        }


def adaptation_fingerprint(
    *,
    method: str,
    settings: dict[str, Any],
    base_identity: str,
    rows: dict[str, Any],
    labels: dict[str, Any],
) -> str:
    """Digest of everything that decides an adaptation: method, settings, base, rows, labels."""
    text = json.dumps(
        {
            "method": method,
            "settings": settings,
            "base": base_identity,
            "rows": rows,
            "labels": labels,
        },
        sort_keys=True,
    )
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _tensors_digest(tensors: dict[str, np.ndarray]) -> str:
    h = hashlib.blake2b(digest_size=12)
    for name in sorted(tensors):
        t = np.ascontiguousarray(tensors[name], dtype=np.float32)
        h.update(f"{name}{t.shape}".encode())
        h.update(t.tobytes())
    return h.hexdigest()


# --- the encoder --------------------------------------------------------------------------


class AdaptedEncoder:
    """A base encoder followed by a learned transform: an encoder with its own identity.

    Built by :func:`fewlabels.adapt.adapt` or loaded with :func:`load_adapted`
    (``get_encoder("adapted:<folder>")``). ``encode`` embeds with the base, then applies the
    transform (numpy; no torch needed at this step) and L2-normalises.

    Parameters
    ----------
    base : Encoder
        The frozen base encoder (fitted, for encoders that learn statistics).
    tensors : dict of str to ndarray
        The transform's weights.
    meta : AdaptedMeta
    path : path, optional
        The folder it was saved to or loaded from; its name is then ``"adapted:<path>"``.

    Attributes
    ----------
    name : str
    modality : {"text", "image", "tabular"}
    meta : AdaptedMeta
    """

    def __init__(
        self,
        base: Encoder,
        tensors: dict[str, np.ndarray],
        meta: AdaptedMeta,
        *,
        path: str | os.PathLike[str] | None = None,
    ) -> None:
        self.base = base
        self.meta = meta
        self.modality: Modality = base.modality
        self._tensors = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
        self._dim = self._check(where=str(path) if path is not None else "the adaptation")
        self._weights_digest = _tensors_digest(self._tensors)
        self.path = Path(path) if path is not None else None
        self.name = (
            f"adapted:{self.path}"
            if self.path is not None
            else f"{getattr(base, 'name', 'encoder')}+{meta.method}-{meta.fingerprint[:8]}"
        )

    def _check(self, *, where: str) -> int:
        """Check the weights against the kind and the base; return the output width."""
        return check_tensors(
            self.meta.kind, self._tensors, input_dim=int(self.base.dim), where=where
        )

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def identity(self) -> str:
        return (
            f"adapted/{self.meta.method}/{self.meta.fingerprint}/weights-{self._weights_digest}"
            f"/on[{self.base.identity}]"
        )

    @property
    def tensors(self) -> dict[str, np.ndarray]:
        """A copy of the transform's weights."""
        return {k: v.copy() for k, v in self._tensors.items()}

    def transform(self, base_embeddings: np.ndarray) -> np.ndarray:
        """Apply the transform to rows the base encoder already embedded.

        Parameters
        ----------
        base_embeddings : ndarray of shape (n, base.dim)

        Returns
        -------
        ndarray of shape (n, dim), float32, rows of unit L2 norm
        """
        X = np.asarray(base_embeddings, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.base.dim:
            raise FewlabelsError(
                f"Expected base embeddings of shape (n, {self.base.dim}) from "
                f"{getattr(self.base, 'name', 'the base')!r}, but got shape {X.shape}. Embed "
                "the rows with the base encoder first, or call encode on the inputs."
            )
        return apply_transform(self.meta.kind, self._tensors, X)

    def encode(self, inputs: Any) -> np.ndarray:
        """Embed a batch: base then transform, ndarray of shape (n, dim), float32, unit rows."""
        return self.transform(self.base.encode(inputs))

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``adapter.json`` and ``weights.safetensors`` into ``folder`` (atomically).

        An existing folder is replaced. Returns the folder; the encoder's name becomes
        ``"adapted:<folder>"`` (absolute).
        """
        from safetensors.numpy import save_file

        target = Path(folder).expanduser().resolve()
        if target.exists():
            others = (
                sorted(p.name for p in target.iterdir() if p.name not in (META_NAME, WEIGHTS_NAME))
                if target.is_dir()
                else [target.name]
            )
            if others:
                raise FewlabelsError(
                    f"Expected a new folder (or an adapted encoder's, which is replaced) at "
                    f"{target}, but it holds other files ({others[:5]}). Pick another folder."
                )
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_folder(target) as tmp:
            save_file(
                self._tensors,
                str(tmp / WEIGHTS_NAME),
                metadata={"format": WEIGHTS_FORMAT, "kind": self.meta.kind},
            )
            (tmp / META_NAME).write_text(
                json.dumps(self.meta.to_json(), indent=1), encoding="utf-8"
            )
        self.path = target
        self.name = f"adapted:{target}"
        return target


class AdaptedTextEncoder(AdaptedEncoder):
    """An adapted encoder whose base has a text side: prompts go through the same transform."""

    def encode_text(self, prompts: list[str]) -> np.ndarray:
        """Embed prompts with the base's text side, then the transform: (n, dim) float32."""
        return self.transform(self.base.encode_text(prompts))  # type: ignore[attr-defined]


def make_adapted(
    base: Encoder,
    tensors: dict[str, np.ndarray],
    meta: AdaptedMeta,
    *,
    path: str | os.PathLike[str] | None = None,
    device: str | None = "auto",
) -> AdaptedEncoder:
    """The adapted encoder for ``meta.kind``: a body (text or image), or a transform."""
    from fewlabels.adapt.body import BODY_KIND
    from fewlabels.adapt.image_body import IMAGE_BODY_KIND

    if meta.kind == BODY_KIND:
        from fewlabels.adapt.body_encoder import BodyAdaptedEncoder

        return BodyAdaptedEncoder(base, tensors, meta, path=path, device=device)
    if meta.kind == IMAGE_BODY_KIND:
        from fewlabels.adapt.image_encoder import ImageBodyAdaptedEncoder

        return ImageBodyAdaptedEncoder(base, tensors, meta, path=path, device=device)
    cls = AdaptedTextEncoder if has_text_side(base) else AdaptedEncoder
    return cls(base, tensors, meta, path=path)


def __getattr__(name: str) -> Any:
    """Re-export the body-adapted encoders, which live in their own modules (no import cycle)."""
    if name == "BodyAdaptedEncoder":
        from fewlabels.adapt.body_encoder import BodyAdaptedEncoder

        return BodyAdaptedEncoder
    if name == "ImageBodyAdaptedEncoder":
        from fewlabels.adapt.image_encoder import ImageBodyAdaptedEncoder

        return ImageBodyAdaptedEncoder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- loading -------------------------------------------------------------------------------


def _sniff(path: Path) -> str:
    """A short word on what a file that is not fewlabels adapted weights looks like."""
    try:
        head = path.read_bytes()[:8]
    except OSError:
        return "an unreadable file"
    if head.startswith(b"PK"):
        return "a zip archive (a torch .pt/.bin checkpoint is one: a pickle, which fewlabels never loads)"
    if head[:1] == b"\x80":
        return "a Python pickle, which fewlabels never loads"
    if head.startswith(b"\x93NUMPY"):
        return "a numpy .npy file"
    return f"a file starting with {head!r}"


def _read_weights(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as fh:
            header = dict(fh.metadata() or {})
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise FewlabelsError(
            f"Expected fewlabels adapted weights (a safetensors file) at {path}, but it is "
            f"{_sniff(path)} and cannot be read as safetensors ({exc}). Refusing it: adapt the "
            "encoder again (fewlabels adapt)."
        ) from None
    if header.get("format") != WEIGHTS_FORMAT:
        raise FewlabelsError(
            f"Expected fewlabels adapted weights at {path} (header format {WEIGHTS_FORMAT!r}), "
            f"but it is a foreign safetensors file (header {header or 'empty'}, tensors "
            f"{sorted(tensors)[:6]}). Refusing it: adapt the encoder again (fewlabels adapt)."
        )
    return tensors, header


def read_meta(folder: Path) -> AdaptedMeta:
    """Read and check ``adapter.json``."""
    meta_path = folder / META_NAME
    try:
        raw = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FewlabelsError(
            f"Expected an adapted encoder's metadata (JSON) at {meta_path}, but it cannot be read "
            f"({exc}). Adapt the encoder again (fewlabels adapt)."
        ) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        found = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
        raise FewlabelsError(
            f"Expected {meta_path} to be fewlabels adapted-encoder metadata (format {FORMAT!r}), "
            f"but its format is {found!r}. Adapt the encoder again (fewlabels adapt)."
        )
    try:
        return AdaptedMeta(
            method=str(raw["method"]),
            kind=str(raw["kind"]),
            settings=dict(raw["settings"]),
            base=dict(raw["base"]),
            rows=dict(raw["rows"]),
            labels=dict(raw["labels"]),
            dim=int(raw["dim"]),
            fingerprint=str(raw["fingerprint"]),
            training=dict(raw.get("training", {})),
            version=str(raw.get("fewlabels_version", "?")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FewlabelsError(
            f"Expected the keys method, kind, settings, base, rows, labels, dim and fingerprint "
            f"in {meta_path}, but {exc!r} is missing or malformed. Adapt the encoder again."
        ) from None


def load_adapted(
    path: str | os.PathLike[str],
    *,
    base: Encoder | None = None,
    device: str | None = "auto",
    batch_size: int | None = None,
) -> AdaptedEncoder:
    """Load an adapted encoder saved by :meth:`AdaptedEncoder.save`, offline.

    Parameters
    ----------
    path : path
        The folder (or its ``adapter.json`` / ``weights.safetensors``).
    base : Encoder, optional
        The base encoder; by default rebuilt from the registry name recorded. Either way its
        identity must equal the recorded one.
    device, batch_size
        Passed to the base encoder when it is rebuilt.

    Raises
    ------
    MissingFileError
        When there is no adapted encoder at ``path``.
    FewlabelsError
        For a corrupt or foreign weights file or metadata, or a base with another identity.
    MissingExtraError
        When the base encoder's packages are not installed (names the extra).
    """
    folder = Path(path).expanduser()
    if folder.is_file() and folder.name in (META_NAME, WEIGHTS_NAME):
        folder = folder.parent
    if not (folder / META_NAME).is_file() or not (folder / WEIGHTS_NAME).is_file():
        raise MissingFileError(
            f"Expected an adapted encoder folder at {folder} ({META_NAME} and {WEIGHTS_NAME}), "
            "but they are not there. Write one with `fewlabels adapt` or fewlabels.adapt.adapt(...)"
            ".save(folder)."
        )
    folder = folder.resolve()
    meta = read_meta(folder)
    tensors, header = _read_weights(folder / WEIGHTS_NAME)
    if header.get("kind") != meta.kind:
        raise FewlabelsError(
            f"Expected the weights at {folder / WEIGHTS_NAME} to be a {meta.kind!r} transform, as "
            f"{META_NAME} says, but their header says {header.get('kind')!r}. The folder mixes "
            "two adaptations; adapt the encoder again."
        )
    where = str(folder)
    if base is None:
        base = rebuild_base(meta.base, where=where, device=device, batch_size=batch_size)
    elif base.identity != meta.base["identity"]:
        raise FewlabelsError(
            f"Expected the base encoder the adaptation at {where} was made on (identity "
            f"{meta.base['identity']!r}), but got {base.identity!r}. Pass that encoder, or none."
        )
    from fewlabels.adapt.body import BODY_KIND
    from fewlabels.adapt.image_body import IMAGE_BODY_KIND

    if meta.kind in (BODY_KIND, IMAGE_BODY_KIND):
        return make_adapted(base, tensors, meta, path=folder, device=device)
    dim = check_tensors(
        meta.kind, tensors, input_dim=int(base.dim), where=str(folder / WEIGHTS_NAME)
    )
    if dim != meta.dim:
        raise FewlabelsError(
            f"Expected {meta.dim}-d output from the weights at {folder}, as {META_NAME} says, but "
            f"they give {dim}-d. Adapt the encoder again."
        )
    return make_adapted(base, tensors, meta, path=folder)
