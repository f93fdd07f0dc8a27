"""The Textual app: the main screen shows engine snapshots; keys step, run and tune training."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.worker import Worker

from scenarios.defaults import DEFAULT_SCENARIO  # numpy-free

from .blas import limit_blas_threads
from .engine_queue import EngineQueue
from .keys import KEYS, key_label
from .ladders import speed_faster, speed_slower
from .messages import EngineNote, SnapshotReady
from .pacing import Pacing
from .probe_settings import PROBES
from .screens.help import HelpScreen
from .screens.lr_input import LrInput
from .screens.main import PANEL_IDS, MainScreen
from .screens.run_for import RunFor, RunForInput

if TYPE_CHECKING:  # numpy, plotext and the scenarios load in a worker after the first paint
    from engine.snapshot import Snapshot
    from scenarios.lessons import Lesson

    from .comparison import Comparison
    from .session import Session

HERE = Path(__file__).parent


def intro_note(session: Session) -> str:
    """What the status line says when a scenario opens: what to watch for in it."""
    look_for = session.scenario.look_for.strip()
    if look_for:
        return f"look for: {look_for}"
    return "space: one iteration  n: one unit  r: run  ?: every key"


class BackpropApp(App[int]):
    """Owns the engine queue (all engine calls run in its thread workers) and the main screen."""

    TITLE = "backprop-tui"
    CSS_PATH: ClassVar = [
        p for p in (HERE / "widgets/panels.tcss", HERE / "app.tcss") if p.exists()
    ]
    main: MainScreen

    def __init__(
        self,
        session: Session | None = None,
        spec: str | None = None,
        *,
        pace_panels: bool = True,
        fps: float | None = None,
        record: bool = True,
    ) -> None:
        """Show ``session``, or load scenario ``spec`` after the first paint (start-up time).

        ``pace_panels=False`` shows every snapshot in every panel even while running (tests:
        what they see does not depend on time); by default a run paces the panels (Pacing),
        ``fps`` (--fps) caps their frames a second while running. ``record``: every run goes
        to the run ledger (LedgerRecorder), from its start to its end.
        """
        super().__init__()
        limit_blas_threads()  # the UI thread keeps a core: BLAS threads fought it on 2 cores
        from .cli.args import recording  # numpy-free

        recorder = None
        if record and recording(False):  # the app's --no-record says no through the environment
            from .ledger_recorder import LedgerRecorder

            recorder = LedgerRecorder()
        self.engine = EngineQueue(
            self, session, spec or DEFAULT_SCENARIO, self._run_changed, recorder
        )
        self.pacing = Pacing(PANEL_IDS, enabled=pace_panels, fps=fps)
        PROBES.reset()  # one process may run several apps (tests): none inherits diagnostics
        self._greeted: Comparison | None = None  # the scenario whose intro_note was shown

    def get_default_screen(self) -> Screen[None]:
        self.main = MainScreen(self.engine, self.pacing)
        return self.main

    @property
    def session(self) -> Session | None:
        return self.engine.session

    @property
    def snapshot(self) -> Snapshot | None:
        return self.main.snapshot

    @property
    def run_idle(self) -> threading.Event:
        return self.engine.run_idle

    # ---- messages --------------------------------------------------------------------------
    async def on_snapshot_ready(self, message: SnapshotReady) -> None:
        session = self.session
        comparison = self.engine.comparison
        if session is not None and comparison is not self._greeted:  # a scenario opened
            self._greeted = comparison
            status = self.main.status
            status.note = intro_note(session)  # shown with its first snapshot
            # the first snapshot can come before the screen's first layout, which then misses
            # the note's extra rows: lay the status line out again after that refresh
            self.call_after_refresh(status.refresh, layout=True)
        await self.main.show(message.snapshot, message.overlay)

    def on_engine_note(self, message: EngineNote) -> None:
        if self.session is None:  # nothing to show: say why on the way out
            self.exit(None, 2, f"backprop-tui: {message.text}")
            return
        self.main.status.note = message.text

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.engine.worker_changed(event.worker, event.state)

    def _run_changed(self, running: bool, note: str) -> None:
        self.main.status.running = running
        if not running and not self.engine.busy:  # else the command's snapshot shows them all
            self.main.show_all()  # e.g. the diverged snapshot a paced panel may have missed
        if note:
            self.main.status.note = note

    # ---- actions (keys.py binds them as app.<action>) --------------------------------------
    def action_engine(self, command: str, arg: object = None) -> None:
        """A Session command (iteration, unit, lr_up, undo, ...), queued for the engine."""
        self.main.status.note = ""  # a user's command replaces the last note
        self.engine.put(command, arg)

    def action_toggle_run(self) -> None:
        """Pause, or run to the schedule's end (past it: one more schedule length)."""
        if self.engine.running:
            self.engine.pause()
        else:
            self.main.status.note = ""
            self.engine.start_run("schedule")

    def action_run_for(self) -> None:
        snap = self.snapshot
        step, epoch = (snap.progress.step, snap.progress.epoch) if snap else (0, 0)
        self.push_screen(RunForInput(step, epoch), self._run_for)

    def _run_for(self, value: RunFor | None) -> None:
        if value is not None:
            self._run_until(*value)

    def action_run_epoch(self) -> None:
        self._run_until("epoch", 0)

    def _run_until(self, kind: str, n: int) -> None:
        """A run with a typed stop condition; one in progress stops first."""
        self.engine.pause()
        self.main.status.note = ""
        self.engine.start_run(kind, n)

    def action_speed(self, direction: int) -> None:
        """One rung up (faster) or down the speed ladder; a run in progress follows at once."""
        ladder = speed_faster if direction > 0 else speed_slower
        self.engine.speed = ladder(self.engine.speed)
        self.main.status.speed = self.engine.speed.label

    def action_hyper_form(self) -> None:
        """`h`: the focused run's hyperparameters in a form; what it returns is queued."""
        from .screens.hyper_form import form_for

        if self.engine.comparison is not None:
            self.push_screen(form_for(self.engine.comparison), self._hyper_applied)

    def _hyper_applied(self, plan: tuple[str, object] | None) -> None:
        if plan is not None:
            self.action_engine(*plan)

    def action_lr_input(self) -> None:
        settings = self.snapshot.settings if self.snapshot else None
        # the base lr (what this sets); with a schedule the lr in force is base x schedule
        current = 0.1 if settings is None else settings.base_lr or settings.lr
        self.push_screen(LrInput(current), self._typed_lr)

    def _typed_lr(self, value: float | None) -> None:
        if value is not None:
            self.action_engine("lr", value)

    def action_pick_scenario(self) -> None:
        from .screens.scenario_picker import ScenarioPicker  # imports the scenarios package

        name = self.session.name if self.session is not None else self.engine.spec
        self.push_screen(ScenarioPicker(name), self._picked)

    def _picked(self, spec: str | None) -> None:
        if spec:
            self.engine.pause()
            self.action_engine("load", spec)

    def action_lessons(self) -> None:
        """`t`: the lessons; the one chosen opens with its preset runs."""
        from .screens.lessons import LessonsScreen

        self.push_screen(LessonsScreen(), self._lesson_picked)

    def _lesson_picked(self, lesson: Lesson | None) -> None:
        if lesson is None:
            return
        from scenarios import ScenarioError, load_scenario

        from .probe_settings import PROBES
        from .screens.lessons import flag_changes, lesson_plan

        try:
            plan = lesson_plan(lesson, load_scenario(lesson.scenario))
        except ScenarioError as exc:
            self.main.status.note = str(exc)
            return
        self.engine.pause()
        PROBES.sharpness_every = flag_changes(lesson.train_args)[1] or PROBES.sharpness_every
        for command, arg in plan:
            self.engine.put(command, arg)
        note = f"lesson {lesson.number}: look for {lesson.look_for}"

        def say() -> None:  # once every command's own note is out, the lesson's replaces them
            if not self.engine.busy:
                timer.stop()
                self.main.status.note = note

        timer = self.set_interval(0.05, say)

    def action_gradcheck(self) -> None:
        """`C`: backprop against finite differences on a copy of the focused run."""
        from .screens.gradcheck import GradCheckScreen

        if self.engine.comparison is not None:
            self.engine.pause()  # the check copies the batch in force: it stays on screen
            self.push_screen(GradCheckScreen(self.engine))

    def action_sharpness(self) -> None:
        """`E`: measure the sharpness every SHARPNESS_EVERY steps (or stop); the loss plot draws
        it against 2/lr."""
        from .probe_settings import PROBES, SHARPNESS_EVERY, SHARPNESS_MAX_PARAMS

        session = self.session
        n = 0 if session is None else session.stepper.net.n_params
        if PROBES.sharpness_every is None and n > SHARPNESS_MAX_PARAMS:
            self.main.status.note = (
                f"sharpness: too costly here for {n:,} parameters (seconds a measurement);"
                " backprop-tui train --sharpness-every N measures it"
            )
            return
        PROBES.sharpness_every = None if PROBES.sharpness_every else SHARPNESS_EVERY
        on = PROBES.sharpness_every is not None
        self.main.status.note = (
            f"sharpness every {SHARPNESS_EVERY} steps, on the loss plot" if on else "sharpness off"
        )
        self.engine.put("show")

    def action_sweep(self) -> None:
        """`S`: the sweep screen for the focused run's scenario (runs in a subprocess)."""
        from scenarios.overrides import resolved_config

        from .screens.sweep import SweepScreen

        session = self.session
        if session is not None:
            config = resolved_config(session.scenario)
            self.push_screen(SweepScreen(session.scenario, session.n_train, config))

    def action_lr_find(self) -> None:
        """`F`: the learning-rate range test from the focused run's weights, on a copy."""
        from .screens.lr_find import LrFindScreen

        if self.engine.comparison is not None:
            self.push_screen(LrFindScreen(self.engine))

    def action_runs_screen(self) -> None:
        """`v`: the ledger's runs (sort, overlay, open, delete); one screen for the app's life,
        so a live run overlaid goes on growing on the loss plot after it closes."""
        from .screens.runs import RunsScreen

        if not self.is_screen_installed("runs"):
            self.install_screen(RunsScreen(), "runs")
        self.push_screen("runs")

    def action_help(self) -> None:
        session = self.session
        if session is None:
            self.push_screen(HelpScreen())
        else:
            self.push_screen(HelpScreen(session.name, session.scenario.look_for.strip()))

    async def action_quit(self) -> None:
        self.engine.pause()
        self.engine.close()  # every run to the ledger; waits for the run loop's last chunk
        self.exit(0)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for k in KEYS:
            if k.action and k.action != "app.quit":
                keys = key_label(k.keys)
                run = partial(self.run_action, k.action, self.main)  # bare names: the screen's
                yield SystemCommand(f"{k.title} ({keys})", k.help, run)


def run_app(scenario_spec: str | None = None, fps: float | None = None) -> int:
    """Open the app on a scenario name or path; returns the process exit code (q: 0).

    A scenario that fails to load ends the app with code 2 and the one-line error; SIGTERM
    ends it with 143, the terminal restored.
    """
    from .terminal import run_in_terminal

    app = BackpropApp(spec=scenario_spec, fps=fps)
    return run_in_terminal(app, app.engine.pause)


if __name__ == "__main__":
    sys.exit(run_app(sys.argv[1] if len(sys.argv) > 1 else None))
