"""Loss panel's sharpness strip: the Hessian's top eigenvalue over steps against 2/lr."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
from rich.style import Style

from engine.snapshot import Snapshot

from .. import numbers
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


def sharpness_block(s: Snapshot, width: int, height: int, nc: bool) -> Lines | None:
    """The strip (head line + ROWS rows, SHORT_ROWS in a short panel) when the sharpness is
    measured and the panel is tall enough to keep the loss plot readable above it; else None."""
    p = s.probes
    if p is None or p.sharpness_every is None:
        return None
    rows = ROWS if height - (ROWS + 1) >= MIN_PLOT_ROWS + 2 else SHORT_ROWS
    if height - (rows + 1) < MIN_PLOT_ROWS:
        return None
    lr = s.settings.lr
    limit = stability_limit(lr, p.momentum)
    b = p.momentum
    rule = "2/lr" if b == 0 else f"2(1+{numbers.fmt(b, 2)})/lr"
    tb = TextBuilder()
    values = p.sharpness_values
    steps = p.sharpness_steps
    if values.size == 0:
        tb.line(
            numbers.ellipsize(f"sharpness: measuring every {p.sharpness_every} steps", width),
            "dim",
        )
        for _ in range(rows):
            tb.line()
        return tb.build()
    last = float(values[-1])
    head = (
        f"sharpness {numbers.fmt(last, 4)} at step {int(steps[-1]):,}; {rule} = "
        f"{numbers.fmt(limit, 4)} (E toggles, every {p.sharpness_every})"
    )
    tb.add(numbers.ellipsize(head, width), None)
    tb.add("\n")
    finite = values[np.isfinite(values)]
    top = max(float(finite.max()) if finite.size else 0.0, limit) * 1.1
    top = top if top > 0 else 1.0
    cols = max(4, width - LABEL)
    # x: the measurements' steps over the chart's width; y: 0 at the bottom row
    span = max(int(steps[-1]) - int(steps[0]), 1)
    xs = np.rint((steps - steps[0]) / span * (cols - 1)).astype(int)
    with np.errstate(invalid="ignore"):
        ys = np.rint(np.clip(values / top, 0, 1) * (rows - 1)).astype(int)
    limit_row = round(limit / top * (rows - 1))
    grid = [[" "] * cols for _ in range(rows)]
    for x, y, v in zip(xs, ys, values, strict=True):
        if np.isfinite(v):
            grid[rows - 1 - y][x] = "•" if nc else "●"
    for r in range(rows):
        row = rows - 1 - r
        label = numbers.fmt(top * row / (rows - 1), 2) if r in (0, rows - 1) else ""
        if row == limit_row:
            label = rule if len(rule) < LABEL else "limit"
        tb.add(label[: LABEL - 1].rjust(LABEL - 1) + " ", "dim")
        for ch in grid[r]:
            if ch != " ":
                tb.add(ch, None if nc else POINT)
            elif row == limit_row:
                tb.add("-" if nc else "┄", None if nc else LIMIT)
            else:
                tb.add(" ")
        tb.add("\n")
    return tb.build()
