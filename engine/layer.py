"""A fully connected layer z = a @ W + b, a = f(z); W and b are views into a flat buffer."""

from __future__ import annotations

import numpy as np

from .activations import get_activation, output_function

Array = np.ndarray


class Dense:
    """One layer. ``W`` has shape (fan_in, fan_out) and ``b`` shape (fan_out,).

    Both are views into the network's flat parameter vector, so one vector operation updates every
    layer at once; assigning ``layer.W = x`` copies x into that view.
    """

    def __init__(self, W: Array, b: Array, activation: str, is_output: bool) -> None:
        self._W = W
        self._b = b
        self.activation = activation
        self.is_output = is_output
        self._f = output_function(activation) if is_output else get_activation(activation).f
        self._fgrad = None if activation == "softmax" else get_activation(activation).grad

    @property
    def W(self) -> Array:
        return self._W

    @W.setter
    def W(self, value: Array) -> None:
        self._W[...] = value

    @property
    def b(self) -> Array:
        return self._b

    @b.setter
    def b(self, value: Array) -> None:
        self._b[...] = value

    @property
    def fan_in(self) -> int:
        return int(self._W.shape[0])

    @property
    def fan_out(self) -> int:
        return int(self._W.shape[1])

    def forward(self, a_prev: Array) -> tuple[Array, Array]:
        """z = a_prev @ W + b and a = f(z); returns (z, a)."""
        z = a_prev @ self._W
        z += self._b
        return z, self._f(z)

    def fprime(self, z: Array, a: Array) -> Array:
        """f'(z) element-wise (not defined for softmax, whose Jacobian is fused into the loss)."""
        if self._fgrad is None:
            raise ValueError("softmax has no element-wise derivative; use the fused loss delta")
        return self._fgrad(z, a)

    def backward(self, delta: Array, a_prev: Array, gW: Array, gb: Array) -> None:
        """Write dL/dW and dL/db of this layer into gW and gb, given delta = dL/dz.

        z = a_prev @ W + b, so dz_j/dW_ij = a_prev_i: summing over the batch,
        dL/dW = a_prev^T @ delta (fan_in x fan_out) and dL/db = sum over rows of delta.
        """
        np.matmul(a_prev.T, delta, out=gW)
        np.sum(delta, axis=0, out=gb)

    def delta_below(self, delta: Array, z_prev: Array, a_prev: Array, below: Dense) -> Array:
        """delta of the layer below: delta_{l-1} = (delta_l @ W_l^T) * f'_{l-1}(z_{l-1}).

        z_l = a_{l-1} @ W_l + b_l gives dL/da_{l-1} = delta_l @ W_l^T, and a_{l-1} = f(z_{l-1})
        multiplies that element-wise by f'(z_{l-1}) (the chain rule, one layer down).
        """
        d: Array = delta @ self._W.T
        d *= below.fprime(z_prev, a_prev)
        return d
