"""The runs screen's data: the ledger's runs as table rows, followed live from a worker thread."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from engine.ledger import Ledger, RunInfo

SPARK_WIDTH = 12  # cells of a row's loss sparkline: with the figures, 80 columns show status
FULL_EVERY = 10  # polls between whole re-reads of a live run's curve (the ledger thins it)
# whole curves read per poll at most: a big ledger's table shows at once, its sparklines fill in
# over the next polls (a 2,000-point curve is ~6 ms of SQLite rows)
WHOLE_READS = 32
LIVE = ("running", "paused")
MISSING = "-"
# sort keys, in the order `s` cycles through them: (name, column title it sorts)
SORTS = ("newest", "loss", "best", "test acc", "steps", "status", "scenario")


@dataclass(frozen=True, eq=False)
class RunRow:
    """One ledger run as the table shows it, with the raw figures to sort by."""

    id: int
    scenario: str
    config: dict[str, Any]
    values: tuple[str, ...]  # the differing config keys' values, in RunsTable.keys' order
    spark: str
    steps: int
    loss: float | None
    best: float | None
    test_accuracy: float | None
    status: str
    diverged_at: int | None
    checkpoint: str  # "yes", "missing", or "-" (never saved)
    x: np.ndarray  # the batch-loss curve (steps, values): the overlay draws it
    y: np.ndarray

    def cells(self, scenario: bool = True) -> tuple[str, ...]:
        """The row's cells after the marker column; ``scenario``: with the scenario's name
        (left out when every run is of one scenario: the line above names it)."""
        from .cli.progress import number, share

        status = self.status
        if self.diverged_at is not None:
            status += f" at {self.diverged_at:,}"
        return (
            str(self.id),
            *((self.scenario,) if scenario else ()),
            *self.values,
            self.spark,
            _cell(self.loss, number),
            _cell(self.best, number),
            _cell(self.test_accuracy, share),
            status,
            f"{self.steps:,}",
            self.checkpoint,
        )


@dataclass(frozen=True, eq=False)
class RunsTable:
    """Every run of the ledger at one poll, newest first; ``error`` when it cannot be read."""

    path: str
    keys: tuple[str, ...] = ()  # the config keys that differ (dotted)
    rows: tuple[RunRow, ...] = ()
    error: str | None = None
    version: int = 0  # grows with every poll
    pending: int = 0  # runs whose curve is not read yet (the next poll goes on)

    @property
    def headers(self) -> tuple[str, ...]:
        from scenarios.overrides import label

        keys = tuple(label(k) for k in self.keys)
        scenario = ("scenario",) if self.mixed else ()
        figures = ("loss curve", "loss", "best", "test acc", "status", "steps", "ckpt")
        return ("id", *scenario, *keys, *figures)

    @property
    def mixed(self) -> bool:
        """Runs of more than one scenario: the table has a scenario column."""
        return len({r.scenario for r in self.rows}) > 1

    def row(self, run_id: int) -> RunRow | None:
        return next((r for r in self.rows if r.id == run_id), None)

    @property
    def message(self) -> str:
        """One line above the table: the error, an empty ledger, or the count."""
        if self.error is not None:
            return f"the ledger cannot be opened: {self.error}"
        if not self.rows:
            return f"no runs yet in {self.path}: train, sweep and the app keep every run here"
        live = sum(r.status in LIVE for r in self.rows)
        n = len(self.rows)
        of = "" if self.mixed else f" of {self.rows[0].scenario}"
        return f"{n} run{'s' * (n != 1)}{of}" + (f", {live} live" if live else "")


def _cell(x: float | None, fmt: Any) -> str:
    return MISSING if x is None or not math.isfinite(x) else str(fmt(x))


def sort_rows(rows: tuple[RunRow, ...], key: str, reverse: bool = False) -> list[RunRow]:
    """Rows by a SORTS key; a missing figure goes last either way. "newest" is by id, high
    first; losses low first; accuracy and steps high first (the best first by default)."""

    def figure(r: RunRow) -> float | None:
        return {
            "loss": r.loss,
            "best": r.best,
            "test acc": None if r.test_accuracy is None else -r.test_accuracy,
            "steps": -r.steps,
        }.get(key)

    if key == "newest":
        out = sorted(rows, key=lambda r: -r.id)
    elif key == "status":
        out = sorted(rows, key=lambda r: (r.status, -r.id))
    elif key == "scenario":
        out = sorted(rows, key=lambda r: (r.scenario, -r.id))
    else:
        have = sorted((r for r in rows if _finite(figure(r))), key=lambda r: (figure(r), -r.id))
        rest = [r for r in rows if not _finite(figure(r))]
        return (have[::-1] if reverse else have) + rest
    return out[::-1] if reverse else out


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


class LedgerFollower:
    """Reads the ledger for the runs screen, from one worker thread: ``poll`` about once a
    second gives the whole table, reading only what changed (a run's new points with
    ``curve(after=...)``, a live run's whole curve every FULL_EVERY polls)."""

    def __init__(self) -> None:
        self.ledger: Ledger | None = None
        self._curves: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._seen: dict[int, tuple[float, str]] = {}  # id -> (updated, status) last read
        self._sparks: dict[int, tuple[object, str]] = {}  # id -> (the curve drawn, its line)
        self._polls = 0
        self._path = ""

    @property
    def polls(self) -> int:
        """Reads begun so far (a table's ``version`` is the number of its read)."""
        return self._polls

    def close(self) -> None:
        if self.ledger is not None:
            self.ledger.close()
            self.ledger = None

    def poll(self) -> RunsTable:
        from engine.ledger import Ledger, LedgerError, data_home

        self._polls += 1
        try:
            if self.ledger is None:
                self._path = str(data_home() / "runs.sqlite")
                self.ledger = Ledger.open()
                self._path = str(self.ledger.path)
            infos = self.ledger.runs()
            full = self._polls % FULL_EVERY == 0
            budget = WHOLE_READS
            for info in infos:  # newest first: their curves first
                if info.id in self._curves or budget > 0:
                    budget -= self._read_curve(self.ledger, info, full)
        except (LedgerError, sqlite3.Error, OSError) as exc:
            # a file another program broke while open, a disk gone: one line, the app goes on
            self.close()
            return RunsTable(self._path, error=" ".join(str(exc).split()), version=self._polls)
        ids = {i.id for i in infos}
        for gone in set(self._curves) - ids:
            del self._curves[gone]
            self._seen.pop(gone, None)
            self._sparks.pop(gone, None)
        return self._table(self.ledger, infos)

    def _read_curve(self, ledger: Ledger, info: RunInfo, full: bool) -> bool:
        """Read what is new of the run's curve; True when that was the whole curve."""
        import numpy as np

        seen = self._seen.get(info.id)
        have = self._curves.get(info.id)
        now = (info.updated, info.status)
        if have is not None and seen == now and not (full and info.status in LIVE):
            return False
        ended = seen is not None and seen[1] in LIVE and info.status not in LIVE
        if have is None or ended or (full and info.status in LIVE) or not len(have[0]):
            # whole: new to this screen, just ended (finish may thin), or now and then
            got = ledger.curve(info.id, ["batch_loss"]).get("batch_loss")
            empty = (np.zeros(0, np.int64), np.zeros(0))
            self._curves[info.id] = got if got is not None else empty
            self._seen[info.id] = now
            return True
        else:
            got = ledger.curve(info.id, ["batch_loss"], after=int(have[0][-1])).get("batch_loss")
            if got is not None and len(got[0]):
                self._curves[info.id] = (
                    np.concatenate([have[0], got[0]]),
                    np.concatenate([have[1], got[1]]),
                )
        self._seen[info.id] = now
        return False

    def _table(self, ledger: Ledger, infos: list[RunInfo]) -> RunsTable:
        import numpy as np

        from scenarios.overrides import format_value

        from .cli.runs import config_columns
        from .widgets.sparkline import sparkline

        keys = tuple(config_columns(infos))
        rows = []
        empty = (np.zeros(0, np.int64), np.zeros(0))
        pending = 0
        for info in infos:
            curve = self._curves.get(info.id)
            pending += curve is None
            x, y = curve if curve is not None else empty
            cached = self._sparks.get(info.id)
            if cached is not None and cached[0] is curve:
                spark = cached[1]
            else:  # drawn again only when the curve changed
                spark = sparkline(y, SPARK_WIDTH) if curve is not None else ""
                self._sparks[info.id] = (curve, spark)
            if info.checkpoint:
                name = info.checkpoint.rsplit("/", 1)[-1]
                ck = "yes" if (ledger.checkpoint_dir / name).is_file() else "missing"
            else:
                ck = MISSING
            rows.append(
                RunRow(
                    id=info.id,
                    scenario=info.scenario,
                    config=info.config,
                    values=tuple(
                        format_value(info.config[k]) if k in info.config else MISSING for k in keys
                    ),
                    spark=spark,
                    steps=info.steps,
                    loss=info.train_loss,
                    best=info.best_train_loss,
                    test_accuracy=info.test_accuracy,
                    status=info.status,
                    diverged_at=info.diverged_at,
                    checkpoint=ck,
                    x=x,
                    y=y,
                )
            )
        return RunsTable(str(ledger.path), keys, tuple(rows), version=self._polls, pending=pending)
