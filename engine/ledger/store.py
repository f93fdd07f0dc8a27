"""The run ledger: every run's config, status, figures and curves in one SQLite file (WAL)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from .home import data_home
from .owner import owner_alive, this_owner
from .records import BEST_KEYS, FINAL_KEYS, RunInfo
from .schema import (
    CHECKPOINT_DIR,
    FILE_NAME,
    LIVE_STATUSES,
    STATUSES,
    LedgerError,
    check_file,
    check_schema,
    create_schema,
)
from .thinning import BUCKETS, MAX_POINTS, thin

# How long a writer waits for another's transaction before giving up. Transactions are a few
# milliseconds; a minute covers a disk stalled by a swap storm without hanging forever.
BUSY_SECONDS = 60.0

# series name -> (steps, values): arrays, lists, anything numpy turns into 1-D numbers
Points = Mapping[str, tuple[ArrayLike, ArrayLike]]

# A lower loss and a higher accuracy are better.
_BEST = {
    "best_train_loss": ("train_loss", min),
    "best_train_accuracy": ("train_accuracy", max),
    "best_test_loss": ("test_loss", min),
    "best_test_accuracy": ("test_accuracy", max),
}


def _finite(x: object) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


class Ledger:
    """A connection to ``runs.sqlite`` under a data home. Thread-safe (one lock per Ledger);
    any number of processes may open the same file: SQLite's WAL lets readers read while one
    writer writes, and writers take turns (each write is one short transaction, waiting up to
    BUSY_SECONDS for the others).

    Opening marks the runs left "running" or "paused" by a process that no longer exists as
    "interrupted" (see engine.ledger.owner).
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self.home = path.parent
        self._lock = threading.RLock()
        self._owner = this_owner()

    # ---- opening ------------------------------------------------------------------------------
    @classmethod
    def open(cls, home: str | os.PathLike[str] | None = None) -> Ledger:
        """The ledger under ``home`` (default: data_home()), created if there is none yet.

        LedgerError (one line naming the file) for a file that is not SQLite, another program's
        database, a newer schema or a home that cannot be created; such a file is never written.
        """
        root = data_home(home)
        if root.exists() and not root.is_dir():
            raise LedgerError(f"{root}: not a directory (the data home, --home DIR)")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LedgerError(f"{root}: cannot create the data home: {exc.strerror}") from None
        path = root / FILE_NAME
        check_file(path)
        try:
            conn = sqlite3.connect(
                path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise LedgerError(f"{path}: cannot open: {exc}") from None
        try:
            conn.row_factory = sqlite3.Row
            ledger = cls(conn, path)
            ledger._prepare()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise LedgerError(f"{path}: not a usable backprop-tui ledger: {exc}") from None
        except BaseException:
            conn.close()
            raise
        return ledger

    def _prepare(self) -> None:
        conn = self._conn
        if not check_schema(conn, self.path):
            with self._write():
                # another process may have created it since the check
                if not check_schema(conn, self.path):
                    create_schema(conn)
        # WAL: readers never block the writer nor the writer them; NORMAL sync is safe against a
        # killed process (only a power cut can lose the last transactions, never corrupt)
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise LedgerError(f"{self.path}: cannot use WAL mode (journal mode {mode})")
        conn.execute("PRAGMA synchronous=NORMAL")
        self.mark_interrupted()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, taken at once (BEGIN IMMEDIATE) so two writers never
        deadlock upgrading read locks; rolled back on any error."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.path}: cannot write: {exc}") from None
            try:
                yield conn
                conn.execute("COMMIT")
            except sqlite3.Error as exc:  # a full disk, an I/O error: one line, nothing half done
                self._rollback()
                raise LedgerError(f"{self.path}: cannot write: {exc}") from None
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        # SQLite may have rolled back already (SQLITE_FULL does): then there is nothing to undo
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("ROLLBACK")

    def _read(self, sql: str, args: Sequence[object] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, args))
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.path}: cannot read: {exc}") from None

    # ---- the interrupted rule -----------------------------------------------------------------
    def mark_interrupted(self) -> list[int]:
        """Runs still "running" or "paused" whose owner process is gone: now "interrupted"."""
        now = time.time()
        marks = ",".join("?" * len(LIVE_STATUSES))
        rows = self._read(
            f"SELECT id, owner, updated FROM runs WHERE status IN ({marks})", LIVE_STATUSES
        )
        dead = [r["id"] for r in rows if not owner_alive(r["owner"] or "", r["updated"], now)]
        if not dead:
            return []
        try:
            with self._write() as conn:
                conn.executemany(
                    "UPDATE runs SET status='interrupted', ended=coalesce(ended, updated) "
                    f"WHERE id=? AND status IN ({marks})",
                    [(i, *LIVE_STATUSES) for i in dead],
                )
        except LedgerError:
            return []  # a read-only ledger can still be listed; the marks wait for a writer
        return dead

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
        rows: list[tuple[int, str, int, float | None]] = []
        lasts: dict[str, float | None] = {}
        bests: dict[str, list[float]] = {}
        for series, (xs, ys) in points.items():
            x = np.asarray(xs, dtype=np.int64).ravel()
            y = np.asarray(ys, dtype=np.float64).ravel()
            if x.shape != y.shape:
                raise ValueError(f"series {series!r}: {x.shape[0]} steps but {y.shape[0]} values")
            if not x.shape[0]:
                continue
            vals = [_finite(v) for v in y.tolist()]  # NaN is stored as NULL either way
            rows += [(run_id, series, s, v) for s, v in zip(x.tolist(), vals, strict=True)]
            last = int(np.argmax(x))
            lasts[series] = vals[last]
            bests[series] = [v for v in vals if v is not None]
        with self._write() as conn:
            row = conn.execute(
                f"SELECT {', '.join(BEST_KEYS)} FROM runs WHERE id=?", (run_id,)
            ).fetchone()
            if row is None:
                return False
            conn.executemany("INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?)", rows)
            for series in points:
                self._thin(conn, run_id, series)
            sets: dict[str, object] = {"updated": time.time()}
            for key in FINAL_KEYS:
                if key in lasts:
                    sets[key] = lasts[key]
            for key, (series, pick) in _BEST.items():
                found = bests.get(series)
                if found:
                    old = row[key]
                    sets[key] = pick(found) if old is None else pick(old, pick(found))
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
    def _thin(conn: sqlite3.Connection, run_id: int, series: str) -> None:
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
            [
                (run_id, series, s, _finite(v))
                for s, v in zip(kx.tolist(), ky.tolist(), strict=True)
            ],
        )

    @staticmethod
    def _update(conn: sqlite3.Connection, run_id: int, sets: Mapping[str, object]) -> None:
        cols = ", ".join(f"{k}=?" for k in sets)  # keys are this module's own column names
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
            for key in FINAL_KEYS:
                if figures and key in figures:
                    sets[key] = _finite(figures[key])
            for key, (series, pick) in _BEST.items():
                v = _finite((figures or {}).get(series))
                if v is not None:
                    sets[key] = v if row[key] is None else pick(row[key], v)
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

    def integrity(self) -> str:
        """SQLite's integrity check: "ok" for a sound file."""
        return str(self._read("PRAGMA integrity_check")[0][0])

    def _unknown(self, run_id: int) -> str:
        return f"{self.path}: unknown run id {run_id}"


def fingerprint(params: np.ndarray) -> str:
    """A short stable digest of a parameter vector (the initial weights): equal weights, equal
    text, whatever the process; 16 hex digits of SHA-256 over the float64 bytes."""
    import hashlib

    data = np.ascontiguousarray(params, dtype=np.float64)
    return hashlib.sha256(data.tobytes()).hexdigest()[:16]
