"""The run ledger's operations: starting, appending to, ending, deleting and reading runs."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from .connection import LedgerConnection
from .curves import Points, point_rows, thin_stored
from .figures import figures_from_final, figures_from_points
from .records import BEST_KEYS, RunInfo
from .schema import CHECKPOINT_DIR, LIVE_STATUSES, STATUSES, LedgerError


class Ledger(LedgerConnection):
    """The runs of ``runs.sqlite`` under a data home: open one with Ledger.open(home); the
    connection (threads, processes, WAL, the interrupted rule) is LedgerConnection's.
    """

    # ---- writing ------------------------------------------------------------------------------
    def start_run(
        self,
        scenario: str,
        config: Mapping[str, object],
        *,
        seed: int | None = None,
        fingerprint: str | None = None,
        forked_from: int | None = None,
        sweep: str | None = None,
        origin: str = "train",
        source: str | None = None,
        status: str = "running",
    ) -> int:
        """A new run owned by this process; returns its id (ids are never reused)."""
        if status not in LIVE_STATUSES:
            raise ValueError(f"a new run is running or paused, not {status!r}")
        now = time.time()
        text = json.dumps(dict(config), sort_keys=True, allow_nan=False)
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO runs (scenario, source, config, seed, fingerprint, forked_from, "
                "sweep, origin, status, owner, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    scenario,
                    source,
                    text,
                    seed,
                    fingerprint,
                    forked_from,
                    sweep,
                    origin,
                    status,
                    self._owner,
                    now,
                    now,
                ),
            )
            run_id = cur.lastrowid
        assert run_id is not None
        return int(run_id)

    def claim(self, run_id: int, status: str = "running") -> None:
        """Make this process the owner of an existing run (resumed, reopened): status set."""
        if status not in LIVE_STATUSES:
            raise ValueError(f"a claimed run is running or paused, not {status!r}")
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE runs SET status=?, owner=?, updated=?, ended=NULL WHERE id=?",
                (status, self._owner, time.time(), run_id),
            )
            if cur.rowcount == 0:
                raise LedgerError(self._unknown(run_id))

    def append(
        self,
        run_id: int,
        points: Points,
        *,
        steps: int | None = None,
        epochs: int | None = None,
        seconds: float | None = None,
        status: str | None = None,
    ) -> bool:
        """Add curve points (series name -> (steps, values)) and move the run's counters.

        The series are engine.ledger.schema.SERIES (others are kept too). A point at a step the
        series already has replaces it. The figures follow the points: the last point of an
        evaluation series is the run's final figure, and the best ones are kept. Each series is
        thinned to at most MAX_POINTS (min/max buckets). False when the run no longer exists
        (deleted meanwhile): a writer then simply carries on.
        """
        if status is not None and status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; valid: {', '.join(STATUSES)}")
        rows, lasts, bests = point_rows(run_id, points)
        with self._write() as conn:
            row = conn.execute(
                f"SELECT {', '.join(BEST_KEYS)} FROM runs WHERE id=?", (run_id,)
            ).fetchone()
            if row is None:
                return False
            conn.executemany("INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?)", rows)
            for series in points:
                thin_stored(conn, run_id, series)
            sets: dict[str, object] = {"updated": time.time()}
            sets.update(figures_from_points(row, lasts, bests))
            if steps is not None:
                sets["steps"] = int(steps)
            if epochs is not None:
                sets["epochs"] = int(epochs)
            if seconds is not None:
                sets["seconds"] = float(seconds)
            if status is not None:
                sets["status"] = status
            self._update(conn, run_id, sets)
        return True

    @staticmethod
    def _update(conn: sqlite3.Connection, run_id: int, sets: Mapping[str, object]) -> None:
        cols = ", ".join(f"{k}=?" for k in sets)  # keys are this package's own column names
        conn.execute(f"UPDATE runs SET {cols} WHERE id=?", (*sets.values(), run_id))

    def set_status(self, run_id: int, status: str) -> bool:
        """Running <-> paused (or any status); False when the run no longer exists."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; valid: {', '.join(STATUSES)}")
        with self._write() as conn:
            row = conn.execute("SELECT id FROM runs WHERE id=?", (run_id,)).fetchone()
            if row is None:
                return False
            sets: dict[str, object] = {"status": status, "updated": time.time()}
            if status not in LIVE_STATUSES:
                sets["ended"] = sets["updated"]
            self._update(conn, run_id, sets)
        return True

    def set_checkpoint(self, run_id: int, name: str) -> bool:
        """Record that the run's checkpoint (a file name under checkpoint_dir) was written, e.g.
        by the app's save key while the run goes on; False when the run no longer exists."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE runs SET checkpoint=?, updated=? WHERE id=?",
                (Path(name).name, time.time(), run_id),
            )
            return cur.rowcount > 0

    def finish(
        self,
        run_id: int,
        status: str = "finished",
        *,
        steps: int | None = None,
        epochs: int | None = None,
        seconds: float | None = None,
        figures: Mapping[str, float | None] | None = None,
        diverged_at: int | None = None,
        checkpoint: str | None = None,
    ) -> bool:
        """The run ends: finished, diverged or interrupted, with its final figures (a dict like
        Stepper.evaluate's: train_loss, train_accuracy, test_loss, test_accuracy), counted in the
        best ones too. ``checkpoint``: the file name written under checkpoint_dir. False when the
        run no longer exists."""
        if status in LIVE_STATUSES or status not in STATUSES:
            raise ValueError(f"a run ends finished, diverged or interrupted, not {status!r}")
        with self._write() as conn:
            row = conn.execute(
                f"SELECT {', '.join(BEST_KEYS)} FROM runs WHERE id=?", (run_id,)
            ).fetchone()
            if row is None:
                return False
            now = time.time()
            sets: dict[str, object] = {"status": status, "updated": now, "ended": now}
            sets.update(figures_from_final(row, figures))
            for key, value in (("steps", steps), ("epochs", epochs), ("seconds", seconds)):
                if value is not None:
                    sets[key] = value
            if diverged_at is not None:
                sets["diverged_at"] = int(diverged_at)
            if checkpoint is not None:
                sets["checkpoint"] = checkpoint
            self._update(conn, run_id, sets)
        return True

    def delete(self, run_ids: Iterable[int]) -> list[int]:
        """Delete runs, their curves and checkpoint files; LedgerError (nothing deleted) when an
        id is unknown. Returns the ids deleted."""
        ids = list(dict.fromkeys(int(i) for i in run_ids))
        names: list[str] = []
        with self._write() as conn:
            for i in ids:
                row = conn.execute("SELECT checkpoint FROM runs WHERE id=?", (i,)).fetchone()
                if row is None:
                    raise LedgerError(self._unknown(i))
                names.append(row["checkpoint"] or f"{i}.npz")
            conn.executemany("DELETE FROM points WHERE run=?", [(i,) for i in ids])
            conn.executemany("DELETE FROM runs WHERE id=?", [(i,) for i in ids])
        for name in names:
            with contextlib.suppress(OSError):
                (self.checkpoint_dir / Path(name).name).unlink(missing_ok=True)
        return ids

    # ---- reading ------------------------------------------------------------------------------
    def runs(
        self, *, scenario: str | None = None, sweep: str | None = None, limit: int | None = None
    ) -> list[RunInfo]:
        """Runs, newest first; optionally those of one scenario or one sweep, at most ``limit``."""
        where, args = [], []
        if scenario is not None:
            where.append("scenario=?")
            args.append(scenario)
        if sweep is not None:
            where.append("sweep=?")
            args.append(sweep)
        sql = "SELECT * FROM runs" + (f" WHERE {' AND '.join(where)}" if where else "")
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [RunInfo.from_row(r) for r in self._read(sql, args)]

    def run(self, run_id: int) -> RunInfo:
        """One run; LedgerError "unknown run id N" when there is none."""
        rows = self._read("SELECT * FROM runs WHERE id=?", (run_id,))
        if not rows:
            raise LedgerError(self._unknown(run_id))
        return RunInfo.from_row(rows[0])

    def has(self, run_id: int) -> bool:
        return bool(self._read("SELECT 1 FROM runs WHERE id=?", (run_id,)))

    def curve(
        self, run_id: int, series: Sequence[str] | None = None, after: int | None = None
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The run's series as name -> (steps int64, values float64, NaN where none), sorted by
        step; only ``series`` if given, only steps > ``after`` if given (to follow a live run)."""
        sql = "SELECT series, step, value FROM points WHERE run=?"
        args: list[object] = [run_id]
        if series is not None:
            sql += f" AND series IN ({','.join('?' * len(series))})"
            args += list(series)
        if after is not None:
            sql += " AND step > ?"
            args.append(int(after))
        sql += " ORDER BY series, step"
        grouped: dict[str, tuple[list[int], list[float]]] = {}
        for r in self._read(sql, args):
            xs, ys = grouped.setdefault(r["series"], ([], []))
            xs.append(r["step"])
            ys.append(np.nan if r["value"] is None else r["value"])
        return {
            k: (np.array(xs, dtype=np.int64), np.array(ys, dtype=np.float64))
            for k, (xs, ys) in grouped.items()
        }

    @property
    def checkpoint_dir(self) -> Path:
        return self.home / CHECKPOINT_DIR

    def checkpoint_path(self, run_id: int) -> Path:
        """Where run ``run_id``'s checkpoint goes (the folder is made; the file may not exist)."""
        self.checkpoint_dir.mkdir(exist_ok=True)
        return self.checkpoint_dir / f"{int(run_id)}.npz"
