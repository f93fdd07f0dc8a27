"""The engine side of the app: one queue of commands drained by a worker, and the run loop."""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.worker import Worker, WorkerState, get_current_worker

from .engine_worker import RunStats, run_loop
from .messages import EngineNote, SnapshotReady
from .panels import import_panels
from .widgets.status_line import StatusLine

if TYPE_CHECKING:
    from .session import Session

# steps and undo/reset pause a run first; lr and batch changes apply live between run chunks
PAUSING = frozenset({"iteration", "unit", "forward", "backward", "update", "undo", "reset"})


class EngineController(App[int]):
    """Only these workers touch the Stepper, each call under ``session.lock``.

    Commands run one at a time in the order given; ``r`` runs a second worker that trains in
    chunks and stops at the next chunk boundary when cancelled.
    """

    session: Session | None
    running: bool

    def _init_engine(self, session: Session | None, spec: str) -> None:
        self.session = session
        self.running = False
        self._run_worker: Worker[RunStats] | None = None
        self.run_idle = threading.Event()  # set while no run-loop thread is inside the engine
        self.run_idle.set()
        self._commands: deque[tuple[str, object]] = deque()
        self._queue_lock = threading.Lock()
        self._draining = False
        # without a session, the first command loads the scenario, after the first paint
        self._hold = session is None
        if session is None:
            self._commands.append(("load", spec))

    @property
    def _status(self) -> StatusLine:
        return self.screen_stack[0].query_one("#status", StatusLine)

    def _enqueue(self, command: str, arg: object = None) -> None:
        """Queue a command for the engine worker; commands run one at a time, in order."""
        if command in PAUSING:
            self.pause()
        if command != "show":  # a user's command replaces the last note
            self._status.note = ""
        with self._queue_lock:
            self._commands.append((command, arg))
        self._kick()

    def _kick(self) -> None:
        """Start the engine worker unless it is running (or held until the first paint)."""
        with self._queue_lock:
            if self._draining or self._hold or not self._commands:
                return
            self._draining = True
        self._drain()

    def _release(self) -> None:
        self._hold = False
        self._kick()

    @work(thread=True, group="engine", exit_on_error=True)
    def _drain(self) -> None:
        """Run queued commands under the session lock, posting a snapshot after each."""
        while True:
            with self._queue_lock:
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
                    self.post_message(EngineNote(note))
                continue
            with session.lock:
                if command not in ("show", "load"):
                    try:
                        note = session.do(command, arg)
                    except ValueError as exc:
                        note = str(exc)
                snap = session.snapshot()
            self.post_message(SnapshotReady(snap))
            if note:
                self.post_message(EngineNote(note))

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

    def start_run(self) -> None:
        if self.running or self.session is None:
            return
        self.running = True
        self._status.running = True
        self._run_worker = self._run()

    def pause(self) -> None:
        """Stop the run loop; it finishes its current chunk (<= ~30 ms) under the lock."""
        if self._run_worker is not None:
            self._run_worker.cancel()
            self._run_worker = None
        was_running, self.running = self.running, False
        self._status.running = False
        if was_running:
            self._show_all()

    def _show_all(self) -> None:
        """Show the newest snapshot in every panel (the app throttles them while running)."""

    @work(thread=True, exclusive=True, group="run", exit_on_error=True)
    def _run(self) -> RunStats:
        worker = get_current_worker()
        self.run_idle.clear()
        assert self.session is not None
        try:
            return run_loop(
                self.session,
                lambda: worker.is_cancelled,
                lambda snap: self.post_message(SnapshotReady(snap)),
            )
        finally:
            self.run_idle.set()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker is not self._run_worker or event.state != WorkerState.SUCCESS:
            return
        # the loop ended by itself: the run diverged
        self._run_worker = None
        self.running = False
        self._status.running = False
        self._show_all()  # e.g. the diverged snapshot, which a throttled panel may have missed
        stats = worker.result
        if stats is not None and stats.diverged:
            self._status.note = "run stopped"
