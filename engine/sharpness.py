"""Sharpness: the loss Hessian's top eigenvalue by power iteration on exact Hessian products."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .activations import get_activation, output_function
from .network import Network

Array = np.ndarray

DEFAULT_TOL = 1e-3  # relative eigen-residual ||Hv - lam v|| / |lam| at which to stop
DEFAULT_MAX_ITER = 200
DEFAULT_FD_EPS = 1e-5


def _second(name: str, z: Array, a: Array) -> Array | None:
    """f''(z) element-wise from z and a = f(z); None where it is zero (almost everywhere).

    sigmoid: f' = a(1-a), so f'' = f'(1-2a). tanh: f' = 1-a^2, so f'' = -2a(1-a^2).
    relu, leaky_relu and linear are piecewise linear: f'' = 0 away from the kink at 0 (the Hessian
    is defined almost everywhere, which is all a power iteration ever sees).
    """
    out: Array | None = None
    if name == "sigmoid":
        out = a * (1 - a) * (1 - 2 * a)
    elif name == "tanh":
        out = -2 * a * (1 - a * a)
    return out


class HessianOperator:
    """The loss Hessian at fixed weights as an operator: ``op(v)`` is the exact product H v.

    Forward: a_0 = X, z_l = a_{l-1} W_l + b_l, a_l = f_l(z_l). Backward: delta_L = dL/dz_L (the
    fused loss delta), delta_{l-1} = (delta_l W_l^T) * f'(z_{l-1}), dL/dW_l = a_{l-1}^T delta_l,
    dL/db_l = sum_rows delta_l. Both run once, here; ``gradient`` keeps the result.

    H v is the directional derivative of that gradient along v = (V_l, c_l), R{.} = d/dt (.)(w+tv)
    at t = 0 (Pearlmutter 1994, "Fast exact multiplication by the Hessian"), applied to every line
    above by the product rule; with the passes above cached, each product costs one R-forward and
    one R-backward (about a gradient's work) and has no truncation error:
      R{a_0} = 0
      R{z_l} = R{a_{l-1}} W_l + a_{l-1} V_l + c_l
      R{a_l} = f'(z_l) * R{z_l}
      R{delta_L}: softmax + cross-entropy, delta = p - onehot: R{p} = p * (R{z} - sum_k p_k R{z_k});
                  sigmoid + binary cross-entropy, delta = s - t: s(1-s) R{z};
                  squared error, delta = (a - t) f'(z): (f'(z)^2 + (a - t) f''(z)) R{z};
                  each divided by n under the mean reduction, like delta itself
      R{delta_{l-1}} = (R{delta_l} W_l^T + delta_l V_l^T) * f'(z_{l-1})
                       + (delta_l W_l^T) * f''(z_{l-1}) * R{z_{l-1}}
      R{dL/dW_l} = R{a_{l-1}}^T delta_l + a_{l-1}^T R{delta_l}
      R{dL/db_l} = sum_rows R{delta_l}
    ``l2`` adds the penalty l2/2 ||W||^2's curvature, l2 on every weight (L1's |W| has none off 0).
    Everything runs in float64 whatever the net's dtype, on a copy of ``params``: the net's own
    parameters and gradient buffer are never written.
    """

    def __init__(
        self, net: Network, X: Array, y: Array, params: Array | None = None, l2: float = 0.0
    ) -> None:
        self.net = net
        self.l2 = float(l2)
        P = np.array(net.params if params is None else params, dtype=np.float64)
        self.X = X = np.asarray(X, dtype=np.float64)
        # targets in float64 too: as_targets would round them to a float32 net's dtype
        yt = net.as_targets(y) if net.loss_name == "cross_entropy" else np.asarray(y, np.float64)
        L = net.n_layers
        self.Ws = [
            P[ws].reshape(layer.W.shape) for ws, layer in zip(net.w_slices, net.layers, strict=True)
        ]
        bs = [P[s] for s in net.b_slices]
        self.acts: list[Array] = []
        self.fp: list[Array] = []  # f'(z_l) of the hidden layers
        self.fpp: list[Array | None] = []  # f''(z_l) of the hidden layers, None where zero
        a = X
        for i in range(L):
            z = a @ self.Ws[i] + bs[i]
            name = net.activations[i]
            if i == L - 1:
                a = output_function(name)(z)
                zL = z
            else:
                act = get_activation(name)
                a = act.f(z)
                self.fp.append(np.asarray(act.grad(z, a), dtype=np.float64))
                self.fpp.append(_second(name, z, a))
            self.acts.append(a)

        n = X.shape[0]
        aL = self.acts[-1]
        self.divisor = float(n) if net.reduction == "mean" else 1.0  # as Loss.delta divides
        # R{delta_L} = out_coef * R{z_L} / divisor, except softmax's, which mixes the outputs
        self.out_coef: Array | None = None
        if net.loss_name == "cross_entropy":
            d = aL.copy()
            d[np.arange(n), yt] -= 1
        elif net.loss_name == "binary_cross_entropy":
            d = aL - yt
            self.out_coef = aL * (1 - aL)
        else:
            fp = get_activation(net.output).grad(zL, aL)
            d = (aL - yt) * fp
            coef = fp * fp
            fpp = _second(net.output, zL, aL)
            self.out_coef = coef + (aL - yt) * fpp if fpp is not None else coef
        d = d / self.divisor
        # backward once: deltas[l] = dL/dz_l, backs[l] = dL/da_l = delta_{l+1} W_{l+1}^T
        self.deltas: list[Array] = [d] * L
        self.backs: list[Array] = [d] * L
        g = np.zeros(net.n_params)
        for i in range(L - 1, -1, -1):
            a_prev = self.acts[i - 1] if i > 0 else X
            g[net.w_slices[i]] = (a_prev.T @ d).ravel()
            g[net.b_slices[i]] = d.sum(axis=0)
            if i > 0:
                back = d @ self.Ws[i].T
                self.backs[i - 1] = back
                d = back * self.fp[i - 1]
                self.deltas[i - 1] = d
        self.gradient = g

    @property
    def size(self) -> int:
        return self.net.n_params

    def __call__(self, v: Array) -> Array:
        """H v, float64, for a flat direction v in the net's parameter layout."""
        net, L, X = self.net, self.net.n_layers, self.X
        V = np.asarray(v, dtype=np.float64)
        Vs = [V[ws].reshape(W.shape) for ws, W in zip(net.w_slices, self.Ws, strict=True)]
        cs = [V[s] for s in net.b_slices]
        rzs: list[Array] = []
        racts: list[Array] = []
        a, ra = X, None
        for i in range(L):
            rz = a @ Vs[i] + cs[i]
            if ra is not None:
                rz += ra @ self.Ws[i]
            rzs.append(rz)
            if i < L - 1:
                ra = self.fp[i] * rz
                racts.append(ra)
            a = self.acts[i]
        rzL, aL = rzs[-1], self.acts[-1]
        if self.out_coef is None:  # softmax: R{p} = p * (R{z} - sum_k p_k R{z_k})
            rd = aL * (rzL - (aL * rzL).sum(axis=1, keepdims=True))
        else:
            rd = self.out_coef * rzL
        rd /= self.divisor
        hv = np.zeros(net.n_params)
        for i in range(L - 1, -1, -1):
            d = self.deltas[i]
            a_prev = self.acts[i - 1] if i > 0 else X
            hW = a_prev.T @ rd
            if i > 0:
                hW += racts[i - 1].T @ d
            hv[net.w_slices[i]] = hW.ravel()
            hv[net.b_slices[i]] = rd.sum(axis=0)
            if i > 0:
                new_rd = (rd @ self.Ws[i].T + d @ Vs[i].T) * self.fp[i - 1]
                fpp = self.fpp[i - 1]
                if fpp is not None:
                    new_rd += self.backs[i - 1] * fpp * rzs[i - 1]
                rd = new_rd
        if self.l2:
            hv[net.weight_mask] += self.l2 * V[net.weight_mask]
        return hv


