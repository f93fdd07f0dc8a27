"""A training iteration's vocabulary: phases, units, divergence reports, per-iteration state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

Array = np.ndarray


class Phase(StrEnum):
    SAMPLE = "sample"
    FORWARD = "forward"
    LOSS = "loss"
    BACKWARD = "backward"
    UPDATE = "update"


@dataclass(frozen=True)
class Unit:
    """One indivisible piece of an iteration; ``layer`` is 0-based (None for sample/loss/update)."""

    phase: Phase
    layer: int | None = None

    def label(self, n_layers: int) -> str:
        if self.layer is None:
            return self.phase.value
        return f"{self.phase.value} L{self.layer + 1}/{n_layers}"


# The explosion rule: a run diverges when the batch loss (data loss per sample) stays above
# EXPLODE_FACTOR times the initial loss for EXPLODE_STEPS iterations in a row. No bundled scenario
# comes near it in 20,000 steps (the highest batch loss seen: 3.1 x the initial, once), while
# five-classes at lr 1000 trips it at step 21.
EXPLODE_FACTOR = 10.0
EXPLODE_STEPS = 20


@dataclass(frozen=True)
class Divergence:
    """Why training stopped as diverged, by one of two rules.

    - not finite: an iteration produced a non-finite loss, gradient or weight; that iteration was
      rejected (the state is the one before it) and ``step`` is the rejected iteration's number.
    - exploded (``limit`` set): the batch loss, per sample, was above ``limit`` = EXPLODE_FACTOR x
      the initial loss (the whole training set's, per sample, at the initial weights) for
      EXPLODE_STEPS iterations in a row; those iterations were committed and ``step`` is the last.
    """

    step: int
    phase: str
    layer: int | None
    what: str
    limit: float | None = None  # set by the explosion rule

    @classmethod
    def in_update(cls, step: int, sq_grad_norms: Sequence[float] | Array) -> Divergence:
        """Name the first non-finite quantity of a rejected update at ``step``: a layer's gradient
        (the backward pass runs L..1, so the highest such layer) or else the new weights."""
        bad = np.flatnonzero(~np.isfinite(np.asarray(sq_grad_norms, dtype=np.float64)))
        if bad.size:
            return cls(step, "backward", int(bad[-1]), "the gradient norm")
        return cls(step, "update", None, "a weight")

    @classmethod
    def exploded(cls, step: int, initial_loss: float) -> Divergence:
        """The explosion rule tripped at ``step`` (committed), given the initial loss."""
        return cls(step, "loss", None, "the batch loss", EXPLODE_FACTOR * initial_loss)

    def __str__(self) -> str:
        if self.limit is not None:
            return (
                f"diverged at step {self.step}: the batch loss stayed above {self.limit:.4g} "
                f"({EXPLODE_FACTOR:g} x the initial loss) for {EXPLODE_STEPS} steps in a row"
            )
        where = f" layer {self.layer + 1}" if self.layer is not None else ""
        return f"diverged at step {self.step}, {self.phase}{where}: {self.what} is not finite"


@dataclass(frozen=True)
class RunResult:
    steps: int
    diverged: Divergence | None
    seconds: float


@dataclass
class AppliedUpdate:
    """What an iteration's update used and did, flat over the net's parameter vector.

    Recorded when the update is committed (both stepping paths), so Explain can show the numbers
    that were applied rather than recompute them from settings that may have changed since.
    ``params_after = params_before + update``. Arrays may be the optimiser's or the net's live
    buffers, valid until the next update is proposed (a new IterationState exists by then);
    take_snapshot copies them.
    """

    optimizer: str  # "sgd" or "adam"
    lr: float  # the learning rate this update used
    grad: Array  # total gradient used: data + regularisation, both at the weights before
    reg_grad: Array | None  # its regularisation part, l2 w + l1 sign(w); None without l1/l2
    update: Array  # the update applied (Delta w)
    # SGD: update = -lr grad + momentum velocity (velocity None without momentum)
    momentum: float | None = None
    velocity: Array | None = None  # the previous step's Delta w, as it was before this update
    # Adam: update = -lr (m / bias1) / (sqrt(v / bias2) + eps), m and v after this update
    beta1: float | None = None
    beta2: float | None = None
    eps: float | None = None
    t: int | None = None  # Adam's step count, this update included
    bias1: float | None = None  # 1 - beta1**t
    bias2: float | None = None  # 1 - beta2**t
    m: Array | None = None
    v: Array | None = None


@dataclass
class IterationState:
    """What the current (or last) iteration has computed so far; None until computed."""

    batch_idx: Array | None = None
    X: Array | None = None
    y: Array | None = None
    zs: list[Array | None] = field(default_factory=list)
    acts: list[Array | None] = field(default_factory=list)
    per_sample_loss: Array | None = None
    loss: float | None = None
    reg_loss: float | None = None
    deltas: list[Array | None] = field(default_factory=list)
    grads_done: list[bool] = field(default_factory=list)
    reg_grad: Array | None = None
    update: Array | None = None
    grad_norms: Array | None = None  # per layer sqrt(||dW||^2 + ||db||^2)
    sq_grad_norms: Array | None = None
    lr: float = 0.0
    batch_size: int = 0
    deltas_kept: bool = True  # False after the fast path, which does not keep deltas
    applied: AppliedUpdate | None = None  # set when the update is committed
