"""The app's runs in the ledger: each run started, its curves about once a second, its end."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.ledger import Ledger

    from .comparison_run import Run

# a run's curves go to the ledger at most this often: a reader (another app, `runs`) sees them
# grow, and the app spends a few ms a second on it whatever the number of runs
FLUSH_SECONDS = 1.0


class LedgerRecorder:
    """Comparison.Recorder over the run ledger (engine.ledger, in the data home).

    A run gets a ledger entry when it first trains (origin "app", status "paused", its config
    with the hyperparameters it has then, the run it was forked from), its curves while it
    trains (``progress``, paced to FLUSH_SECONDS a run), and its end when it leaves the screen
    (R, another scenario, x, quit): "finished", or "diverged". A reopened run (``run.record``
    already a ledger id) is claimed, not recorded anew. A ledger
    that cannot be opened or written stops the recording, never the app: ``take_notes`` says
    so once. Called by the engine's workers under the comparison's lock.
    """

    def __init__(self) -> None:
        self._ledger: Ledger | None = None
        self._failed = False
        self._notes: list[str] = []
        self._flushed: dict[int, float] = {}  # ledger id -> when its curves were last sent
        self._started: dict[int, float] = {}  # ledger id -> when it started (its seconds)

    def _open(self) -> Ledger | None:
        if self._ledger is None and not self._failed:
            from engine.ledger import Ledger, LedgerError

            try:
                self._ledger = Ledger.open()
            except (LedgerError, OSError) as exc:
                self._fail(exc)
        return self._ledger

    def _fail(self, exc: Exception) -> None:
        self._failed = True
        self._ledger = None
        self._notes.append(f"runs are not recorded: {exc}")

    def take_notes(self) -> list[str]:
        notes, self._notes = self._notes, []
        return notes

    def started(self, run: Run) -> None:
        """A reopened run is claimed at once; a new one gets its entry when it first trains
        (a fork's hyperparameters are changed before that: the entry has them)."""
        if not isinstance(run.record, int):
            return
        ledger = self._open()
        if ledger is None:
            return
        from engine.ledger import LedgerError

        try:
            if ledger.has(run.record):
                ledger.claim(run.record, "paused")  # it goes on in its own entry
            else:
                run.record = None  # deleted meanwhile: a new entry when it trains
        except (LedgerError, OSError) as exc:
            self._fail(exc)
            return
        self._begin(run)

    def _begin(self, run: Run) -> None:
        assert isinstance(run.record, int)
        self._started[run.record] = time.monotonic()
        self._flushed[run.record] = 0.0

    def _entry(self, run: Run) -> int | None:
        """The run's ledger id, its entry made now if it has none (its parent's first, so
        the entry names the run it was forked from)."""
        if isinstance(run.record, int):
            return run.record
        ledger = self._open()
        if ledger is None:
            return None
        from engine.ledger import LedgerError, fingerprint

        from .run_files import live_config

        parent = None if run.parent is None else self._entry(run.parent)
        st = run.stepper
        scn = run.session.scenario
        try:
            run.record = ledger.start_run(
                scn.name,
                live_config(scn, st),
                seed=scn.training.seed,
                fingerprint=fingerprint(st.initial_params),
                forked_from=parent,
                origin="app",
                source=scn.source,
                status="paused",
            )
        except (LedgerError, OSError) as exc:
            self._fail(exc)
            return None
        self._begin(run)
        return run.record

    def progress(self, run: Run, force: bool = False) -> None:
        if run.stepper.step == 0 or self._failed:
            return
        record = self._entry(run)
        if record is None:
            return
        if force or time.monotonic() - self._flushed[record] >= FLUSH_SECONDS:
            self._send(run)

    def _send(self, run: Run) -> bool:
        """The run's curves (the whole history, thinned: a point at a step the ledger has
        replaces it) and counters; False if the ledger failed or lost the run."""
        ledger = self._ledger
        if ledger is None or not isinstance(run.record, int):
            return False
        from engine.ledger import LedgerError

        from .run_files import history_points

        st = run.stepper
        self._flushed[run.record] = time.monotonic()
        try:
            return ledger.append(
                run.record,
                history_points(st),
                steps=st.step,
                epochs=st.epoch,
                seconds=self._seconds(run.record),
            )
        except (LedgerError, OSError) as exc:
            self._fail(exc)
            return False

    def _seconds(self, record: int) -> float:
        return time.monotonic() - self._started.get(record, time.monotonic())

    def finished(self, run: Run, status: str) -> None:
        """The run ends as it is now; one that never trained (and was never saved) leaves
        nothing to keep."""
        if run.stepper.step == 0 and not isinstance(run.record, int):
            return
        if self._entry(run) is None or not self._send(run):
            return
        ledger = self._ledger
        assert ledger is not None and isinstance(run.record, int)
        from engine.ledger import LedgerError

        st = run.stepper
        diverged = st.diverged is not None
        try:
            ledger.finish(
                run.record,
                "diverged" if diverged else "finished",
                steps=st.step,
                epochs=st.epoch,
                seconds=self._seconds(run.record),
                figures=dict(st.last_eval),
                diverged_at=st.step if diverged else None,
            )
        except (LedgerError, OSError) as exc:
            self._fail(exc)

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None
