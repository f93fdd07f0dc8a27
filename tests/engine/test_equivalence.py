"""Unit-by-unit == whole iteration == fast path == SGD.step loop, bit for bit."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from engine import SGD, Adam, Batcher, Network, Optimizer, Phase, Stepper
from tests.engine.engine_helpers import computed, make_data, net_for

N_ITER = 13
N_SAMPLES = 23

OPTS: dict[str, Callable[[], Optimizer]] = {
    "sgd": lambda: SGD(lr=0.1),
    "sgd_mom_l1_l2": lambda: SGD(lr=0.05, momentum=0.9, l1=1e-3, l2=1e-2),
    "adam": lambda: Adam(lr=0.01),
    "adam_l2": lambda: Adam(lr=0.01, l2=1e-3),
}
BATCHES = {"full": None, "sgd1": 1, "mini5_short_last": 5, "mini8": 8}
NETS = {
    "relu_softmax": ([4, 6, 5, 3], "relu", "softmax", "cross_entropy"),
    "tanh_bce": ([4, 5, 2], "tanh", "sigmoid", "binary_cross_entropy"),
    "sigmoid_mse_sum": ([4, 3, 3, 2], "sigmoid", "linear", "mse"),
}


def _setup(netkey: str, optkey: str, bs: int | None, dtype: str) -> tuple[Network, Stepper]:
    sizes, hidden, output, loss = NETS[netkey]
    red = "sum" if netkey.endswith("sum") else "mean"
    net = net_for(sizes, hidden, output, loss, red, dtype, seed=4)
    X, y = make_data(net, N_SAMPLES, seed=5)
    return net, Stepper(net, OPTS[optkey](), X, y, batch_size=bs, seed=9, eval_every=4)


def _unit_by_unit(st: Stepper, n: int) -> None:
    while st.step < n:
        assert st.step_unit() is not None


def _whole_iterations(st: Stepper, n: int) -> None:
    for _ in range(n):
        assert st.step_iteration()


def _fast(st: Stepper, n: int) -> None:
    res = st.run(n)
    assert res.steps == n and res.diverged is None


def _mixed(st: Stepper, n: int) -> None:
    """A few units, a phase, then the fast path finishing the partial iteration first."""
    st.step_unit()
    st.step_unit()
    st.finish_phase()
    st.run(n - 1)  # the partial iteration counts as the first of these
    assert st.step == n - 1
    st.step_iteration()
    assert st.step == n


PATHS = {"iteration": _whole_iterations, "fast": _fast, "mixed": _mixed}


def _state(st: Stepper) -> dict[str, np.ndarray]:
    out = {"params": st.net.params.copy()}
    out.update({f"opt_{k}": v for k, v in st.opt.state().items()})
    out["train_loss"] = st.history.train_loss.copy()
    out["grad_norms"] = st.history.grad_norms.copy()
    out["lr"] = st.history.lr.copy()
    out["eval_steps"] = st.history.eval_steps.copy()
    out["eval"] = np.stack([st.history.eval_train_loss, st.history.test_accuracy])
    out["counters"] = np.array([st.step, st.epoch, st.batcher.pos])
    out["rng"] = np.array(str(st.batcher.rng.bit_generator.state))
    return out


def _assert_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f"), k


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch", list(BATCHES))
@pytest.mark.parametrize("optkey", list(OPTS))
def test_all_paths_bit_identical(optkey: str, batch: str, dtype: str) -> None:
    for netkey in NETS:
        net, ref = _setup(netkey, optkey, BATCHES[batch], dtype)
        _unit_by_unit(ref, N_ITER)
        expected = _state(ref)
        assert net.params.dtype == np.dtype(dtype)
        for name, path in PATHS.items():
            _, st = _setup(netkey, optkey, BATCHES[batch], dtype)
            path(st, N_ITER)
            try:
                _assert_same(expected, _state(st))
            except AssertionError as e:
                raise AssertionError(f"{netkey}: {name} differs from unit-by-unit: {e}") from e

        # the public API fast path, SGD.step, fed the same batches by a Batcher with the same seed
        net2, st2 = _setup(netkey, optkey, BATCHES[batch], dtype)
        opt = OPTS[optkey]()
        batcher = Batcher(N_SAMPLES, BATCHES[batch], np.random.default_rng(9))
        losses = []
        for _ in range(N_ITER):
            idx = batcher.next()
            X = st2.X if idx is None else st2.X[idx]
            y = st2.y if idx is None else st2.y[idx]
            losses.append(opt.step(net2, X, y))
        assert np.array_equal(net2.params, expected["params"]), f"{netkey}: SGD.step loop"
        assert np.array_equal(np.array(losses), expected["train_loss"]), f"{netkey}: losses"
        for k, v in opt.state().items():
            assert np.array_equal(v, expected[f"opt_{k}"]), k


def test_fast_path_keeps_last_iteration_for_display() -> None:
    _, st = _setup("relu_softmax", "sgd", 5, "float64")
    st.run(3)
    it = st.it
    assert not it.deltas_kept and st.at_boundary and st.step == 3
    assert it.loss == st.history.train_loss[-1]
    assert computed(it.X).shape[0] == it.batch_size == 5
    assert computed(it.acts[-1]).shape == (5, 3)
    assert all(d is None for d in it.deltas)
    assert it.update is not None and it.update.shape == st.net.params.shape


def test_unit_path_exposes_every_quantity() -> None:
    net, st = _setup("relu_softmax", "sgd_mom_l1_l2", 5, "float64")
    L = net.n_layers
    assert [u.label(L) for u in st.units] == [
        "sample",
        "forward L1/3",
        "forward L2/3",
        "forward L3/3",
        "loss",
        "backward L3/3",
        "backward L2/3",
        "backward L1/3",
        "update",
    ]
    before = net.params.copy()
    st.step_unit()  # sample
    it = st.it
    X, y, idx = computed(it.X), computed(it.y), computed(it.batch_idx)
    assert X.shape == (5, 4) and y.shape == (5,) and idx.shape == (5,)
    assert it.lr == 0.05 and it.batch_size == 5
    np.testing.assert_array_equal(X, st.X[idx])
    st.finish_phase()  # forward
    assert st.next_unit.phase == "loss"
    zs, acts = net.forward_all(X)
    for i in range(L):
        np.testing.assert_array_equal(it.zs[i], zs[i])
        np.testing.assert_array_equal(it.acts[i], acts[i])
    np.testing.assert_allclose(computed(it.acts[-1]).sum(axis=1), 1.0, rtol=1e-14)
    st.step_unit()  # loss
    per_sample = computed(it.per_sample_loss)
    assert per_sample.shape == (5,)
    assert it.loss == pytest.approx(per_sample.mean(), rel=1e-15)
    assert it.reg_loss is not None and it.reg_loss > 0
    st.finish_phase()  # backward
    grads = net.gradients(X, y)
    for i in range(L):
        assert it.grads_done[i] and computed(it.deltas[i]).shape == (5, net.sizes[i + 1])
        np.testing.assert_array_equal(net.grad_views[i][0], grads[i][0])
    st.step_unit()  # update
    assert st.step == 1 and st.at_boundary
    np.testing.assert_array_equal(net.params, before + computed(it.update))
    assert it.reg_grad is not None
    w = net.weight_mask
    np.testing.assert_array_equal(it.reg_grad[~w], 0)
    np.testing.assert_allclose(
        it.reg_grad[w], 1e-2 * before[w] + 1e-3 * np.sign(before[w]), rtol=1e-15
    )
    np.testing.assert_allclose(computed(it.grad_norms), net.layer_grad_norms(), rtol=0)


def test_run_until_and_phase_helpers() -> None:
    _, st = _setup("tanh_bce", "sgd", None, "float64")
    done = st.run_until(Phase.LOSS)
    assert [u.phase for u in done] == ["sample", "forward", "forward", "loss"]
    done = st.run_until(Phase.UPDATE)
    assert done[-1].phase == "update" and st.step == 1
