"""Block summaries of big layers: the numbers the heatmaps draw are the array's own."""

from __future__ import annotations

import numpy as np
import pytest

from tui.widgets.heatmap import block_edges, block_reduce, robust_scale, summary_scale


@pytest.mark.parametrize("shape", [(784, 512), (512, 10), (7, 3), (1, 1)])
def test_the_maxabs_summary_gives_the_exact_scale(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=shape) * rng.exponential(size=shape)
    r = block_reduce(a, 12, 35, "maxabs")
    assert summary_scale(a, r) == robust_scale(a) == float(np.max(np.abs(a)))


def test_each_maxabs_block_keeps_its_signed_largest_magnitude() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=(784, 512))
    r = block_reduce(a, 12, 35, "maxabs")
    re, ce = block_edges(784, 12), block_edges(512, 35)
    for i, (r0, r1) in enumerate(zip(re, [*re[1:], 784], strict=True)):
        for j, (c0, c1) in enumerate(zip(ce, [*ce[1:], 512], strict=True)):
            block = a[r0:r1, c0:c1]
            assert r[i, j] == block.flat[np.argmax(np.abs(block))]


def test_the_mean_summary_is_each_blocks_mean() -> None:
    a = np.arange(784 * 512, dtype=np.float64).reshape(784, 512)
    r = block_reduce(a, 12, 35)
    re, ce = block_edges(784, 12), block_edges(512, 35)
    assert r.shape == (12, 35)
    assert r[3, 7] == pytest.approx(a[re[3] : re[4], ce[7] : ce[8]].mean(), rel=1e-12)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_value_falls_back_to_reading_the_array(bad: float) -> None:
    a = np.ones((100, 100))
    a[5, 5] = bad
    a[6, 6] = -7.0  # in the same block as the bad value
    r = block_reduce(a, 4, 4, "maxabs")
    assert summary_scale(a, r) == robust_scale(a)
    if np.isnan(bad):
        assert summary_scale(a, r) == 7.0  # the NaN does not hide the -7
