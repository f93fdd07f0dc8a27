"""What every part of the Stepper shares: its attributes, the unit sequence and the position in
it, the lr and batch size in force, and the explosion rule's loss measure."""

from __future__ import annotations

import itertools
import math

import numpy as np

from .data import Batcher, BatcherState
from .history import History
from .network import Network
from .optimizers import Optimizer
from .schedules import BatchSchedule, Schedule
from .undo import Saved, UndoRing
from .units import Divergence, IterationState, Phase, Unit

Array = np.ndarray

# One counter for every Stepper in the process: two steppers (a reopened scenario, a fork)
# never share a version, so a version alone identifies a training state.
_VERSIONS = itertools.count(1)


class StepperBase:
    """The Stepper's state and the views of it every part uses; Stepper.__init__ sets it all up
    (the attributes are declared here so each part of the class is type-checked on its own)."""

    net: Network
    opt: Optimizer
    X: Array
    y: Array
    X_test: Array | None
    y_test: Array | None
    task: str
    batcher: Batcher
    eval_every: int
    undo_depth: int
    step: int
    version: int
    pending: dict[str, object]
    diverged: Divergence | None
    history: History
    it: IterationState
    initial_params: Array
    initial_opt_state: dict[str, Array]
    initial_batcher: BatcherState
    last_eval: dict[str, float | None]
    last_eval_step: int | None
    dead_fraction: list[float | None]
    initial_loss: float
    explode_limit: float
    _base_lr: float
    _schedule: Schedule
    _scheduled: bool
    _base_batch: int | None
    _batch_schedule: BatchSchedule
    _batch_scheduled: bool
    _undo: UndoRing
    _eval_due: int
    _units: list[Unit]
    _units_done: int
    _epoch_before: int
    _start_state: Saved | None
    _fast_mark: BatcherState | None
    _sum_loss: bool
    _above: int
    _streak: int
    _rewind: bool

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
