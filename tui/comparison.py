"""A comparison: the ordered runs of the app, the focused one, fork and drop, lockstep training."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, cast

from .comparison_overlay import build_overlay
from .comparison_run import MAX_RUNS, NoRecorder, Recorder, Run, status_of
from .fair_lock import FairLock
from .lockstep import LOCKSTEP, Lockstep
from .run_settings import copy_settings
from .session import Session

if TYPE_CHECKING:
    from engine.snapshot import Snapshot
    from scenarios import Scenario

    from .overlay import Overlay, PinnedCurve
    from .run_files import Opened


class CompareError(ValueError):
    """A comparison command that cannot be done (a 9th run, dropping the last one)."""


class Comparison:
    """The app's runs, in order, one of them focused; all train in lockstep.

    Each run has its own Session (a Stepper of its own); they share one ``lock``, under which
    every method but the read-only properties runs (the engine's worker threads call them).
    The first run is the base: forks start from its scenario, the difference view subtracts
    its curve. ``do`` runs a command like ``Session.do``: the stepping commands (LOCKSTEP) on
    every run, one after another, the hyperparameter commands on the focused run, and
    ``fork``, ``drop``, ``focus`` on the comparison itself.
    """

    def __init__(self, session: Session, recorder: Recorder | None = None) -> None:
        self.lock = FairLock()  # a command queued during a run goes next, between chunks
        self.recorder: Recorder = recorder or NoRecorder()
        self.runs: list[Run] = []
        self.focus = 0  # index into runs
        self._next_id = 1
        self._notes: list[str] = []
        self._local = threading.local()  # the overlay taken with a snapshot, per thread
        self._taken = 0  # snapshots taken so far
        self.lockstep = Lockstep(self)
        # ledger runs overlaid read-only (the runs screen's space), drawn after the runs
        self.pinned: tuple[PinnedCurve, ...] = ()
        self.add(session)

    # ---- the runs -----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.runs)

    def __iter__(self) -> Iterator[Run]:
        return iter(self.runs)

    @property
    def focused(self) -> Run:
        return self.runs[self.focus]

    @property
    def session(self) -> Session:
        """The focused run's session: what the panels show and the lr keys change."""
        return self.focused.session

    @property
    def stepper(self) -> Lockstep:
        """The runs as one stepper for run_loop: runs them in turn, reports the focused one."""
        return self.lockstep

    @property
    def name(self) -> str:
        return self.session.name

    @property
    def decision_size(self) -> tuple[int, int]:
        return self.session.decision_size

    @decision_size.setter
    def decision_size(self, size: tuple[int, int]) -> None:
        for run in self.runs:
            run.session.decision_size = size

    def add(self, session: Session, forked_from: int | None = None, record: object = None) -> Run:
        """A new run (its own session) at the end, focused; CompareError past MAX_RUNS.
        ``record``: the recorder's handle when the run is already recorded (reopened)."""
        if len(self.runs) >= MAX_RUNS:
            raise CompareError(f"{MAX_RUNS} runs at most: x drops the focused run")
        used = {r.slot for r in self.runs}
        slot = min(s for s in range(MAX_RUNS) if s not in used)
        if self.runs:
            session.decision_size = self.session.decision_size
        session.lock = self.lock  # one lock for every run: a command sees them all still
        run = Run(self._next_id, slot, session, forked_from, record)
        run.parent = next((r for r in self.runs if r.id == forked_from), None)
        self._next_id += 1
        self.runs.append(run)
        self.focus = len(self.runs) - 1
        self.recorder.started(run)
        return run

    def fork(self) -> Run:
        """A new run from the focused run's scenario rebuilt at step 0 (the same initial weights
        and batch order: same scenario, same seed) with the focused run's hyperparameters now
        (held changes included); it becomes the focused run."""
        if len(self.runs) >= MAX_RUNS:
            raise CompareError(f"{MAX_RUNS} runs at most: x drops the focused run")
        src = self.focused
        from scenarios import build  # numpy and the scenarios: loaded by now, in the worker

        session = Session(src.session.scenario, build(src.session.scenario))
        copy_settings(src.stepper, session.stepper)
        session.evaluate(force=True)
        return self.add(session, forked_from=src.id)

    def add_scenario(self, scenario: Scenario) -> Run:
        """A new run of ``scenario`` (e.g. the focused run's with new hidden sizes: new weights)
        from its own initial weights, forked from the focused run; it becomes the focused run."""
        if len(self.runs) >= MAX_RUNS:
            raise CompareError(f"{MAX_RUNS} runs at most: x drops the focused run")
        from scenarios import build

        src = self.focused
        return self.add(Session(scenario, build(scenario)), forked_from=src.id)

    def drop(self) -> Run:
        """Take the focused run out of the comparison (the recorder keeps it); the next run is
        focused. CompareError when it is the only run."""
        if len(self.runs) == 1:
            raise CompareError("the only run stays: c forks another first")
        run = self.runs.pop(self.focus)
        self.focus = min(self.focus, len(self.runs) - 1)
        self.recorder.finished(run, status_of(run))
        return run

    def move_focus(self, delta: int) -> Run:
        """Focus the next (delta 1) or previous (-1) run, round the ends."""
        self.focus = (self.focus + delta) % len(self.runs)
        return self.focused

    def set_focus(self, index: int) -> Run:
        if not 0 <= index < len(self.runs):
            raise CompareError(f"no run {index + 1}: {len(self.runs)} runs")
        self.focus = index
        return self.focused

    def close(self, status: str | None = None) -> None:
        """Every run ends (scenario switch, quit): each goes to the recorder."""
        for run in self.runs:
            self.recorder.finished(run, status or status_of(run))

    # ---- commands ----------------------------------------------------------------------
    def do(self, command: str, arg: object = None) -> str:
        """Run one command (under ``lock``); returns a note for the status line ('' if none)."""
        if command == "pin":  # the runs screen: ledger runs on the loss plot, read-only
            self.pinned = cast("tuple[PinnedCurve, ...]", arg)
            return ""
        if command == "open":  # a run reopened from its checkpoint (runs screen, --open)
            opened = cast("Opened", arg)
            run = self.add(opened.session, record=opened.ledger_id)
            return f"run {run.id}: {opened.note}"
        if command == "save":  # w: the focused run's checkpoint, between iterations
            from .run_files import save_run

            return save_run(self.focused, self.recorder)
        if command == "fork":
            src = self.focused
            run = self.fork()
            return (
                f"run {run.id} forked from run {src.id}: same initial weights and batches;"
                " change its lr (+ - =) or batch ([ ]); { } focus, x drops"
            )
        if command == "add":
            src = self.focused
            run = self.add_scenario(arg)  # type: ignore[arg-type]
            return f"run {run.id} started from new weights; run {src.id} stays in the comparison"
        if command == "drop":
            run = self.drop()
            return f"run {run.id} dropped from the comparison; run {self.focused.id} focused"
        if command == "focus":
            run = self.move_focus(int(arg))  # type: ignore[call-overload]
            return f"run {run.id} of {len(self.runs)} focused"
        if command not in LOCKSTEP or len(self.runs) == 1:
            if command == "reset":
                self._restart(self.focused)
            return self.session.do(command, arg)
        notes = {}
        for run in self.runs:
            if command == "reset":
                self._restart(run)
            notes[run.id] = run.session.do(command, arg)
        return notes[self.focused.id]

    def _restart(self, run: Run) -> None:
        """A reset ends the run as it was (kept by the recorder) and starts it afresh."""
        self.recorder.finished(run, status_of(run))
        run.record = None
        self.recorder.started(run)

    def record_progress(self, force: bool = False) -> None:
        """Training moved: the recorder may take every run's curves (it paces itself; ``force``:
        a run stopped, so the ledger shows where it stopped, not where it was a second ago)."""
        for run in self.runs:
            self.recorder.progress(run, force)

    def take_notes(self) -> list[str]:
        """Notes from lockstep training (another run diverged) and from the recorder (the
        ledger failed), once each."""
        notes, self._notes = self._notes, []
        take: Callable[[], list[str]] | None = getattr(self.recorder, "take_notes", None)
        return notes + (take() if take is not None else [])

    # ---- what the panels get -----------------------------------------------------------
    def evaluate(self, force: bool = False) -> None:
        """The focused run's whole-set figures (the status line shows only its own)."""
        self.session.evaluate(force)

    @property
    def late_eval(self) -> bool:
        """Whether the focused run's whole-set evaluation is costly (a big net)."""
        return self.session.late_eval

    def evaluation_job(self) -> Callable[[], Callable[[], None]] | None:
        """The focused run's evaluation in two halves (Session.evaluation_job)."""
        return self.session.evaluation_job()

    def snapshot(self, refresh_map: bool = True) -> Snapshot:
        """The focused run's snapshot; the overlay of the same moment is built with it (under
        the lock) and kept for this thread with the snapshot's number: ``taken`` hands them
        over."""
        snap = self.session.snapshot(refresh_map)
        self._taken += 1
        self._local.taken = (snap, self.overlay(), self._taken)
        return snap

    def taken(self, snap: Snapshot) -> tuple[Overlay | None, int]:
        """The overlay built with ``snap`` by ``snapshot`` on this thread, and the snapshot's
        number (they grow in the order taken, under the lock: whoever posts ``snap`` after
        releasing the lock can tell that another thread posted a newer one meanwhile).
        (None, 0) for a snapshot it did not take."""
        taken = getattr(self._local, "taken", None)
        if taken is None or taken[0] is not snap:
            return None, 0
        self._local.taken = None
        return taken[1], taken[2]

    def overlay(self) -> Overlay | None:
        """Every run's loss curve for the loss panel, or None for a single run (drawn as
        before). Built under the lock, so all curves are of one moment."""
        return build_overlay(self.runs, self.focus, self.pinned, self.session.n_train)
