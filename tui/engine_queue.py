"""The app's engine side: one queue of commands drained by a thread worker, and the run."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.worker import Worker, WorkerState, get_current_worker

from .ladders import MAX_SPEED, Speed
from .messages import EngineNote, SnapshotReady
from .panels import import_panels
from .run_loop import RunStats, make_limit, run_loop

if TYPE_CHECKING:
    from textual.app import App

    from engine.snapshot import Snapshot

    from .comparison import Comparison
    from .comparison_run import Recorder
    from .session import Session

# steps and undo/reset pause a run first; lr and batch changes, focus, fork and drop apply live
# between run chunks
PAUSING = frozenset({"iteration", "unit", "forward", "backward", "update", "undo", "reset"})

RunChanged = Callable[[bool, str], None]  # (running, note): the run started or stopped


class EngineQueue:
    """Only these workers touch the Steppers, each call under ``comparison.lock``.

    The runs are a Comparison (one run until ``c`` forks one); commands (``Comparison.do``'s,
    plus "show" and "load": a new scenario replaces every run) run one at a time in order,
    each posting a SnapshotReady (and an EngineNote if it has something to say) to ``app``.
    ``start_run`` starts a second worker that trains at ``speed`` and stops at the next chunk
    boundary when paused (or by itself at its stop condition: run_loop.RunLimit); it trains
    every run in lockstep. ``on_run`` hears when a run starts or stops, on the app's thread.
    ``recorder`` keeps the runs that leave (the ledger).
    """

    def __init__(
        self,
        app: App[Any],
        session: Session | None,
        spec: str,
        on_run: RunChanged,
        recorder: Recorder | None = None,
    ) -> None:
        self.app = app
        self.recorder = recorder
        self.comparison: Comparison | None = None
        if session is not None:
            self.comparison = self._compare(session)
        self.spec = spec  # the scenario to load when no session was given
        self.on_run = on_run
        self.running = False
        self.speed: Speed = MAX_SPEED  # read by the run loop before each tick: changes apply live
        self.run_idle = threading.Event()  # set while no run-loop thread is inside the engine
        self.run_idle.set()
        self._run_worker: Worker[RunStats] | None = None
        self._commands: deque[tuple[str, object]] = deque()
        self._pending = 0  # commands queued or running (each posts a snapshot when done)
        self._lock = threading.Lock()
        self._draining = False
        self._posted: tuple[Comparison | None, int] = (None, 0)  # the newest snapshot posted
        # without a session, the first command loads the scenario, after the first paint
        self._hold = session is None
        if session is None:
            self._commands.append(("load", spec))
            self._pending = 1

    @property
    def session(self) -> Session | None:
        """The focused run's session (None until the first scenario loaded)."""
        return None if self.comparison is None else self.comparison.session

    def _compare(self, session: Session) -> Comparison:
        from .comparison import Comparison

        return Comparison(session, self.recorder)

    def put(self, command: str, arg: object = None) -> None:
        """Queue a command for the engine worker; commands run one at a time, in order."""
        with self._lock:
            self._commands.append((command, arg))
            self._pending += 1
        if command in PAUSING:
            self.pause()  # queued first: the run's end knows a snapshot follows
        self._kick()

    @property
    def busy(self) -> bool:
        """Commands are queued or running: each will post its own snapshot."""
        return self._pending > 0

    def release(self) -> None:
        """The first paint is done: start loading the scenario."""
        self._hold = False
        self._kick()

    def _kick(self) -> None:
        """Start the engine worker unless it is running (or held until the first paint)."""
        with self._lock:
            if self._draining or self._hold or not self._commands:
                return
            self._draining = True
        self.app.run_worker(self._drain, group="engine", thread=True, exit_on_error=True)

    def _drain(self) -> None:
        """Run queued commands under the session lock, posting a snapshot after each."""
        while True:
            with self._lock:
                if not self._commands:
                    self._draining = False
                    return
                command, arg = self._commands.popleft()
            note = ""
            if command == "load":
                note = self._load(arg)  # a scenario spec, or a Session (a reopened run)
            comparison = self.comparison
            if comparison is None:  # the first scenario failed to load: the app exits
                if note:
                    self.app.post_message(EngineNote(note))
                with self._lock:
                    self._pending -= 1
                continue
            with comparison.lock:
                if command not in ("show", "load"):
                    try:
                        note = comparison.do(command, arg)
                    except ValueError as exc:  # CompareError too: a 9th run, the last dropped
                        note = str(exc)
                snap = comparison.snapshot()
                comparison.record_progress()
                notes = comparison.take_notes()
            self._post(comparison, snap)
            for text in [note, *notes] if note else notes:
                self.app.post_message(EngineNote(text))
            if not self._commands and not self.running:  # keys done: a big net's figures now
                with comparison.lock:
                    late = comparison.session.evaluate_late()
                    if late:
                        snap = comparison.snapshot()
                if late:
                    self._post(comparison, snap)
            with self._lock:
                self._pending -= 1

    def _load(self, spec: object) -> str:
        """Open a scenario (in the worker), or take a Session already built (a run reopened
        from its checkpoint: the runs screen's enter); returns the error, or '' when loaded."""
        import_panels()
        from scenarios import ScenarioError

        from .session import Session

        try:
            session = spec if isinstance(spec, Session) else Session.open(str(spec))
        except ScenarioError as exc:
            return str(exc)
        old = self.comparison
        if old is not None:
            with old.lock:
                old.close()  # every run of the old scenario goes to the ledger
        self.comparison = self._compare(session)
        return ""

    def close(self) -> None:
        """The app quits: every run goes to the ledger (after the run loop stopped)."""
        comparison = self.comparison
        if comparison is not None:
            with comparison.lock:
                comparison.close()
        close = getattr(self.recorder, "close", None)
        if close is not None:
            close()

    @property
    def paced(self) -> bool:
        """Whether the panels are paced now: running, but not playing one unit at a time (then
        every panel shows every unit)."""
        return self.running and not self.speed.units

    def start_run(self, kind: str = "schedule", n: int = 0) -> None:
        """Run until paused or a stop condition (run_loop.make_limit's ``kind``: "schedule",
        "iterations" ``n``, "epoch")."""
        if self.running or self.comparison is None:
            return
        self.running = True
        self.on_run(True, "")
        self._run_worker = self.app.run_worker(
            partial(self._run, kind, n),
            group="run",
            exclusive=True,
            thread=True,
            exit_on_error=True,
        )

    def pause(self) -> None:
        """Stop the run loop; it finishes its current chunk (<= ~30 ms) under the lock."""
        if self._run_worker is not None:
            self._run_worker.cancel()
            self._run_worker = None
        was_running, self.running = self.running, False
        if was_running:
            self.on_run(False, "")

    def _run(self, kind: str, n: int) -> RunStats:
        worker = get_current_worker()
        self.run_idle.clear()
        comparison = self.comparison
        assert comparison is not None
        try:
            with comparison.lock:
                # the stop condition is the focused run's; the others train as many iterations
                training = comparison.session.scenario.training
                st = comparison.session.stepper
                schedule = training.total_steps(st.steps_per_epoch)
                # no scenario key names a target accuracy yet; one named so is honoured
                target = getattr(training, "target_accuracy", None)
                limit = make_limit(st, schedule, kind, n, target)
            return run_loop(
                # run_loop needs what a Session has: a lock, a stepper (Lockstep runs every
                # run in turn and reads as the focused one), evaluate() and snapshot()
                cast("Session", comparison),
                lambda: worker.is_cancelled,
                self._post_snapshot,
                speed=lambda: self.speed,
                limit=limit,
                final=lambda: not self.busy,  # a step key's own snapshot follows at once
            )
        finally:
            with comparison.lock:  # the ledger shows where each run stopped
                comparison.record_progress(force=True)
            self.run_idle.set()

    def _post_snapshot(self, snap: Snapshot) -> None:
        # called by run_loop right after it took ``snap`` under the lock, from this thread
        comparison = self.comparison
        if comparison is None:
            return
        self._post(comparison, snap)
        with comparison.lock:
            comparison.record_progress()
            notes = comparison.take_notes()
        for note in notes:
            self.app.post_message(EngineNote(note))

    def _post(self, comparison: Comparison, snap: Snapshot) -> None:
        """Post ``snap`` (taken on this thread) with its overlay, unless a newer one was posted.

        Snapshots are posted after the lock is released, so the run loop's last one can come
        after the snapshot of the command that ran next; SnapshotReady replaces an older one
        still queued, so that late one would hide the command's result until the next.
        """
        overlay, number = comparison.taken(snap)
        with self._lock:
            if comparison is self._posted[0] and number < self._posted[1]:
                return  # a newer snapshot of the same runs is out already
            self._posted = (comparison, number)
            self.app.post_message(SnapshotReady(snap, overlay))

    def worker_changed(self, worker: Worker[Any], state: WorkerState) -> None:
        """The app's Worker.StateChanged: a run that ended by itself diverged or reached its
        stop condition; the note says which."""
        if worker is not self._run_worker or state != WorkerState.SUCCESS:
            return
        self._run_worker = None
        self.running = False
        stats = worker.result
        note = ""
        if stats is not None:
            note = "run stopped" if stats.diverged else stats.note
        self.on_run(False, note)
