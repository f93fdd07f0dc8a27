"""The phase stepper: one training iteration split into units (sample, forward per layer, loss,
backward per layer, update) that can be advanced one at a time, by phase, by iteration or fast."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence

import numpy as np

from .data import Batcher, BatcherState, check_batch_size
from .evaluation import EvaluationJob, evaluate_sets
from .fastpath import run_fast
from .history import History
from .network import Network
from .optimizers import HYPER_CHECKS, Optimizer
from .schedules import CONSTANT, CONSTANT_BATCH, BatchSchedule, Schedule
from .undo import Saved, UndoRing
from .unitpath import UNIT_FUNCTIONS
from .units import EXPLODE_FACTOR, EXPLODE_STEPS, Divergence, IterationState, Phase, RunResult, Unit

Array = np.ndarray

# One counter for every Stepper in the process: two steppers (a reopened scenario, a fork)
# never share a version, so a version alone identifies a training state.
_VERSIONS = itertools.count(1)
# The initial loss (the explosion rule's yardstick) is measured on at most about this many
# training rows, evenly strided: one cheap forward pass at construction even for a big set.
REFERENCE_ROWS = 1024


class Stepper:
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
        # changes whenever anything a snapshot shows changes: the one cache key for the UI
        self.version = next(_VERSIONS)
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

    def _per_sample_loss(self, X: Array, y: Array) -> float:
        """The data loss per sample (the reduction's sum divided by rows), for the rule."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss = self.net.loss(X, y)
        return loss / max(X.shape[0], 1) if self._sum_loss else loss

    def _within_rule(self) -> bool:
        """The whole training set's loss at the current weights is finite and within the limit."""
        loss = self._per_sample_loss(self.X, self.y)
        return math.isfinite(loss) and loss <= self.explode_limit

    # ---- structure ------------------------------------------------------------------------
    @staticmethod
    def _make_units(L: int) -> list[Unit]:
        units = [Unit(Phase.SAMPLE)]
        units += [Unit(Phase.FORWARD, i) for i in range(L)]
        units.append(Unit(Phase.LOSS))
        units += [Unit(Phase.BACKWARD, i) for i in range(L - 1, -1, -1)]
        units.append(Unit(Phase.UPDATE))
        return units

    def touch(self) -> None:
        """Mark the state changed: a new process-wide version."""
        self.version = next(_VERSIONS)

    @property
    def units(self) -> list[Unit]:
        return list(self._units)

    @property
    def position(self) -> int:
        """Units done in the current iteration (0 .. len(units))."""
        return self._units_done

    @property
    def at_boundary(self) -> bool:
        return self._units_done in (0, len(self._units))

    @property
    def last_unit(self) -> Unit | None:
        if self._units_done == 0:
            return None
        return self._units[self._units_done - 1]

    @property
    def next_unit(self) -> Unit:
        return self._units[0 if self._units_done == len(self._units) else self._units_done]

    @property
    def epoch(self) -> int:
        """Completed passes over the training set; an epoch whose last batch is drawn but not yet
        trained on is not complete until that iteration's update."""
        if not self.at_boundary:
            return self._epoch_before
        return self.batcher.epoch

    @property
    def steps_per_epoch(self) -> int:
        return self.batcher.steps_per_epoch

    @property
    def lr(self) -> float:
        """The base learning rate (what set_lr sets); the schedule multiplies it."""
        return self._base_lr

    @property
    def schedule(self) -> Schedule:
        return self._schedule

    def lr_at(self, step: int) -> float:
        """The lr an iteration starting after ``step`` iterations runs with (base x schedule)."""
        if not self._scheduled:
            return self._base_lr
        return self._base_lr * self._schedule.lr_at(step)

    @property
    def lr_in_force(self) -> float:
        """The current iteration's lr; at an iteration boundary, the next iteration's."""
        if self.at_boundary:
            return self.lr_at(self.step)
        return self.it.lr

    def _sync_lr(self) -> None:
        """Put the lr for the iteration about to start (after ``step`` done) in the optimiser."""
        self.opt.lr = self.lr_at(self.step)

    @property
    def batch_size(self) -> int | None:
        """The base batch size (what set_batch_size sets); the batch schedule grows it."""
        return self._base_batch

    @property
    def batch_schedule(self) -> BatchSchedule:
        return self._batch_schedule

    @property
    def batch_in_force(self) -> int | None:
        """The current iteration's batch size; at a boundary, the next iteration's."""
        return self.batcher.batch_size

    def steps_to_epoch(self, epochs: int, from_start: bool = False) -> int:
        """The step at which ``epochs`` epochs are complete under the batch schedule, going on
        from this state (a boundary), or from the run's start with ``from_start``."""
        b = self.batcher
        if from_start:
            return self._batch_schedule.steps_to_epoch(self._base_batch, b.n, epochs)
        return self._batch_schedule.steps_to_epoch(
            self._base_batch, b.n, epochs, self.step, b.epoch, b.pos
        )

    def _sync_batch(self) -> None:
        """Put the batch size for the iteration about to start in the batcher (from the step and
        the epochs done, which undo, reset and a checkpoint restore)."""
        b = self._batch_schedule.batch_at(
            self._base_batch, self.step, self.batcher.epoch, self.batcher.n
        )
        self.batcher.set_batch_size(b)

    def _fresh_state(self) -> IterationState:
        L = self.net.n_layers
        return IterationState(
            zs=[None] * L, acts=[None] * L, deltas=[None] * L, grads_done=[False] * L
        )

    # ---- hyperparameters ------------------------------------------------------------------
    def _set(self, name: str, value: object) -> bool:
        """Apply now at an iteration boundary, else hold until the next iteration; True if now."""
        self.touch()
        if self.at_boundary:
            self._apply(name, value)
            self.pending.pop(name, None)
            return True
        self.pending[name] = value
        return False

    def _apply(self, name: str, value: object) -> None:
        if name == "batch_size":
            self._base_batch = check_batch_size(value)
            self._sync_batch()
        elif name == "batch_schedule":
            assert isinstance(value, BatchSchedule)
            self._batch_schedule = value
            self._batch_scheduled = not value.is_constant
            self._sync_batch()
        elif name == "lr":
            self._base_lr = float(value)  # type: ignore[arg-type]  # checked by set_lr
            self._sync_lr()
        elif name == "optimizer":
            self._switch_optimizer(value)  # type: ignore[arg-type]  # checked by set_optimizer
        elif name == "schedule":
            assert isinstance(value, Schedule)
            self._schedule = value
            self._scheduled = not value.is_constant
            self._sync_lr()
        else:
            setattr(self.opt, name, value)
        self.diverged = None
        self._streak = 0  # the explosion rule gives new settings EXPLODE_STEPS iterations

    def _validate(self, name: str, value: float) -> float:
        return HYPER_CHECKS[name](name, value)

    def set_lr(self, lr: float) -> bool:
        return self._set("lr", self._validate("lr", lr))

    def set_momentum(self, momentum: float) -> bool:
        if not hasattr(self.opt, "momentum"):
            raise ValueError(f"{self.opt.name} has no momentum")
        return self._set("momentum", self._validate("momentum", momentum))

    def set_regularization(self, l1: float | None = None, l2: float | None = None) -> bool:
        now = True
        if l1 is not None:
            now = self._set("l1", self._validate("l1", l1))
        if l2 is not None:
            now = self._set("l2", self._validate("l2", l2))
        return now

    def set_batch_size(self, batch_size: int | None) -> bool:
        check_batch_size(batch_size)
        return self._set("batch_size", batch_size)

    def set_optimizer(self, optimizer: Optimizer) -> bool:
        """Another optimiser (or the same kind with other settings), held to the iteration's end.

        Its lr becomes the base lr. The same kind (sgd to sgd, adam to adam) takes the new
        settings and keeps its state (velocity; moments and t). Another kind starts from zero
        state, and undo stops at the switch: the undo ring held the old kind's state (and is
        sized for it), so it starts afresh, sized for the new one.
        """
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"expected an Optimizer, got {type(optimizer).__name__}")
        return self._set("optimizer", optimizer)

    def _switch_optimizer(self, new: Optimizer) -> None:
        old = self.opt
        if type(new) is type(old):
            for name, value in new.hyper().items():
                setattr(old, name, value)
        else:
            new.bind(self.net)
            self.opt = new
            self.initial_opt_state = new.state()  # reset keeps the kind: zero state
            state_bytes = self.net.params.nbytes * (1 + len(new.state()))
            self._undo = UndoRing(self.undo_depth, state_bytes)
            self._rewind = False
        self._base_lr = new.lr
        self._sync_lr()

    def set_schedule(self, schedule: Schedule) -> bool:
        """A new lr schedule, from the next iteration on (its factor at the current step)."""
        if not isinstance(schedule, Schedule):
            raise TypeError(f"expected a Schedule, got {type(schedule).__name__}")
        return self._set("schedule", schedule)

    def set_batch_schedule(self, schedule: BatchSchedule) -> bool:
        """A new batch-size schedule, from the next iteration on (its size at the current step)."""
        if not isinstance(schedule, BatchSchedule):
            raise TypeError(f"expected a BatchSchedule, got {type(schedule).__name__}")
        return self._set("batch_schedule", schedule)

    def _apply_pending(self) -> None:
        for name, value in self.pending.items():
            self._apply(name, value)
        self.pending.clear()

    # ---- saving and restoring -------------------------------------------------------------
    def _save(self) -> Saved:
        return Saved(
            self.net.params.copy(),
            self.opt.state(),
            self.batcher.state(),
            self.step,
            self.history.lengths(),
            self._eval_due,
        )

    def _restore(self, s: Saved) -> None:
        self.net.params[...] = s.params
        self.opt.load_state(s.opt_state)
        self.batcher.load_state(s.batcher)
        self.step = s.step
        self.history.truncate(s.history)
        self._eval_due = s.eval_due
        self._units_done = 0
        self.it = self._fresh_state()
        self._sync_lr()  # the step went back: so did the schedule
        self._sync_batch()

    def counters(self) -> dict[str, int]:
        """What a checkpoint needs beyond weights, optimiser, batch order and settings to go on
        bit for bit: the step of the next evaluation and the explosion rule's counters."""
        return {
            "eval_due": self._eval_due,
            "above": self._above,
            "streak": self._streak,
            "rewind": int(self._rewind),
        }

    def load_counters(self, counters: dict[str, int]) -> None:
        """Put back what ``counters`` gave (after the weights, the step and the settings, which
        restart the explosion rule's count)."""
        self._eval_due = int(counters["eval_due"])
        self._above = int(counters["above"])
        self._streak = int(counters["streak"])
        self._rewind = bool(counters["rewind"])

    @property
    def undo_count(self) -> int:
        """How many iterations undo can go back (a partial iteration counts as one)."""
        return len(self._undo) + (0 if self.at_boundary else 1)

    def undo(self) -> bool:
        """Abandon the partial iteration, or go back one whole iteration; False if nothing to undo.

        Weights, optimiser state, RNG, batch position, counters and history return bit for bit.
        After a divergence (and until an iteration within the rule is committed) one undo goes
        back further: past the iterations whose batch loss was above the explosion limit, then on
        while the whole-set loss there is not finite or above the limit (as far as the undo ring
        reaches), so lowering the learning rate afterwards starts from a sound state.
        """
        self.touch()
        undone = False
        if not self.at_boundary and self._start_state is not None:
            self._restore(self._start_state)
            self._start_state = None
            self._apply_pending()
            if not self._rewind:
                return True
            undone = True
        if self._rewind:
            return self._rewind_to_good() or undone
        if not self._pop():
            return False
        self.diverged = None
        self._above = self._streak = 0
        return True

    def _pop(self) -> bool:
        saved = self._undo.pop()
        if saved is None:
            return False
        self._restore(saved)
        self._start_state = None
        return True

    def _rewind_to_good(self) -> bool:
        """Undo past the iterations above the limit, then until the whole-set loss is sound."""
        popped = 0
        for _ in range(max(self._above, 1)):
            if not self._pop():
                break
            popped += 1
        while popped and not self._within_rule() and self._pop():
            popped += 1
        if popped:
            self.diverged = None
            self._above = self._streak = 0
            self._rewind = False
        return popped > 0

    def reset(self) -> None:
        """Back to the initial weights, optimiser state and RNG: the same run can be replayed."""
        self.touch()
        self.net.params[...] = self.initial_params
        self.opt.reset()
        self.opt.bind(self.net)
        self.opt.load_state(self.initial_opt_state)
        self.batcher.load_state(self.initial_batcher)
        self.step = 0
        self.history = History(self.net.n_layers, undo_depth=self.undo_depth)
        self._undo.clear()
        self._eval_due = self.eval_every
        self._units_done = 0
        self._start_state = None
        self.it = self._fresh_state()
        self.diverged = None
        self._above = self._streak = 0
        self._rewind = False
        self.last_eval = {}
        self.last_eval_step = None
        self.dead_fraction = []
        self._sync_lr()
        self._sync_batch()

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

    # ---- the stepping paths' API ----------------------------------------------------------
    # unitpath.py (one unit at a time) and fastpath.py (whole iterations) change the stepper only
    # through these methods and its public attributes, so both keep the same bookkeeping. An
    # iteration is begun (begin_iteration on the unit path, begin_fast_iteration on the fast
    # path: start state saved, batch drawn), then either committed (commit_iteration: counters,
    # history, undo, evaluation, held changes) or rejected (reject_iteration: back to the start).

    def begin_iteration(self) -> IterationState:
        """Unit path: apply held changes, save the start state (for undo and rollback), draw the
        batch; returns the new IterationState, which is now ``it``."""
        self._apply_pending()
        self.opt.bind(self.net)
        if self._scheduled:
            self._sync_lr()
        if self._batch_scheduled:
            self._sync_batch()
        self._start_state = self._save()
        it = self._fresh_state()
        self._epoch_before = self.batcher.epoch
        idx = self.batcher.next()
        it.batch_idx = idx
        it.X = self.X if idx is None else self.X[idx]
        it.y = self.y if idx is None else self.y[idx]
        it.lr = self.opt.lr
        it.batch_size = it.X.shape[0]
        self.it = it
        return it

    def begin_fast_iteration(self) -> tuple[Array, Array]:
        """Fast path: push the start state onto the undo ring (into a reused slot, no allocation;
        nothing with undo_depth 0), mark the batch position, draw the batch; returns its (X, y).

        The fast path leaves the weights and optimiser state untouched until the update is
        accepted, so the batch position is all a rejection has to rewind.
        """
        if self._scheduled:
            self.opt.lr = self._base_lr * self._schedule.lr_at(self.step)
        if self._batch_scheduled:
            self._sync_batch()
        batcher = self.batcher
        mark = batcher.state()
        if self._undo.depth:
            self._undo.push(
                self.net.params,
                self.opt.state_views(),
                mark,
                self.step,
                self.history.lengths(),
                self._eval_due,
            )
        self._fast_mark = mark
        idx = batcher.next()
        if idx is None:
            return self.X, self.y
        return self.X[idx], self.y[idx]

    def commit_iteration(
        self, loss: float, lr: float, sq_grad_norms: Sequence[float] | Array, rows: int
    ) -> bool:
        """The update is in: step + 1, a history row, the start state onto the undo ring, an
        evaluation when one is due, and changes held during the iteration put in force.

        ``loss`` is the batch's data loss over ``rows`` samples. Returns False when this
        iteration tripped the explosion rule (``diverged`` is then set; the run must stop)."""
        self.step += 1
        self.history.record(loss, lr, sq_grad_norms)
        tripped = False
        if (loss / rows if self._sum_loss else loss) > self.explode_limit:
            self._above += 1
            self._streak += 1
            if self._streak >= EXPLODE_STEPS:
                self.diverged = Divergence.exploded(self.step, self.initial_loss)
                self._rewind = tripped = True
        elif self._above or self._rewind:  # (tested first: the loop's common case writes nothing)
            self._above = self._streak = 0
            self._rewind = False
        s = self._start_state
        if s is not None:
            self._undo.push(s.params, s.opt_state, s.batcher, s.step, s.history, s.eval_due)
            self._start_state = None
        if self.step >= self._eval_due:
            self._maybe_eval()
        if self.pending:
            self._apply_pending()
        if self._batch_scheduled:  # the next iteration's batch, in force (and shown) from now
            self._sync_batch()
        return not tripped

    def reject_iteration(self, divergence: Divergence) -> bool:
        """Reject the iteration in progress: back to its start state, and say where it broke.

        Returns False, the stepping functions' "rejected"."""
        self.diverged = divergence
        self._rewind = True
        # the rejected propose may have overwritten the buffers the record points into
        self.it.applied = None
        if self._start_state is not None:
            self._restore(self._start_state)
            self._start_state = None
        elif self._fast_mark is not None:
            if self._undo.depth:
                self._undo.pop()
            self.batcher.load_state(self._fast_mark)
            self._fast_mark = None
        return False

    # ---- evaluation -----------------------------------------------------------------------
    def _maybe_eval(self) -> None:
        if self.step >= self._eval_due:
            self.evaluate(record=True)
            self._eval_due = (self.step // self.eval_every + 1) * self.eval_every

    def evaluation_job(self) -> EvaluationJob:
        """The weights now, copied, for an evaluation run outside the engine lock; its result
        goes back through ``store_evaluation``."""
        net = self.net
        copy = Network(net.sizes, net.activations, net.loss_fn, net.dtype)
        copy.params[...] = net.params
        return EvaluationJob(
            self.step, copy, self.opt, self.X, self.y, self.X_test, self.y_test, self.task
        )

    def store_evaluation(
        self, step: int, res: dict[str, float | None], dead: list[float | None]
    ) -> bool:
        """An EvaluationJob's figures, unless the run went back before ``step`` meanwhile (an
        undo or a reset: they would describe weights it no longer has) or newer figures came
        first (a command evaluated at once); True when stored."""
        held = self.last_eval_step
        if step > self.step or (held is not None and step < held):
            return False
        self.touch()
        self.last_eval = res
        self.last_eval_step = step
        self.dead_fraction[:] = dead
        return True

    def evaluate(self, record: bool = False) -> dict[str, float | None]:
        """Loss (data + regularisation) and accuracy on the full train and test sets."""
        self.touch()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            res = evaluate_sets(
                self.net,
                self.opt,
                self.X,
                self.y,
                self.X_test,
                self.y_test,
                self.task,
                self.dead_fraction,
            )
        if record:
            self.history.record_eval(self.step, res)
        self.last_eval = res
        self.last_eval_step = self.step
        return res
