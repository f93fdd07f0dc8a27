"""The `S` screen: a sweep of the current scenario in a subprocess, its heatmap filling in."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, Static
from textual.worker import Worker

from scenarios.schema import ScenarioError

from ..cli.heatmap_text import batch_label
from ..sweep_grid import CellKey, band, cell_runs, cell_summary, grid
from ..sweep_plan import FIELDS, SweepPlan, defaults, parse
from ..sweep_runner import Ended, SweepProcess
from ..widgets.sweep_curves import SweepCurves
from ..widgets.sweep_heatmap import SweepHeatmap

if TYPE_CHECKING:
    from scenarios.schema import Scenario

# the run's settings the sweep varies: the rest of the scenario must match its file
AXES = frozenset(
    {
        "seed",
        "training.lr",
        "training.batch_size",
        "training.momentum",
        "training.l2",
        "training.steps",
        "training.epochs",
    }
)


@dataclass
class SweepRun(Message):
    """One finished run's JSON line (posted from the reader thread)."""

    record: dict[str, Any]
    process: SweepProcess  # a sweep replaced by a new one still posts: its lines are dropped


@dataclass
class SweepEnded(Message):
    """The subprocess ended (finished, failed or cancelled)."""

    ended: Ended
    process: SweepProcess


def load_saved(source: tuple[str, ...]) -> Scenario:
    """The scenario as the `sweep` subprocess loads it from ``source`` (sweep_plan.sweep_source)."""
    from ..cli.args import load_source

    if source[0] == "--data":
        return load_source(None, source[1], source[3])
    return load_source(source[0], None, None)


def open_changes(plan: SweepPlan, record: dict[str, Any], sgd: bool) -> dict[str, object]:
    """The dotted keys that make the scenario's run this sweep run (same seed: same initial
    weights and batch order, `train --seed` as the sweep promises)."""
    changes: dict[str, object] = {
        "seed": int(record["seed"]),
        "training.lr": float(record["lr"]),
        "training.batch_size": record["batch_size"],
        "training.l2": float(record["l2"]),
    }
    if sgd:
        changes["training.momentum"] = float(record["momentum"])
    if plan.steps is not None:
        changes["training.steps"] = plan.steps
    elif plan.epochs is not None:
        changes["training.epochs"] = plan.epochs
    return changes


