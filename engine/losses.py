"""Losses, each fused with its output activation so delta_L = dL/dz_L is exact and stable."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import get_activation

Array = np.ndarray

VALID_PAIRS: tuple[tuple[str, str], ...] = (
    ("softmax", "cross_entropy"),
    ("sigmoid", "binary_cross_entropy"),
    ("sigmoid", "mse"),
    ("tanh", "mse"),
    ("linear", "mse"),
)
LOSSES = ("cross_entropy", "binary_cross_entropy", "mse")
REDUCTIONS = ("mean", "sum")


def check_pair(output: str, loss: str) -> None:
    if (output, loss) not in VALID_PAIRS:
        valid = ", ".join(f"({o}, {lo})" for o, lo in VALID_PAIRS)
        raise ValueError(f"invalid (output, loss) combination ({output}, {loss}); valid: {valid}")


@dataclass(frozen=True)
class Loss:
    """A loss bound to its output activation and batch reduction."""

    name: str
    output: str
    reduction: str = "mean"

    def __post_init__(self) -> None:
        check_pair(self.output, self.name)
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction {self.reduction!r}; valid: mean, sum")

    def per_sample(self, z: Array, a: Array, y: Array) -> Array:
        """Loss of each sample, shape (n,), computed from the logits z where that is stabler."""
        if self.name == "cross_entropy":
            pc = a[np.arange(z.shape[0]), y]
            if pc.min() > 1e-300:
                # -log of the softmax output is exact to rounding while p_c is a normal number
                nll: Array = -np.log(pc)
                return nll
            m = z.max(axis=1, keepdims=True)
            logsum = np.log(np.exp(z - m).sum(axis=1)) + m[:, 0]
            nll = logsum - z[np.arange(z.shape[0]), y]
            return nll
        if self.name == "binary_cross_entropy":
            # -[t log s(z) + (1-t) log(1-s(z))] = max(z,0) - z t + log(1 + e^-|z|)
            t = y
            bce: Array = (np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))).sum(axis=1)
            return bce
        d = a - y
        se: Array = 0.5 * (d * d).sum(axis=1)
        return se

    def reduce(self, per_sample: Array) -> float:
        s = float(per_sample.sum())
        return s / per_sample.shape[0] if self.reduction == "mean" else s

    def delta(self, z: Array, a: Array, y: Array) -> Array:
        """delta_L = dL/dz_L for the whole batch, reduction included.

        softmax + cross-entropy: L = -log p_c, dL/dz_k = p_k - [k == c]  (= y_hat - y).
        sigmoid + binary cross-entropy: dL/dz = s(z) - t, the sigmoid's a(1-a) cancels.
        mse: L = 1/2 sum_k (a_k - t_k)^2, dL/dz = (a - t) * f'(z) by the chain rule.
        With reduction "mean" every row is divided by the batch size n.
        """
        n = z.shape[0]
        if self.name == "cross_entropy":
            d = a.copy()
            d[np.arange(n), y] -= 1
        elif self.name == "binary_cross_entropy":
            d = a - y
        else:
            d = (a - y) * get_activation(self.output).grad(z, a)
        if self.reduction == "mean":
            d /= n
        return d

    def formula(self) -> str:
        if self.name == "cross_entropy":
            return "L = -log p_c (softmax probability of the true class c)"
        if self.name == "binary_cross_entropy":
            return "L = -[t log y + (1-t) log(1-y)]"
        return "L = 1/2 Σ_k (y_k - t_k)²"
