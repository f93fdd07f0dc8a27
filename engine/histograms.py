"""Per-layer histograms of weights or gradients over a run: fixed bins, bounded memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .network import Network

Array = np.ndarray

DEFAULT_CAPACITY = 128  # frames kept; older ones are thinned to every other one when full


@dataclass(frozen=True)
class Bins:
    """Fixed bin edges, the same for every layer and every frame, so frames compare cell by cell.

    ``magnitude`` bins count |x| (the sign dropped): what shows a vanishing gradient is its size,
    decades apart from layer to layer. Values below the first edge (exact zeros included) go to
    the first bin and values above the last edge to the last: nothing is ever left out, so every
    frame's counts sum to the layer's size.
    """

    edges: Array  # increasing, len = n_bins + 1
    magnitude: bool

    @property
    def n_bins(self) -> int:
        return int(self.edges.shape[0]) - 1

    def count(self, x: Array) -> Array:
        """Counts (n_bins,) int64 of the finite values of ``x``; non-finite ones are dropped."""
        v = np.asarray(x, dtype=np.float64).ravel()
        v = v[np.isfinite(v)]
        if self.magnitude:
            v = np.abs(v)
        # searchsorted on the inner edges maps below-range to bin 0 and above-range to the last
        idx = np.searchsorted(self.edges[1:-1], v, side="right")
        counts: Array = np.bincount(idx, minlength=self.n_bins).astype(np.int64)
        return counts


def magnitude_bins(low: float = 1e-8, high: float = 1e2, per_decade: int = 2) -> Bins:
    """Log-spaced bins of |x| from ``low`` to ``high``: ``per_decade`` bins per factor of 10."""
    if not 0 < low < high:
        raise ValueError(f"need 0 < low < high, got {low}, {high}")
    if per_decade < 1:
        raise ValueError(f"per_decade must be >= 1, got {per_decade}")
    decades = np.log10(high) - np.log10(low)
    n = max(1, round(decades * per_decade))
    return Bins(np.logspace(np.log10(low), np.log10(high), n + 1), magnitude=True)


def linear_bins(limit: float = 2.0, n_bins: int = 40) -> Bins:
    """``n_bins`` equal bins over [-limit, limit] (signed values; the ends take the overflow)."""
    if limit <= 0 or n_bins < 1:
        raise ValueError(f"need limit > 0 and n_bins >= 1, got {limit}, {n_bins}")
    return Bins(np.linspace(-limit, limit, n_bins + 1), magnitude=False)


def weight_arrays(net: Network) -> list[Array]:
    """Each layer's weight matrix (views; biases left out)."""
    return [layer.W for layer in net.layers]


def gradient_arrays(net: Network) -> list[Array]:
    """Each layer's dL/dW from the net's gradient buffer (views: copy them if kept)."""
    return [gW for gW, _ in net.grad_views]


class LayerHistograms:
    """A run's histograms, one row of counts per layer per frame, in at most ``capacity`` frames.

    ``record(step, arrays)`` takes a frame when at least ``stride`` steps have passed since the
    last one (the first call always records). When the frames fill up, every other one is
    dropped and the stride doubles, so the kept frames always span the whole run at an even
    spacing, like a plot's x axis, and memory stays at capacity x layers x bins counts whatever
    the run's length (128 x 9 x 20 int64 = 184 kB for a 9-layer net).
    """

    def __init__(self, n_layers: int, bins: Bins, capacity: int = DEFAULT_CAPACITY) -> None:
        if n_layers < 1 or capacity < 2:
            raise ValueError(f"need n_layers >= 1 and capacity >= 2, got {n_layers}, {capacity}")
        self.n_layers = n_layers
        self.bins = bins
        self.capacity = capacity
        self.stride = 1
        self._steps = np.zeros(capacity, dtype=np.int64)
        self._counts = np.zeros((capacity, n_layers, bins.n_bins), dtype=np.int64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def steps(self) -> Array:
        """Steps of the kept frames, oldest first (a copy)."""
        return self._steps[: self._n].copy()

    @property
    def counts(self) -> Array:
        """(frames, layers, bins) counts, oldest frame first (a copy)."""
        return self._counts[: self._n].copy()

    def due(self, step: int) -> bool:
        return self._n == 0 or step - int(self._steps[self._n - 1]) >= self.stride

    def record(self, step: int, arrays: Sequence[Array]) -> bool:
        """Count ``arrays`` (one per layer) as the frame of ``step`` if one is due; True if so."""
        if len(arrays) != self.n_layers:
            raise ValueError(f"need {self.n_layers} arrays (one per layer), got {len(arrays)}")
        if not self.due(step):
            return False
        if self._n == self.capacity:
            keep = self._n // 2
            # keep frames 0, 2, 4, ...: the first frame stays, the spacing doubles
            self._steps[:keep] = self._steps[: self._n : 2][:keep]
            self._counts[:keep] = self._counts[: self._n : 2][:keep]
            self._n = keep
            self.stride *= 2
            if not self.due(step):
                return False
        for i, a in enumerate(arrays):
            self._counts[self._n, i] = self.bins.count(a)
        self._steps[self._n] = step
        self._n += 1
        return True

    def clear(self) -> None:
        """Forget every frame (a reset or a rewind): the next record starts a new series."""
        self._n = 0
        self.stride = 1
