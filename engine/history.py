"""Training history in growable numpy arrays, and a min/max-bucket downsampler for plots."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class Growable:
    """An append-only numpy array that doubles its capacity; ``.view`` is the filled part."""

    def __init__(self, width: int | None = None, dtype: type = np.float64, capacity: int = 1024):
        shape = (capacity,) if width is None else (capacity, width)
        self._data: np.ndarray = np.empty(shape, dtype=dtype)
        self.n = 0

    def append(self, value: object) -> None:
        if self.n == self._data.shape[0]:
            grown = np.empty((2 * self.n, *self._data.shape[1:]), dtype=self._data.dtype)
            grown[: self.n] = self._data
            self._data = grown
        self._data[self.n] = value
        self.n += 1

    def truncate(self, n: int) -> None:
        self.n = min(self.n, n)

    @property
    def view(self) -> np.ndarray:
        return self._data[: self.n]

    def __len__(self) -> int:
        return self.n


class History:
    """Per-iteration train loss, lr and per-layer gradient norms; periodic evaluations."""

    def __init__(self, n_layers: int) -> None:
        self.n_layers = n_layers
        self._train_loss = Growable()
        self._lr = Growable()
        self._grad_norms = Growable(n_layers)
        self._eval_step = Growable(dtype=np.int64, capacity=64)
        self._eval = Growable(4, capacity=64)  # train_loss, train_acc, test_loss, test_acc

    def record(self, loss: float, lr: float, sq_grad_norms: Sequence[float] | np.ndarray) -> None:
        """One iteration; gradient norms come squared (the square root is taken when read), as an
        array or, from the fast path, a list of floats (one row written either way)."""
        tl = self._train_loss
        i = tl.n
        if i == tl._data.shape[0]:
            tl.append(loss)
            self._lr.append(lr)
            self._grad_norms.append(sq_grad_norms)
            return
        # the common case writes in place: one capacity check instead of three appends
        tl._data[i] = loss
        self._lr._data[i] = lr
        self._grad_norms._data[i] = sq_grad_norms
        tl.n = self._lr.n = self._grad_norms.n = i + 1

    def record_eval(self, step: int, ev: dict[str, float | None]) -> None:
        """One evaluation (the dict Stepper.evaluate returns); a missing figure is stored as NaN."""
        keys = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
        self._eval_step.append(step)
        self._eval.append(tuple(np.nan if ev[k] is None else ev[k] for k in keys))

    @property
    def train_loss(self) -> np.ndarray:
        return self._train_loss.view

    @property
    def lr(self) -> np.ndarray:
        return self._lr.view

    @property
    def grad_norms(self) -> np.ndarray:
        """(iterations, layers): sqrt(||dL/dW_l||^2 + ||dL/db_l||^2) of the data loss."""
        norms: np.ndarray = np.sqrt(self._grad_norms.view)
        return norms

    def grad_norms_tail(self, k: int) -> np.ndarray:
        """The last k rows of ``grad_norms`` without touching the rest of the history."""
        norms: np.ndarray = np.sqrt(
            self._grad_norms.view[-k:] if k > 0 else self._grad_norms.view[:0]
        )
        return norms

    @property
    def eval_steps(self) -> np.ndarray:
        return self._eval_step.view

    @property
    def eval_train_loss(self) -> np.ndarray:
        return self._eval.view[:, 0]

    @property
    def eval_train_accuracy(self) -> np.ndarray:
        return self._eval.view[:, 1]

    @property
    def test_loss(self) -> np.ndarray:
        return self._eval.view[:, 2]

    @property
    def test_accuracy(self) -> np.ndarray:
        return self._eval.view[:, 3]

    def lengths(self) -> tuple[int, int]:
        return self._train_loss.n, self._eval_step.n

    def truncate(self, lengths: tuple[int, int]) -> None:
        n, e = lengths
        self._train_loss.truncate(n)
        self._lr.truncate(n)
        self._grad_norms.truncate(n)
        self._eval_step.truncate(e)
        self._eval.truncate(e)


# Longest bucket downsample handles with one gather; past it, a loop of argmin/argmax per bucket
# is faster (measured on 1e4..1e6 points into 50..400 buckets).
_GATHER_MAX = 256


def downsample(
    y: np.ndarray, width: int, x: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Reduce y to at most 2*width points: each of ``width`` buckets keeps its min and its max, at
    their own x and in the order they occur, so spikes survive and the line stays true.

    Returns (x, y) as float64; x defaults to the sample index. A series of at most 2*width points
    (or width < 1) is returned whole. Buckets split [0, n) as evenly as integers allow. NaNs win
    like numpy's argmin/argmax: a bucket holding one keeps it.
    """
    y = np.asarray(y, dtype=np.float64)
    n = y.shape[0]
    xs = np.arange(n, dtype=np.float64) if x is None else np.asarray(x, dtype=np.float64)
    if width < 1 or n <= 2 * width:
        return xs, y
    edges = np.linspace(0, n, width + 1).astype(np.int64)
    starts, ends = edges[:-1], edges[1:]
    longest = int((ends - starts).max())
    if longest <= _GATHER_MAX:
        # Short buckets: one gather beats a Python loop. A (width, longest) table of indices, each
        # row padded by repeating its bucket's last index; argmin/argmax return the first
        # occurrence, so a padded repeat is never chosen over the real sample.
        table = np.minimum(starts[:, None] + np.arange(longest), ends[:, None] - 1)
        vals = y[table]
        imin = starts + vals.argmin(axis=1)
        imax = starts + vals.argmax(axis=1)
    else:
        # Long buckets: the scans dominate, and a table would copy the whole series.
        imin = np.array([s + np.argmin(y[s:e]) for s, e in zip(starts, ends, strict=True)])
        imax = np.array([s + np.argmax(y[s:e]) for s, e in zip(starts, ends, strict=True)])
    idx = np.empty(2 * width, dtype=np.int64)
    idx[0::2] = np.minimum(imin, imax)
    idx[1::2] = np.maximum(imin, imax)
    return xs[idx], y[idx]
