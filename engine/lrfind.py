"""The learning-rate range test (Smith 2015, fastai's lr_find) on a copy of a run's weights."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .network import Network
from .stepper import Stepper

Array = np.ndarray

START_LR = 1e-7
END_LR = 10.0
ITERATIONS = 200
BETA = 0.98  # the loss's exponential moving average, as fastai smooths it
STOP_FACTOR = 4.0  # stop once the smoothed loss passes this multiple of the best


@dataclass(frozen=True)
class RangeTest:
    """The test's curve and what it suggests.

    ``losses`` are the smoothed batch losses (bias-corrected EMA), ``raw`` the batch losses as
    measured, one per lr tried. ``min_lr`` is where the smoothed loss was lowest,
    ``steepest_lr`` where it fell fastest per decade of lr (before the minimum), and
    ``suggested_lr`` = min_lr / 10, fastai's rule: the minimum itself is already at the edge.
    """

    lrs: list[float]
    losses: list[float]
    raw: list[float]
    suggested_lr: float
    min_lr: float
    steepest_lr: float
    stopped: str  # "diverged" (the smoothed loss passed 4x the best), "not finite" or "end"

    @property
    def suggested_range(self) -> tuple[float, float]:
        """From where the loss falls fastest to its minimum's tenth: a constant lr to try."""
        lo, hi = sorted((self.steepest_lr, self.suggested_lr))
        return lo, hi


def lr_schedule(start: float, end: float, iterations: int) -> list[float]:
    """lr_i = start (end/start)^(i/(n-1)): exponential from start to end inclusive."""
    if not (0 < start < end) or not math.isfinite(end):
        raise ValueError(f"the lr range must satisfy 0 < start < end, got {start:g} .. {end:g}")
    if iterations < 2:
        raise ValueError(f"iterations must be >= 2, got {iterations}")
    ratio = end / start
    return [start * ratio ** (i / (iterations - 1)) for i in range(iterations)]


def range_test(
    stepper: Stepper,
    start: float = START_LR,
    end: float = END_LR,
    iterations: int = ITERATIONS,
    beta: float = BETA,
    stop_factor: float = STOP_FACTOR,
    should_stop: Callable[[], bool] | None = None,
) -> RangeTest:
    """Train a copy of ``stepper``'s network, optimiser state and batch order with the lr rising
    exponentially from ``start`` to ``end``; the stepper itself is not changed.

    Each iteration records the batch loss before its update; the smoothed loss is the EMA
    avg_i = beta avg_{i-1} + (1 - beta) loss_i divided by 1 - beta^i (bias correction, so the
    first values are not pulled towards 0). The test stops once the smoothed loss passes
    ``stop_factor`` x its best, or a loss is not finite.
    """
    lrs = lr_schedule(start, end, iterations)
    net = stepper.net
    work = Network(net.sizes, net.activations, net.loss_fn, net.dtype)
    work.params[...] = net.params
    opt = copy.deepcopy(stepper.opt)
    rng = copy.deepcopy(stepper.batcher.rng)
    st = Stepper(work, opt, stepper.X, stepper.y, stepper.batch_size, rng, undo_depth=0)
    st.batcher.load_state(copy.deepcopy(stepper.batcher.state()))  # the run's next batches
    tried: list[float] = []
    smooth: list[float] = []
    raw: list[float] = []
    avg, best = 0.0, math.inf
    stopped = "end"
    for i, lr in enumerate(lrs, start=1):
        if should_stop is not None and should_stop():
            break
        st.set_lr(lr)
        st.run(1)
        if st.diverged is not None and st.diverged.limit is None:
            stopped = "not finite"
            break
        loss = float(st.history.train_loss[-1])
        avg = beta * avg + (1 - beta) * loss
        s = avg / (1 - beta**i)
        tried.append(lr)
        raw.append(loss)
        smooth.append(s)
        best = min(best, s)
        if not math.isfinite(s):
            stopped = "not finite"
            break
        if s > stop_factor * best:
            stopped = "diverged"
            break
    if not smooth:
        raise ValueError("the range test made no step: the first loss was not finite")
    return _suggest(tried, smooth, raw, stopped)


def _suggest(lrs: list[float], smooth: list[float], raw: list[float], stopped: str) -> RangeTest:
    i_min = int(np.argmin(smooth))
    min_lr = lrs[i_min]
    steep = min_lr
    x = np.log10(np.array(lrs))
    y = np.array(smooth)
    # The fall per decade of lr, measured across one decade (half each side): one noisy batch
    # moves the young average, and a slope between neighbours (1/25 decade apart) follows it.
    per_decade = (len(x) - 1) / (x[-1] - x[0]) if x[-1] > x[0] else 1.0
    w = max(1, round(per_decade / 2))
    # the first half decade is left out as fastai leaves out its first 10 points: there the
    # average is still settling from its first batches
    if i_min - w > 2 * w:
        i = np.arange(2 * w, i_min - w + 1)
        slope = (y[i + w] - y[i - w]) / (x[i + w] - x[i - w])
        steep = lrs[int(i[int(np.argmin(slope))])]
    return RangeTest(lrs, smooth, raw, min_lr / 10, min_lr, steep, stopped)
