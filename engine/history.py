"""Training history in a fixed-size store (recent rows in full, the past in min/max buckets),
and a min/max-bucket downsampler for plots."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Rows kept in full: at least KEEP (and at most KEEP + CHUNK) of the newest; older rows are folded
# CHUNK at a time into min/max buckets. Undo must only ever cut rows kept in full, so History
# raises both to undo_depth + 1 when the undo ring is deeper (see RecentStore).
KEEP = 2048
CHUNK = 2048
# Min/max buckets per tracked series of the past: 2 points each, so the whole run's curve holds
# at most about 2 * BUCKETS + the recent window's points, however long it runs.
BUCKETS = 1024


def _extremes(x: np.ndarray, y: np.ndarray, width: int) -> tuple[np.ndarray, ...]:
    """Each block of ``width`` consecutive samples (the last may be shorter): its min and max and
    their x, as (lo, lo_x, hi, hi_x). argmin/argmax pick the first occurrence and let a NaN win,
    like ``downsample``."""
    m = y.shape[0]
    q, rem = divmod(m, width)
    parts: list[tuple[np.ndarray, ...]] = []
    if q:
        yb = y[: q * width].reshape(q, width)
        xb = x[: q * width].reshape(q, width)
        rows = np.arange(q)
        a, b = yb.argmin(axis=1), yb.argmax(axis=1)
        parts.append((yb[rows, a], xb[rows, a], yb[rows, b], xb[rows, b]))
    if rem:
        ys, xs = y[q * width :], x[q * width :]
        a, b = int(ys.argmin()), int(ys.argmax())
        parts.append((ys[a : a + 1], xs[a : a + 1], ys[b : b + 1], xs[b : b + 1]))
    if not parts:
        e = np.empty(0)
        return e, e.astype(np.int64), e, e.astype(np.int64)
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(4))


def _interleave(
    lo: np.ndarray, lo_x: np.ndarray, hi: np.ndarray, hi_x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Buckets' (min, max) as points in the order they occur; one point where both are one."""
    first = lo_x <= hi_x
    x = np.empty(2 * lo.shape[0], dtype=np.int64)
    y = np.empty(2 * lo.shape[0], dtype=np.float64)
    x[0::2] = np.where(first, lo_x, hi_x)
    x[1::2] = np.where(first, hi_x, lo_x)
    y[0::2] = np.where(first, lo, hi)
    y[1::2] = np.where(first, hi, lo)
    keep = np.ones(x.shape[0], dtype=bool)
    keep[1::2] = lo_x != hi_x
    return x[keep], y[keep]


class MinMaxBuckets:
    """A series's past in at most ``capacity`` buckets of ``width`` consecutive samples each (the
    last may hold fewer); every bucket keeps its min and its max with their x, so spikes and the
    global extremes survive. When a new chunk would not fit, adjacent buckets merge pairwise and
    ``width`` doubles ("exponential min/max decimation"): memory is O(capacity) however long the
    series, and the buckets cover it all at a resolution that halves as it doubles."""

    def __init__(self, capacity: int = BUCKETS) -> None:
        if capacity < 2:
            raise ValueError(f"capacity must be >= 2, got {capacity}")
        self.capacity = capacity
        self.width = 1
        self.n = 0  # buckets in use
        self.fill = 0  # samples in the last bucket: 1..width when n > 0
        self._lo = np.empty(capacity)
        self._lo_x = np.empty(capacity, dtype=np.int64)
        self._hi = np.empty(capacity)
        self._hi_x = np.empty(capacity, dtype=np.int64)

    def copy_from(self, other: MinMaxBuckets) -> None:
        """Become a copy of ``other`` (same capacity) without allocating."""
        self.width, self.n, self.fill = other.width, other.n, other.fill
        n = other.n
        for mine, theirs in (
            (self._lo, other._lo),
            (self._lo_x, other._lo_x),
            (self._hi, other._hi),
            (self._hi_x, other._hi_x),
        ):
            mine[:n] = theirs[:n]

    def _merge(self) -> None:
        """Adjacent buckets pairwise into one of twice the width (an odd last one stays alone)."""
        n = self.n
        h = n // 2
        if h:
            rows = np.arange(h)
            for v, vx, pick in (
                (self._lo, self._lo_x, np.argmin),
                (self._hi, self._hi_x, np.argmax),
            ):
                pair = v[: 2 * h].reshape(h, 2)
                j = pick(pair, axis=1)  # first of equals: the earlier bucket's; a NaN wins
                vals = pair[rows, j]
                xs = vx[: 2 * h].reshape(h, 2)[rows, j]
                v[:h] = vals
                vx[:h] = xs
        if n % 2:
            for a in (self._lo, self._lo_x, self._hi, self._hi_x):
                a[h] = a[n - 1]
        elif n:
            self.fill += self.width  # the last pair: a full bucket and the partial one
        self.n = h + n % 2
        self.width *= 2

    def extend(self, x: np.ndarray, y: np.ndarray) -> None:
        """Append samples (y at x, in order), merging first if they would not fit."""
        m = y.shape[0]
        if m == 0:
            return
        while True:
            room = self.width - self.fill if self.n else 0
            new = -(-max(m - room, 0) // self.width)
            if self.n + new <= self.capacity:
                break
            self._merge()
        i = 0
        if self.n and self.fill < self.width:
            j = self.n - 1
            i = min(self.width - self.fill, m)
            ys = np.concatenate(([self._lo[j]], y[:i]))
            a = int(ys.argmin())
            if a:
                self._lo[j], self._lo_x[j] = ys[a], x[a - 1]
            ys[0] = self._hi[j]
            b = int(ys.argmax())
            if b:
                self._hi[j], self._hi_x[j] = ys[b], x[b - 1]
            self.fill += i
        if i < m:
            lo, lo_x, hi, hi_x = _extremes(x[i:], y[i:], self.width)
            k, n = lo.shape[0], self.n
            self._lo[n : n + k], self._lo_x[n : n + k] = lo, lo_x
            self._hi[n : n + k], self._hi_x[n : n + k] = hi, hi_x
            self.n += k
            self.fill = (m - i) - (k - 1) * self.width

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y): each bucket's min and max in the order they occur (int64 x, float64 y)."""
        n = self.n
        return _interleave(self._lo[:n], self._lo_x[:n], self._hi[:n], self._hi_x[:n])


