"""Step-size diagnostics: the effective learning rate and each layer's update-to-weight ratio."""

from __future__ import annotations

import numpy as np

from .network import Network

Array = np.ndarray


def effective_lr(optimizer: str, lr: float, momentum: float = 0.0) -> float:
    """The step a constant gradient settles to, per unit of gradient.

    SGD with momentum b: v <- b v - lr g, so with g constant v tends to -lr g / (1 - b), a step
    lr / (1 - b): momentum 0.9 at lr 0.05 moves like lr 0.5 without it. Adam divides the first
    moment by the root of the second, so a steady gradient moves each weight by about lr whatever
    the gradient's scale: its effective step is lr itself (not a multiple of the gradient).
    """
    if optimizer == "sgd":
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must lie in [0, 1), got {momentum}")
        return lr / (1.0 - momentum)
    if optimizer == "adam":
        return lr
    raise ValueError(f"unknown optimizer {optimizer!r}; valid: sgd, adam")


def stability_limit(sharpness: float, momentum: float = 0.0) -> float:
    """The largest stable SGD learning rate on a quadratic of curvature ``sharpness``.

    Gradient descent on (lam/2) x^2 multiplies x by (1 - lr lam): stable while lr < 2 / lam. Heavy
    ball momentum b widens that to lr < 2 (1 + b) / lam (Cohen et al. 2021): the limit follows
    2(1+b)/sharpness, not the effective lr.
    """
    if sharpness <= 0:
        return float("inf")
    return 2.0 * (1.0 + momentum) / sharpness


def update_ratio(update: Array, weights: Array) -> float:
    """||update|| / ||weights||: around 1e-3 is the usual rule of thumb for a healthy step.

    NaN when the weights are all zero (nothing to compare the step with).
    """
    u = float(np.linalg.norm(np.asarray(update, dtype=np.float64)))
    w = float(np.linalg.norm(np.asarray(weights, dtype=np.float64)))
    return u / w if w > 0 else float("nan")


def layer_update_ratios(net: Network, before: Array, after: Array) -> Array:
    """Per layer, ||W_after - W_before|| / ||W_before|| over its weight matrix (biases left out).

    ``before`` and ``after`` are flat parameter vectors in the net's layout (``net.params``
    copies), e.g. taken around one training step.
    """
    b = np.asarray(before, dtype=np.float64)
    a = np.asarray(after, dtype=np.float64)
    if b.shape != (net.n_params,) or a.shape != (net.n_params,):
        raise ValueError(f"parameter vectors must have shape ({net.n_params},)")
    return np.array([update_ratio(a[ws] - b[ws], b[ws]) for ws in net.w_slices])
