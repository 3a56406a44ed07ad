"""Contrastive losses for adaptation (torch; imported only when an adaptation trains)."""

from __future__ import annotations

from typing import Any


def info_nce(z_a: Any, z_b: Any, *, temperature: float) -> Any:
    """Symmetric InfoNCE (NT-Xent) between two views of the same rows.

    Row ``i`` of ``z_a`` and row ``i`` of ``z_b`` are a positive pair; every other row of the
    batch in either view is a negative (SimCLR, Chen et al. 2020; SCARF, Bahri et al. 2022).

    Parameters
    ----------
    z_a, z_b : Tensor of shape (n, d), rows of unit norm
    temperature : float

    Returns
    -------
    Tensor, scalar
    """
    import torch

    n = z_a.shape[0]
    z = torch.cat([z_a, z_b], dim=0)
    sim = z @ z.T / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return torch.nn.functional.cross_entropy(sim, target)


def supervised_contrastive(z: Any, y: Any, *, temperature: float) -> Any:
    """Supervised contrastive loss (Khosla et al. 2020): same-label rows are positives.

    Rows whose label occurs once in the batch are anchors with no positive and are left out.

    Parameters
    ----------
    z : Tensor of shape (n, d), rows of unit norm
    y : Tensor of shape (n,), integer labels
    temperature : float

    Returns
    -------
    Tensor, scalar (0 when no row has a positive)
    """
    import torch

    n = z.shape[0]
    eye = torch.eye(n, dtype=torch.bool)
    sim = (z @ z.T / temperature).masked_fill(eye, float("-inf"))
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    pos = (y[:, None] == y[None, :]) & ~eye
    n_pos = pos.sum(dim=1)
    has = n_pos > 0
    if not bool(has.any()):
        return z.sum() * 0.0
    per_anchor = log_prob.masked_fill(~pos, 0.0).sum(dim=1)[has] / n_pos[has]
    return -per_anchor.mean()
