"""Finite-difference gradient check, with its cost (2P forward passes) beside backprop's (1 + 1)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .network import Network

Array = np.ndarray

# |bp - fd| <= atol + RTOL * |fd| for every checked parameter, with
#   atol = FLOOR_FACTOR * (eps_machine * |L| / h + h^2 / 6).
# Why: a central difference (L(t+h) - L(t-h)) / 2h carries two errors that do not shrink with the
# gradient. Rounding: each L is off by about eps_machine * |L|, divided by 2h. Truncation:
# h^2 / 6 * d3L/dt3, taken with a third derivative of order 1. Measured over every bundled
# scenario the largest |bp - fd| of a near-zero gradient is 0.3-0.9x the rounding term (sine,
# whose big gradients carry truncation error, 11x), so a factor of 10 over both leaves room and
# still sits near 1e-10: an error in backprop's formulas (a missing factor, a wrong sign) is
# orders of magnitude bigger. RTOL covers large gradients, whose truncation error grows with them.
RTOL = 1e-6
FLOOR_FACTOR = 10.0
DEFAULT_EPS = 1e-5  # float64's step; float32 uses cbrt(eps_machine), where the two errors balance
MEASURE = "agree when every |bp - fd| <= atol + rtol*|fd|"
# Activations with a kink at 0: a central difference whose two points straddle it measures the
# average of two slopes, not the derivative, so such a parameter says nothing about backprop.
KINKED = frozenset({"relu", "leaky_relu"})


def default_eps(dtype: np.dtype) -> float:
    """The finite-difference step for a net's dtype: 1e-5 for float64, ~5e-3 for float32."""
    if dtype == np.float64:
        return DEFAULT_EPS
    return float(np.cbrt(np.finfo(dtype).eps))


def noise_floor(loss: float, eps: float, dtype: np.dtype) -> float:
    """atol: FLOOR_FACTOR * (rounding eps_machine*|L|/h + truncation h^2/6) of a central step."""
    machine = float(np.finfo(dtype).eps)
    return FLOOR_FACTOR * (machine * abs(loss) / eps + eps * eps / 6)


