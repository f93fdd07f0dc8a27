"""Finite-difference gradient check, with its cost (2P forward passes) beside backprop's (1 + 1)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .network import Network

Array = np.ndarray


@dataclass(frozen=True)
class LayerCheck:
    layer: int
    checked_W: int
    checked_b: int
    max_rel_error_W: float
    max_rel_error_b: float

    @property
    def max_rel_error(self) -> float:
        return max(self.max_rel_error_W, self.max_rel_error_b)


@dataclass(frozen=True)
class GradCheckReport:
    layers: tuple[LayerCheck, ...]
    n_params: int
    n_checked: int
    eps: float
    fd_forward_passes: int
    backprop_forward_passes: int
    backprop_backward_passes: int
    fd_seconds: float
    backprop_seconds: float

    @property
    def max_rel_error(self) -> float:
        return max(lc.max_rel_error for lc in self.layers)

    @property
    def fd_seconds_all_params(self) -> float:
        """Finite differences' time extrapolated to every parameter, for a sampled check."""
        return self.fd_seconds * self.n_params / max(self.n_checked, 1)

    @property
    def speedup(self) -> float:
        return self.fd_seconds_all_params / max(self.backprop_seconds, 1e-12)


def relative_error(a: Array, b: Array, floor: float = 1e-300) -> float:
    """max |a - b| over a layer, relative to the layer's largest derivative max(|a|, |b|).

    Scaling by each element's own size would divide finite-difference noise (~1e-10) by
    derivatives that are legitimately ~0 (a dead ReLU, a saturated sigmoid) and report nonsense.
    """
    if a.size == 0:
        return 0.0
    scale = max(float(np.abs(a).max()), float(np.abs(b).max()), floor)
    return float(np.abs(a - b).max()) / scale


def gradient_check(
    net: Network,
    X: Array,
    y: Array,
    max_params: int | None = None,
    seed: int = 0,
    eps: float = 1e-5,
) -> GradCheckReport:
    """Compare backprop's dL/dtheta with (L(theta + eps) - L(theta - eps)) / 2 eps.

    Checks every parameter, or a seeded random subset of ``max_params`` for big nets. Parameters are
    restored exactly afterwards. Each checked parameter costs two forward passes; backprop gets all
    P derivatives from one forward and one backward pass.
    """
    X = net.as_inputs(X)
    y = net.as_targets(y)
    t_bp = math.inf
    for _ in range(5):  # best of 5: one pass is short enough for a timer tick to matter
        t0 = time.perf_counter()
        zs, acts = net.forward_all(X)
        net.backward_into(X, y, zs, acts)
        t_bp = min(t_bp, time.perf_counter() - t0)
    analytic = net.grad.copy()
    P = net.n_params
    if max_params is None or max_params >= P:
        idx = np.arange(P)
    else:
        idx = np.sort(np.random.default_rng(seed).choice(P, size=max_params, replace=False))
    p = net.params
    numeric = np.empty(idx.size)
    t0 = time.perf_counter()
    for j, i in enumerate(idx):
        old = p[i]
        p[i] = old + eps
        lp = net.loss(X, y)
        p[i] = old - eps
        lm = net.loss(X, y)
        p[i] = old
        numeric[j] = (lp - lm) / (2 * eps)
    t_fd = time.perf_counter() - t0
    an = analytic[idx]
    layers = []
    for li in range(net.n_layers):
        ws, bs = net.w_slices[li], net.b_slices[li]
        in_w = (idx >= ws.start) & (idx < ws.stop)
        in_b = (idx >= bs.start) & (idx < bs.stop)
        layers.append(
            LayerCheck(
                li,
                int(in_w.sum()),
                int(in_b.sum()),
                relative_error(an[in_w], numeric[in_w]),
                relative_error(an[in_b], numeric[in_b]),
            )
        )
    return GradCheckReport(
        tuple(layers), P, int(idx.size), eps, 2 * int(idx.size), 1, 1, t_fd, t_bp
    )
