"""Lockstep training: a comparison's runs as one stepper, every run doing the same iterations."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine import Stepper
    from engine.units import RunResult, Unit

    from .comparison import Comparison
    from .comparison_run import Run

# Commands every run of the comparison does (the lockstep); the others go to the focused run.
LOCKSTEP = frozenset({"iteration", "unit", "forward", "backward", "update", "undo", "reset"})


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
