"""Outputs panel's confusion view: the classifier's confusion matrix and per-class accuracy."""

from __future__ import annotations

import math

import numpy as np
from rich.style import Style

from engine.snapshot import Snapshot

from ..numbers import ellipsize
from .lines import TextBuilder

RIGHT = Style(color="green", bold=True)
WRONG = Style(color="red")
NONE = Style(color="bright_black")


def class_labels(s: Snapshot, k: int) -> list[str]:
    names = list(s.model.class_names or ())
    return names[:k] + [str(c) for c in range(len(names), k)]


def accuracy_text(v: float) -> str:
    return "   -" if not math.isfinite(v) else f"{100 * v:3.0f}%"


def draw_confusion(tb: TextBuilder, s: Snapshot, width: int, height: int, nc: bool) -> None:
    """Rows are true classes, columns predicted; the diagonal is right. Counts, then the row's
    accuracy (recall); the matrix is the engine's (engine.confusion), at the snapshot's step."""
    if s.model.task != "classification":
        tb.line("confusion matrix: classifiers only (this scenario is a regression)", "dim")
        return
    probes = s.probes
    cm_info = None if probes is None else probes.confusion
    if cm_info is None:
        tb.line("confusion matrix: computing...", "dim")
        return
    cm = cm_info.matrix
    k = cm.shape[0]
    names = class_labels(s, k)
    total = int(cm.sum())
    right = int(np.trace(cm))
    acc = right / total if total else float("nan")
    head = (
        f"confusion on the {cm_info.on} set ({total:,}) at step {cm_info.step:,}: "
        f"accuracy {accuracy_text(acc).strip()}"
    )
    tb.line(ellipsize(head, width), "bold")
    tb.line(
        ellipsize("rows: true class, columns: predicted; right: per-class accuracy", width), "dim"
    )
    cw = max(3, len(f"{int(cm.max()) if cm.size else 0}") + 1)
    lw = min(max(len(n) for n in names), 10)
    if lw + 1 + k * cw + 6 > width:  # the names shrink first, then the columns go to 2 cells
        lw = max(2, width - 7 - k * cw)
    rows = max(1, height - 3)
    tb.add(" " * (lw + 1), None)
    for c in range(k):
        tb.add(names[c][: cw - 1].rjust(cw), "dim")
    tb.line("   acc", "dim")
    for r in range(min(k, rows)):
        tb.add(names[r][:lw].ljust(lw) + " ", "bold")
        for c in range(k):
            n = int(cm[r, c])
            style = RIGHT if r == c and n else (WRONG if n else NONE)
            tb.add(f"{n}".rjust(cw) if n or nc else "·".rjust(cw), None if nc else style)
        tb.line(f" {accuracy_text(float(cm_info.per_class[r]))}")
    if k > rows:
        tb.line(f"… {k - rows} more classes (enlarge)", "dim")
