"""Weight and bias initialisers, all drawing from an explicit np.random.Generator."""

from __future__ import annotations

import numpy as np

INITIALIZERS = ("glorot", "xavier", "he", "uniform", "zeros", "auto")


def initialize(
    name: str,
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: np.dtype,
    activation: str = "tanh",
    scale: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (W, b) with W of shape (fan_in, fan_out) and b of shape (fan_out,).

    Only "uniform" draws the biases too (the 1986 paper's scheme); the others start biases at 0.
    """
    if name == "auto":
        name = "he" if activation in ("relu", "leaky_relu") else "glorot"
    b = np.zeros(fan_out, dtype=dtype)
    if name in ("glorot", "xavier"):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        W = rng.uniform(-limit, limit, size=(fan_in, fan_out))
    elif name == "he":
        W = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
    elif name == "uniform":
        W = rng.uniform(-scale, scale, size=(fan_in, fan_out))
        b = rng.uniform(-scale, scale, size=fan_out)
    elif name == "zeros":
        W = np.zeros((fan_in, fan_out))
    else:
        raise ValueError(f"unknown initialiser {name!r}; valid: {', '.join(INITIALIZERS)}")
    return W.astype(dtype), b.astype(dtype)