class RecentStore:
    """Rows of a series in preallocated columns: the newest rows (at least ``keep``, fewer than
    ``keep + chunk``) in full, the older ones folded ``chunk`` at a time into MinMaxBuckets, one
    per tracked column (the other columns' old rows are dropped). Memory: keep + 2 * chunk rows
    and 2 * len(tracked) bucket stores, however many rows were appended.

    The state is a function of the rows appended so far (the full window starts at a multiple of
    ``chunk``), so cutting the newest rows (undo) gives back exactly the state those rows found.
    A cut that reaches back before the last fold undoes it: the folded rows are still in the
    columns and the buckets' state before the fold is kept. Only one fold can be undone, so a cut
    of ``chunk`` rows or more is refused; History makes ``chunk`` exceed the undo depth.

    Appending is the owner's job, for speed: write row ``n - p0`` of each column, add 1 to ``n``,
    and call ``fold`` when ``n == fold_at``.
    """

    def __init__(
        self,
        columns: Sequence[tuple[int | None, type]],
        tracked: Sequence[tuple[int, int | None]],
        x_col: int | None = None,
        keep: int = KEEP,
        chunk: int = CHUNK,
        buckets: int = BUCKETS,
    ) -> None:
        if keep < 1 or chunk < 1:
            raise ValueError(f"keep and chunk must be >= 1, got {keep} and {chunk}")
        self.keep, self.chunk = keep, chunk
        cap = keep + 2 * chunk
        self.cols: list[np.ndarray] = [
            np.empty((cap,) if w is None else (cap, w), dtype=dt) for w, dt in columns
        ]
        self.tracked = list(tracked)
        self.x_col = x_col  # the column holding each row's x; None: the row's index
        self.past = [MinMaxBuckets(buckets) for _ in self.tracked]
        self._before = [MinMaxBuckets(buckets) for _ in self.tracked]  # before the last fold
        self._can_unfold = False
        self.n = 0  # rows appended (and not cut)
        self.p0 = 0  # the row held at index 0 of the columns
        self.base = 0  # the first row in full
        self.fold_at = keep + chunk  # n at which the next fold happens

    def _series(self, k: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Tracked series k's rows [lo, hi) as (x, y), views where possible."""
        c, j = self.tracked[k]
        col = self.cols[c]
        y = col[lo - self.p0 : hi - self.p0] if j is None else col[lo - self.p0 : hi - self.p0, j]
        if self.x_col is None:
            return np.arange(lo, hi, dtype=np.int64), y
        return self.cols[self.x_col][lo - self.p0 : hi - self.p0], y

    def fold(self) -> None:
        """Rows [base, base + chunk) into the buckets; then drop the rows before the old base
        (the folded ones stay, so a cut can undo this fold)."""
        b, s = self.base, self.chunk
        for k, (past, before) in enumerate(zip(self.past, self._before, strict=True)):
            before.copy_from(past)
            past.extend(*self._series(k, b, b + s))
        self._can_unfold = True
        self.base = b + s
        self.fold_at = self.base + self.keep + s
        shift = b - self.p0
        if shift:
            m = self.n - self.p0
            for col in self.cols:
                col[: m - shift] = col[shift:m]  # numpy copies overlapping ranges correctly
            self.p0 = b

    def truncate(self, n: int) -> None:
        """Cut the rows from n on: the state is the one row n found when it was appended."""
        if n >= self.n:
            return
        if self.base and n < self.base + self.keep:  # before the last fold: undo it
            if not self._can_unfold or n < self.p0:
                raise ValueError(
                    f"cannot cut the history back to row {n}: rows before {self.base + self.keep}"
                    " are folded into min/max buckets (an undo is never that deep)"
                )
            self.past, self._before = self._before, self.past
            self._can_unfold = False
            self.base -= self.chunk
            self.fold_at = self.base + self.keep + self.chunk
        self.n = n

    def column(self, c: int) -> np.ndarray:
        """Column c's rows in full (a view: valid until the next append)."""
        return self.cols[c][self.base - self.p0 : self.n - self.p0]

    def curve(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Tracked series k over all rows as (x int64, y float64), fresh arrays: every row while
        nothing is folded; then the buckets' points and the full rows in blocks of the buckets'
        width (min and max each), so the points are as dense in x over the whole run."""
        x, y = self._series(k, self.base, self.n)
        past = self.past[k]
        if past.n == 0:
            return x.copy(), y.astype(np.float64, copy=True)
        px, py = past.points()
        rx, ry = _interleave(*_extremes(x, y, past.width))
        return np.concatenate((px, rx)), np.concatenate((py, ry))


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
