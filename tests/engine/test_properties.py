"""Hypothesis property tests over random shapes, batch sizes, seeds and configurations."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine import HIDDEN, SGD, VALID_PAIRS, Adam, Network, Stepper, downsample
from tests.engine.engine_helpers import make_data

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def configs(draw: st.DrawFn) -> dict:
    depth = draw(st.integers(0, 3))
    output, loss = draw(st.sampled_from(VALID_PAIRS))
    n_out = draw(st.integers(2 if output == "softmax" else 1, 4))
    sizes = [draw(st.integers(1, 6)), *[draw(st.integers(1, 7)) for _ in range(depth)], n_out]
    return {
        "sizes": sizes,
        "hidden": draw(st.sampled_from(HIDDEN)),
        "output": output,
        "loss": loss,
        "reduction": draw(st.sampled_from(["mean", "sum"])),
        "dtype": draw(st.sampled_from(["float64", "float32"])),
        "seed": draw(st.integers(0, 2**31 - 1)),
        "init": draw(st.sampled_from(["auto", "glorot", "he", "uniform"])),
    }


def _net(c: dict) -> Network:
    return Network.from_sizes(
        c["sizes"], hidden=c["hidden"], output=c["output"], loss=c["loss"], seed=c["seed"],
        dtype=c["dtype"], reduction=c["reduction"], init=c["init"],
    )  # fmt: skip


@SETTINGS
@given(c=configs(), n=st.integers(1, 12))
def test_shapes_finite_gradients_and_nonnegative_loss(c: dict, n: int) -> None:
    net = _net(c)
    X, y = make_data(net, n, seed=c["seed"] % 1000)
    dt = np.dtype(c["dtype"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = net.forward(X)
        loss = net.loss(X, y)
        grads = net.gradients(X, y)
    assert out.shape == (n, c["sizes"][-1]) and out.dtype == dt
    assert np.isfinite(loss) and loss >= 0
    assert len(grads) == len(net.layers)
    for layer, (dW, db) in zip(net.layers, grads, strict=True):
        assert dW.shape == layer.W.shape and db.shape == layer.b.shape
        assert dW.dtype == db.dtype == dt
        assert np.all(np.isfinite(dW)) and np.all(np.isfinite(db))
    if c["output"] == "softmax":
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5 if dt == np.float32 else 1e-12)
    if c["output"] == "sigmoid":
        assert np.all((out >= 0) & (out <= 1))
    ps = net.per_sample_loss(X, y)
    assert ps.shape == (n,) and np.all(ps >= 0)
    # mean and sum reductions differ by exactly the batch size
    if c["reduction"] == "sum":
        assert loss == float(ps.sum())


@SETTINGS
@given(
    c=configs(),
    n=st.integers(1, 15),
    bs=st.one_of(st.none(), st.integers(1, 16)),
    iters=st.integers(1, 8),
    adam=st.booleans(),
    momentum=st.sampled_from([0.0, 0.9]),
)
# found by hypothesis: linear hidden layers, sum reduction and momentum diverge at step 8
@example(
    c={
        "sizes": [6, 6, 1, 3, 2],
        "hidden": "linear",
        "output": "softmax",
        "loss": "cross_entropy",
        "reduction": "sum",
        "dtype": "float64",
        "seed": 411,
        "init": "he",
    },
    n=6,
    bs=None,
    iters=8,
    adam=False,
    momentum=0.9,
)
def test_fast_path_equals_unit_path_bit_for_bit(
    c: dict, n: int, bs: int | None, iters: int, adam: bool, momentum: float
) -> None:
    def make() -> Stepper:
        net = _net(c)
        X, y = make_data(net, n, seed=1)
        opt = Adam(lr=0.01, l2=1e-3) if adam else SGD(lr=0.05, momentum=momentum, l1=1e-4)
        return Stepper(net, opt, X, y, batch_size=bs, seed=c["seed"], eval_every=3)

    a, b = make(), make()
    a.run(iters)
    while b.step < iters and b.step_unit() is not None:
        pass
    # a run that diverges (linear layers, sum reduction and momentum can) must stop on both paths
    # at the same step, phase and layer, for the same reason
    assert a.diverged == b.diverged
    if a.diverged is not None:
        assert a.step == b.step < iters
        assert np.array_equal(a.net.params, b.net.params)
        return
    assert np.array_equal(a.net.params, b.net.params)
    assert np.array_equal(a.history.train_loss, b.history.train_loss)
    assert np.array_equal(a.history.grad_norms, b.history.grad_norms)
    for k, v in a.opt.state().items():
        assert np.array_equal(v, b.opt.state()[k])
    assert (a.step, a.epoch) == (b.step, b.epoch)
    assert a.epoch == (iters // a.steps_per_epoch)


@SETTINGS
@given(
    c=configs(),
    n=st.integers(2, 15),
    bs=st.one_of(st.none(), st.integers(1, 6)),
    before=st.integers(0, 6),
    k=st.integers(1, 6),
    partial=st.integers(0, 4),
)
def test_undo_restores_bit_for_bit(
    c: dict, n: int, bs: int | None, before: int, k: int, partial: int
) -> None:
    net = _net(c)
    X, y = make_data(net, n, seed=2)
    s = Stepper(net, Adam(lr=0.01), X, y, batch_size=bs, seed=c["seed"], undo_depth=10)
    s.run(before)
    params, opt_state = net.params.copy(), s.opt.state()
    rng_state, counters = s.batcher.rng.bit_generator.state, (s.step, s.epoch, s.batcher.pos)
    losses = s.history.train_loss.copy()
    for _ in range(k):
        s.step_iteration()
    for _ in range(partial):
        s.step_unit()
    while s.step > before or not s.at_boundary or s.position:
        assert s.undo()
    assert np.array_equal(net.params, params)
    for key, v in opt_state.items():
        assert np.array_equal(s.opt.state()[key], v)
    assert s.batcher.rng.bit_generator.state == rng_state
    assert (s.step, s.epoch, s.batcher.pos) == counters
    assert np.array_equal(s.history.train_loss, losses)


@SETTINGS
@given(
    y=st.lists(
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=1, max_size=500
    ),
    width=st.integers(1, 60),
)
def test_downsample_keeps_global_min_and_max(y: list[float], width: int) -> None:
    arr = np.array(y)
    xs, ys = downsample(arr, width)
    assert xs.shape == ys.shape
    assert len(ys) <= max(2 * width, len(arr))
    assert ys.min() == arr.min() and ys.max() == arr.max()
    assert np.all(np.diff(xs) >= 0)  # in order
    # every kept point is a real sample at its index
    np.testing.assert_array_equal(arr[xs.astype(int)], ys)
    if len(arr) <= 2 * width:
        np.testing.assert_array_equal(ys, arr)


@SETTINGS
@given(n=st.integers(1, 40), bs=st.integers(1, 45), seed=st.integers(0, 10_000))
def test_batcher_epochs_partition_the_data(n: int, bs: int, seed: int) -> None:
    from engine import Batcher

    b = Batcher(n, bs, np.random.default_rng(seed))
    for epoch in range(1, 3):
        seen = []
        while b.epoch < epoch:
            idx = b.next()
            seen.append(np.arange(n) if idx is None else idx)
        np.testing.assert_array_equal(np.sort(np.concatenate(seen)), np.arange(n))
        assert len(seen) == b.steps_per_epoch


@SETTINGS
@given(c=configs(), n=st.integers(1, 10))
def test_gradients_do_not_touch_the_weights(c: dict, n: int) -> None:
    net = _net(c)
    X, y = make_data(net, n)
    before = net.params.copy()
    g1 = net.gradients(X, y)
    g2 = net.gradients(X, y)
    assert np.array_equal(net.params, before)
    for (a, b), (cc, d) in zip(g1, g2, strict=True):
        assert np.array_equal(a, cc) and np.array_equal(b, d)
