"""Layer histograms: counts against numpy, fixed bins, thinning keeps memory bounded."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Network
from engine.histograms import (
    LayerHistograms,
    gradient_arrays,
    linear_bins,
    magnitude_bins,
    weight_arrays,
)


def test_magnitude_bins_count_sizes_with_the_ends_catching_the_rest() -> None:
    bins = magnitude_bins(1e-4, 1.0, per_decade=1)
    assert bins.n_bins == 4
    np.testing.assert_allclose(bins.edges, [1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    x = np.array([0.0, -5e-6, 2e-4, -3e-3, 0.05, 0.5, -7.0, np.nan, np.inf])
    # |x|: 0 and 5e-6 below the range -> bin 0 with 2e-4; 3e-3; 0.05; 0.5 and 7 -> the last
    assert bins.count(x).tolist() == [3, 1, 1, 2]


def test_linear_bins_match_numpy_histogram_inside_the_range() -> None:
    bins = linear_bins(1.0, 8)
    x = np.random.default_rng(0).uniform(-0.999, 0.999, 1000)
    np.testing.assert_array_equal(bins.count(x), np.histogram(x, bins.edges)[0])
    assert bins.count(np.array([-5.0, 5.0])).tolist() == [1, 0, 0, 0, 0, 0, 0, 1]


def test_frames_per_layer_sum_to_layer_sizes() -> None:
    net = Network.from_sizes([3, 5, 4, 2], "tanh", "softmax", "cross_entropy", seed=0)
    X = np.random.default_rng(1).standard_normal((10, 3))
    net.gradients(X, np.arange(10) % 2)
    h = LayerHistograms(net.n_layers, magnitude_bins())
    assert h.record(0, weight_arrays(net))
    g = LayerHistograms(net.n_layers, magnitude_bins())
    assert g.record(0, gradient_arrays(net))
    for hist in (h, g):
        assert hist.counts.shape == (1, 3, hist.bins.n_bins)
        assert hist.counts[0].sum(axis=1).tolist() == [15, 20, 8]
    with pytest.raises(ValueError):
        h.record(1, weight_arrays(net)[:2])


def test_thinning_keeps_the_whole_run_in_bounded_frames() -> None:
    h = LayerHistograms(1, linear_bins(1.0, 4), capacity=8)
    recorded = [s for s in range(1000) if h.record(s, [np.array([0.5])])]
    assert len(h) <= 8 and h.counts.shape[0] == len(h)
    steps = h.steps
    assert steps[0] == 0  # the first frame is never dropped
    assert np.all(np.diff(steps) == h.stride)  # evenly spaced
    assert steps[-1] > 1000 - 2 * h.stride  # and they reach the end of the run
    assert len(recorded) < 1000  # most calls cost nothing once the stride has grown
    h.clear()
    assert len(h) == 0 and h.stride == 1 and h.record(5, [np.zeros(1)])


def test_bad_bins_are_refused() -> None:
    for args in ((0.0, 1.0), (1.0, 0.5)):
        with pytest.raises(ValueError):
            magnitude_bins(*args)
    with pytest.raises(ValueError):
        linear_bins(0.0)
    with pytest.raises(ValueError):
        LayerHistograms(0, linear_bins())
