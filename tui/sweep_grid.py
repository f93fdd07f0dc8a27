"""A sweep's finished runs as a heatmap's cells and a cell's curves (pure; widgets draw them)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .cli.heatmap_text import RAMP, Cell, cell_of

Record = dict[str, Any]
CellKey = tuple[float, int | None]  # (lr, batch size)


@dataclass(frozen=True)
class Grid:
    """One (momentum, l2) slice: final loss per lr x batch cell, its ramp level, the best."""

    lrs: tuple[float, ...]
    batches: tuple[int | None, ...]
    cells: dict[CellKey, Cell]
    levels: dict[CellKey, int]  # 0 (lowest loss) .. len(RAMP) - 1 (highest), log scale
    best: CellKey | None
    lo: float | None
    hi: float | None


def in_slice(r: Record, momentum: float, l2: float) -> bool:
    return bool(r["momentum"] == momentum and r["l2"] == l2)


def grid(
    records: Sequence[Record],
    lrs: Sequence[float],
    batches: Sequence[int | None],
    momentum: float,
    l2: float,
) -> Grid:
    """The slice's cells from the runs finished so far (a cell appears with its first runs)."""
    groups: dict[CellKey, list[Record]] = {}
    for r in records:
        if in_slice(r, momentum, l2):
            groups.setdefault((r["lr"], r["batch_size"]), []).append(r)
    cells = {
        k: cell_of([r["train_loss"] for r in rs], [bool(r["diverged"]) for r in rs])
        for k, rs in groups.items()
    }
    finite = [c.mean for c in cells.values() if c.mean is not None and c.mean > 0]
    lo, hi = (min(finite), max(finite)) if finite else (None, None)
    levels = {k: level(c.mean, lo, hi) for k, c in cells.items() if c.mean is not None}
    live = [k for k, c in cells.items() if c.mean is not None]
    best = min(live, key=lambda k: cells[k].mean or 0.0) if live else None
    return Grid(tuple(lrs), tuple(batches), cells, levels, best, lo, hi)


def level(v: float | None, lo: float | None, hi: float | None) -> int:
    """The ramp level of ``v`` on a log scale from lo to hi (as the CLI's heatmap)."""
    if v is None or lo is None or hi is None or hi <= lo or v <= 0:
        return 0
    t = (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo))
    return min(len(RAMP) - 1, max(0, int(t * len(RAMP))))


def cell_runs(records: Sequence[Record], key: CellKey, momentum: float, l2: float) -> list[Record]:
    lr, bs = key
    out = [r for r in records if r["lr"] == lr and r["batch_size"] == bs]
    return sorted((r for r in out if in_slice(r, momentum, l2)), key=lambda r: int(r["seed"]))


@dataclass(frozen=True)
class Band:
    """A cell's batch-loss curves over its seeds: the mean and the lowest and highest seed."""

    steps: tuple[int, ...]
    mean: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    seeds: int


def band(runs: Sequence[Record]) -> Band | None:
    """Point by point over the seeds' curves (a diverged seed's curve ends early: the points
    after it average the others); non-finite losses are left out."""
    curves = [r["curve"] for r in runs if r.get("curve") and r["curve"]["steps"]]
    if not curves:
        return None
    longest = max(curves, key=lambda c: len(c["steps"]))
    steps, mean, low, high = [], [], [], []
    for i, step in enumerate(longest["steps"]):
        ys = [c["batch_loss"][i] for c in curves if i < len(c["batch_loss"])]
        ys = [y for y in ys if y is not None and math.isfinite(y)]
        if not ys:
            continue
        steps.append(int(step))
        mean.append(sum(ys) / len(ys))
        low.append(min(ys))
        high.append(max(ys))
    if not steps:
        return None
    return Band(tuple(steps), tuple(mean), tuple(low), tuple(high), len(curves))


@dataclass(frozen=True)
class Plot:
    """A band drawn as text rows, with the y range the rows span (the axis labels)."""

    rows: list[str]
    top: float | None
    bottom: float | None


def plot_rows(b: Band, width: int, height: int) -> Plot:
    """``b`` on a log-y grid of ``width`` x ``height`` characters, one column per bucket of
    steps: '•' the bucket's average mean, '░' from its average lowest to its average highest
    seed (an average per column: a thousand noisy batch losses would otherwise draw a cloud)."""
    width, height = max(4, width), max(2, height)
    x0, x1 = b.steps[0], b.steps[-1]

    def col(step: int) -> int:
        return 0 if x1 == x0 else round((step - x0) / (x1 - x0) * (width - 1))

    sums: dict[int, list[float]] = {}
    for s, m, lo, hi in zip(b.steps, b.mean, b.low, b.high, strict=True):
        acc = sums.setdefault(col(s), [0.0, 0.0, 0.0, 0.0])
        acc[0] += m
        acc[1] += lo
        acc[2] += hi
        acc[3] += 1
    cols = {c: (m / n, lo / n, hi / n) for c, (m, lo, hi, n) in sums.items()}
    ys = [y for v in cols.values() for y in v if y > 0]
    if not ys:
        return Plot([" " * width] * height, None, None)
    top, bottom = math.log10(max(ys)), math.log10(min(ys))
    if top - bottom < 1e-9:
        top, bottom = top + 0.5, bottom - 0.5

    def row(y: float) -> int:
        if y <= 0:
            return height - 1
        r = round((top - math.log10(y)) / (top - bottom) * (height - 1))
        return min(height - 1, max(0, r))

    grid = [[" "] * width for _ in range(height)]
    for c, (m, lo, hi) in cols.items():
        for r in range(row(hi), row(lo) + 1):
            grid[r][c] = "░"
        grid[row(m)][c] = "•"
    return Plot(["".join(line) for line in grid], max(ys), min(ys))


def cell_summary(runs: Sequence[Record]) -> str:
    """One line on a cell's runs: the final train loss (mean and spread over the seeds that did
    not diverge), the mean test accuracy (or test loss), how many diverged and where."""
    if not runs:
        return ""
    c = cell_of([r["train_loss"] for r in runs], [bool(r["diverged"]) for r in runs])
    parts = []
    if c.mean is not None:
        spread = "" if c.spread is None else f" ±{100 * c.spread:.0f}%"
        parts.append(f"final loss {c.mean:.3g}{spread}")
    live = [r for r in runs if not r["diverged"]]
    accs = [r["test_accuracy"] for r in live if r.get("test_accuracy") is not None]
    tests = [r["test_loss"] for r in live if r.get("test_loss") is not None]
    if accs:
        parts.append(f"test acc {100 * sum(accs) / len(accs):.1f}%")
    elif tests:
        parts.append(f"test loss {sum(tests) / len(tests):.3g}")
    steps = [r["diverged_at"] for r in runs if r["diverged"] and r.get("diverged_at") is not None]
    if c.diverged:
        at = f" (from step {min(steps)})" if steps else ""
        parts.append(f"{c.diverged}/{c.seeds} diverged{at}")
    return ", ".join(parts)
