"""The ledger's SQLite connection: opening runs.sqlite in WAL mode, short locked transactions."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Self

from .home import data_home
from .owner import owner_alive, this_owner
from .schema import FILE_NAME, LIVE_STATUSES, LedgerError, check_file, check_schema, create_schema

# How long a writer waits for another's transaction before giving up. Transactions are a few
# milliseconds; a minute covers a disk stalled by a swap storm without hanging forever.
BUSY_SECONDS = 60.0


class LedgerConnection:
    """A connection to ``runs.sqlite`` under a data home. Thread-safe (one lock per connection);
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
    def open(cls, home: str | os.PathLike[str] | None = None) -> Self:
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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- transactions -------------------------------------------------------------------------
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

    # ---- the file -----------------------------------------------------------------------------
    def integrity(self) -> str:
        """SQLite's integrity check: "ok" for a sound file."""
        return str(self._read("PRAGMA integrity_check")[0][0])

    def _unknown(self, run_id: int) -> str:
        return f"{self.path}: unknown run id {run_id}"
