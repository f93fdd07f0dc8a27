"""A comparison: the ordered runs of the app, the focused one, fork and drop, lockstep training."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

from .fair_lock import FairLock
from .ladders import format_batch, format_lr
from .overlay import RUN_COLOURS, Overlay, OverlayCurve, pinned_slots
from .probe_settings import PROBES
from .session import Session

if TYPE_CHECKING:  # numpy loads after the first paint, not at import
    import numpy as np

    from engine import Optimizer, Stepper
    from engine.snapshot import Snapshot
    from engine.units import RunResult, Unit
    from scenarios import Scenario

    from .overlay import PinnedCurve
    from .run_files import Opened

MAX_RUNS = len(RUN_COLOURS)  # 8: one colour and glyph each
# Commands every run of the comparison does (the lockstep); the others go to the focused run.
LOCKSTEP = frozenset({"iteration", "unit", "forward", "backward", "update", "undo", "reset"})
PLOT_POINTS = 200  # points per overlaid curve, as many as a single run's snapshot curve


class CompareError(ValueError):
    """A comparison command that cannot be done (a 9th run, dropping the last one)."""


class Recorder(Protocol):
    """Where runs are kept when they leave the screen (the ledger); the default keeps nothing.

    ``started`` when a run starts (a new run, a fork, a reset's fresh start), ``progress`` after
    training moved (paced by the recorder unless ``force``: a run stopped), ``finished`` when a
    run ends (reset, scenario switch, quit, dropped from the comparison) with its status
    ("paused", "diverged", "finished").
    """

    def started(self, run: Run) -> None: ...

    def progress(self, run: Run, force: bool = False) -> None: ...

    def finished(self, run: Run, status: str) -> None: ...


class NoRecorder:
    """Keeps nothing: the app without a ledger."""

    def started(self, run: Run) -> None:
        pass

    def progress(self, run: Run, force: bool = False) -> None:
        pass

    def finished(self, run: Run, status: str) -> None:
        pass


@dataclass(eq=False)
class Run:
    """One run of a comparison: its session (stepper), number, look, and where it came from."""

    id: int  # 1, 2, ... in creation order: "run 2"
    slot: int  # colour and glyph (overlay.RUN_COLOURS / RUN_GLYPHS), kept while in the comparison
    session: Session
    forked_from: int | None = None  # the id of the run it was forked from
    record: object = None  # the recorder's handle (e.g. the ledger's run id)
    parent: Run | None = None  # the run it was forked from (for the recorder)

    @property
    def stepper(self) -> Stepper:
        return self.session.stepper


def settings_of(st: Stepper) -> dict[str, object]:
    """The hyperparameters a fork copies and a label compares, held changes included."""
    pending = st.pending
    out: dict[str, object] = {
        "optimizer": st.opt.name,
        "lr": pending.get("lr", st.lr),
        "batch": pending.get("batch_size", st.batch_size),
    }
    for name in ("momentum", "l1", "l2"):
        if hasattr(st.opt, name):
            out[name] = pending.get(name, getattr(st.opt, name))
    schedule = pending.get("schedule", getattr(st, "schedule", None))
    if schedule is not None:
        out["schedule"] = schedule
    return out


def _format(key: str, value: object, n_train: int) -> str:
    if key == "lr":
        return f"lr {format_lr(float(value))}"  # type: ignore[arg-type]
    if key == "batch":
        return format_batch(value, n_train)  # type: ignore[arg-type]
    if key == "schedule":
        describe = getattr(value, "describe", None)
        return f"schedule {describe() if callable(describe) else value}"
    if isinstance(value, float):
        return f"{key} {value:g}"
    return f"{key} {value}"


def labels(configs: list[dict[str, object]], n_train: int) -> list[str]:
    """Each config named by the keys whose values differ between the configs ('lr 0.2')."""
    keys = [k for k in configs[0] if any(c.get(k) != configs[0][k] for c in configs[1:])]
    keys += [k for c in configs[1:] for k in c if k not in configs[0] and k not in keys]
    return [", ".join(_format(k, c[k], n_train) for k in keys if k in c) for c in configs]


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

    def _sharpness(self, run: Run, focused: bool) -> tuple[np.ndarray, np.ndarray, float] | None:
        """The run's sharpness curve while it is measured (the focused run's snapshot measured
        it already; the others are measured here, each on its own warm-started meter)."""
        every = PROBES.sharpness_every
        if every is None:
            return None
        import numpy as np

        st = run.stepper
        if not focused:
            run.session.prober.observe(st, every)
        meter = run.session.prober.meter
        momentum = 0.0 if st.opt.name == "adam" else float(getattr(st.opt, "momentum", 0.0) or 0.0)
        lr = st.lr_in_force
        limit = 2.0 * (1.0 + momentum) / lr if lr > 0 else float("inf")  # see sharpness.py
        steps = np.asarray(meter.steps, dtype=np.int64)
        return steps, np.asarray(meter.values, dtype=np.float64), limit

    def overlay(self) -> Overlay | None:
        """Every run's loss curve for the loss panel, or None for a single run (drawn as
        before). Built under the lock, so all curves are of one moment."""
        pinned = self.pinned
        if len(self.runs) + len(pinned) < 2:
            return None
        import numpy as np

        from engine.history import downsample

        n_train = self.session.n_train
        names = labels([settings_of(r.stepper) for r in self.runs], n_train)
        raw = []
        for run in self.runs:
            x, y = run.stepper.history.loss_curve()
            raw.append((x.astype(np.float64) + 1, y))
        bx, by = raw[0]
        curves = []
        for k, (run, (x, y), name) in enumerate(zip(self.runs, raw, names, strict=True)):
            # the first run's loss at the same steps: exact while both keep every step (the
            # same batches: the difference is the hyperparameters' alone), interpolated in the
            # bucketed past of a long run
            if len(bx):
                base = np.interp(x, bx, by, left=np.nan, right=np.nan)
            else:
                base = np.full(len(x), np.nan)
            dx, dy = downsample(y, PLOT_POINTS, x)
            _, dd = downsample(y - base, PLOT_POINTS, x)
            st = run.stepper
            curves.append(
                OverlayCurve(
                    run_id=run.id,
                    slot=run.slot,
                    label=name or f"run {run.id}",
                    x=dx,
                    y=dy,
                    diff=dd,
                    step=st.step,
                    diverged=st.diverged is not None,
                    focused=k == self.focus,
                    sharpness=self._sharpness(run, k == self.focus),
                )
            )
        free = pinned_slots([r.slot for r in self.runs], len(pinned))
        for k, (p, slot) in enumerate(zip(pinned, free, strict=False)):
            x = p.x.astype(np.float64)
            base = np.interp(x, bx, by, left=np.nan, right=np.nan) if len(bx) else x * np.nan
            dx, dy = downsample(p.y, PLOT_POINTS, x)
            _, dd = downsample(p.y - base, PLOT_POINTS, x)
            curves.append(
                OverlayCurve(
                    run_id=MAX_RUNS + 1 + k,  # after the runs in the legend
                    slot=slot,
                    label=p.label,
                    x=dx,
                    y=dy,
                    diff=dd,
                    step=p.step,
                    diverged=p.diverged,
                    focused=False,
                    ledger_id=p.ledger_id,
                )
            )
        focused = curves.pop(self.focus)
        curves.append(focused)  # drawn last: on top
        key = (
            tuple((r.id, r.stepper.version) for r in self.runs),
            tuple(names),
            self.focused.id,
            tuple((p.ledger_id, p.step, len(p.x)) for p in pinned),
        )
        return Overlay(tuple(curves), self.runs[0].id, key)


def status_of(run: Run) -> str:
    return "diverged" if run.stepper.diverged is not None else "paused"


def copy_settings(src: Stepper, dst: Stepper) -> None:
    """Give ``dst`` (a run at step 0) the hyperparameters ``src`` has now (held ones too)."""
    s = settings_of(src)
    # the optimiser first (the h form may have switched it): its kind and settings, zero state
    opt = cast("Optimizer", src.pending.get("optimizer", src.opt))
    dst.set_optimizer(type(opt)(**opt.hyper()))
    dst.set_lr(float(s["lr"]))  # type: ignore[arg-type]
    dst.set_batch_size(s["batch"])  # type: ignore[arg-type]
    if "momentum" in s and hasattr(dst.opt, "momentum"):
        dst.set_momentum(float(s["momentum"]))  # type: ignore[arg-type]
    dst.set_regularization(float(s.get("l1", 0.0)), float(s.get("l2", 0.0)))  # type: ignore[arg-type]
    set_schedule: Callable[[object], bool] | None = getattr(dst, "set_schedule", None)
    if "schedule" in s and set_schedule is not None:
        set_schedule(s["schedule"])


class Lockstep:
    """The comparison as run_loop's stepper: every live run does the same iterations in turn.

    ``run(n)`` runs the focused run's chunk first (it polls ``should_stop``), then as many
    iterations on every other run that has not diverged, one run after the other, so between
    chunks, where snapshots are taken and keys answer, every run has trained as many
    iterations since the start as the others. At paced speeds a chunk is one iteration: one
    iteration each, in turn. What run_loop reads (step, position, divergence, accuracy) is the
    focused run's; a run that diverges stops where it is and the others go on (a note says
    so), while the focused run's divergence stops the run as it does alone.
    """

    def __init__(self, comparison: Comparison) -> None:
        self.c = comparison

    @property
    def lead(self) -> Stepper:
        return self.c.focused.stepper

    def _others(self) -> list[Run]:
        lead = self.c.focused
        return [r for r in self.c.runs if r is not lead and r.stepper.diverged is None]

    def run(self, n: int, should_stop: Callable[[], bool] | None = None) -> RunResult:
        res = self.lead.run(n, should_stop=should_stop)
        if res.steps:
            for run in self._others():
                other = run.stepper.run(res.steps)
                if other.diverged is not None:
                    self.c._notes.append(f"run {run.id} diverged at step {run.stepper.step}")
        return res

    def step_unit(self) -> Unit | None:
        unit = self.lead.step_unit()
        for run in self._others():
            if run.stepper.step_unit() is None and run.stepper.diverged is not None:
                self.c._notes.append(f"run {run.id} diverged at step {run.stepper.step}")
        return unit

    def __getattr__(self, name: str) -> object:
        # everything else run_loop reads (step, position, units, at_boundary, epoch, task,
        # X_test, last_eval, diverged, steps_per_epoch) is the focused run's
        return getattr(self.lead, name)
