"""Training history in a fixed-size store (recent rows in full, the past in min/max buckets),
and a min/max-bucket downsampler for plots."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .history_buckets import BUCKETS
from .history_store import CHUNK, KEEP, RecentStore

_EVAL_KEYS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")


class History:
    """Per-iteration train loss, lr and per-layer gradient norms; periodic evaluations.

    Memory is bounded: the arrays (``train_loss``, ``lr``, ``grad_norms``, ``eval_*``) hold the
    newest rows in full (at least ``keep``, fewer than ``keep + chunk``: every row of a run
    shorter than that); ``loss_curve`` and ``eval_curves`` cover the whole run, its past as
    min/max buckets (see RecentStore). ``undo_depth`` raises keep and chunk above it, so an
    undo only ever cuts rows held in full and restores the history bit for bit.
    """

    def __init__(
        self,
        n_layers: int,
        undo_depth: int = 0,
        keep: int = KEEP,
        chunk: int = CHUNK,
        buckets: int = BUCKETS,
    ) -> None:
        self.n_layers = n_layers
        keep, chunk = max(keep, undo_depth + 1), max(chunk, undo_depth + 1)
        self._rec = RecentStore(
            [(None, np.float64), (None, np.float64), (n_layers, np.float64)],
            tracked=[(0, None)],
            keep=keep,
            chunk=chunk,
            buckets=buckets,
        )
        self._loss, self._lr, self._gsq = self._rec.cols
        self._evals = RecentStore(
            [(None, np.int64), (4, np.float64)],
            tracked=[(1, j) for j in range(4)],  # train_loss, train_acc, test_loss, test_acc
            x_col=0,
            keep=keep,
            chunk=chunk,
            buckets=buckets,
        )

    def record(self, loss: float, lr: float, sq_grad_norms: Sequence[float] | np.ndarray) -> None:
        """One iteration; gradient norms come squared (the square root is taken when read), as an
        array or, from the fast path, a list of floats (one row written either way)."""
        r = self._rec
        n = r.n
        i = n - r.p0
        self._loss[i] = loss
        self._lr[i] = lr
        self._gsq[i] = sq_grad_norms
        r.n = n = n + 1
        if n == r.fold_at:
            r.fold()

    def record_eval(self, step: int, ev: dict[str, float | None]) -> None:
        """One evaluation (the dict Stepper.evaluate returns); a missing figure is stored as NaN."""
        r = self._evals
        i = r.n - r.p0
        r.cols[0][i] = step
        r.cols[1][i] = tuple(np.nan if ev[k] is None else ev[k] for k in _EVAL_KEYS)
        r.n += 1
        if r.n == r.fold_at:
            r.fold()

    @property
    def recorded(self) -> int:
        """Iterations recorded over the whole run (``train_loss`` holds the newest of them)."""
        return self._rec.n

    @property
    def first_kept(self) -> int:
        """The iteration index (0-based) of ``train_loss[0]``."""
        return self._rec.base

    @property
    def train_loss(self) -> np.ndarray:
        """The newest iterations' batch losses, in full (``first_kept`` is the first's index)."""
        return self._rec.column(0)

    @property
    def lr(self) -> np.ndarray:
        return self._rec.column(1)

    @property
    def grad_norms(self) -> np.ndarray:
        """(iterations, layers): sqrt(||dL/dW_l||^2 + ||dL/db_l||^2) of the data loss, newest."""
        norms: np.ndarray = np.sqrt(self._rec.column(2))
        return norms

    def grad_norms_tail(self, k: int) -> np.ndarray:
        """The last k rows of ``grad_norms`` (k at most the rows kept) without touching the rest."""
        sq = self._rec.column(2)
        norms: np.ndarray = np.sqrt(sq[-k:] if k > 0 else sq[:0])
        return norms

    def loss_curve(self) -> tuple[np.ndarray, np.ndarray]:
        """The whole run's train loss as (iteration index int64, loss float64), fresh arrays:
        every iteration while the run is short; later each past bucket's min and max, then the
        kept iterations in blocks as wide as the buckets, so spikes and extremes stay."""
        return self._rec.curve(0)

    def eval_curves(self) -> tuple[np.ndarray, np.ndarray]:
        """The whole run's evaluations as (steps int64, (k, 4) float64: train loss, train
        accuracy, test loss, test accuracy), fresh arrays: every evaluation while they are few;
        later each series keeps its own min and max per bucket, at its own steps, and NaN stands
        where a series has no point at a step."""
        r = self._evals
        if r.past[0].n == 0:
            return self.eval_steps.copy(), r.column(1).copy()
        curves = [r.curve(k) for k in range(4)]
        steps = np.unique(np.concatenate([x for x, _ in curves]))
        vals = np.full((steps.shape[0], 4), np.nan)
        for k, (x, y) in enumerate(curves):
            vals[np.searchsorted(steps, x), k] = y
        return steps, vals

    @property
    def eval_steps(self) -> np.ndarray:
        """The newest evaluations' steps, in full (like ``train_loss``)."""
        return self._evals.column(0)

    @property
    def eval_train_loss(self) -> np.ndarray:
        return self._evals.column(1)[:, 0]

    @property
    def eval_train_accuracy(self) -> np.ndarray:
        return self._evals.column(1)[:, 1]

    @property
    def test_loss(self) -> np.ndarray:
        return self._evals.column(1)[:, 2]

    @property
    def test_accuracy(self) -> np.ndarray:
        return self._evals.column(1)[:, 3]

    def lengths(self) -> tuple[int, int]:
        """(iterations, evaluations) recorded: what ``truncate`` takes to go back here."""
        return self._rec.n, self._evals.n

    def truncate(self, lengths: tuple[int, int]) -> None:
        """Back to ``lengths`` (from ``lengths()``), bit for bit. Only rows kept in full can be
        cut: ValueError for a cut of ``chunk`` rows or more (never an undo's)."""
        n, e = lengths
        self._rec.truncate(n)
        self._evals.truncate(e)


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
