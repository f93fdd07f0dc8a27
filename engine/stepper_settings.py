"""The Stepper's hyperparameter setters: a change made mid-iteration is held until it ends, so an
iteration always runs with one learning rate, batch size and optimiser."""

from __future__ import annotations

from .data import check_batch_size
from .optimizers import HYPER_CHECKS, Optimizer
from .schedules import BatchSchedule, Schedule
from .stepper_base import StepperBase
from .undo import UndoRing


class StepperSettings(StepperBase):
    """Setting the lr, momentum, regularisation, batch size, optimiser and schedules."""

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
