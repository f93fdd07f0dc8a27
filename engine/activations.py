"""Activation functions f(z) and their derivatives f'(z), batch-first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """An element-wise activation.

    ``grad(z, a)`` is f'(z); it takes both z and a = f(z) so each function uses the cheaper one
    (relu returns a boolean mask, which multiplies exactly like 0.0/1.0).
    """

    name: str
    f: Callable[[Array], Array]
    grad: Callable[[Array, Array], Array]
    formula: str
    derivative: str


def _sigmoid(z: Array) -> Array:
    # exp(-|z|) never overflows; the two branches give 1/(1+e^-z) for every sign of z.
    e = np.exp(-np.abs(z))
    s: Array = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)
    return s


def _relu(z: Array) -> Array:
    a: Array = np.maximum(z, 0)
    return a


def _leaky_relu(z: Array) -> Array:
    return np.where(z > 0, z, z * LEAKY_SLOPE)


LEAKY_SLOPE = 0.01

ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", _sigmoid, lambda z, a: a * (1 - a), "1/(1+e^-z)", "a(1-a)"),
    "tanh": Activation("tanh", np.tanh, lambda z, a: 1 - a * a, "tanh(z)", "1-a²"),
    "relu": Activation("relu", _relu, lambda z, a: z > 0, "max(0,z)", "1 if z>0 else 0"),
    "leaky_relu": Activation(
        "leaky_relu",
        _leaky_relu,
        lambda z, a: np.where(z > 0, z.dtype.type(1), z.dtype.type(LEAKY_SLOPE)),
        "max(0.01z,z)",
        "1 if z>0 else 0.01",
    ),
    "linear": Activation("linear", lambda z: z, lambda z, a: np.ones_like(z), "z", "1"),
}


def softmax(z: Array) -> Array:
    """Softmax over the last axis (each row of a batch, or of each model's batch in a stack);
    subtracting the row max keeps exp from overflowing."""
    e: Array = np.exp(z - z.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


OUTPUTS = ("softmax", "sigmoid", "tanh", "linear")
HIDDEN = tuple(ACTIVATIONS)


def get_activation(name: str) -> Activation:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}") from None


def output_function(name: str) -> Callable[[Array], Array]:
    """f for an output layer: the five activations plus softmax."""
    if name == "softmax":
        return softmax
    return get_activation(name).f
