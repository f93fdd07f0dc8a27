"""A headless run's entry in the ledger: its curves written about once a second, its end."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.history import downsample
from engine.ledger import Ledger, LedgerError

if TYPE_CHECKING:
    from engine import Stepper

# Writes to the ledger at most this often while training: a reader (the app) sees the curve grow
# live, and a fast run spends well under 1% of its time in SQLite.
FLUSH_SECONDS = 1.0
# Batch-loss and lr points per flush at most (min/max buckets): the ledger thins each series to
# a few thousand points anyway; sending 100,000 only to drop them would cost.
POINTS_PER_FLUSH = 128
_EVAL_SERIES = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")


class Recorder:
    """Sends a stepper's new history to the ledger; a ledger error stops recording, never the
    run (``error`` then says why, for one line at the end)."""

    def __init__(self, ledger: Ledger, run_id: int, stepper: Stepper) -> None:
        self.ledger = ledger
        self.run_id = run_id
        self.st = stepper
        self.error: str | None = None
        self._rows = stepper.history.recorded  # history rows already sent
        # a resumed stepper's history starts empty at the checkpoint's step: row i is step
        # offset + i + 1
        self._offset = stepper.step - stepper.history.recorded
        self._eval_step = stepper.step  # evaluations up to this step are in
        self._last = time.monotonic()

    def maybe_flush(self, seconds: float) -> None:
        if time.monotonic() - self._last >= FLUSH_SECONDS:
            self.flush(seconds)

    def flush(self, seconds: float) -> None:
        self._last = time.monotonic()
        if self.error is not None:
            return
        try:
            self.ledger.append(
                self.run_id,
                self._points(),
                steps=self.st.step,
                epochs=self.st.epoch,
                seconds=seconds,
            )
        except LedgerError as exc:
            self.error = str(exc)

    def _points(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        h = self.st.history
        points: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        x, y = h.loss_curve()
        new = x >= self._rows
        if new.any():
            # x is the iteration's row; its step (iterations done after it) is one more
            bx, by = downsample(y[new], POINTS_PER_FLUSH, x[new] + 1 + self._offset)
            points["batch_loss"] = (bx.astype(np.int64), by)
        lr = h.lr
        first = max(self._rows, h.first_kept)
        if h.recorded > first:
            rows = lr[first - h.first_kept :]
            steps = np.arange(first + 1, h.recorded + 1, dtype=np.int64) + self._offset
            # a constant lr (the usual case) or a step schedule changes rarely: only the points
            # on either side of each change, and the ends, draw the same line
            change = np.flatnonzero(np.diff(rows) != 0)
            keep = np.unique(np.concatenate(([0, rows.shape[0] - 1], change, change + 1)))
            lx, ly = downsample(rows[keep], POINTS_PER_FLUSH, steps[keep])
            points["lr"] = (lx.astype(np.int64), ly)
        self._rows = h.recorded
        es, ev = h.eval_curves()
        sel = es > self._eval_step
        if sel.any():
            for k, name in enumerate(_EVAL_SERIES):
                col = ev[sel, k]
                keep = ~np.isnan(col)
                if keep.any():
                    points[name] = (es[sel][keep], col[keep])
            self._eval_step = int(es[sel].max())
        return points

    def import_history(self, history: dict[str, np.ndarray]) -> None:
        """A checkpoint's saved curves (a run resumed from a file into a new ledger entry)."""
        points: dict[str, tuple[Any, Any]] = {}
        if "loss_step" in history and "loss" in history:
            x, y = downsample(history["loss"], 1024, history["loss_step"] + 1)
            points["batch_loss"] = (x.astype(np.int64), y)
        es, ev = history.get("eval_step"), history.get("eval")
        if es is not None and ev is not None and ev.ndim == 2 and ev.shape == (es.shape[0], 4):
            for k, name in enumerate(_EVAL_SERIES):
                keep = ~np.isnan(ev[:, k])
                if keep.any():
                    points[name] = (es[keep], ev[keep, k])
        if points:
            try:
                self.ledger.append(self.run_id, points)
            except LedgerError as exc:
                self.error = str(exc)

    def finish(
        self,
        status: str,
        final: dict[str, float | None],
        seconds: float,
        checkpoint: str | None,
    ) -> None:
        self.flush(seconds)
        if self.error is not None:
            return
        st = self.st
        try:
            self.ledger.finish(
                self.run_id,
                status,
                steps=st.step,
                epochs=st.epoch,
                seconds=seconds,
                figures=final,
                diverged_at=None if st.diverged is None else st.diverged.step,
                checkpoint=checkpoint,
            )
        except LedgerError as exc:
            self.error = str(exc)
