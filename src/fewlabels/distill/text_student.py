"""The text student: hashed word and character n-grams into a small head (fastText-like).

Joulin, Grave, Bojanowski and Mikolov, "Bag of Tricks for Efficient Text Classification"
(EACL 2017): a bag of hashed n-gram embeddings, averaged, then a linear layer. Here the bag
is weighted by L2-normalised n-gram counts and a ReLU hidden layer can sit in between.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from fewlabels.distill.config import DistillConfig
from fewlabels.distill.student import Student
from fewlabels.distill.text_input import TextHashing, length_batches, padded_rows
from fewlabels.distill.trainer import Trainer


class NgramBag(nn.Module):
    """Weighted bag of hashed n-gram embeddings, then (optionally) a ReLU, then logits.

    Parameters
    ----------
    n_buckets : int
        Rows of the embedding table.
    dim : int
        Embedding width.
    n_classes : int
    hidden : bool
        Put a ReLU between the bag and the output layer (a one-hidden-layer MLP head).

    Inputs are ``indices`` (int64) and ``values`` (float32), both of shape (n, L);
    the output is logits of shape (n, n_classes).
    """

    def __init__(self, n_buckets: int, dim: int, n_classes: int, *, hidden: bool = False) -> None:
        super().__init__()
        self.embedding = nn.Parameter(torch.randn(n_buckets, dim) * 0.05)
        self.bias = nn.Parameter(torch.zeros(dim))
        self.head: nn.Module = (
            nn.Sequential(nn.ReLU(), nn.Linear(dim, n_classes))
            if hidden
            else nn.Linear(dim, n_classes)
        )

    def forward(self, indices: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        bag = (nn.functional.embedding(indices, self.embedding) * values.unsqueeze(-1)).sum(1)
        return self.head(bag + self.bias)


class _TextTrainer(Trainer):
    """Pads the hashed n-grams of each batch (``collate``); evaluates rows of similar length
    together (``eval_batches``)."""

    def eval_batches(self, features: Any, idx: np.ndarray) -> list[np.ndarray]:
        return length_batches(np.diff(features.indptr)[idx])

    def collate(
        self, features: Any, idx: np.ndarray, device: torch.device
    ) -> tuple[torch.Tensor, ...]:
        feeds = padded_rows(features[idx])
        return (
            torch.from_numpy(feeds["indices"]).to(device),
            torch.from_numpy(feeds["values"]).to(device),
        )


class TextStudent(Student):
    """A fast text classifier over hashed word and character n-grams, trained on soft labels.

    Parameters
    ----------
    word_ngrams : (int, int), default (1, 2)
    char_ngrams : (int, int), default (2, 4)
        Character n-grams within word boundaries.
    word_buckets, char_buckets : int, default 2**16
        Hash buckets for each kind of n-gram.
    dim : int, default 32
        Embedding width.
    hidden : bool, default False
        Add a ReLU hidden layer (a small MLP head) instead of a linear head.
    lowercase : bool, default True
    text_column : str, optional
        Column that holds the text when predicting from a table (recorded in the export).
    config : DistillConfig, optional
        Training options.

    Examples
    --------
    >>> student = TextStudent().fit(texts, teacher_proba, classes=("neg", "pos"))  # doctest: +SKIP
    >>> student.export("model.onnx")  # doctest: +SKIP
    """

    kind = "text-ngram"
    modality = "text"

    def __init__(
        self,
        *,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (2, 4),
        word_buckets: int = 2**16,
        char_buckets: int = 2**16,
        dim: int = 32,
        hidden: bool = False,
        lowercase: bool = True,
        text_column: str | None = None,
        config: DistillConfig | None = None,
    ) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.word_buckets = word_buckets
        self.char_buckets = char_buckets
        self.dim = dim
        self.hidden = hidden
        self.lowercase = lowercase
        self.text_column = text_column
        self.config = config

    def _fit_spec(self, inputs: Any) -> TextHashing:
        return TextHashing(
            word_ngrams=tuple(self.word_ngrams),  # type: ignore[arg-type]
            char_ngrams=tuple(self.char_ngrams),  # type: ignore[arg-type]
            word_buckets=int(self.word_buckets),
            char_buckets=int(self.char_buckets),
            lowercase=bool(self.lowercase),
            text_column=self.text_column,
        )

    def _features(self, inputs: Any, spec: TextHashing, *, training: bool) -> sp.csr_matrix:
        return spec.hash([str(t) for t in inputs])

    def _build(self, spec: TextHashing, n_classes: int) -> nn.Module:
        return NgramBag(spec.n_buckets, int(self.dim), n_classes, hidden=bool(self.hidden))

    def _trainer(self, config: DistillConfig) -> Trainer:
        return _TextTrainer(config)

    def _example(self) -> tuple[dict[str, np.ndarray], dict[str, dict[int, str]]]:
        feeds = self.input_spec_.feeds(["an example text", "another one"])
        return feeds, {"indices": {0: "n", 1: "length"}, "values": {0: "n", 1: "length"}}
