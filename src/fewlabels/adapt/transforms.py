"""The forward passes of saved adaptation weights, in numpy (no torch needed to embed).

An adapted encoder stores its transform as named float32 tensors (safetensors). Each kind
below reads exactly those names; :func:`check_tensors` refuses a file whose tensors do not
fit its kind, so a damaged or foreign file is never half-applied.

``residual-linear``
    ``x + x @ w.T + b``: a linear map around the identity (``w``: (d, d)).
``residual-mlp``
    ``x + relu(x @ w1.T + b1) @ w2.T + b2`` (``w1``: (h, d), ``w2``: (d, h)).
``mlp``
    ``relu(... relu(x @ w0.T + b0) ...) @ wL.T + bL`` with ``w0, b0, ... wL, bL`` (SCARF).

Every kind L2-normalises its output rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fewlabels.encode.base import l2_normalize
from fewlabels.errors import FewlabelsError

__all__ = ["KINDS", "apply_transform", "check_tensors", "output_dim"]

KINDS = ("residual-linear", "residual-mlp", "mlp")


def _mlp_layers(tensors: Mapping[str, np.ndarray]) -> int:
    n = 0
    while f"w{n}" in tensors:
        n += 1
    return n


def _expected(kind: str, tensors: Mapping[str, np.ndarray]) -> list[str]:
    if kind == "residual-linear":
        return ["w", "b"]
    if kind == "residual-mlp":
        return ["w1", "b1", "w2", "b2"]
    n = _mlp_layers(tensors)
    return [name for k in range(max(n, 1)) for name in (f"w{k}", f"b{k}")]


def check_tensors(
    kind: str, tensors: Mapping[str, np.ndarray], *, input_dim: int, where: str
) -> int:
    """Check that ``tensors`` form a transform of ``kind`` over ``input_dim`` features.

    Returns
    -------
    int
        The output width.

    Raises
    ------
    FewlabelsError
        When names, shapes or dtypes do not fit (a damaged or foreign weights file).
    """
    if kind not in KINDS:
        raise FewlabelsError(
            f"Expected an adapted transform of kind {', '.join(map(repr, KINDS))} in {where}, but "
            f"its metadata says {kind!r}. The file was written by another program or a newer "
            "fewlabels; adapt the encoder again."
        )
    names = _expected(kind, tensors)
    if sorted(names) != sorted(tensors):
        raise FewlabelsError(
            f"Expected the tensors {names} for a {kind!r} transform in {where}, but it holds "
            f"{sorted(tensors)}. The weights file is damaged or not fewlabels adapted weights; "
            "adapt the encoder again."
        )
    for name, t in tensors.items():
        if t.dtype != np.float32 or not np.isfinite(t).all():
            raise FewlabelsError(
                f"Expected finite float32 tensors in {where}, but {name!r} is {t.dtype} or holds "
                "NaN/inf. The weights file is damaged; adapt the encoder again."
            )
    shapes = {k: tuple(v.shape) for k, v in tensors.items()}
    try:
        probe = np.zeros((1, input_dim), np.float32)
        out = _forward(kind, tensors, probe)
    except ValueError:
        out = None
    ok = out is not None and (kind == "mlp" or out.shape[1] == input_dim)
    if not ok:
        raise FewlabelsError(
            f"Expected a {kind!r} transform over {input_dim} input features in {where}, but the "
            f"tensor shapes {shapes} do not fit. The file belongs to another base encoder or is "
            "damaged; adapt the encoder again."
        )
    assert out is not None
    return int(out.shape[1])


def _forward(kind: str, tensors: Mapping[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    if kind == "residual-linear":
        return x + x @ tensors["w"].T + tensors["b"]
    if kind == "residual-mlp":
        h = np.maximum(x @ tensors["w1"].T + tensors["b1"], 0.0)
        return x + h @ tensors["w2"].T + tensors["b2"]
    n = _mlp_layers(tensors)
    for k in range(n):
        x = x @ tensors[f"w{k}"].T + tensors[f"b{k}"]
        if k < n - 1:
            x = np.maximum(x, 0.0)
    return x


def apply_transform(kind: str, tensors: Mapping[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """Apply a checked transform to base embeddings.

    Assumes ``tensors`` passed :func:`check_tensors`.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    tensors : mapping of str to ndarray
    X : ndarray of shape (n, d_in)

    Returns
    -------
    ndarray of shape (n, d_out), float32, rows of unit L2 norm
    """
    x = np.asarray(X, dtype=np.float32)
    return l2_normalize(_forward(kind, tensors, x))


def output_dim(kind: str, tensors: Mapping[str, np.ndarray], input_dim: int) -> int:
    """The width of the transform's output (assumes checked tensors)."""
    if kind != "mlp":
        return input_dim
    return int(tensors[f"w{_mlp_layers(tensors) - 1}"].shape[0])
