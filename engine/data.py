"""Batch sampling: full batch, SGD (size 1) or mini-batches, reshuffled each epoch (seeded)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class BatcherState:
    """Everything needed to restore a Batcher bit for bit (undo, checkpoints)."""

    rng_state: Mapping[str, Any]
    perm: np.ndarray | None
    pos: int
    epoch: int

    def to_json(self) -> dict[str, Any]:
        """The state without ``perm`` as JSON-able values (a checkpoint stores perm as an array).

        numpy's bit-generator state is a dict of ints and strings; PCG64's 128-bit integers are
        exact in JSON (Python's json has no integer size limit)."""
        return {"rng": dict(self.rng_state), "pos": int(self.pos), "epoch": int(self.epoch)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], perm: np.ndarray | None, n: int) -> BatcherState:
        """The state ``to_json`` gave, with its permutation; ValueError when it cannot be one of a
        batcher over ``n`` samples (a permutation of range(n), a position inside it)."""
        rng, pos, epoch = data["rng"], data["pos"], data["epoch"]
        if not isinstance(rng, dict) or not isinstance(rng.get("bit_generator"), str):
            raise ValueError(f"batcher rng state {rng!r:.60} is not a bit generator's state")
        for name, value in (("pos", pos), ("epoch", epoch)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"batcher {name} is {value!r}, expected an integer >= 0")
        if perm is not None:
            if perm.shape != (n,) or perm.dtype.kind not in "iu":
                raise ValueError(f"batch order of shape {perm.shape}, expected ({n},) integers")
            if not np.array_equal(np.sort(perm), np.arange(n)):
                raise ValueError(f"batch order is not a permutation of the {n} training samples")
            perm = perm.astype(np.int64)
        if pos >= n or (pos and perm is None):
            raise ValueError(f"batch position {pos} does not fit {n} training samples")
        return cls(rng, perm, pos, epoch)


def check_batch_size(batch_size: object) -> int | None:
    """A positive integer batch size, or None for the full batch; anything else raises."""
    if batch_size is None:
        return None
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int | float | np.integer | np.floating)
        or int(batch_size) != batch_size
        or batch_size < 1
    ):
        raise ValueError(f"batch size must be a positive integer or full, got {batch_size!r}")
    return int(batch_size)


class Batcher:
    """Yields index arrays into the training set; ``batch_size=None`` means the full batch.

    A mini-batch run walks a fresh permutation each epoch; the last batch of an epoch may be short
    (n % batch_size samples) rather than spill into the next epoch, so every epoch sees each sample
    exactly once.
    """

    def __init__(self, n: int, batch_size: int | None, rng: np.random.Generator) -> None:
        if n < 1:
            raise ValueError("the training set is empty")
        self.n = n
        self.rng = rng
        self.perm: np.ndarray | None = None
        self.pos = 0
        self.epoch = 0
        self.batch_size = check_batch_size(batch_size)
        # The RNG only moves when an epoch's permutation is drawn, so its state is cached then
        # and a marker never has to build the state dict (a few microseconds) per batch.
        self._rng_state = rng.bit_generator.state

    def set_batch_size(self, batch_size: int | None) -> None:
        """Takes effect from the next batch; the current epoch's permutation is kept."""
        self.batch_size = check_batch_size(batch_size)

    @property
    def effective_batch_size(self) -> int:
        bs = self.batch_size
        return self.n if bs is None or bs >= self.n else bs

    @property
    def full(self) -> bool:
        return self.batch_size is None or self.batch_size >= self.n

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.n // self.effective_batch_size)

    def next(self) -> np.ndarray | None:
        """Indices of the next batch, or None for the whole set in its stored order."""
        if self.full and self.pos == 0:
            self.epoch += 1
            return None
        if self.pos == 0 or self.perm is None:
            self.perm = self.rng.permutation(self.n)
            self._rng_state = self.rng.bit_generator.state
        bs = self.effective_batch_size
        idx = self.perm[self.pos : self.pos + bs]
        self.pos += bs
        if self.pos >= self.n:
            self.pos = 0
            self.epoch += 1
        return idx

    def state(self) -> BatcherState:
        """A restorable position. Cheap: next() replaces ``perm`` rather than mutating it, so the
        state can hold a reference, and the RNG state is the one cached at the last draw."""
        return BatcherState(self._rng_state, self.perm, self.pos, self.epoch)

    def load_state(self, st: BatcherState) -> None:
        """Back to ``st``; ValueError when its RNG state is not this generator's kind."""
        self.rng.bit_generator.state = st.rng_state
        self._rng_state = st.rng_state
        self.perm = st.perm
        self.pos = st.pos
        self.epoch = st.epoch
