"""The learning-rate range test: schedule, smoothing, stopping rule, suggestion, no side effects."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import SGD, Stepper
from engine.lrfind import BETA, lr_schedule, range_test
from tests.engine.engine_helpers import make_data, net_for


def _stepper(momentum: float = 0.9) -> Stepper:
    net = net_for([2, 8, 8, 2], "tanh", "softmax", "cross_entropy", seed=3)
    X, y = make_data(net, 60, seed=4)
    return Stepper(net, SGD(0.1, momentum), X, y, batch_size=10, seed=5, undo_depth=0)


def test_schedule_is_exponential_from_start_to_end() -> None:
    lrs = lr_schedule(1e-7, 10.0, 81)
    assert lrs[0] == 1e-7 and math.isclose(lrs[-1], 10.0, rel_tol=1e-12)
    ratios = np.diff(np.log10(lrs))
    assert np.allclose(ratios, 0.1)  # 8 decades over 80 steps
    for bad in [(0.0, 1.0, 10), (1.0, 0.5, 10), (1e-3, 1.0, 1)]:
        with pytest.raises(ValueError):
            lr_schedule(*bad)


def test_runs_on_a_copy_and_leaves_the_stepper_alone() -> None:
    st = _stepper()
    st.run(7)
    before = (st.net.params.copy(), st.opt.state(), st.batcher.state(), st.step, st.lr)
    res = range_test(st, iterations=60)
    params, opt_state, batcher, step, lr = before
    assert np.array_equal(st.net.params, params)
    assert all(np.array_equal(v, opt_state[k]) for k, v in st.opt.state().items())
    after = st.batcher.state()
    assert (after.pos, after.epoch, after.rng_state) == (
        batcher.pos,
        batcher.epoch,
        batcher.rng_state,
    )
    assert (st.step, st.lr, len(st.history.train_loss)) == (step, lr, 7)
    # the same test again gives the same curve: nothing it used was consumed
    again = range_test(st, iterations=60)
    assert again.losses == res.losses and again.lrs == res.lrs


def test_the_copy_continues_the_run_it_was_taken_from() -> None:
    """Its first iteration is the run's next one (same weights, optimiser state, batch)."""
    st = _stepper()
    st.run(3)
    res = range_test(st, start=0.1, end=10.0, iterations=2)
    st.set_lr(0.1)
    st.run(1)
    assert res.raw[0] == st.history.train_loss[-1]


def test_smoothing_is_the_bias_corrected_ema() -> None:
    res = range_test(_stepper(), iterations=50)
    avg = 0.0
    for i, (raw, smooth) in enumerate(zip(res.raw, res.losses, strict=True), start=1):
        avg = BETA * avg + (1 - BETA) * raw
        assert smooth == avg / (1 - BETA**i)
    assert res.losses[0] == res.raw[0]  # the correction makes the first value the first loss


def test_stops_past_four_times_the_best_and_suggests_a_tenth_of_the_minimum() -> None:
    res = range_test(_stepper(), start=1e-4, end=1e4, iterations=200)
    assert res.stopped in ("diverged", "not finite")
    assert len(res.lrs) < 200
    if res.stopped == "diverged":
        assert res.losses[-1] > 4 * min(res.losses)
        assert all(s <= 4 * min(res.losses[: i + 1]) for i, s in enumerate(res.losses[:-1]))
    i_min = int(np.argmin(res.losses))
    assert res.min_lr == res.lrs[i_min] and res.suggested_lr == res.min_lr / 10
    assert res.lrs[0] <= res.steepest_lr <= res.min_lr
    lo, hi = res.suggested_range
    assert lo <= hi
