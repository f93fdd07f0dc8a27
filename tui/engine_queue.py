"""The app's engine side: one queue of commands drained by a thread worker, and the run."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.worker import Worker, WorkerState, get_current_worker

from .ladders import MAX_SPEED, Speed
from .messages import EngineNote, SnapshotReady
from .panels import import_panels
from .run_loop import RunStats, make_limit, run_loop

if TYPE_CHECKING:
    from textual.app import App

    from engine.snapshot import Snapshot

    from .session import Session

# steps and undo/reset pause a run first; lr and batch changes apply live between run chunks
PAUSING = frozenset({"iteration", "unit", "forward", "backward", "update", "undo", "reset"})

RunChanged = Callable[[bool, str], None]  # (running, note): the run started or stopped


class EngineQueue:
    """Only these workers touch the Stepper, each call under ``session.lock``.

    Commands (``Session.do``'s, plus "show" and "load") run one at a time in the order given,
    each posting a SnapshotReady (and an EngineNote if it has something to say) to ``app``.
    ``start_run`` starts a second worker that trains at ``speed`` and stops at the next chunk
    boundary when paused (or by itself at its stop condition: run_loop.RunLimit). ``on_run``
    hears when a run starts or stops, on the app's thread.
    """

    def __init__(
        self, app: App[Any], session: Session | None, spec: str, on_run: RunChanged
    ) -> None:
        self.app = app
        self.session = session
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
        # without a session, the first command loads the scenario, after the first paint
        self._hold = session is None
        if session is None:
            self._commands.append(("load", spec))
            self._pending = 1

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
                note = self._load(str(arg))
            session = self.session
            if session is None:  # the first scenario failed to load: the app exits
                if note:
                    self.app.post_message(EngineNote(note))
                with self._lock:
                    self._pending -= 1
                continue
            with session.lock:
                if command not in ("show", "load"):
                    try:
                        note = session.do(command, arg)
                    except ValueError as exc:
                        note = str(exc)
                snap = session.snapshot()
            self.app.post_message(SnapshotReady(snap))
            if note:
                self.app.post_message(EngineNote(note))
            with self._lock:
                self._pending -= 1

    def _load(self, spec: str) -> str:
        """Open a scenario (in the worker); returns the error, or '' when loaded."""
        import_panels()
        from scenarios import ScenarioError

        from .session import Session

        try:
            self.session = Session.open(spec)
        except ScenarioError as exc:
            return str(exc)
        return ""

    @property
    def paced(self) -> bool:
        """Whether the panels are paced now: running, but not playing one unit at a time (then
        every panel shows every unit)."""
        return self.running and not self.speed.units

    def start_run(self, kind: str = "schedule", n: int = 0) -> None:
        """Run until paused or a stop condition (run_loop.make_limit's ``kind``: "schedule",
        "iterations" ``n``, "epoch")."""
        if self.running or self.session is None:
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
        session = self.session
        assert session is not None
        try:
            with session.lock:
                training = session.scenario.training
                st = session.stepper
                schedule = training.total_steps(st.steps_per_epoch)
                # no scenario key names a target accuracy yet; one named so is honoured
                target = getattr(training, "target_accuracy", None)
                limit = make_limit(st, schedule, kind, n, target)
            return run_loop(
                session,
                lambda: worker.is_cancelled,
                self._post_snapshot,
                speed=lambda: self.speed,
                limit=limit,
                final=lambda: not self.busy,  # a step key's own snapshot follows at once
            )
        finally:
            self.run_idle.set()

    def _post_snapshot(self, snap: Snapshot) -> None:
        self.app.post_message(SnapshotReady(snap))

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
