"""A curve as one line of block characters (▁▂▃▄▅▆▇█), for a table cell."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

BLOCKS = "▁▂▃▄▅▆▇█"
GAP = " "  # a bucket with no finite value (before the first point, or NaN/inf after divergence)


def sparkline(values: np.ndarray, width: int, log: bool = True) -> str:
    """``values`` (in step order) in ``width`` cells: each cell the mean of its bucket, scaled
    between the curve's own min and max; ``log`` scales a loss logarithmically (a loss falling
    over decades still shows its late progress). Non-finite values leave a gap."""
    import numpy as np

    if width <= 0:
        return ""
    y = np.asarray(values, dtype=np.float64)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where(y > 0, np.log10(np.where(y > 0, y, 1.0)), np.nan)
    n = len(y)
    if n == 0:
        return ""
    cells = min(width, n)
    starts = np.linspace(0, n, cells + 1).astype(np.int64)[:-1]  # strictly increasing: n >= cells
    finite = np.isfinite(y)
    sums = np.add.reduceat(np.where(finite, y, 0.0), starts)
    counts = np.add.reduceat(finite.astype(np.int64), starts)
    ok = counts > 0
    if not ok.any():
        return GAP * cells
    means = np.where(ok, sums / np.maximum(counts, 1), np.nan)
    lo, hi = float(means[ok].min()), float(means[ok].max())
    span = hi - lo
    if span > 0:
        scaled = np.where(ok, (means - lo) / span * len(BLOCKS), 0.0)  # NaN would not cast
        level = np.minimum(scaled.astype(np.int64), len(BLOCKS) - 1)
    else:
        level = np.full(cells, len(BLOCKS) // 2)
    return "".join(BLOCKS[k] if good else GAP for k, good in zip(level.tolist(), ok, strict=True))
