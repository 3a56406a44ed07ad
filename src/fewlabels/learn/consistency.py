"""Consistency training in embedding space: FixMatch with an EMA teacher (and FlexMatch).

FixMatch (Sohn et al., 2020): the cross-entropy of the labelled rows plus the cross-entropy
of confident pseudo-labels from a weak view, enforced on a strong view. Here the weak view
is the embedding itself and the strong view drops features and adds Gaussian noise; the
pseudo-labels come from an exponential-moving-average teacher (Tarvainen and Valpola,
2017, "Mean teachers"). FlexMatch (Zhang et al., 2021) scales the threshold of each class
by how many rows it already claims confidently ("curriculum pseudo labelling").
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from fewlabels._validation import check_param
from fewlabels.learn.base import EmbeddingClassifier
from fewlabels.learn.threads import limit_torch_threads_if_small
from fewlabels.typing import UNLABELED


def strong_view(x: Any, *, dropout: float, noise: float, generator: Any) -> Any:
    """The strong view of a batch of embeddings: feature dropout plus Gaussian noise.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, n_features)
    dropout : float
        Probability of zeroing each feature (kept ones are scaled by ``1 / (1 - dropout)``).
    noise : float
        Standard deviation of the added noise, relative to the RMS of a feature.
    generator : torch.Generator

    Returns
    -------
    torch.Tensor of shape (batch, n_features)
    """
    import torch

    keep = (torch.rand(x.shape, generator=generator, device=x.device) >= dropout).to(x.dtype)
    out = x * keep / max(1e-6, 1.0 - dropout)
    if noise > 0:
        scale = x.pow(2).mean().sqrt()
        out = out + noise * scale * torch.randn(x.shape, generator=generator, device=x.device)
    return out


def flexmatch_thresholds(claimed: np.ndarray, n_unused: int, *, threshold: float) -> np.ndarray:
    """Per-class thresholds of FlexMatch (with its convex warm-up mapping).

    Parameters
    ----------
    claimed : ndarray of shape (n_classes,)
        Unlabelled rows whose latest confident prediction is each class.
    n_unused : int
        Unlabelled rows never predicted confidently yet.
    threshold : float
        The fixed threshold ``tau``.

    Returns
    -------
    ndarray of shape (n_classes,)
        ``tau * b_c / (2 - b_c)`` with ``b_c = claimed_c / max(max(claimed), n_unused)``;
        in ``[0, tau]``, the largest for the classes learned best.
    """
    claimed = np.asarray(claimed, dtype=np.float64)
    denom = max(float(claimed.max(initial=0.0)), float(n_unused), 1.0)
    beta = claimed / denom
    return threshold * beta / (2.0 - beta)


def ema_decay(step: int, ema: float) -> float:
    """The teacher's decay at ``step`` (0-based): ``min(ema, (1 + step) / (10 + step))``.

    The warm-up of Mean Teacher (Tarvainen and Valpola, 2017), as in TensorFlow's
    ``ExponentialMovingAverage(num_updates=...)``: the early teacher follows the student
    closely (0.1 at the first step, 2/11 at the second) and settles at ``ema``.

    Parameters
    ----------
    step : int
    ema : float
        The decay once warmed up, in ``[0, 1]``.

    Returns
    -------
    float
        In ``[0, ema]``.
    """
    return min(float(ema), (1.0 + step) / (10.0 + step))


class ConsistencyTraining(EmbeddingClassifier):
    """FixMatch on embeddings: a small MLP head trained with confident pseudo-labels.

    Parameters
    ----------
    hidden : int, default 256
        Width of the hidden layer (0: a linear head).
    n_steps : int, default 400
        Optimiser steps.
    batch_size : int, default 64
        Labelled rows per step (drawn with replacement).
    mu : int, default 7
        Unlabelled rows per step are ``mu * batch_size``.
    lr : float, default 1e-3
    weight_decay : float, default 1e-4
    threshold : float, default 0.95
        Confidence above which a teacher prediction becomes a pseudo-label.
    lambda_u : float, default 1.0
        Weight of the unlabelled loss.
    adaptive_threshold : bool, default False
        FlexMatch per-class thresholds.
    dropout : float, default 0.5
        Feature dropout of the strong view.
    noise : float, default 0.5
        Gaussian noise of the strong view (relative to the feature RMS).
    ema : float, default 0.99
        Decay of the teacher's moving average.
    center : bool, default True
        Centre on the pool mean before L2 normalisation.
    device : str, default "auto"
        Torch device; ``"auto"`` uses CUDA when present.
    random_state : int, default 0
        Seeds initialisation, batches and views; the fit is deterministic on CPU.
    class_weight : None, "balanced" or dict, default None
        Weights of the labelled rows' cross-entropy, per class (``torch``'s
        ``cross_entropy(weight=...)``, normalised by the batch's total weight).
        ``"balanced"``: ``n_labelled / (K count_c)``; a dict ``{class: weight}`` in the
        user's values (missing classes 1); ``None``: unweighted. The pseudo-label loss is
        not weighted.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_weight_ : ndarray of shape (n_classes,)
        The resolved class weights.
    class_shares_ : ndarray of shape (n_classes,)
        Shares of the predicted classes over the fitted pool.
    labelled_shares_ : ndarray of shape (n_classes,)
        Class shares of the labelled rows.
    model_ : torch.nn.Module
        The EMA teacher, on the CPU, used for prediction.
    history_ : list of dict
        Every 50 steps: ``step``, ``loss_x``, ``loss_u``, ``mask_rate``.
    device_ : str
    mean_ : ndarray of shape (n_features,) or None
    n_features_in_ : int
    """

    def __init__(
        self,
        *,
        hidden: int = 256,
        n_steps: int = 400,
        batch_size: int = 64,
        mu: int = 7,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        threshold: float = 0.95,
        lambda_u: float = 1.0,
        adaptive_threshold: bool = False,
        dropout: float = 0.5,
        noise: float = 0.5,
        ema: float = 0.99,
        center: bool = True,
        device: str = "auto",
        random_state: int = 0,
        class_weight: Any = None,
    ) -> None:
        self.hidden = hidden
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.mu = mu
        self.lr = lr
        self.weight_decay = weight_decay
        self.threshold = threshold
        self.lambda_u = lambda_u
        self.adaptive_threshold = adaptive_threshold
        self.dropout = dropout
        self.noise = noise
        self.ema = ema
        self.center = center
        self.device = device
        self.random_state = random_state
        self.class_weight = class_weight

    def _build(self, d: int, k: int) -> Any:
        from torch import nn

        if int(self.hidden) <= 0:
            return nn.Linear(d, k)
        return nn.Sequential(
            nn.Linear(d, int(self.hidden)), nn.ReLU(), nn.Linear(int(self.hidden), k)
        )

    def fit(self, X: Any, y: Any) -> ConsistencyTraining:
        """Train the head on the labelled rows and the whole unlabelled pool.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), ``-1`` for unlabelled rows

        Returns
        -------
        self
        """
        try:
            import torch
        except ImportError as exc:  # torch is in the text and vision extras
            from fewlabels.errors import missing_extra

            raise missing_extra("ConsistencyTraining", "text", exc) from exc
        from fewlabels.encode.base import resolve_device

        name = "ConsistencyTraining"
        check_param("threshold", self.threshold, low=0, high=1, learner=name)
        check_param("ema", self.ema, low=0, high=1, learner=name)
        check_param("dropout", self.dropout, low=0, high=1, high_open=True, learner=name)
        check_param("n_steps", self.n_steps, low=0, high=np.inf, learner=name)
        Xa, ya = self._validate_fit(X, y)
        Z = self._fit_features(Xa, center=self.center) * np.float32(np.sqrt(Xa.shape[1]))
        K = len(self.classes_)
        cw = self._class_weights(ya)
        device = resolve_device(self.device)
        self.device_ = device
        lab = np.flatnonzero(ya != UNLABELED)
        n = len(Z)
        seed = int(self.random_state)
        gen = torch.Generator(device=device).manual_seed(seed)
        cpu_gen = torch.Generator().manual_seed(seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            student = self._build(Z.shape[1], K)
        student = student.to(device)
        teacher = copy.deepcopy(student)
        for p in teacher.parameters():
            p.requires_grad_(False)
        opt = torch.optim.AdamW(
            student.parameters(), lr=float(self.lr), weight_decay=float(self.weight_decay)
        )
        Xt = torch.from_numpy(np.ascontiguousarray(Z)).to(device)
        yt = torch.from_numpy(ya).to(device)
        lab_t = torch.from_numpy(lab).to(device)
        n_u = int(self.mu) * int(self.batch_size)
        self.history_: list[dict[str, float]] = []
        weight = None if np.all(cw == 1.0) else torch.from_numpy(cw).to(device, Xt.dtype)
        student.train()
        width = max(int(self.hidden), K)
        step_work = (n_u + int(self.batch_size)) * Z.shape[1] * width * 3
        on_cpu = device == "cpu"
        with limit_torch_threads_if_small(step_work if on_cpu else 1 << 62):
            self._train(
                student, teacher, opt, Xt, yt, lab_t, n, n_u, K, gen, cpu_gen, device, weight
            )
        self.model_ = teacher.to("cpu").eval()
        self._record_shares(Xa, ya)
        return self

    def _train(
        self,
        student: Any,
        teacher: Any,
        opt: Any,
        Xt: Any,
        yt: Any,
        lab_t: Any,
        n: int,
        n_u: int,
        K: int,
        gen: Any,
        cpu_gen: Any,
        device: str,
        weight: Any = None,
    ) -> None:
        """The FixMatch loop (assumes the state prepared by ``fit``).

        ``weight``: per-class weights of the labelled cross-entropy (None: unweighted).
        """
        import torch
        import torch.nn.functional as F

        claimed = np.full(n, -1, dtype=np.int64)
        tau = float(self.threshold)
        for step in range(int(self.n_steps)):
            bl = lab_t[
                torch.randint(len(lab_t), (int(self.batch_size),), generator=cpu_gen).to(device)
            ]
            bu_cpu = torch.randint(n, (n_u,), generator=cpu_gen)
            bu = bu_cpu.to(device)
            xl, yl = Xt[bl], yt[bl]
            xu = Xt[bu]
            with torch.no_grad():
                probs = torch.softmax(teacher(xu), dim=1)
                conf, pseudo = probs.max(dim=1)
            if self.adaptive_threshold:
                # FlexMatch state: each row's latest confident prediction (-1: none yet).
                counts = np.bincount(claimed[claimed >= 0], minlength=K)
                per_class = flexmatch_thresholds(counts, int((claimed < 0).sum()), threshold=tau)
                thr = torch.from_numpy(per_class).to(device, conf.dtype)[pseudo]
                confident = conf >= thr
                idx = bu_cpu.numpy()
                hit = (conf >= tau).cpu().numpy()
                claimed[idx[hit]] = pseudo.cpu().numpy()[hit]
            else:
                confident = conf >= tau
            mask = confident.to(Xt.dtype)
            xs = strong_view(
                xu, dropout=float(self.dropout), noise=float(self.noise), generator=gen
            )
            loss_x = F.cross_entropy(student(xl), yl, weight=weight)
            loss_u = (F.cross_entropy(student(xs), pseudo, reduction="none") * mask).mean()
            loss = loss_x + float(self.lambda_u) * loss_u
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                decay = ema_decay(step, float(self.ema))
                for pt, ps in zip(teacher.parameters(), student.parameters(), strict=True):
                    pt.mul_(decay).add_(ps.detach(), alpha=1.0 - decay)
            if step % 50 == 0 or step == int(self.n_steps) - 1:
                self.history_.append(
                    {
                        "step": step,
                        "loss_x": float(loss_x.detach()),
                        "loss_u": float(loss_u.detach()),
                        "mask_rate": float(mask.mean()),
                    }
                )

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        import torch

        Z = self._features(X) * np.float32(np.sqrt(X.shape[1]))
        out = []
        with torch.no_grad():
            for start in range(0, len(Z), 65_536):
                logits = self.model_(
                    torch.from_numpy(np.ascontiguousarray(Z[start : start + 65_536]))
                )
                out.append(torch.softmax(logits.double(), dim=1).numpy())
        return np.concatenate(out, axis=0)
