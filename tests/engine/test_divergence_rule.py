"""The explosion rule (a loss that stays far above the initial one) and undo after divergence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import SGD, Divergence, Stepper
from engine.units import EXPLODE_FACTOR, EXPLODE_STEPS
from tests.engine.engine_helpers import make_data, net_for


def _five(lr: float, bs: int | None = 16, reduction: str = "mean") -> Stepper:
    """Five classes in the plane, ReLU net: at lr 1000 the loss explodes but stays finite."""
    net = net_for([2, 16, 16, 5], "relu", reduction=reduction, seed=1)
    X, y = make_data(net, 80, seed=2)
    return Stepper(net, SGD(lr=lr), X, y, batch_size=bs, seed=3)


def _whole_loss(st: Stepper) -> float:
    loss = st.net.loss(st.X, st.y)
    return loss / st.X.shape[0] if st.net.reduction == "sum" else loss


def test_initial_loss_is_the_whole_set_per_sample_loss_at_the_initial_weights() -> None:
    st = _five(0.1)
    assert st.initial_loss == pytest.approx(_whole_loss(st), rel=1e-12)
    assert st.explode_limit == EXPLODE_FACTOR * st.initial_loss
    summed = _five(0.1, reduction="sum")
    assert summed.initial_loss == pytest.approx(st.initial_loss, rel=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_an_exploding_loss_stops_the_fast_run_with_the_rule_named(reduction: str) -> None:
    st = _five(1000, reduction=reduction)
    res = st.run(500)
    d = st.diverged
    assert isinstance(d, Divergence) and res.diverged == d
    assert d.limit == EXPLODE_FACTOR * st.initial_loss
    assert res.steps == st.step == d.step == EXPLODE_STEPS + 1  # step 1's batch was still fine
    assert np.isfinite(st.net.params).all()  # the weights are finite: the old guard missed it
    assert f"{EXPLODE_FACTOR:g} x the initial loss" in str(d)
    assert f"for {EXPLODE_STEPS} steps in a row" in str(d)
    assert st.history.train_loss[-EXPLODE_STEPS:].min() > st.explode_limit * (
        16 if reduction == "sum" else 1
    )


def test_unit_path_trips_at_the_same_step_and_state() -> None:
    fast, unit = _five(1000), _five(1000)
    fast.run(500)
    while unit.diverged is None:
        assert unit.step_iteration()
        assert unit.step < 100
    assert unit.diverged == fast.diverged and unit.step == fast.step
    assert np.array_equal(unit.net.params, fast.net.params)
    # a partial iteration finished by run() that trips the rule stops the run there too
    part, ref = _five(1000), _five(1000)
    ref.run(EXPLODE_STEPS)
    part.run(EXPLODE_STEPS)
    part.step_unit()
    res = part.run(10)
    assert res.steps == 1 and part.diverged == fast.diverged


def test_running_again_without_a_change_stops_again_after_one_step() -> None:
    st = _five(1000)
    st.run(500)
    step = st.step
    res = st.run(500)
    assert res.steps == 1 and res.diverged is not None and st.step == step + 1


def test_a_new_lr_gets_a_fresh_count() -> None:
    st = _five(1000)
    st.run(500)
    st.set_lr(1000)  # the same value: still a change of mind, the count starts afresh
    assert st.diverged is None
    assert st.run(EXPLODE_STEPS - 1).steps == EXPLODE_STEPS - 1 and st.diverged is None
    assert st.run(5).steps == 1 and st.diverged is not None


def test_no_trip_in_a_normal_run() -> None:
    st = _five(0.1)
    assert st.run(3000).diverged is None
    st1 = _five(0.05, bs=1)  # one-sample batches: noisy, but never far above for 20 in a row
    assert st1.run(3000).diverged is None


def test_one_undo_after_an_explosion_returns_to_the_last_sound_state() -> None:
    st = _five(0.1)
    st.run(30)
    good = st.net.params.copy()
    st.set_lr(1000)
    st.run(500)
    assert st.diverged is not None and st.step > 30 + EXPLODE_STEPS - 1
    assert st.undo()
    loss = _whole_loss(st)
    assert math.isfinite(loss) and loss <= st.explode_limit
    assert st.step <= 31  # at most the one iteration of lr 1000 whose batch loss was fine
    assert st.diverged is None
    if st.step == 30:
        assert np.array_equal(st.net.params, good)
    # now lowering the lr works: training goes on from the sound state
    st.set_lr(0.1)
    assert st.run(200).diverged is None
    assert _whole_loss(st) < st.initial_loss


def test_one_undo_after_a_non_finite_divergence_returns_to_a_finite_loss() -> None:
    """The issue's case: the first z used to leave the whole-set loss at inf."""
    net = net_for([2, 8, 1], "relu", "linear", "mse", "sum", seed=0)
    rng = np.random.default_rng(0)
    X = rng.normal(0, 10, size=(16, 2))
    y = rng.normal(0, 10, size=(16, 1))
    st = Stepper(net, SGD(lr=1e-4), X, y, batch_size=None, seed=1)
    st.run(10)
    st.set_lr(1e3)
    res = st.run(10_000)
    assert res.diverged is not None and res.diverged.limit is None  # not finite, not the rule
    with np.errstate(over="ignore", invalid="ignore"):
        assert not math.isfinite(_whole_loss(st)) or _whole_loss(st) > st.explode_limit
    assert st.undo()
    loss = _whole_loss(st)
    assert math.isfinite(loss) and loss <= st.explode_limit and st.step <= 11
    st.set_lr(1e-4)
    assert st.run(20).diverged is None


def test_lower_lr_then_undo_still_rewinds() -> None:
    """'-' before 'z': the change of lr does not forget that the state is unsound."""
    st = _five(0.1)
    st.run(30)
    st.set_lr(1000)
    st.run(500)
    st.set_lr(0.01)
    assert st.undo() and st.step <= 31
    assert _whole_loss(st) <= st.explode_limit


def test_after_recovery_undo_is_one_step_again() -> None:
    st = _five(0.1)
    st.run(30)
    st.set_lr(1000)
    st.run(500)
    assert st.undo()
    step = st.step
    st.run(3)
    assert st.undo() and st.step == step + 2
