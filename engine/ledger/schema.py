"""The ledger's SQLite schema, its version, and the checks that refuse a foreign or newer file."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

FILE_NAME = "runs.sqlite"
CHECKPOINT_DIR = "checkpoints"
FORMAT = "backprop-tui-ledger"
SCHEMA_VERSION = 1
# PRAGMA application_id: "BPTL", so `file runs.sqlite` and this code can tell it is ours
APPLICATION_ID = 0x4250544C
SQLITE_HEADER = b"SQLite format 3\x00"

STATUSES = ("running", "paused", "finished", "diverged", "interrupted")
LIVE_STATUSES = ("running", "paused")  # a process owns the run and may still write to it
SERIES = ("batch_loss", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr")

DDL = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"""CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        scenario TEXT NOT NULL,
        source TEXT,
        config TEXT NOT NULL,
        seed INTEGER,
        fingerprint TEXT,
        forked_from INTEGER,
        sweep TEXT,
        origin TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ({", ".join(repr(s) for s in STATUSES)})),
        owner TEXT,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        ended REAL,
        steps INTEGER NOT NULL DEFAULT 0,
        epochs INTEGER NOT NULL DEFAULT 0,
        seconds REAL,
        train_loss REAL,
        train_accuracy REAL,
        test_loss REAL,
        test_accuracy REAL,
        best_train_loss REAL,
        best_train_accuracy REAL,
        best_test_loss REAL,
        best_test_accuracy REAL,
        diverged_at INTEGER,
        checkpoint TEXT
    )""",
    "CREATE INDEX runs_status ON runs (status)",
    "CREATE INDEX runs_sweep ON runs (sweep)",
    """CREATE TABLE points (
        run INTEGER NOT NULL,
        series TEXT NOT NULL,
        step INTEGER NOT NULL,
        value REAL,
        PRIMARY KEY (run, series, step)
    ) WITHOUT ROWID""",
)


class LedgerError(ValueError):
    """A ledger that cannot be used (foreign, newer, not a database, unknown run); one line."""


def check_file(path: Path) -> bool:
    """Whether ``path`` may be opened as a ledger: False when it does not exist yet (or is empty).

    A file that is not SQLite at all is refused by its first bytes, before sqlite3 touches it.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise LedgerError(f"{path}: cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise LedgerError(f"{path}: not a regular file, not a backprop-tui ledger")
    if st.st_size == 0:
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise LedgerError(f"{path}: cannot read: {exc.strerror}") from None
    if head != SQLITE_HEADER:
        raise LedgerError(
            f"{path}: not a backprop-tui ledger (not an SQLite database); left as it is: "
            "move it away or use --home DIR"
        )
    return True


def check_schema(conn: sqlite3.Connection, path: Path) -> bool:
    """True when the database is ours at this version, False when it is empty (new); else
    LedgerError: a foreign database or a newer schema, which is never written to."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    if app_id == 0 and version == 0 and not tables:
        return False
    if app_id != APPLICATION_ID:
        raise LedgerError(
            f"{path}: an SQLite database of another program, not a backprop-tui ledger; left as "
            "it is: use --home DIR"
        )
    if version > SCHEMA_VERSION:
        raise LedgerError(
            f"{path}: written by a newer backprop-tui (ledger schema {version}; this one reads up "
            f"to {SCHEMA_VERSION}); left as it is: upgrade backprop-tui or use --home DIR"
        )
    if version < 1 or "runs" not in tables or "points" not in tables:
        raise LedgerError(
            f"{path}: a damaged backprop-tui ledger (schema {version}, tables "
            f"{', '.join(tables) or 'none'}); left as it is: use --home DIR"
        )
    return True


def create_schema(conn: sqlite3.Connection) -> None:
    """The tables of a new ledger, in the caller's transaction."""
    for stmt in DDL:
        conn.execute(stmt)
    conn.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
