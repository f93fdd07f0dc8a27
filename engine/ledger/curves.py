"""A run's curves in the points table: series to rows, thinning a stored series, stored values."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from .thinning import BUCKETS, MAX_POINTS, thin

# series name -> (steps, values): arrays, lists, anything numpy turns into 1-D numbers
Points = Mapping[str, tuple[ArrayLike, ArrayLike]]
# a row of the points table: (run, series, step, value)
PointRow = tuple[int, str, int, float | None]


def finite(x: object) -> float | None:
    """A value as the ledger stores it: a finite float, else None (NULL): NaN, infinities, bools,
    None and anything that is not a number."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def point_rows(
    run_id: int, points: Points
) -> tuple[list[PointRow], dict[str, float | None], dict[str, list[float]]]:
    """The rows to store for ``points``, each series' value at its highest step (None where it
    is not finite) and each series' finite values (for the best figures); empty series are
    skipped. ValueError when a series has more steps than values or fewer."""
    rows: list[PointRow] = []
    lasts: dict[str, float | None] = {}
    bests: dict[str, list[float]] = {}
    for series, (xs, ys) in points.items():
        x = np.asarray(xs, dtype=np.int64).ravel()
        y = np.asarray(ys, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError(f"series {series!r}: {x.shape[0]} steps but {y.shape[0]} values")
        if not x.shape[0]:
            continue
        vals = [finite(v) for v in y.tolist()]  # NaN is stored as NULL either way
        rows += [(run_id, series, s, v) for s, v in zip(x.tolist(), vals, strict=True)]
        last = int(np.argmax(x))
        lasts[series] = vals[last]
        bests[series] = [v for v in vals if v is not None]
    return rows, lasts, bests


def thin_stored(conn: sqlite3.Connection, run_id: int, series: str) -> None:
    """Thin one stored series of a run to min/max buckets once it holds more than MAX_POINTS, in
    the caller's transaction."""
    n = conn.execute(
        "SELECT count(*) FROM points WHERE run=? AND series=?", (run_id, series)
    ).fetchone()[0]
    if n <= MAX_POINTS:
        return
    got = conn.execute(
        "SELECT step, value FROM points WHERE run=? AND series=? ORDER BY step",
        (run_id, series),
    ).fetchall()
    x = np.fromiter((r[0] for r in got), dtype=np.int64, count=len(got))
    y = np.fromiter((np.nan if r[1] is None else r[1] for r in got), np.float64, len(got))
    kx, ky = thin(x, y, BUCKETS)
    conn.execute("DELETE FROM points WHERE run=? AND series=?", (run_id, series))
    conn.executemany(
        "INSERT INTO points VALUES (?, ?, ?, ?)",
        [(run_id, series, s, finite(v)) for s, v in zip(kx.tolist(), ky.tolist(), strict=True)],
    )
