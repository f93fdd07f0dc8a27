"""Loss panel's sharpness strip: the Hessian's top eigenvalue over steps against 2/lr."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
from rich.style import Style

from engine.snapshot import Snapshot

from .. import numbers
from ..overlay import Overlay
from .lines import Lines, TextBuilder

ROWS = 5  # the chart's rows, under its one-line head (3 in a short panel, as at 80x24)
SHORT_ROWS = 3
MIN_PLOT_ROWS = 6  # the loss plot keeps at least this many rows: a shorter panel shows no strip
POINT = Style(color="magenta", bold=True)
LIMIT = Style(color="red")
LABEL = 6


def stability_limit(lr: float, momentum: float) -> float:
    """2(1+b)/lr: past it gradient descent (heavy ball with momentum b) oscillates and diverges
    along the top eigenvector; 2/lr without momentum (Cohen et al. 2021)."""
    return 2.0 * (1.0 + momentum) / lr


def sharpness_key(s: Snapshot) -> Hashable:
    """What the strip depends on besides the snapshot's version: on/off and the measurements."""
    p = s.probes
    if p is None or p.sharpness_every is None:
        return None
    return (p.sharpness_every, p.sharpness_steps.size)


Series = tuple[
    str, Style | None, np.ndarray, np.ndarray, float
]  # glyph, style, steps, values, limit


def sharpness_block(
    s: Snapshot, width: int, height: int, nc: bool, overlay: Overlay | None = None
) -> Lines | None:
    """The strip (head line + ROWS rows, SHORT_ROWS in a short panel) when the sharpness is
    measured and the panel is tall enough to keep the loss plot readable above it; else None.

    With a comparison each run's curve (``overlay``'s, measured by the worker for every run) in
    its glyph and colour, each against its own limit line; one run: the snapshot's.
    """
    p = s.probes
    if p is None or p.sharpness_every is None:
        return None
    rows = ROWS if height - (ROWS + 1) >= MIN_PLOT_ROWS + 2 else SHORT_ROWS
    if height - (rows + 1) < MIN_PLOT_ROWS:
        return None
    b = p.momentum
    rule = "2/lr" if b == 0 else f"2(1+{numbers.fmt(b, 2)})/lr"
    runs = [] if overlay is None else [c for c in overlay.curves if c.sharpness is not None]
    series: list[Series]
    if len(runs) >= 2:
        series = [
            (c.glyph, None if nc else Style(color=f"color({c.colour})"), *c.sharpness)
            for c in runs
            if c.sharpness is not None
        ]
        parts = [
            f"{c.label} {numbers.fmt(float(v[-1]), 3)}/{numbers.fmt(lim, 3)}"
            for c in runs
            if c.sharpness is not None
            for _, v, lim in [c.sharpness]
            if v.size
        ]
        head = f"sharpness vs {rule}: " + ", ".join(parts) + " (E toggles)"
    else:
        limit = stability_limit(s.settings.lr, b)
        series = [
            (
                "•" if nc else "●",
                None if nc else POINT,
                p.sharpness_steps,
                p.sharpness_values,
                limit,
            )
        ]
        head = ""
        if p.sharpness_values.size:
            head = (
                f"sharpness {numbers.fmt(float(p.sharpness_values[-1]), 4)} at step "
                f"{int(p.sharpness_steps[-1]):,}; {rule} = "
                f"{numbers.fmt(limit, 4)} (E toggles, every {p.sharpness_every})"
            )
    tb = TextBuilder()
    if not any(values.size for _, _, _, values, _ in series):
        tb.line(
            numbers.ellipsize(f"sharpness: measuring every {p.sharpness_every} steps", width),
            "dim",
        )
        for _ in range(rows):
            tb.line()
        return tb.build()
    tb.add(numbers.ellipsize(head, width), None)
    tb.add("\n")
    found = [v[np.isfinite(v)] for _, _, _, v, _ in series]
    highest = max((float(f.max()) for f in found if f.size), default=0.0)
    top = max(highest, *(lim for *_, lim in series if np.isfinite(lim))) * 1.1
    top = top if top > 0 else 1.0
    cols = max(4, width - LABEL)
    # x: the measurements' steps over the chart's width; y: 0 at the bottom row
    first = min(int(st[0]) for _, _, st, _, _ in series if st.size)
    last = max(int(st[-1]) for _, _, st, _, _ in series if st.size)
    span = max(last - first, 1)
    grid: list[list[tuple[str, Style | None] | None]] = [[None] * cols for _ in range(rows)]
    limits: dict[int, Style | None] = {}
    for glyph, style, steps, values, limit in series:
        if np.isfinite(limit):
            limits[round(min(limit / top, 1.0) * (rows - 1))] = LIMIT if len(series) == 1 else style
        xs = np.rint((steps - first) / span * (cols - 1)).astype(int)
        with np.errstate(invalid="ignore"):
            ys = np.rint(np.clip(values / top, 0, 1) * (rows - 1)).astype(int)
        for x, y, v in zip(xs, ys, values, strict=True):
            if np.isfinite(v):
                grid[rows - 1 - y][x] = (glyph, style)
    for r in range(rows):
        row = rows - 1 - r
        label = numbers.fmt(top * row / (rows - 1), 2) if r in (0, rows - 1) else ""
        if row in limits:
            label = rule if len(rule) < LABEL and len(series) == 1 else "limit"
        tb.add(label[: LABEL - 1].rjust(LABEL - 1) + " ", "dim")
        for cell in grid[r]:
            if cell is not None:
                tb.add(*cell)
            elif row in limits:
                tb.add("-" if nc else "┄", None if nc else limits[row])
            else:
                tb.add(" ")
        tb.add("\n")
    return tb.build()
