"""Checkpoints: the record a .npz holds, its format and version, and restoring it into a stepper."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .data import BatcherState
from .network import Network
from .optimizers import Optimizer

if TYPE_CHECKING:
    from .schedules import BatchSchedule, Schedule
    from .stepper import Stepper

FORMAT = "backprop-tui-checkpoint"
# 2: the batch order (RNG state, permutation, position), the Stepper's counters, its settings
# (base lr, batch size, schedule), the last evaluation and the history's curves, so a run resumes
# bit for bit. Version 1 files still load (weights, optimiser state, step, epoch). The settings'
# batch schedule came later within version 2: a file without it keeps the stepper's.
VERSION = 2


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit; the message names the file."""


@dataclass
class Checkpoint:
    net: Network
    optimizer: Optimizer | None
    step: int
    epoch: int
    batch_size: int | None
    metadata: dict[str, Any] = field(default_factory=dict)
    opt_state: dict[str, np.ndarray] = field(default_factory=dict)
    version: int = VERSION
    # version 2: what resuming bit for bit needs (None / empty in a version 1 file)
    batcher: dict[str, Any] | None = None  # BatcherState.to_json()
    perm: np.ndarray | None = None  # the batch order of the epoch in progress
    counters: dict[str, int] = field(default_factory=dict)  # Stepper.counters()
    # base lr, batch size, the lr and batch schedules' texts
    settings: dict[str, Any] = field(default_factory=dict)
    last_eval: dict[str, float | None] = field(default_factory=dict)
    last_eval_step: int | None = None
    # the history's curves: loss (iteration index, batch loss), evals (step, 4 figures)
    history: dict[str, np.ndarray] = field(default_factory=dict)

    def restore_into(self, stepper: Stepper) -> None:
        """Load weights, optimiser state, settings, batch order and counters into a stepper built
        for the same net and data; it then goes on exactly as the saved one would have.

        The stepper's initial weights stay its own (what reset goes back to). A version 1
        checkpoint has no batch order: the next batches are drawn afresh. CheckpointError when
        the net or the training set does not fit.
        """
        if stepper.net.sizes != self.net.sizes or stepper.net.activations != self.net.activations:
            raise CheckpointError(
                f"checkpoint is a {'-'.join(map(str, self.net.sizes))} "
                f"{'/'.join(self.net.activations)} net; this one is "
                f"{'-'.join(map(str, stepper.net.sizes))} {'/'.join(stepper.net.activations)}"
            )
        batcher = None
        if self.batcher is not None:
            try:
                batcher = BatcherState.from_json(self.batcher, self.perm, stepper.batcher.n)
                # tried on a spare generator first: a bad state must not leave a half-restored run
                type(stepper.batcher.rng.bit_generator)().state = batcher.rng_state
            except (ValueError, KeyError, TypeError) as e:
                raise CheckpointError(
                    f"checkpoint's batch order does not fit: {one_line(e)}"
                ) from None
        schedule = None
        if "schedule" in self.settings:
            from .schedules import parse_schedule

            try:
                schedule = parse_schedule(self.settings["schedule"])
            except ValueError as e:
                raise CheckpointError(f"checkpoint's lr schedule: {one_line(e)}") from None
        batch_schedule = None
        if "batch_schedule" in self.settings:
            from .schedules import parse_batch_schedule

            try:
                batch_schedule = parse_batch_schedule(self.settings["batch_schedule"])
            except ValueError as e:
                raise CheckpointError(f"checkpoint's batch schedule: {one_line(e)}") from None
        stepper.reset()
        stepper.net.params[...] = self.net.params
        if self.optimizer is not None and type(self.optimizer) is not type(stepper.opt):
            stepper.set_optimizer(self.optimizer)  # the run switched optimiser on the way
        elif self.optimizer is not None:
            for name, value in self.optimizer.hyper().items():
                if name != "lr":  # the base lr is a setting below; opt.lr is the one in force
                    setattr(stepper.opt, name, value)
        if self.opt_state:
            stepper.opt.load_state(self.opt_state)
        stepper.step = self.step
        # the batch order first: the batch in force follows the schedule from the epochs done
        if batcher is not None:
            stepper.batcher.load_state(batcher)
        else:
            stepper.batcher.epoch = self.epoch
        self._restore_settings(stepper, schedule, batch_schedule)
        # the next evaluation: saved, or the first multiple of eval_every after the step
        every = stepper.eval_every
        counters = {"eval_due": (self.step // every + 1) * every, "above": 0, "streak": 0}
        counters["rewind"] = 0
        counters.update(self.counters)
        stepper.load_counters(counters)
        if self.last_eval:
            stepper.last_eval = dict(self.last_eval)
            stepper.last_eval_step = self.last_eval_step
        stepper.touch()

    def _restore_settings(
        self, stepper: Stepper, schedule: Schedule | None, batch_schedule: BatchSchedule | None
    ) -> None:
        s = self.settings
        if batch_schedule is not None:
            stepper.set_batch_schedule(batch_schedule)
        if "batch_size" in s:
            stepper.set_batch_size(s["batch_size"])
        elif self.batch_size is not None:
            stepper.set_batch_size(self.batch_size)
        if schedule is not None:
            stepper.set_schedule(schedule)
        if "lr" in s:
            stepper.set_lr(s["lr"])  # after the step: the lr in force follows the schedule
        elif self.optimizer is not None:
            stepper.set_lr(self.optimizer.lr)


def one_line(e: BaseException) -> str:
    """An exception as one line: numpy's and json's messages may span several."""
    text = " ".join(str(e).split()) or type(e).__name__
    return text if isinstance(e, ValueError | OSError) else f"{type(e).__name__}: {text}"
