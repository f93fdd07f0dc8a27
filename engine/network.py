"""The multilayer perceptron: layers over one flat parameter vector, forward pass and gradients."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from .activations import HIDDEN
from .initializers import initialize
from .layer import Dense
from .losses import Loss

Array = np.ndarray
DTYPES = ("float64", "float32")


def _dtype(dtype: str | np.dtype) -> np.dtype:
    dt = np.dtype(dtype)
    if dt.name not in DTYPES:
        raise ValueError(f"unsupported dtype {dt.name!r}; valid: float64, float32")
    return dt


class Network:
    """Batch-first MLP: for layer l, z_l = a_{l-1} @ W_l + b_l and a_l = f_l(z_l); a_0 = X."""

    def __init__(
        self,
        sizes: Sequence[int],
        activations: Sequence[str],
        loss: Loss,
        dtype: str | np.dtype = "float64",
    ) -> None:
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or any(s < 1 for s in sizes):
            raise ValueError(f"sizes must be at least two positive integers, got {sizes}")
        if len(activations) != len(sizes) - 1:
            raise ValueError("need one activation per layer")
        for act in activations[:-1]:
            if act not in HIDDEN:
                raise ValueError(f"unknown hidden activation {act!r}; valid: {', '.join(HIDDEN)}")
        if activations[-1] != loss.output:
            raise ValueError("the last activation must be the loss's output activation")
        self.sizes = sizes
        self.activations = list(activations)
        self.loss_fn = loss
        self.dtype = _dtype(dtype)
        # Layout [W0, b0, W1, b1, ...]: each layer's parameters are contiguous, so per-layer
        # gradient norms are a single reduceat over the flat gradient.
        self.layer_offsets: list[int] = []
        self.w_slices: list[slice] = []
        self.b_slices: list[slice] = []
        off = 0
        for fi, fo in itertools.pairwise(sizes):
            self.layer_offsets.append(off)
            self.w_slices.append(slice(off, off + fi * fo))
            off += fi * fo
            self.b_slices.append(slice(off, off + fo))
            off += fo
        self.n_params = off
        self.params = np.zeros(off, dtype=self.dtype)
        self.grad = np.zeros(off, dtype=self.dtype)
        self.weight_mask = np.zeros(off, dtype=bool)
        for ws in self.w_slices:
            self.weight_mask[ws] = True
        self.layers: list[Dense] = []
        for i, (fi, fo) in enumerate(itertools.pairwise(sizes)):
            W = self.params[self.w_slices[i]].reshape(fi, fo)
            b = self.params[self.b_slices[i]]
            self.layers.append(Dense(W, b, activations[i], is_output=i == len(sizes) - 2))
        self.grad_segments: list[Array] = [
            self.grad[o : bs.stop] for o, bs in zip(self.layer_offsets, self.b_slices, strict=True)
        ]
        self.grad_views: list[tuple[Array, Array]] = [
            (self.grad[ws].reshape(fi, fo), self.grad[bs])
            for ws, bs, fi, fo in zip(
                self.w_slices, self.b_slices, sizes[:-1], sizes[1:], strict=True
            )
        ]

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_sizes(
        cls,
        sizes: Sequence[int],
        hidden: str = "relu",
        output: str = "softmax",
        loss: str = "cross_entropy",
        seed: int | np.random.Generator = 0,
        dtype: str = "float64",
        reduction: str = "mean",
        init: str = "auto",
        init_scale: float = 0.5,
    ) -> Network:
        """Build a net with the same activation on every hidden layer and initialise it."""
        lossobj = Loss(loss, output, reduction)
        acts = [hidden] * (len(sizes) - 2) + [output]
        net = cls(sizes, acts, lossobj, dtype)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        net.initialize(init, rng, init_scale)
        return net

    def initialize(self, init: str, rng: np.random.Generator, scale: float = 0.5) -> None:
        for layer in self.layers:
            act = layer.activation if not layer.is_output else self.activations[0]
            W, b = initialize(init, layer.fan_in, layer.fan_out, rng, self.dtype, act, scale)
            layer.W = W
            layer.b = b

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @property
    def output(self) -> str:
        return self.activations[-1]

    @property
    def hidden(self) -> str | None:
        return self.activations[0] if len(self.activations) > 1 else None

    @property
    def loss_name(self) -> str:
        return self.loss_fn.name

    @property
    def reduction(self) -> str:
        return self.loss_fn.reduction

    def describe(self) -> str:
        arch = "-".join(str(s) for s in self.sizes)
        hid = f"{self.hidden} hidden, " if self.hidden else ""
        return f"{arch} {hid}{self.output}/{self.loss_name} ({self.reduction}), {self.dtype.name}"

    # ---- computation ----------------------------------------------------------------------
    def as_inputs(self, X: Array) -> Array:
        """X as an array of the net's dtype (no copy when it already is one)."""
        X = np.asarray(X)
        return X if X.dtype == self.dtype else X.astype(self.dtype)

    def as_targets(self, y: Array) -> Array:
        """y as the loss expects it: integer labels for cross-entropy, else the net's dtype."""
        y = np.asarray(y)
        if self.loss_fn.name == "cross_entropy":
            return y if y.dtype.kind in "iu" else y.astype(np.intp)
        return y if y.dtype == self.dtype else y.astype(self.dtype)

    def forward_all(self, X: Array) -> tuple[list[Array], list[Array]]:
        """All pre-activations zs[l] and activations acts[l], l = 0..L-1 (X itself not included)."""
        a = self.as_inputs(X)
        zs: list[Array] = []
        acts: list[Array] = []
        for layer in self.layers:
            z, a = layer.forward(a)
            zs.append(z)
            acts.append(a)
        return zs, acts

    def forward(self, X: Array) -> Array:
        """Output activations, shape (n, outputs)."""
        a = self.as_inputs(X)
        for layer in self.layers:
            _, a = layer.forward(a)
        return a

    def per_sample_loss(self, X: Array, y: Array) -> Array:
        zs, acts = self.forward_all(X)
        return self.loss_fn.per_sample(zs[-1], acts[-1], self.as_targets(y))

    def loss(self, X: Array, y: Array) -> float:
        """Data loss (no regularisation term) under the net's reduction."""
        return self.loss_fn.reduce(self.per_sample_loss(X, y))

    def backward_into(
        self, X: Array, y: Array, zs: list[Array], acts: list[Array], keep: bool = False
    ) -> list[Array]:
        """Backward pass writing dL/dW, dL/db into ``self.grad``; returns deltas if ``keep``."""
        L = len(self.layers)
        delta = self.loss_fn.delta(zs[-1], acts[-1], y)
        deltas: list[Array] = [delta] if keep else []
        for i in range(L - 1, -1, -1):
            a_prev = acts[i - 1] if i > 0 else X
            gW, gb = self.grad_views[i]
            self.layers[i].backward(delta, a_prev, gW, gb)
            if i > 0:
                delta = self.layers[i].delta_below(
                    delta, zs[i - 1], acts[i - 1], self.layers[i - 1]
                )
                if keep:
                    deltas.append(delta)
        deltas.reverse()
        return deltas

    def gradients(self, X: Array, y: Array) -> list[tuple[Array, Array]]:
        """[(dW, db), ...] aligned with ``layers``, of the data loss; fresh copies."""
        X = self.as_inputs(X)
        y = self.as_targets(y)
        zs, acts = self.forward_all(X)
        self.backward_into(X, y, zs, acts)
        return [(gW.copy(), gb.copy()) for gW, gb in self.grad_views]

    def sq_layer_norms(self) -> Array:
        """||dW_l||^2 + ||db_l||^2 per layer: one BLAS dot over each layer's contiguous slice."""
        return np.array([seg.dot(seg) for seg in self.grad_segments], dtype=np.float64)

    def layer_grad_norms(self) -> Array:
        """sqrt(||dW_l||^2 + ||db_l||^2) per layer, from the flat gradient."""
        norms: Array = np.sqrt(self.sq_layer_norms())
        return norms

    # ---- evaluation -----------------------------------------------------------------------
    def predict(self, X: Array) -> Array:
        """Class labels for classifiers: argmax of softmax, threshold 0.5 for one sigmoid neuron."""
        return self.labels(self.forward(X))

    @property
    def threshold(self) -> float:
        """A single output neuron's class boundary: class 1 above it (tanh's range is -1..1)."""
        return 0.0 if self.output == "tanh" else 0.5

    def labels(self, out: Array) -> Array:
        """Predicted classes from output activations (argmax, or one output neuron's threshold)."""
        if out.shape[1] == 1:
            return (out[:, 0] > self.threshold).astype(np.intp)
        classes: Array = out.argmax(axis=1)
        return classes

    def true_labels(self, y: Array) -> Array:
        """Classes from targets: int labels as is, one-hot by argmax, one column by threshold."""
        y = np.asarray(y)
        if y.ndim == 2:
            if y.shape[1] == 1:
                return (y[:, 0] > self.threshold).astype(np.intp)
            classes: Array = y.argmax(axis=1)
            return classes
        return y

    def accuracy(self, X: Array, y: Array) -> float:
        """Fraction classified right; y is int labels, or targets (one-hot or a single 0/1)."""
        yl = self.true_labels(y)
        return float(np.mean(self.predict(X) == yl)) if len(yl) else float("nan")

    def loss_and_accuracy(self, X: Array, y: Array, accuracy: bool = True) -> tuple[float, float]:
        """Data loss and accuracy from one forward pass (evaluation's whole cost)."""
        zs, acts = self.forward_all(X)
        return self.loss_and_accuracy_of(zs, acts, y, accuracy)

    def loss_and_accuracy_of(
        self, zs: list[Array], acts: list[Array], y: Array, accuracy: bool = True
    ) -> tuple[float, float]:
        """Data loss and accuracy of a forward pass already made (forward_all's zs, acts)."""
        yt = self.as_targets(y)
        loss = self.loss_fn.reduce(self.loss_fn.per_sample(zs[-1], acts[-1], yt))
        if not accuracy or not len(yt):
            return loss, float("nan")
        return loss, float(np.mean(self.labels(acts[-1]) == self.true_labels(y)))
