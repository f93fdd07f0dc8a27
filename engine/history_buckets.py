"""Min/max buckets: a series's past in bounded memory, its spikes and extremes kept."""

from __future__ import annotations

import numpy as np

# Min/max buckets per tracked series of the past: 2 points each, so the whole run's curve holds
# at most about 2 * BUCKETS + the recent window's points, however long it runs.
BUCKETS = 1024


def block_extremes(x: np.ndarray, y: np.ndarray, width: int) -> tuple[np.ndarray, ...]:
    """Each block of ``width`` consecutive samples (the last may be shorter): its min and max and
    their x, as (lo, lo_x, hi, hi_x). argmin/argmax pick the first occurrence and let a NaN win,
    like ``engine.history.downsample``."""
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


def interleave(
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
            lo, lo_x, hi, hi_x = block_extremes(x[i:], y[i:], self.width)
            k, n = lo.shape[0], self.n
            self._lo[n : n + k], self._lo_x[n : n + k] = lo, lo_x
            self._hi[n : n + k], self._hi_x[n : n + k] = hi, hi_x
            self.n += k
            self.fill = (m - i) - (k - 1) * self.width

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y): each bucket's min and max in the order they occur (int64 x, float64 y)."""
        n = self.n
        return interleave(self._lo[:n], self._lo_x[:n], self._hi[:n], self._hi_x[:n])
