"""RecentStore: a series's newest rows in full, older ones folded into min/max buckets."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .history_buckets import BUCKETS, MinMaxBuckets, block_extremes, interleave

# Rows kept in full: at least KEEP (and at most KEEP + CHUNK) of the newest; older rows are folded
# CHUNK at a time into min/max buckets. Undo must only ever cut rows kept in full, so History
# raises both to undo_depth + 1 when the undo ring is deeper (see RecentStore).
KEEP = 2048
CHUNK = 2048


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
        rx, ry = interleave(*block_extremes(x, y, past.width))
        return np.concatenate((px, rx)), np.concatenate((py, ry))
