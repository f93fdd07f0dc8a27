"""A bounded ring of iteration-start states, in reused buffers, for undo and divergence rollback."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import BatcherState

Array = np.ndarray
# Undo must not be what exhausts memory on a big net: the ring is capped at this many bytes.
MAX_UNDO_BYTES = 256 * 1024 * 1024


@dataclass
class Saved:
    """State at the start of an iteration."""

    params: Array
    opt_state: dict[str, Array]
    batcher: BatcherState
    step: int
    history: tuple[int, int]
    eval_due: int


class UndoRing:
    """Holds the last ``depth`` Saved states; a slot's arrays are reused once the ring is full,
    so steady-state saving copies into existing memory instead of allocating (no page faults)."""

    def __init__(self, depth: int, bytes_per_state: int) -> None:
        cap = MAX_UNDO_BYTES // max(bytes_per_state, 1)
        self.depth = max(0, min(int(depth), int(cap)))
        self._slots: list[Saved] = []
        self._start = 0  # index of the oldest entry
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def clear(self) -> None:
        self._start = 0
        self._len = 0

    def push(
        self,
        params: Array,
        opt_state: dict[str, Array],
        batcher: BatcherState,
        step: int,
        history: tuple[int, int],
        eval_due: int,
    ) -> None:
        if self.depth == 0:
            return
        if self._len < self.depth:
            i = (self._start + self._len) % self.depth
            self._len += 1
        else:
            i = self._start
            self._start = (self._start + 1) % self.depth
        if i < len(self._slots) and self._slots[i].params.shape == params.shape:
            slot = self._slots[i]
            np.copyto(slot.params, params)
            for k, v in opt_state.items():
                old = slot.opt_state.get(k)
                if old is not None and old.shape == np.shape(v):
                    np.copyto(old, v)
                else:
                    slot.opt_state[k] = np.array(v, copy=True)
            for k in [k for k in slot.opt_state if k not in opt_state]:
                del slot.opt_state[k]
            slot.batcher, slot.step, slot.history, slot.eval_due = batcher, step, history, eval_due
        else:
            slot = Saved(
                params.copy(),
                {k: np.array(v, copy=True) for k, v in opt_state.items()},
                batcher,
                step,
                history,
                eval_due,
            )
            if i < len(self._slots):
                self._slots[i] = slot
            else:
                self._slots.append(slot)

    def pop(self) -> Saved | None:
        """The newest state; its slot is free again (the caller must copy what it keeps)."""
        if self._len == 0:
            return None
        self._len -= 1
        return self._slots[(self._start + self._len) % self.depth]
