"""A sweep's runs as records for --json, --json-lines and --csv."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .heatmap_text import batch_label

RUN_KEYS = (
    "lr",
    "batch_size",
    "momentum",
    "l2",
    "seed",
    "initial_loss",
    "train_loss",
    "test_loss",
    "train_accuracy",
    "test_accuracy",
    "steps",
    "diverged",
    "diverged_at",
)


def key_of(r: dict[str, Any]) -> tuple[float, int | None, float, float, int]:
    return (r["lr"], r["batch_size"], r["momentum"], r["l2"], r["seed"])


def _clean(x: object) -> object:
    # JSON has no NaN or Infinity
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def public(r: dict[str, Any]) -> dict[str, Any]:
    return {k: _clean(r[k]) for k in RUN_KEYS}


def write_csv(path: Path, records: Sequence[dict[str, Any]]) -> None:
    from engine.atomicfile import atomic_open

    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=RUN_KEYS, extrasaction="ignore")
    w.writeheader()
    for r in records:
        row = {k: ("" if _clean(r[k]) is None else r[k]) for k in RUN_KEYS}
        row["batch_size"] = batch_label(r["batch_size"])
        w.writerow(row)
    with atomic_open(path, "wb") as f:
        f.write(buf.getvalue().encode("utf-8"))
