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
    edges = np.linspace(0, n, cells + 1).astype(np.int64)
    means = np.full(cells, np.nan)
    for i in range(cells):
        chunk = y[edges[i] : edges[i + 1]]
        chunk = chunk[np.isfinite(chunk)]
        if len(chunk):
            means[i] = chunk.mean()
    ok = np.isfinite(means)
    if not ok.any():
        return GAP * cells
    lo, hi = float(means[ok].min()), float(means[ok].max())
    span = hi - lo
    out = []
    for m in means:
        if not np.isfinite(m):
            out.append(GAP)
        elif span <= 0:
            out.append(BLOCKS[len(BLOCKS) // 2])
        else:
            out.append(BLOCKS[min(len(BLOCKS) - 1, int((m - lo) / span * len(BLOCKS)))])
    return "".join(out)
