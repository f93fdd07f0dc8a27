"""One run of the ledger as a frozen record, and its JSON form for `runs --json`."""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass
from typing import Any

# The figures a run keeps: the last evaluation's, and the best of all its evaluations.
FINAL_KEYS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
BEST_KEYS = ("best_train_loss", "best_train_accuracy", "best_test_loss", "best_test_accuracy")


@dataclass(frozen=True)
class RunInfo:
    """A run as the ledger holds it (its curve is read apart: Ledger.curve)."""

    id: int
    scenario: str
    source: str | None
    config: dict[str, Any]
    seed: int | None
    fingerprint: str | None  # of the initial weights: runs with one are comparable from step 0
    forked_from: int | None
    sweep: str | None
    origin: str  # "train", "app", "sweep", ...
    status: str  # running, paused, finished, diverged, interrupted
    created: float  # Unix times
    updated: float
    ended: float | None
    steps: int
    epochs: int
    seconds: float | None
    train_loss: float | None
    train_accuracy: float | None
    test_loss: float | None
    test_accuracy: float | None
    best_train_loss: float | None
    best_train_accuracy: float | None
    best_test_loss: float | None
    best_test_accuracy: float | None
    diverged_at: int | None
    checkpoint: str | None  # file name under the ledger's checkpoint folder, when one was written

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> RunInfo:
        values = {k: row[k] for k in row.keys() if k != "owner"}  # noqa: SIM118  (sqlite3.Row)
        try:
            config = json.loads(values["config"])
        except ValueError:
            config = {}
        values["config"] = config if isinstance(config, dict) else {}
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        """JSON-able: every field, non-finite numbers as null."""
        out: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            out[k] = None if isinstance(v, float) and not math.isfinite(v) else v
        return out