class SweepScreen(Screen[None]):
    """Fields (enter runs), the heatmap (arrows; enter opens a cell as a run; p the next
    momentum x L2 slice), the cursor cell's curves; escape stops a sweep, then closes."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "stop / close"),
        Binding("r", "run", "run again", show=False),
        Binding("p", "slice", "next slice", show=False),
    ]

    def __init__(self, scenario: Scenario, n_train: int, live_config: dict[str, object]) -> None:
        super().__init__()
        self.scenario = scenario
        self.n_train = n_train
        self.live_config = live_config  # the focused run's resolved config (a difference note)
        self.fields = defaults(scenario, n_train)
        self.plan: SweepPlan | None = None
        self.base: Scenario | None = None  # what the subprocess loads: a cell opens from it
        self.records: list[dict[str, Any]] = []
        self.ended: Ended | None = None
        self.process: SweepProcess | None = None
        self.started = 0.0
        self.pair = 0
        self._reader: Worker[Ended] | None = None

    # ---- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(
            f"sweep {self.scenario.name}: lr x batch size x momentum x L2 x seeds, in a subprocess",
            id="sweep-title",
        )
        with Vertical(id="sweep-form"):
            for name, label, hint in FIELDS:
                with Horizontal(classes="sweep-row"):
                    yield Label(label, classes="sweep-label")
                    yield Input(self.fields[name], id=f"sweep-{name}", classes="sweep-input")
                    yield Static(hint, id=f"sweep-note-{name}", classes="sweep-note")
        yield Static("enter: run the sweep", id="sweep-progress")
        with Horizontal(id="sweep-body"):
            yield SweepHeatmap(id="sweep-heatmap")
            yield SweepCurves(id="sweep-curves")
        yield Static(
            "enter run · arrows cell · enter open as a run · p slice · tab fields · esc stop/close",
            id="sweep-keys",
        )

    def on_mount(self) -> None:
        self.query_one("#sweep-lr", Input).focus()
        self.set_interval(0.5, self._tick)
        changed = self._unsaved()
        if changed:
            self._progress(f"enter: run the sweep (on the file as saved: {changed})")

    def _unsaved(self) -> str:
        """What the focused run changed that the scenario's file lacks (the sweep loads the
        file), e.g. hidden sizes from the h form; '' when nothing."""
        from scenarios.overrides import label, resolved_config

        from ..sweep_plan import sweep_source

        src = sweep_source(self.scenario)
        if src is None:
            return ""
        try:
            saved = load_saved(src)
        except ScenarioError:
            return ""
        config = resolved_config(saved)
        keys = [k for k in config if k not in AXES and config[k] != self.live_config.get(k)]
        return ", ".join(label(k) for k in keys[:3]) + (" differ" if keys else "")

    # ---- running ---------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_run()

    def action_run(self) -> None:
        fields = {name: self.query_one(f"#sweep-{name}", Input).value for name, _, _ in FIELDS}
        plan, errors = parse(fields, self.scenario, self.n_train)
        for name, _, hint in FIELDS:
            note = self.query_one(f"#sweep-note-{name}", Static)
            note.update(errors.get(name, hint))
            note.set_class(name in errors, "-error")
        if plan is None:
            self._progress(f"{len(errors)} field{'s' if len(errors) > 1 else ''} to fix")
            return
        try:  # the scenario as the subprocess will load it: a cell opens from this one
            base = load_saved(plan.source)
        except ScenarioError as exc:
            self._progress(str(exc))
            return
        self._stop()
        self.plan, self.base = plan, base
        self.records, self.ended, self.pair = [], None, 0
        self.process = SweepProcess(plan.argv())
        self.started = time.monotonic()
        try:
            self.process.start()
        except OSError as exc:
            self._progress(f"cannot start the sweep: {exc}")
            return
        process = self.process

        def read() -> Ended:
            def post(r: dict[str, Any]) -> None:
                self.post_message(SweepRun(r, process))

            ended = process.read(post)
            self.post_message(SweepEnded(ended, process))
            return ended

        self._reader = self.run_worker(read, thread=True, group="sweep-reader")
        self._redraw()
        self.query_one(SweepHeatmap).focus()

    def on_sweep_run(self, message: SweepRun) -> None:
        if message.process is self.process:
            self.records.append(message.record)
            self._redraw()

    def on_sweep_ended(self, message: SweepEnded) -> None:
        if message.process is self.process:
            self.ended = message.ended
            self._redraw()

    def _tick(self) -> None:
        if self.process is not None and self.ended is None:
            self._progress(self._progress_text())

    def _stop(self) -> None:
        """Stop a running sweep from a thread: a stop may wait for the workers to exit."""
        process = self.process
        if process is not None and process.running:
            self.run_worker(process.stop, thread=True, group="sweep-stop")

    def action_close(self) -> None:
        if self.process is not None and self.process.running and self.ended is None:
            self._stop()  # the first escape stops the sweep, the second closes
            self._progress("stopping the sweep...")
            return
        self.dismiss(None)

    def on_unmount(self) -> None:
        if self.process is not None:
            self.process.stop()

    def action_slice(self) -> None:
        if self.plan is not None and len(self.plan.pairs) > 1:
            self.pair = (self.pair + 1) % len(self.plan.pairs)
            self._redraw()

    # ---- drawing ---------------------------------------------------------------------------
    def _progress(self, text: str) -> None:
        self.query_one("#sweep-progress", Static).update(text)

    def _progress_text(self) -> str:
        plan = self.plan
        if plan is None:
            return ""
        done = len(self.records)
        slice_ = ""
        if len(plan.pairs) > 1:
            m, l2 = plan.pairs[self.pair]
            slice_ = f" · slice momentum {m:g} L2 {l2:g} ({self.pair + 1}/{len(plan.pairs)}, p)"
        e = self.ended
        if e is None:
            secs = time.monotonic() - self.started
            return f"running: {done}/{plan.n_runs} runs · {secs:.0f} s{slice_}"
        if e.cancelled:
            return f"stopped: {done}/{plan.n_runs} runs finished{slice_}"
        if e.returncode != 0:
            return f"failed (exit {e.returncode}): {e.error}"
        g = self._grid()
        best = ""
        if g is not None and g.best is not None:
            c = g.cells[g.best]
            best = f"; best lr {g.best[0]:g} batch {batch_label(g.best[1])}: loss {c.mean:.3g}"
        return f"done: {done} runs{best}{slice_}"

    def _grid(self) -> Any:
        plan = self.plan
        if plan is None:
            return None
        m, l2 = plan.pairs[self.pair]
        return grid(self.records, plan.lrs, plan.batches, m, l2)

    def _redraw(self) -> None:
        g = self._grid()
        if g is None:
            return
        heat = self.query_one(SweepHeatmap)
        heat.show(g)
        self._progress(self._progress_text())
        self._show_cell(heat.cursor)

    def _show_cell(self, key: CellKey | None) -> None:
        plan = self.plan
        if plan is None or key is None:
            return
        m, l2 = plan.pairs[self.pair]
        runs = cell_runs(self.records, key, m, l2)
        title = f"lr {key[0]:g} batch {batch_label(key[1])}"
        if runs:
            title += f": {len(runs)}/{len(plan.seeds)} seeds"
        self.query_one(SweepCurves).show(band(runs), title, cell_summary(runs))

    def on_sweep_heatmap_cursor_moved(self, message: SweepHeatmap.CursorMoved) -> None:
        self._show_cell(message.key)

    def on_sweep_heatmap_open_cell(self, message: SweepHeatmap.OpenCell) -> None:
        """The cell's first seed as a new run of the comparison, replaying the sweep's run."""
        plan, base = self.plan, self.base
        if plan is None or base is None:
            return
        m, l2 = plan.pairs[self.pair]
        runs = cell_runs(self.records, message.key, m, l2)
        if not runs:
            self._progress("this cell has no finished run yet")
            return
        from scenarios.overrides import with_changes

        record = runs[0]
        try:
            scenario = with_changes(
                base, open_changes(plan, record, base.training.optimizer == "sgd")
            )
        except ScenarioError as exc:
            self._progress(str(exc))
            return
        app = self.app
        engine = app.engine  # type: ignore[attr-defined]
        engine.pause()
        engine.put("add", scenario)
        loss = record["train_loss"]
        note = (
            f"sweep cell opened: lr {record['lr']:g}, batch {batch_label(record['batch_size'])},"
            f" seed {record['seed']}; g {record['steps']} replays the sweep's run"
            + ("" if loss is None else f" (train loss {loss:.4g})")
        )

        def show() -> None:
            app.main.status.note = note  # type: ignore[attr-defined]

        def say() -> None:
            # the add command's own note is posted before the engine stops being busy: the
            # call_later message queues behind it, so this note replaces it and not the reverse
            if not engine.busy:
                timer.stop()
                app.call_later(show)

        timer = app.set_interval(0.05, say)
        self.dismiss(None)
