"""The Stepper's undo, reset and checkpoint counters: saving an iteration's start state and going
back to it bit for bit, and after a divergence back to the last sound state."""

from __future__ import annotations

from .history import History
from .stepper_settings import StepperSettings
from .undo import Saved


class StepperUndo(StepperSettings):
    """Going back: one iteration (``undo``), to a sound state after a divergence, or to the
    start (``reset``); and the counters a checkpoint carries."""

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
