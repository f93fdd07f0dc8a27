"""The Stepper's stepping API: how an iteration is begun, committed or rejected, the only way
unitpath.py and fastpath.py change the stepper, so both keep the same bookkeeping."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .stepper_eval import StepperEvaluation
from .stepper_undo import StepperUndo
from .units import EXPLODE_STEPS, Divergence, IterationState

Array = np.ndarray


class StepperIterations(StepperUndo, StepperEvaluation):
    """The stepping paths' API.

    unitpath.py (one unit at a time) and fastpath.py (whole iterations) change the stepper only
    through these methods and its public attributes, so both keep the same bookkeeping. An
    iteration is begun (begin_iteration on the unit path, begin_fast_iteration on the fast
    path: start state saved, batch drawn), then either committed (commit_iteration: counters,
    history, undo, evaluation, held changes) or rejected (reject_iteration: back to the start).
    """

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
