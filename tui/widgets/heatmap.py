"""Display helpers for matrices: vectorised block summaries and diverging heatmap rows."""

from __future__ import annotations

import numpy as np
from rich.style import Style

from ..numbers import fit_number
from .colours import STEPS, level_styles, shade_cell
from .lines import TextBuilder


def block_edges(n: int, blocks: int) -> np.ndarray:
    """Start index of each of ``blocks`` near-equal blocks covering range(n)."""
    blocks = max(1, min(n, blocks))
    return (np.arange(blocks) * n) // blocks


def block_reduce(a: np.ndarray, rows: int, cols: int, mode: str = "mean") -> np.ndarray:
    """Summarise a 2-D array into at most rows x cols blocks, with no Python loop.

    mode "mean" averages each block; "maxabs" keeps the element of largest magnitude (with its
    sign), so one large weight in a block of small ones is not averaged away.
    """
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[None, :]
    re, ce = block_edges(a.shape[0], rows), block_edges(a.shape[1], cols)
    if len(re) == a.shape[0] and len(ce) == a.shape[1]:
        return a
    if mode == "maxabs":
        hi = np.maximum.reduceat(np.maximum.reduceat(a, re, axis=0), ce, axis=1)
        lo = np.minimum.reduceat(np.minimum.reduceat(a, re, axis=0), ce, axis=1)
        return np.where(hi >= -lo, hi, lo)
    s = np.add.reduceat(np.add.reduceat(a, re, axis=0), ce, axis=1)
    rn = np.diff(np.append(re, a.shape[0]))
    cn = np.diff(np.append(ce, a.shape[1]))
    return s / np.outer(rn, cn)


def block_of(index: int, n: int, blocks: int) -> int:
    """Which display block holds element ``index`` (inverse of block_edges)."""
    edges = block_edges(n, blocks)
    return int(np.searchsorted(edges, index, side="right") - 1)


def summary_scale(a: np.ndarray, maxabs: np.ndarray) -> float:
    """robust_scale(a) from its "maxabs" block summary when that is finite (each block keeps its
    largest magnitude, so the largest of them is the array's): a big layer is not read again.
    A NaN or inf in a block hides the block's other values, so then the array is read."""
    if maxabs.size and np.isfinite(maxabs).all():
        return float(np.max(np.abs(maxabs)))
    return robust_scale(a)


def robust_scale(a: np.ndarray) -> float:
    """Colour scale: the largest magnitude, so the sign and the biggest weights are exact."""
    if a.size == 0:
        return 0.0
    m = float(np.nanmax(np.abs(a)))
    return m if np.isfinite(m) else 0.0


def heat_row(
    tb: TextBuilder,
    row: np.ndarray,
    lv: np.ndarray,
    cw: int,
    no_color: bool,
    show_values: bool,
    cursor: int | None = None,
    cursor_style: Style | str = "reverse bold",
) -> None:
    """Append one heatmap row (no newline): cells of width ``cw``, the cursor cell marked."""
    styles = level_styles()
    if not no_color and not show_values:
        # fast path for big summarised layers: a span per run of equal colour, not per cell
        c = -1 if cursor is None else cursor
        tb.add_runs(lv[:c] if c >= 0 else lv, cw, styles)
        if c >= 0:
            tb.add("◆".center(cw), styles[int(lv[c])] + Style(bold=True))
            tb.add_runs(lv[c + 1 :], cw, styles)
        return
    for j in range(len(lv)):
        k = int(lv[j])
        if no_color:
            text = fit_number(float(row[j]), cw - 1) if show_values else ""
            # sign + value when it fits, else sign + shades
            cell = (" " + text) if text else shade_cell(k, cw)
            if k == STEPS and not text:
                cell = "·".center(cw)
            tb.add(cell, cursor_style if j == cursor else None)
        else:
            text = fit_number(float(row[j]), cw - 1) if show_values else ""
            cell = (text + " ") if text else " " * cw
            style: Style | str = styles[k]
            if j == cursor:
                if text:
                    style = styles[k] + Style(reverse=True, bold=True)
                else:
                    cell = "◆".center(cw)
                    style = styles[k] + Style(bold=True)
            tb.add(cell, style)
