"""Keeping a curve to a bounded number of points: min/max per bucket of steps, ends kept."""

from __future__ import annotations

import numpy as np

# A series is thinned once it holds more than MAX_POINTS, to at most 2 * BUCKETS + 2 points: the
# cost is amortised (the count must double again before the next thinning) and a 10-million-step
# run keeps about as many points as a 3,000-step one.
MAX_POINTS = 2048
BUCKETS = 512


def thin(
    steps: np.ndarray, values: np.ndarray, buckets: int = BUCKETS
) -> tuple[np.ndarray, np.ndarray]:
    """The points to keep of a series sorted by step: in each of ``buckets`` equal ranges of steps,
    the point with the lowest and the one with the highest value, plus the first and the last.

    Buckets cut the step range, not the point count, so a series appended densely lately and
    sparsely before (after an earlier thinning) comes out evenly dense over the whole run. Spikes
    and the global extremes survive, as in engine.history_buckets' min/max buckets. NaN (a
    diverged value) sorts above everything, so a bucket holding one keeps it.
    """
    n = steps.shape[0]
    if n <= 2 * buckets + 2:
        return steps, values
    s0, s1 = int(steps[0]), int(steps[-1])
    span = s1 - s0 + 1
    bucket = ((steps - s0).astype(np.float64) * buckets / span).astype(np.int64)
    order = np.lexsort((values, bucket))
    sb = bucket[order]
    edge = sb[1:] != sb[:-1]
    first = np.concatenate(([True], edge))
    last = np.concatenate((edge, [True]))
    keep = np.unique(np.concatenate((order[first], order[last], [0, n - 1])))
    return steps[keep], values[keep]
