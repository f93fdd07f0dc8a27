"""The stacked trainer == the same K runs trained one at a time by the Stepper, bit for bit."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest

from engine import SGD, Adam, Optimizer, Stepper
from engine.stacked import StackedTrainer, StackModel, StackResult
from tests.engine.engine_helpers import make_data, net_for

NETS = {
    "relu_softmax": ([4, 6, 5, 3], "relu", "softmax", "cross_entropy", "mean"),
    "tanh_bce": ([4, 5, 2], "tanh", "sigmoid", "binary_cross_entropy", "mean"),
    "sigmoid_mse_sum": ([4, 3, 3, 2], "sigmoid", "linear", "mse", "sum"),
    "tanh_one_output": ([2, 8, 8, 1], "tanh", "tanh", "mse", "mean"),
}
# lr, momentum, l1, l2: every per-model setting differs somewhere, zeros included
HYPERS = [
    (0.1, 0.0, 0.0, 0.0),
    (0.05, 0.9, 1e-3, 1e-2),
    (0.3, 0.5, 0.0, 1e-3),
    (0.02, 0.0, 1e-3, 0),
]
N_ITER = 23


def _pair(
    key: str,
    dtype: str,
    optimizer: str,
    batch: int | None,
    hypers: Sequence[tuple[float, float, float, float]],
) -> tuple[StackedTrainer, list[Stepper]]:
    """A stack and, for each of its models, the same run as a Stepper (two seeds per setting)."""
    sizes, hidden, output, loss, red = NETS[key]
    template = net_for(sizes, hidden, output, loss, red, dtype, seed=4)
    X, y = make_data(template, 23, seed=5, dtype=dtype)
    models: list[StackModel] = []
    singles: list[Stepper] = []
    for (lr, mom, l1, l2), seed in itertools.product(hypers, (0, 1)):
        net = net_for(sizes, hidden, output, loss, red, dtype, seed=10 + seed)
        mom = mom if optimizer == "sgd" else 0.0
        models.append(
            StackModel(net.params.copy(), np.random.default_rng(100 + seed), lr, mom, l1, l2)
        )
        opt: Optimizer = SGD(lr, mom, l1, l2) if optimizer == "sgd" else Adam(lr, l1=l1, l2=l2)
        rng = np.random.default_rng(100 + seed)
        singles.append(Stepper(net, opt, X, y, batch_size=batch, seed=rng, undo_depth=0))
    return StackedTrainer(template, models, X, y, batch, optimizer=optimizer), singles


def _assert_same(st: Stepper, r: StackResult) -> None:
    assert r.steps == st.step
    assert r.diverged == st.diverged
    assert np.array_equal(r.params, st.net.params, equal_nan=True)
    # the signs of zeros too: a term the single path does not add is not added as 0.0
    assert np.array_equal(np.signbit(r.params), np.signbit(st.net.params))


@pytest.mark.parametrize("key", NETS)
@pytest.mark.parametrize("batch", [None, 1, 5])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_bit_identical_to_single_runs(key: str, batch: int | None, optimizer: str) -> None:
    tr, singles = _pair(key, "float64", optimizer, batch, HYPERS)
    assert tr.run(N_ITER) == N_ITER
    for st, r in zip(singles, tr.finish(), strict=True):
        st.run(N_ITER)
        _assert_same(st, r)


@pytest.mark.parametrize("key", ["relu_softmax", "tanh_one_output"])
def test_bit_identical_float32(key: str) -> None:
    tr, singles = _pair(key, "float32", "sgd", 5, HYPERS)
    tr.run(N_ITER)
    for st, r in zip(singles, tr.finish(), strict=True):
        st.run(N_ITER)
        assert r.params.dtype == np.float32
        _assert_same(st, r)


def test_initial_loss_and_evaluation_match_the_stepper() -> None:
    tr, singles = _pair("relu_softmax", "float64", "sgd", 5, HYPERS[:2])
    tr.run(7)
    for k, (st, r) in enumerate(zip(singles, tr.finish(), strict=True)):
        st.run(7)
        assert r.initial_loss == st.initial_loss
        assert tr.evaluate(r, k) == st.evaluate()


def test_diverged_models_are_frozen_the_others_go_on() -> None:
    """lrs from tame to absurd: explosion (committed), non-finite loss and gradient (rejected)
    each stop their model where the Stepper stops, with its report; the tame ones finish."""
    sizes, hidden, output, loss, red = [4, 16, 16, 2], "relu", "linear", "mse", "sum"
    template = net_for(sizes, hidden, output, loss, red, seed=4)
    X, y = make_data(template, 40, seed=5)
    X = X * 30
    models, singles = [], []
    for lr, mom in itertools.product((1e-5, 0.01, 1.0, 1e8, 1e200), (0.0, 0.9)):
        net = net_for(sizes, hidden, output, loss, red, seed=11)
        models.append(StackModel(net.params.copy(), np.random.default_rng(7), lr, mom))
        rng = np.random.default_rng(7)
        singles.append(Stepper(net, SGD(lr, mom), X, y, batch_size=5, seed=rng, undo_depth=0))
    tr = StackedTrainer(template, models, X, y, 5)
    assert tr.run(60) == 60
    assert tr.active == 2  # only lr 1e-5 survives 60 steps of these inputs
    results = tr.finish()
    kinds = set()
    for st, r in zip(singles, results, strict=True):
        st.run(60)
        _assert_same(st, r)
        if r.diverged is not None:
            kinds.add((r.diverged.phase, r.diverged.limit is not None))
            # committed explosion: steps == the step it tripped on; rejected: one before
            assert r.steps == r.diverged.step - (0 if r.diverged.limit is not None else 1)
    assert ("loss", True) in kinds  # the explosion rule
    assert ("loss", False) in kinds  # a non-finite loss
    assert ("backward", False) in kinds  # a non-finite gradient


def test_run_stops_when_every_model_diverged() -> None:
    template = net_for([4, 6, 3], "relu", "softmax", "cross_entropy", seed=1)
    X, y = make_data(template, 10, seed=2)
    models = [StackModel(template.params.copy(), np.random.default_rng(0), 1e200)]
    tr = StackedTrainer(template, models, X, y, None)
    assert tr.run(50) == 2
    assert tr.active == 0
    (r,) = tr.finish()
    assert r.diverged is not None and r.steps == 1


def test_bad_settings_are_refused_like_a_single_run() -> None:
    template = net_for([2, 3, 2], seed=1)
    X, y = make_data(template, 6)
    with pytest.raises(ValueError, match="lr"):
        StackedTrainer(
            template, [StackModel(template.params.copy(), np.random.default_rng(), -1)], X, y, 2
        )
    with pytest.raises(ValueError, match="momentum"):
        model = StackModel(template.params.copy(), np.random.default_rng(), 0.1, momentum=1.0)
        StackedTrainer(template, [model], X, y, 2)
    with pytest.raises(ValueError, match="at least one"):
        StackedTrainer(template, [], X, y, 2)


@pytest.mark.parametrize("every", [1, 3])
def test_recorded_curves_are_the_steppers_batch_losses(every: int) -> None:
    """Every ``every``-th step's batch loss, committed steps only (a diverged model's end)."""
    template = net_for([4, 8, 3], "relu", "softmax", "cross_entropy", seed=4)
    X, y = make_data(template, 30, seed=5)
    X = X * 30
    models, singles = [], []
    for lr in (0.01, 1e3, 1e200):
        net = net_for([4, 8, 3], "relu", "softmax", "cross_entropy", seed=6)
        models.append(StackModel(net.params.copy(), np.random.default_rng(2), lr))
        rng = np.random.default_rng(2)
        singles.append(Stepper(net, SGD(lr), X, y, batch_size=7, seed=rng, undo_depth=0))
    tr = StackedTrainer(template, models, X, y, 7, record_every=every)
    tr.run(40)
    for k, (st, r) in enumerate(zip(singles, tr.finish(), strict=True)):
        st.run(40)
        steps, losses = tr.curve(k)
        assert steps.tolist() == list(range(every, r.steps + 1, every))
        assert np.array_equal(losses, st.history.train_loss[steps - 1])


@pytest.mark.parametrize("text", ["cosine:steps=20,min=0.1", "warmup:steps=5+step:every=4"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_bit_identical_with_an_lr_schedule(text: str, optimizer: str) -> None:
    from engine.schedules import parse_schedule

    schedule = parse_schedule(text)
    tr, singles = _pair("relu_softmax", "float64", optimizer, 5, HYPERS)
    tr.schedule = schedule
    for st in singles:
        st.set_schedule(schedule)
    tr.run(N_ITER)
    for st, r in zip(singles, tr.finish(), strict=True):
        st.run(N_ITER)
        _assert_same(st, r)
