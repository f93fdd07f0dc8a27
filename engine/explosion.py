"""The explosion rule's bookkeeping: the initial loss, its limit and the over-limit counters."""

from __future__ import annotations

import math

import numpy as np

from .network import Network
from .units import EXPLODE_FACTOR

Array = np.ndarray

# The initial loss (the explosion rule's yardstick) is measured on at most about this many
# training rows, evenly strided: one cheap forward pass at construction even for a big set.
REFERENCE_ROWS = 1024


class ExplosionRule:
    """The state of the explosion rule for one Stepper.

    The rule trips when the batch loss per sample stays above EXPLODE_FACTOR x ``initial_loss``
    for EXPLODE_STEPS committed iterations in a row. The Stepper owns one and updates the counters
    inline in commit_iteration (plain attributes, no method call on the hot path).
    """

    # slots: the counters are read and written once per iteration on the fast path
    __slots__ = ("above", "initial_loss", "limit", "net", "rewind", "streak", "sum_loss")

    def __init__(self, net: Network, X: Array, y: Array) -> None:
        self.net = net
        self.sum_loss = net.reduction == "sum"
        stride = -(-X.shape[0] // REFERENCE_ROWS)  # ceil: at most REFERENCE_ROWS rows
        # the data loss per sample at the initial weights (on evenly strided training rows)
        self.initial_loss = self.per_sample_loss(X[::stride], y[::stride])
        ok = math.isfinite(self.initial_loss) and self.initial_loss > 0
        self.limit = EXPLODE_FACTOR * self.initial_loss if ok else math.inf
        self.above = 0  # committed iterations in a row above the limit, ending at this state
        self.streak = 0  # the same, counted since the last hyperparameter change
        self.rewind = False  # a divergence happened: the next undo goes back to a good state

    def per_sample_loss(self, X: Array, y: Array) -> float:
        """The data loss per sample (the reduction's sum divided by rows), for the rule."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss = self.net.loss(X, y)
        return loss / max(X.shape[0], 1) if self.sum_loss else loss

    def within(self, X: Array, y: Array) -> bool:
        """The loss on (X, y) at the current weights is finite and within the limit."""
        loss = self.per_sample_loss(X, y)
        return math.isfinite(loss) and loss <= self.limit

    def clear(self) -> None:
        """Forget the run of over-limit iterations and any pending rewind (after an undo)."""
        self.above = self.streak = 0
        self.rewind = False