def loss_gradient(net: Network, X: Array, y: Array, params: Array | None = None) -> Array:
    """The data loss's flat gradient at ``params`` (default: the net's own), float64."""
    return HessianOperator(net, X, y, params).gradient


def hvp(
    net: Network,
    X: Array,
    y: Array,
    v: Array,
    params: Array | None = None,
    l2: float = 0.0,
) -> Array:
    """Exact Hessian-vector product H v of the loss at ``params`` (default: the net's own).

    One product; for many at the same weights build a ``HessianOperator`` once and call it.
    """
    return HessianOperator(net, X, y, params, l2)(v)


def hvp_fd(
    net: Network,
    X: Array,
    y: Array,
    v: Array,
    params: Array | None = None,
    eps: float = DEFAULT_FD_EPS,
) -> Array:
    """H v by central differences of the backprop gradient: (g(w + eps u) - g(w - eps u)) / 2eps.

    With u = v/||v|| (scaled back after). Error: truncation eps^2/6 * d^3g/du^3 plus rounding about
    eps_machine ||g|| / eps; at eps 1e-5 in float64 both are near 1e-10 for gradients of order 1.
    Kept as an independent check of ``hvp`` (it shares only the forward and backward formulas).
    """
    p = np.asarray(net.params if params is None else params, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    if norm == 0:
        return np.zeros_like(p)
    u = v / norm
    gp = loss_gradient(net, X, y, p + eps * u)
    gm = loss_gradient(net, X, y, p - eps * u)
    out: Array = (gp - gm) / (2 * eps) * norm
    return out


@dataclass(frozen=True)
class Eigen:
    """A power iteration's answer: the eigenvalue, its unit eigenvector and what it cost.

    ``residual`` is ||H v - value v||: a symmetric H has an eigenvalue within that distance of
    ``value`` whatever the gaps between eigenvalues (Bauer-Fike), so it bounds the error.
    """

    value: float
    vector: Array
    iterations: int  # Hessian-vector products used, both passes of a shifted search included
    converged: bool
    residual: float


def _power(
    op: Callable[[Array], Array], v: Array, tol: float, max_iter: int, shift: float
) -> tuple[float, Array, int, bool, float]:
    """Power iteration on op + shift I: (Rayleigh quotient of op, vector, steps, ok, residual)."""
    lam, resid = 0.0, float("inf")
    for k in range(1, max_iter + 1):
        w = op(v)
        lam = float(v @ w)
        r = w - lam * v
        resid = float(np.linalg.norm(r))
        # relative to the spectrum's scale: |lam|, or the shift (the most negative eigenvalue's
        # size) when the top eigenvalue is tiny beside it, where |lam| alone would never be met
        if resid <= tol * max(abs(lam), shift) or resid == 0.0:
            return lam, v, k, True, resid
        w = w + shift * v if shift else w
        norm = float(np.linalg.norm(w))
        if norm == 0.0 or not np.isfinite(norm):
            return lam, v, k, False, resid
        v = w / norm
    return lam, v, max_iter, False, resid


def top_eigenvalue(
    op: Callable[[Array], Array],
    size: int,
    v0: Array | None = None,
    seed: int = 0,
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
) -> Eigen:
    """The largest (algebraic) eigenvalue of the symmetric operator ``op`` by power iteration.

    Starts from ``v0`` (a warm start: the previous answer's vector) or a seeded Gaussian vector and
    stops when ||H v - lam v|| <= tol |lam|. Power iteration finds the eigenvalue of largest
    magnitude; when that one is negative, a second search on H + |lam| I (whose eigenvalues are all
    >= 0, the top one moved to the top) finds the largest, to within tol x that |lam| (the
    spectral radius: on a plateau where every eigenvalue is near 0, a relative error on the tiny
    top one would take thousands of products and mean nothing).
    """
    if v0 is not None and v0.shape == (size,) and np.linalg.norm(v0) > 0:
        v = np.asarray(v0, dtype=np.float64) / np.linalg.norm(v0)
    else:
        v = np.random.default_rng(seed).standard_normal(size)
        v /= np.linalg.norm(v)
    lam, v, k, ok, resid = _power(op, v, tol, max_iter, 0.0)
    if lam < 0:
        shift = -lam
        # tolerance relative to the shifted problem's scale; reported against H itself
        lam2, v2, k2, ok2, resid2 = _power(op, v_restart(v, seed), tol, max_iter, shift)
        return Eigen(lam2, v2, k + k2, ok2, resid2)
    return Eigen(lam, v, k, ok, resid)


def v_restart(v: Array, seed: int) -> Array:
    """A start for the shifted search: the negative direction is what it must move away from."""
    w = np.random.default_rng(seed + 1).standard_normal(v.shape[0])
    w -= (w @ v) * v
    n = float(np.linalg.norm(w))
    return w / n if n > 0 else v


def sharpness(
    net: Network,
    X: Array,
    y: Array,
    v0: Array | None = None,
    seed: int = 0,
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
    l2: float = 0.0,
) -> Eigen:
    """The loss Hessian's largest eigenvalue w.r.t. all parameters, on (X, y), at the net's weights.

    Pass the whole training set for the full-batch sharpness, or one batch. ``l2`` adds the L2
    penalty's curvature (see ``HessianOperator``). The net is not changed.
    """
    op = HessianOperator(net, X, y, None, l2)
    return top_eigenvalue(op, op.size, v0, seed, tol, max_iter)


class SharpnessMeter:
    """Sharpness measured again and again along a run, each search warm-started from the last.

    Consecutive measurements of a slowly moving Hessian share their top eigenvector almost
    exactly, so a warm start needs a few products where a cold one needs tens.
    """

    def __init__(
        self, seed: int = 0, tol: float = DEFAULT_TOL, max_iter: int = DEFAULT_MAX_ITER
    ) -> None:
        self.seed = seed
        self.tol = tol
        self.max_iter = max_iter
        self.vector: Array | None = None
        self.steps: list[int] = []
        self.values: list[float] = []
        self.products = 0

    def measure(self, net: Network, X: Array, y: Array, step: int, l2: float = 0.0) -> Eigen:
        """One measurement at ``step``, appended to ``steps`` and ``values``."""
        e = sharpness(net, X, y, self.vector, self.seed, self.tol, self.max_iter, l2)
        if np.all(np.isfinite(e.vector)):
            self.vector = e.vector
        self.steps.append(int(step))
        self.values.append(e.value)
        self.products += e.iterations
        return e

    @property
    def last(self) -> float | None:
        return self.values[-1] if self.values else None
