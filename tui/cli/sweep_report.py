"""The sweep's report: a table of the best combinations, then lr x batch size heatmaps."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .heatmap_text import Cell, batch_label, cell_of, render
from .progress import number, share

TABLE_ROWS = 20  # combinations shown in the table (all of them go to --csv and --json)


def combos(
    records: Sequence[dict[str, Any]],
) -> dict[tuple[float, int | None, float, float], list[dict[str, Any]]]:
    """Runs grouped by their settings (the seeds of one combination together)."""
    out: dict[tuple[float, int | None, float, float], list[dict[str, Any]]] = {}
    for r in records:
        out.setdefault((r["lr"], r["batch_size"], r["momentum"], r["l2"]), []).append(r)
    return out


def _cell(rs: Sequence[dict[str, Any]]) -> Cell:
    return cell_of([r["train_loss"] for r in rs], [r["diverged"] for r in rs])


def _mean(values: Sequence[float | None]) -> float | None:
    ok = [v for v in values if v is not None and math.isfinite(v)]
    return sum(ok) / len(ok) if ok else None


def table_lines(records: Sequence[dict[str, Any]], n_seeds: int) -> list[str]:
    """One row per combination, best mean final loss first, diverged last."""
    rows = []
    for (lr, bs, mom, l2), rs in combos(records).items():
        c = _cell(rs)
        live = [r for r in rs if not r["diverged"]]
        rows.append(
            (
                math.inf if c.mean is None else c.mean,
                [
                    f"{lr:.4g}",
                    batch_label(bs),
                    f"{mom:g}",
                    f"{l2:g}",
                    number(c.mean),
                    "" if c.spread is None else f"±{100 * c.spread:.0f}%",
                    number(_mean([r["test_loss"] for r in live])),
                    share(_mean([r["test_accuracy"] for r in live])),
                    f"{c.diverged}/{c.seeds}" if n_seeds > 1 else ("yes" if c.diverged else "-"),
                ],
            )
        )
    rows.sort(key=lambda r: r[0])
    head = ["lr", "batch", "momentum", "l2", "train loss", "spread", "test loss", "test acc"]
    head.append("diverged")
    shown = [r[1] for r in rows[:TABLE_ROWS]]
    widths = [max(len(h), *(len(r[i]) for r in shown)) for i, h in enumerate(head)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))]
    for cells in shown:
        lines.append("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    if len(rows) > TABLE_ROWS:
        lines.append(f"... {len(rows) - TABLE_ROWS:,} more combinations (--csv FILE has every run)")
    return lines


def report_lines(
    name: str,
    records: Sequence[dict[str, Any]],
    lrs: Sequence[float],
    batches: Sequence[int | None],
    momenta: Sequence[float],
    l2s: Sequence[float],
    n_seeds: int,
    color: bool,
    width: int | None = None,
) -> list[str]:
    """The table, then one heatmap per (momentum, l2) pair (at most four), fitted to ``width``
    columns when given (a terminal)."""
    seeds = f"mean of {n_seeds} seeds, ±: their spread" if n_seeds > 1 else "one seed"
    lines = [f"{name}: final train loss by setting ({seeds})", *table_lines(records, n_seeds)]
    groups = combos(records)
    pairs = [(m, l2) for m in momenta for l2 in l2s]
    for m, l2 in pairs[:4]:
        cells = {
            (lr, bs): _cell(groups[(lr, bs, m, l2)])
            for lr in lrs
            for bs in batches
            if (lr, bs, m, l2) in groups
        }
        title = "final train loss over lr x batch size"
        if len(pairs) > 1:
            title += f" (momentum {m:g}, l2 {l2:g})"
        lines.append("")
        lines.extend(render(cells, sorted(lrs), batches, color, title, width))
    if len(pairs) > 4:
        lines.append(f"({len(pairs) - 4} more momentum x l2 maps left out: see the table)")
    return lines
