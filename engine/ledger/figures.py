"""A run's figures: the last evaluation's and the best of all, as updates of its columns."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping

from .curves import finite
from .records import FINAL_KEYS

# best column -> (the series or figure it is the best of, how to pick): a lower loss and a higher
# accuracy are better
BEST: dict[str, tuple[str, Callable[..., float]]] = {
    "best_train_loss": ("train_loss", min),
    "best_train_accuracy": ("train_accuracy", max),
    "best_test_loss": ("test_loss", min),
    "best_test_accuracy": ("test_accuracy", max),
}


def figures_from_points(
    row: sqlite3.Row, lasts: Mapping[str, float | None], bests: Mapping[str, list[float]]
) -> dict[str, object]:
    """The columns new curve points move: a final figure is its series' last point, a best one
    the best of the old best (``row``) and the new finite values (see curves.point_rows)."""
    sets: dict[str, object] = {}
    for key in FINAL_KEYS:
        if key in lasts:
            sets[key] = lasts[key]
    for key, (series, pick) in BEST.items():
        found = bests.get(series)
        if found:
            old = row[key]
            sets[key] = pick(found) if old is None else pick(old, pick(found))
    return sets


def figures_from_final(
    row: sqlite3.Row, figures: Mapping[str, float | None] | None
) -> dict[str, object]:
    """The columns a run's final figures (a dict like Stepper.evaluate's) set: the final ones,
    non-finite as NULL, and the best ones where a finite figure beats the old best (``row``)."""
    sets: dict[str, object] = {}
    for key in FINAL_KEYS:
        if figures and key in figures:
            sets[key] = finite(figures[key])
    for key, (series, pick) in BEST.items():
        v = finite((figures or {}).get(series))
        if v is not None:
            sets[key] = v if row[key] is None else pick(row[key], v)
    return sets
