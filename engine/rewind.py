"""Saving, restoring and undoing a Stepper's training state, including the rewind after divergence.

These functions are the Stepper's own undo machinery kept in one place; they read and write its
private fields (the undo ring, the start state) and are called only from engine/stepper.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .history import History
from .hyperparams import apply_pending
from .undo import Saved

if TYPE_CHECKING:
    from .stepper import Stepper


def save(st: Stepper) -> Saved:
    """A copy of everything an iteration changes, for undo and rollback."""
    return Saved(
        st.net.params.copy(),
        st.opt.state(),
        st.batcher.state(),
        st.step,
        st.history.lengths(),
        st._eval_due,
    )


def restore(st: Stepper, s: Saved) -> None:
    """Put ``s`` back, at an iteration boundary with a fresh (empty) iteration state."""
    st.net.params[...] = s.params
    st.opt.load_state(s.opt_state)
    st.batcher.load_state(s.batcher)
    st.step = s.step
    st.history.truncate(s.history)
    st._eval_due = s.eval_due
    st._units_done = 0
    st.it = st._fresh_state()


def rollback(st: Stepper) -> None:
    """Back to the start of the iteration in progress (Stepper.reject_iteration).

    On the unit path that is the saved start state; on the fast path the weights and optimiser
    state are still untouched, so the start state comes off the undo ring and the batch position
    is rewound to its mark.
    """
    if st._start_state is not None:
        restore(st, st._start_state)
        st._start_state = None
    elif st._fast_mark is not None:
        if st._undo.depth:
            st._undo.pop()
        st.batcher.load_state(st._fast_mark)
        st._fast_mark = None


def undo(st: Stepper) -> bool:
    """Stepper.undo (see there); False if there is nothing to undo."""
    st.touch()
    rule = st._rule
    undone = False
    if not st.at_boundary and st._start_state is not None:
        restore(st, st._start_state)
        st._start_state = None
        apply_pending(st)
        if not rule.rewind:
            return True
        undone = True
    if rule.rewind:
        return _rewind_to_good(st) or undone
    if not _pop(st):
        return False
    st.diverged = None
    rule.above = rule.streak = 0
    return True


def _pop(st: Stepper) -> bool:
    saved = st._undo.pop()
    if saved is None:
        return False
    restore(st, saved)
    st._start_state = None
    return True


def _rewind_to_good(st: Stepper) -> bool:
    """Undo past the iterations above the limit, then until the whole-set loss is sound."""
    rule = st._rule
    popped = 0
    for _ in range(max(rule.above, 1)):
        if not _pop(st):
            break
        popped += 1
    while popped and not rule.within(st.X, st.y) and _pop(st):
        popped += 1
    if popped:
        st.diverged = None
        rule.clear()
    return popped > 0


def reset(st: Stepper) -> None:
    """Stepper.reset: back to the initial weights, optimiser state and RNG."""
    st.touch()
    st.net.params[...] = st.initial_params
    st.opt.reset()
    st.opt.bind(st.net)
    st.opt.load_state(st.initial_opt_state)
    st.batcher.load_state(st.initial_batcher)
    st.step = 0
    st.history = History(st.net.n_layers, undo_depth=st.undo_depth)
    st._undo.clear()
    st._eval_due = st.eval_every
    st._units_done = 0
    st._start_state = None
    st.it = st._fresh_state()
    st.diverged = None
    st._rule.clear()
    st.last_eval = {}
    st.last_eval_step = None
    st.dead_fraction = []
