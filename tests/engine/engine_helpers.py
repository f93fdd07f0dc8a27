"""Shared helpers for the engine tests: nets with randomised parameters and matching data."""

from __future__ import annotations

import numpy as np

from engine import Network


def computed(x: np.ndarray | None) -> np.ndarray:
    """An IterationState field or a batch that the step under test must have produced."""
    assert x is not None
    return x


def make_data(
    net: Network, n: int, seed: int = 1, dtype: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Random inputs and targets that fit ``net``'s loss: int labels, {0,1} or real targets."""
    rng = np.random.default_rng(seed)
    k = net.sizes[-1]
    X = rng.normal(0.0, 1.0, size=(n, net.sizes[0]))
    y: np.ndarray
    if net.loss_name == "cross_entropy":
        y = rng.integers(0, k, size=n)
    elif net.loss_name == "binary_cross_entropy":
        y = rng.integers(0, 2, size=(n, k)).astype(np.float64)
    elif net.output == "sigmoid":
        y = rng.uniform(0.0, 1.0, size=(n, k))
    elif net.output == "tanh":
        y = rng.uniform(-0.9, 0.9, size=(n, k))
    else:
        y = rng.normal(0.0, 1.0, size=(n, k))
    if dtype is not None:
        X = X.astype(dtype)
        if y.dtype.kind == "f":
            y = y.astype(dtype)
    return X, y


def randomize(net: Network, seed: int = 0, std: float = 0.8) -> Network:
    """Every weight AND bias ~ N(0, std): no zero biases, so ReLU kinks are not hit at z == 0."""
    rng = np.random.default_rng(seed)
    net.params[...] = rng.normal(0.0, std, size=net.n_params).astype(net.dtype)
    return net


def net_for(
    sizes: list[int],
    hidden: str = "tanh",
    output: str = "softmax",
    loss: str = "cross_entropy",
    reduction: str = "mean",
    dtype: str = "float64",
    seed: int = 0,
    init: str = "auto",
) -> Network:
    return Network.from_sizes(
        sizes,
        hidden=hidden,
        output=output,
        loss=loss,
        seed=seed,
        dtype=dtype,
        reduction=reduction,
        init=init,
    )
