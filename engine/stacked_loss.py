"""A stack's loss maths: per-sample losses and the output layer's delta for K models at once."""

from __future__ import annotations

import numpy as np

from .activations import get_activation
from .losses import Loss

Array = np.ndarray


class RowIndex:
    """Index arrays (K, 1) and (B,) picking one entry per model and row, cached by shape (one
    batch shape serves every iteration, so they are built once)."""

    def __init__(self) -> None:
        self._idx: tuple[int, int, Array, Array] | None = None

    def __call__(self, a: Array) -> tuple[Array, Array]:
        K, B = a.shape[0], a.shape[1]
        if self._idx is None or self._idx[:2] != (K, B):
            self._idx = (K, B, np.arange(K)[:, None], np.arange(B))
        return self._idx[2], self._idx[3]


def per_sample(lf: Loss, z: Array, a: Array, y: Array, rows: RowIndex) -> Array:
    """Loss.per_sample for every model: (K, B)."""
    if lf.name == "cross_entropy":
        kk, bb = rows(a)
        pc = a[kk, bb, y]  # y (1 or K, B) broadcasts against the (K, 1) and (B,) indices
        nll: Array = -np.log(pc)
        ok = np.minimum.reduce(pc, axis=1) > 1e-300
        for k in np.flatnonzero(~ok) if not ok.all() else ():
            yk = y[k if y.shape[0] > 1 else 0]
            nll[k] = lf.per_sample(z[k], a[k], yk)  # the log-sum-exp road, per model
        return nll
    if lf.name == "binary_cross_entropy":
        bce: Array = (np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))).sum(axis=-1)
        return bce
    d = a - y
    se: Array = 0.5 * (d * d).sum(axis=-1)
    return se


def delta(lf: Loss, z: Array, a: Array, y: Array, n: int, rows: RowIndex) -> Array:
    """Loss.delta for every model: dL/dz of the output layer, (K, B, n_out)."""
    if lf.name == "cross_entropy":
        kk, bb = rows(a)
        d = a.copy()
        d[kk, bb, y] -= 1
    elif lf.name == "binary_cross_entropy":
        d = a - y
    else:
        d = (a - y) * get_activation(lf.output).grad(z, a)
    if lf.reduction == "mean":
        d /= n
    return d
