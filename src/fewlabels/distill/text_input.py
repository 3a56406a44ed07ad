"""Hashed word and character n-grams: how the text student reads raw text.

The spec is plain JSON (stored inside the exported ONNX file), and hashing uses
scikit-learn's ``HashingVectorizer`` (MurmurHash3, 32 bit, seed 0, stable across releases),
so prediction needs neither torch nor a pickle. Feature hashing as in Weinberger et al.,
"Feature Hashing for Large Scale Multitask Learning" (ICML 2009); word and character
n-grams as in fastText (Joulin et al., "Bag of Tricks for Efficient Text Classification", 2017).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from fewlabels.errors import FewlabelsError

#: The name of the hashing scheme; stored in exports and checked on load.
HASHING = "sklearn-hashing-vectorizer-murmur3-v1"


@dataclass(frozen=True)
class TextHashing:
    """Hashed n-gram features of raw text.

    Parameters
    ----------
    word_ngrams : (int, int)
        Smallest and largest word n-gram.
    char_ngrams : (int, int)
        Smallest and largest character n-gram (within word boundaries, ``char_wb``).
    word_buckets, char_buckets : int
        Hash buckets for word and character n-grams; character buckets follow the word ones.
    lowercase : bool
        Lowercase before hashing.
    text_column : str or None
        The table column that holds the text when predicting from a table.
    """

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 4)
    word_buckets: int = 2**16
    char_buckets: int = 2**16
    lowercase: bool = True
    text_column: str | None = None

    input_names = ("indices", "values")

    @property
    def n_buckets(self) -> int:
        """Total number of hash buckets (rows of the student's embedding table)."""
        return self.word_buckets + self.char_buckets

    def hash(self, texts: list[str]) -> sp.csr_matrix:
        """Hash texts into bucket weights.

        Parameters
        ----------
        texts : list of str of length n

        Returns
        -------
        csr_matrix of shape (n, n_buckets), float32
            Word and character parts, each L2-normalised and scaled by ``1/sqrt(2)``.
        """
        from sklearn.feature_extraction.text import HashingVectorizer

        common = {
            "alternate_sign": False,
            "norm": "l2",
            "lowercase": self.lowercase,
            "dtype": np.float32,
        }
        words = HashingVectorizer(
            analyzer="word",
            ngram_range=tuple(self.word_ngrams),
            n_features=self.word_buckets,
            **common,
        ).transform(texts)
        chars = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=tuple(self.char_ngrams),
            n_features=self.char_buckets,
            **common,
        ).transform(texts)
        out = sp.hstack([words, chars], format="csr", dtype=np.float32) * np.float32(1 / np.sqrt(2))
        out.sort_indices()
        return out

    def feeds(self, texts: list[str]) -> dict[str, np.ndarray]:
        """The ONNX inputs for ``texts``: padded bucket indices and weights."""
        return padded_rows(self.hash(texts))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hashing"] = HASHING
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TextHashing:
        d = dict(d)
        scheme = d.pop("hashing", None)
        if scheme != HASHING:
            raise FewlabelsError(
                f"Expected text hashing {HASHING!r} in the export, but it says {scheme!r}. "
                "Re-export the student with this version of fewlabels."
            )
        d["word_ngrams"] = tuple(d["word_ngrams"])
        d["char_ngrams"] = tuple(d["char_ngrams"])
        return cls(**d)


def padded_rows(matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
    """Turn CSR rows into padded ``indices`` (int64) and ``values`` (float32) of shape (n, L).

    ``L`` is the largest number of non-zeros in a row (at least 1); padding has index 0
    and value 0, so it adds nothing to an embedding bag.
    """
    m = sp.csr_matrix(matrix)
    n = m.shape[0]
    lengths = np.diff(m.indptr)
    width = max(int(lengths.max()) if n else 1, 1)
    indices = np.zeros((n, width), dtype=np.int64)
    values = np.zeros((n, width), dtype=np.float32)
    rows = np.repeat(np.arange(n), lengths)
    cols = np.arange(m.nnz) - np.repeat(m.indptr[:-1], lengths)
    indices[rows, cols] = m.indices
    values[rows, cols] = m.data
    return {"indices": indices, "values": values}


def length_batches(
    lengths: np.ndarray, *, budget: int = 1 << 20, max_rows: int = 1024
) -> list[np.ndarray]:
    """Group rows of similar length so that padded batches stay small.

    Parameters
    ----------
    lengths : ndarray of shape (n,)
        Non-zeros per row.
    budget : int
        Most padded entries (rows x longest row) per batch.
    max_rows : int
        Most rows per batch.

    Returns
    -------
    list of ndarray of int
        Row positions of each batch (shortest rows first); together they cover every row once.
    """
    order = np.argsort(np.asarray(lengths), kind="stable")
    batches: list[np.ndarray] = []
    start = 0
    n = order.size
    while start < n:
        stop = start + 1
        while stop < n and stop - start < max_rows:
            longest = max(int(lengths[order[stop]]), 1)
            if (stop - start + 1) * longest > budget:
                break
            stop += 1
        batches.append(order[start:stop])
        start = stop
    return batches
