"""The Stepper's evaluations: loss and accuracy on the full train and test sets, in the engine
every ``eval_every`` steps or as a job run outside the engine lock."""

from __future__ import annotations

import numpy as np

from .evaluation import EvaluationJob, evaluate_sets
from .network import Network
from .stepper_base import StepperBase


class StepperEvaluation(StepperBase):
    """Evaluating the current weights and keeping the latest figures (``last_eval``)."""

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
