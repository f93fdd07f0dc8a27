"""The phase stepper: one training iteration split into units (sample, forward per layer, loss,
backward per layer, update) that can be advanced one at a time, by phase, by iteration or fast."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from .data import Batcher, BatcherState
from .fastpath import run_fast
from .history import History
from .network import Network
from .optimizers import Optimizer
from .schedules import CONSTANT, CONSTANT_BATCH, BatchSchedule, Schedule
from .stepper_iteration import StepperIterations
from .undo import Saved, UndoRing
from .unitpath import UNIT_FUNCTIONS
from .units import EXPLODE_FACTOR, EXPLODE_STEPS, Divergence, Phase, RunResult, Unit

Array = np.ndarray

# The initial loss (the explosion rule's yardstick) is measured on at most about this many
# training rows, evenly strided: one cheap forward pass at construction even for a big set.
REFERENCE_ROWS = 1024


class Stepper(StepperIterations):
    """Drives training of ``net`` with ``optimizer`` over (X, y), one unit or many iterations.

    Hyperparameters set mid-iteration are held in ``pending`` and applied as soon as that
    iteration ends, so an iteration always runs with one learning rate and one batch size.

    The learning rate in force (``lr_in_force``, the optimiser's ``lr`` while an iteration runs,
    and each history row's lr) is the base ``lr`` (what ``set_lr`` sets) x ``schedule.lr_at(step)``
    at the start of each iteration, on the unit and the fast path alike. Likewise the batch size
    in force (``batch_in_force``) is ``batch_schedule.batch_at`` of the base ``batch_size`` (what
    ``set_batch_size`` sets) at the step and epoch each iteration starts from.

    Divergence (``diverged``, a Divergence saying which rule) is either a non-finite loss,
    gradient or weight (the iteration is rejected), or the explosion rule: the batch loss per
    sample above EXPLODE_FACTOR (10) x ``initial_loss`` for EXPLODE_STEPS (20) committed
    iterations in a row, counted afresh after a hyperparameter change or an undo. ``run`` stops
    on either. After a divergence one ``undo`` goes back to the last state before the loss left
    the rule whose whole-set loss is finite and within it (see ``undo``).

    Its parts, one concept per module: stepper_base (the state, the units and the position in
    them, the lr and batch size in force), stepper_settings (the setters), stepper_undo (undo,
    reset, checkpoint counters), stepper_eval (evaluations), stepper_iteration (the stepping
    paths' API); this module builds it and steps it unit by unit or fast.
    """

    def __init__(
        self,
        net: Network,
        optimizer: Optimizer,
        X: Array,
        y: Array,
        batch_size: int | None = None,
        seed: int | np.random.Generator = 0,
        X_test: Array | None = None,
        y_test: Array | None = None,
        eval_every: int = 100,
        undo_depth: int = 100,
        task: str = "classification",
        schedule: Schedule = CONSTANT,
        batch_schedule: BatchSchedule = CONSTANT_BATCH,
    ) -> None:
        if task not in ("classification", "regression"):
            raise ValueError(f"unknown task {task!r}; valid: classification, regression")
        self.net = net
        self.opt = optimizer
        optimizer.bind(net)
        # the optimiser's lr is the one in force; the base lr and the schedule live here
        self._base_lr = optimizer.lr
        self._schedule = schedule
        self._scheduled = not schedule.is_constant  # tested per iteration on the fast path
        self.X = net.as_inputs(X)
        self.y = net.as_targets(y)
        if self.X.shape[0] != self.y.shape[0]:
            raise ValueError(f"X has {self.X.shape[0]} rows but y has {self.y.shape[0]}")
        if self.X.ndim != 2 or self.X.shape[1] != net.sizes[0]:
            raise ValueError(f"X must have shape (n, {net.sizes[0]}), got {self.X.shape}")
        if (X_test is None) != (y_test is None):
            raise ValueError("X_test and y_test come together: give both or neither")
        self.X_test = None if X_test is None else net.as_inputs(X_test)
        self.y_test = None if y_test is None else net.as_targets(y_test)
        self.task = task
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.batcher = Batcher(self.X.shape[0], batch_size, rng)
        # the batcher's size is the one in force; the base and the batch schedule live here
        self._base_batch = self.batcher.batch_size
        self._batch_schedule = batch_schedule
        self._batch_scheduled = not batch_schedule.is_constant
        if eval_every < 1:
            raise ValueError(f"eval_every must be >= 1, got {eval_every}")
        self.eval_every = int(eval_every)
        self.undo_depth = int(undo_depth)
        self.step = 0
        self._sync_lr()
        self._sync_batch()
        # version: changes whenever anything a snapshot shows changes, the one cache key for the UI
        self.touch()
        self.pending: dict[str, object] = {}
        self.diverged: Divergence | None = None
        state_bytes = net.params.nbytes * (1 + len(optimizer.state()))
        self._undo = UndoRing(self.undo_depth, state_bytes)
        self.undo_depth = self._undo.depth
        # sized by the undo depth: an undo must only cut the rows the history keeps in full
        self.history = History(net.n_layers, undo_depth=self.undo_depth)
        self._eval_due = self.eval_every
        self._units = self._make_units(net.n_layers)
        self._units_done = 0  # of the current iteration; len(units) means complete
        self._epoch_before = 0
        self.it = self._fresh_state()
        # the start state of the iteration in progress: a copy on the unit path; on the fast path
        # the undo ring holds it and only the batch position is kept here
        self._start_state: Saved | None = None
        self._fast_mark: BatcherState | None = None
        self.initial_params = net.params.copy()
        self.initial_opt_state = optimizer.state()
        self.initial_batcher = self.batcher.state()
        self.last_eval: dict[str, float | None] = {}
        self.last_eval_step: int | None = None  # the step last_eval was computed at
        # per layer, the share of ReLU neurons never active on the training set at last_eval_step
        # (None for other layers); empty before the first evaluation
        self.dead_fraction: list[float | None] = []
        # the explosion rule: per-sample data loss at the initial weights, and its limit
        self._sum_loss = net.reduction == "sum"
        stride = -(-self.X.shape[0] // REFERENCE_ROWS)  # ceil: at most REFERENCE_ROWS rows
        # the data loss per sample at the initial weights (on evenly strided training rows)
        self.initial_loss = self._per_sample_loss(self.X[::stride], self.y[::stride])
        ok = math.isfinite(self.initial_loss) and self.initial_loss > 0
        self.explode_limit = EXPLODE_FACTOR * self.initial_loss if ok else math.inf
        self._above = 0  # committed iterations in a row above the limit, ending at this state
        self._streak = 0  # the same, counted since the last hyperparameter change
        self._rewind = False  # a divergence happened: the next undo goes back to a good state

    # ---- unit by unit ---------------------------------------------------------------------
    def step_unit(self) -> Unit | None:
        """Compute the next unit; returns it, or None if the iteration was rejected as divergent."""
        self.touch()
        # overflow is expected on the way to divergence and reported as a Divergence, not a warning
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._step_unit()

    def _step_unit(self) -> Unit | None:
        if self._units_done == len(self._units):
            self._units_done = 0
        unit = self._units[self._units_done]
        ok = UNIT_FUNCTIONS[unit.phase](self, unit.layer)
        if not ok:
            return None
        self._units_done += 1
        return unit

    def finish_phase(self) -> list[Unit]:
        """Run units until the current phase ends (e.g. the rest of the forward pass)."""
        done: list[Unit] = []
        phase = self.next_unit.phase
        while True:
            u = self.step_unit()
            if u is None:
                break
            done.append(u)
            if self.at_boundary or self.next_unit.phase != phase:
                break
        return done

    def run_until(self, phase: Phase) -> list[Unit]:
        """Run units until the last unit of ``phase`` is done (e.g. 'f' = forward through loss)."""
        done: list[Unit] = []
        while True:
            u = self.step_unit()
            if u is None:
                break
            done.append(u)
            if u.phase == phase and (self.at_boundary or self.next_unit.phase != phase):
                break
        return done

    def step_iteration(self) -> bool:
        """Finish the current iteration (or do a whole new one) unit by unit; False if rejected."""
        while True:
            if self.step_unit() is None:
                return False
            if self._units_done == len(self._units):
                return True

    # ---- fast path ------------------------------------------------------------------------
    def run(self, n: int, should_stop: Callable[[], bool] | None = None) -> RunResult:
        """Run n whole iterations as fast as the maths allows; stop early on divergence.

        ``should_stop`` (a callable returning bool) is polled every iteration, for a UI's cancel.
        A partial iteration is first finished unit by unit. Each iteration saves its start state
        for undo (one copy of the weights); a headless run that needs no undo builds its Stepper
        with ``undo_depth=0`` and skips that copy.
        """
        self.touch()
        t0 = time.perf_counter()
        done = 0
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if n > 0 and not self.at_boundary:
                if not self.step_iteration():
                    return RunResult(0, self.diverged, time.perf_counter() - t0)
                done = 1
                if self._streak >= EXPLODE_STEPS:  # that iteration tripped the explosion rule
                    return RunResult(1, self.diverged, time.perf_counter() - t0)
            self._apply_pending()
            self.opt.bind(self.net)
            done, last = run_fast(self, n, should_stop, done)
        self._fast_mark = None
        if last is not None:
            # the fast path keeps no per-unit state: show its last iteration as complete
            self.it = last
            self._units_done = len(self._units)
        return RunResult(done, self.diverged, time.perf_counter() - t0)