@dataclass(frozen=True)
class LayerCheck:
    layer: int
    checked_W: int
    checked_b: int
    max_rel_error_W: float
    max_rel_error_b: float
    n_W: int = 0  # the layer's parameters, checked or not
    n_b: int = 0
    max_abs_error: float = 0.0  # max |bp - fd| over the checked parameters
    max_gradient: float = 0.0  # max |fd| over them: how far above the floor the check sees
    worst_ratio: float = 0.0  # max |bp - fd| / (atol + rtol*|fd|); <= 1 is agreement
    at_kink: int = 0  # checked parameters whose +-h moved a ReLU input across 0: not compared

    @property
    def max_rel_error(self) -> float:
        return max(self.max_rel_error_W, self.max_rel_error_b)

    @property
    def agree(self) -> bool:
        return self.worst_ratio <= 1.0


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
    loss: float = 0.0  # the batch loss at the checked point
    atol: float = 0.0
    rtol: float = RTOL

    @property
    def max_rel_error(self) -> float:
        return max(lc.max_rel_error for lc in self.layers)

    @property
    def worst_ratio(self) -> float:
        return max(lc.worst_ratio for lc in self.layers)

    @property
    def at_kink(self) -> int:
        return sum(lc.at_kink for lc in self.layers)

    @property
    def agree(self) -> bool:
        return all(lc.agree for lc in self.layers)

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
    Informative, not the verdict: a layer whose every gradient is tiny (a vanishing-gradient
    net's first layer) has a large relative error made of rounding alone; ``agree`` decides.
    """
    if a.size == 0:
        return 0.0
    scale = max(float(np.abs(a).max()), float(np.abs(b).max()), floor)
    return float(np.abs(a - b).max()) / scale


def per_layer_sample(net: Network, per_layer: int, seed: int = 0) -> Array:
    """Sorted flat indices: up to ``per_layer`` weights and ``per_layer`` biases of each layer.

    Every layer is checked (a uniform sample of a 784-512-512-10 net would hardly touch the
    small last layer), each with the same seeded generator, so a seed repeats the choice.
    """
    rng = np.random.default_rng(seed)
    parts = []
    for sl in (s for pair in zip(net.w_slices, net.b_slices, strict=True) for s in pair):
        size = sl.stop - sl.start
        k = min(per_layer, size)
        parts.append(sl.start + np.sort(rng.choice(size, size=k, replace=False)))
    return np.concatenate(parts).astype(np.intp)


Progress = Callable[[int, int], None]  # (checked so far, to check)


def gradient_check(
    net: Network,
    X: Array,
    y: Array,
    max_params: int | None = None,
    seed: int = 0,
    eps: float | None = None,
    indices: Array | None = None,
    progress: Progress | None = None,
) -> GradCheckReport:
    """Compare backprop's dL/dtheta with (L(theta + eps) - L(theta - eps)) / 2 eps.

    Checks ``indices`` (flat parameter indices, e.g. from ``per_layer_sample``), or a seeded random
    subset of ``max_params``, or every parameter. Parameters are restored exactly afterwards, also
    when interrupted (KeyboardInterrupt passes through). Each checked parameter costs two forward
    passes; backprop gets all P derivatives from one forward and one backward pass. ``progress``
    is called now and then with how many parameters are done.

    A parameter whose +-eps turns a ReLU (or leaky ReLU) input in the batch on or off is "at a
    kink": L is not differentiable in between, so its difference is kept out of the comparison
    and counted in ``LayerCheck.at_kink`` (wide ReLU nets have a few).
    """
    X = net.as_inputs(X)
    y = net.as_targets(y)
    h = default_eps(net.dtype) if eps is None else eps
    t_bp = math.inf
    for _ in range(5):  # best of 5: one pass is short enough for a timer tick to matter
        t0 = time.perf_counter()
        zs, acts = net.forward_all(X)
        net.backward_into(X, y, zs, acts)
        t_bp = min(t_bp, time.perf_counter() - t0)
    analytic = net.grad.copy()
    kinked = [i for i, act in enumerate(net.activations) if act in KINKED]

    def evaluate() -> tuple[float, list[Array]]:
        """The loss (as net.loss computes it) and which kinked units are on, per sample."""
        zs, acts = net.forward_all(X)
        value = net.loss_fn.reduce(net.loss_fn.per_sample(zs[-1], acts[-1], y))
        return value, [zs[k] > 0 for k in kinked]

    loss, pattern = evaluate()
    P = net.n_params
    if indices is not None:
        idx = np.unique(np.asarray(indices, dtype=np.intp))
    elif max_params is None or max_params >= P:
        idx = np.arange(P)
    else:
        idx = np.sort(np.random.default_rng(seed).choice(P, size=max_params, replace=False))
    p = net.params
    numeric = np.empty(idx.size)
    kink = np.zeros(idx.size, dtype=bool)
    every = max(1, idx.size // 200)  # a progress call per half percent costs nothing
    t0 = time.perf_counter()
    for j, i in enumerate(idx):
        old = p[i]
        try:
            p[i] = old + h
            lp, on_p = evaluate()
            p[i] = old - h
            lm, on_m = evaluate()
        finally:
            p[i] = old  # exactly the old value: Ctrl-C must not leave a nudged weight behind
        numeric[j] = (lp - lm) / (2 * h)
        if kinked:
            kink[j] = any(
                not (np.array_equal(a, b) and np.array_equal(a, c))
                for a, b, c in zip(pattern, on_p, on_m, strict=True)
            )
        if progress is not None and (j + 1) % every == 0:
            progress(j + 1, idx.size)
    t_fd = time.perf_counter() - t0
    an = analytic[idx].astype(np.float64)
    atol = noise_floor(loss, h, net.dtype)
    ratio = np.abs(an - numeric) / (atol + RTOL * np.abs(numeric))
    layers = []
    for li in range(net.n_layers):
        ws, bs = net.w_slices[li], net.b_slices[li]
        all_w = (idx >= ws.start) & (idx < ws.stop)
        all_b = (idx >= bs.start) & (idx < bs.stop)
        in_w, in_b = all_w & ~kink, all_b & ~kink  # a parameter at a kink is counted, not compared
        mine = in_w | in_b
        layers.append(
            LayerCheck(
                li,
                int(all_w.sum()),
                int(all_b.sum()),
                relative_error(an[in_w], numeric[in_w]),
                relative_error(an[in_b], numeric[in_b]),
                ws.stop - ws.start,
                bs.stop - bs.start,
                float(np.abs(an[mine] - numeric[mine]).max()) if mine.any() else 0.0,
                float(np.abs(numeric[mine]).max()) if mine.any() else 0.0,
                float(ratio[mine].max()) if mine.any() else 0.0,
                int(((all_w | all_b) & kink).sum()),
            )
        )
    return GradCheckReport(
        tuple(layers),
        P,
        int(idx.size),
        h,
        2 * int(idx.size),
        1,
        1,
        t_fd,
        t_bp,
        float(loss),
        atol,
        RTOL,
    )
