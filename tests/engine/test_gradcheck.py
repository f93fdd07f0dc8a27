"""Finite-difference gradient checks over every hidden activation, (output, loss) pair, depth."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from engine import HIDDEN, VALID_PAIRS, Network, gradient_check
from engine.gradcheck import noise_floor, per_layer_sample, relative_error
from tests.engine.engine_helpers import make_data, net_for, randomize

TOL = 1e-7
DEPTHS = (1, 2, 3, 4)  # hidden layers
REDUCTIONS = ("mean", "sum")


def _sizes(depth: int, n_out: int) -> list[int]:
    widths = [4, 3, 5, 3][:depth]
    return [3, *widths, n_out]


def _n_out(output: str, loss: str) -> int:
    return 3 if output == "softmax" else 2


# ---- an independent reference: the loss written from the formulas, no engine code ----------
def _ref_act(name: str, z: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    if name == "linear":
        return z
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise AssertionError(name)


def ref_loss(
    Ws: list[np.ndarray], bs: list[np.ndarray], acts: list[str], loss: str, red: str, X, y
) -> float:
    a = X
    for W, b, act in zip(Ws, bs, acts, strict=True):
        a = _ref_act(act, a @ W + b)
    if loss == "cross_entropy":
        per = -np.log(a[np.arange(len(y)), y])
    elif loss == "binary_cross_entropy":
        per = -(y * np.log(a) + (1 - y) * np.log(1 - a)).sum(axis=1)
    else:
        per = 0.5 * ((a - y) ** 2).sum(axis=1)
    return float(per.mean() if red == "mean" else per.sum())


def ref_fd(net, X, y, eps: float = 1e-5) -> list[tuple[np.ndarray, np.ndarray]]:
    """Central differences of ``ref_loss`` for every W and b entry, on copies of the params."""
    Ws = [layer.W.copy() for layer in net.layers]
    bs = [layer.b.copy() for layer in net.layers]
    args = (net.activations, net.loss_name, net.reduction, X, y)
    out = []
    for arrs in zip(Ws, bs, strict=True):
        grads = []
        for arr in arrs:
            g = np.empty_like(arr)
            for ix in np.ndindex(arr.shape):
                old = arr[ix]
                arr[ix] = old + eps
                lp = ref_loss(Ws, bs, *args)
                arr[ix] = old - eps
                lm = ref_loss(Ws, bs, *args)
                arr[ix] = old
                g[ix] = (lp - lm) / (2 * eps)
            grads.append(g)
        out.append((grads[0], grads[1]))
    return out


GRID = list(itertools.product(HIDDEN, VALID_PAIRS, DEPTHS, REDUCTIONS))


@pytest.mark.parametrize(
    ("hidden", "pair", "depth", "reduction"),
    GRID,
    ids=[f"{h}-{o}-{lo}-d{d}-{r}" for h, (o, lo), d, r in GRID],
)
def test_gradient_check_grid(
    hidden: str, pair: tuple[str, str], depth: int, reduction: str
) -> None:
    output, loss = pair
    net = randomize(
        net_for(_sizes(depth, _n_out(*pair)), hidden, output, loss, reduction),
        seed=depth * 7 + len(hidden),
    )
    X, y = make_data(net, 6, seed=depth)
    before = net.params.copy()
    rep = gradient_check(net, X, y)
    assert np.array_equal(net.params, before), "gradient_check must restore the parameters"
    assert rep.n_checked == net.n_params
    assert rep.fd_forward_passes == 2 * net.n_params
    assert len(rep.layers) == net.n_layers
    assert rep.max_rel_error <= TOL, rep


@pytest.mark.parametrize("pair", VALID_PAIRS, ids=[f"{o}-{lo}" for o, lo in VALID_PAIRS])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_no_hidden_layer(pair: tuple[str, str], reduction: str) -> None:
    net = randomize(net_for([4, _n_out(*pair)], "tanh", *pair, reduction), seed=3)
    X, y = make_data(net, 5)
    assert gradient_check(net, X, y).max_rel_error <= TOL


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("pair", VALID_PAIRS, ids=[f"{o}-{lo}" for o, lo in VALID_PAIRS])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_against_independent_reference(hidden: str, pair: tuple[str, str], reduction: str) -> None:
    """Engine loss and gradients against FD of a loss written from the formulas in the test."""
    net = randomize(net_for([3, 4, 3, _n_out(*pair)], hidden, *pair, reduction), seed=11)
    X, y = make_data(net, 7, seed=2)
    Ws = [layer.W.copy() for layer in net.layers]
    bs = [layer.b.copy() for layer in net.layers]
    expected = ref_loss(Ws, bs, net.activations, net.loss_name, reduction, X, y)
    np.testing.assert_allclose(net.loss(X, y), expected, rtol=1e-13, atol=0)
    grads = net.gradients(X, y)
    for li, ((dW, db), (fW, fb)) in enumerate(zip(grads, ref_fd(net, X, y), strict=True)):
        assert relative_error(dW, fW) <= TOL, (li, "W")
        assert relative_error(db, fb) <= TOL, (li, "b")


def test_sampled_subset_and_cost_report() -> None:
    net = randomize(net_for([20, 30, 10], "relu"), seed=5)
    X, y = make_data(net, 8)
    rep = gradient_check(net, X, y, max_params=50, seed=3)
    assert rep.n_checked == 50
    assert rep.n_params == net.n_params == 20 * 30 + 30 + 30 * 10 + 10
    assert sum(lc.checked_W + lc.checked_b for lc in rep.layers) == 50
    assert rep.fd_forward_passes == 100
    assert (rep.backprop_forward_passes, rep.backprop_backward_passes) == (1, 1)
    assert rep.fd_seconds > 0 and rep.backprop_seconds > 0
    assert rep.fd_seconds_all_params >= rep.fd_seconds
    assert rep.max_rel_error <= TOL
    # the same seed picks the same subset
    rep2 = gradient_check(net, X, y, max_params=50, seed=3)
    assert [lc.max_rel_error for lc in rep.layers] == [lc.max_rel_error for lc in rep2.layers]


def test_gradient_check_detects_a_wrong_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check must fail loudly when backprop is wrong (here: dL/db doubled)."""
    from engine.layer import Dense

    net = randomize(net_for([3, 4, 2], "tanh"), seed=1)
    X, y = make_data(net, 5)
    orig = Dense.backward

    def bad(self, delta, a_prev, gW, gb):
        orig(self, delta, a_prev, gW, gb)
        gb *= 2

    monkeypatch.setattr(Dense, "backward", bad)
    assert gradient_check(net, X, y).max_rel_error > 0.1


def test_relative_error_is_per_layer_scale() -> None:
    a = np.array([1.0, 1e-12, 0.0])
    b = np.array([1.0, 2e-12, 1e-11])
    assert relative_error(a, b) == pytest.approx(1e-11)
    assert relative_error(np.zeros(0), np.zeros(0)) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0


# ---- the verdict: |bp - fd| <= atol + rtol*|fd|, right for tiny gradients (issue 8) -----------


def _deep_sigmoid(depth: int = 8) -> Network:
    """Glorot-scaled sigmoid layers: each layer's gradients a fraction of the one above."""
    net = net_for([2, *([16] * depth), 2], "sigmoid")
    rng = np.random.default_rng(0)
    for layer in net.layers:
        layer.W[...] = rng.normal(0.0, np.sqrt(2.0 / (layer.fan_in + layer.fan_out)), layer.W.shape)
        layer.b[...] = 0.0
    return net


def test_tiny_gradients_agree_although_their_relative_error_is_large() -> None:
    net = _deep_sigmoid()
    X, y = make_data(net, 32)
    rep = gradient_check(net, X, y)
    first = rep.layers[0]
    assert first.max_gradient < 1e-5  # vanishing: rounding dominates its relative error
    assert rep.max_rel_error > 1e-7  # the old per-layer relative rule (<= 1e-6) is no verdict
    assert rep.agree and rep.worst_ratio < 1
    assert rep.atol == noise_floor(rep.loss, rep.eps, net.dtype)
    assert 1e-11 < rep.atol < 1e-8


def test_a_small_error_in_a_big_gradient_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.layer import Dense

    net = randomize(net_for([3, 4, 2], "tanh"), seed=1)
    X, y = make_data(net, 5)
    orig = Dense.backward

    def off_by_a_thousandth(self, delta, a_prev, gW, gb):
        orig(self, delta, a_prev, gW, gb)
        gW *= 1.001

    monkeypatch.setattr(Dense, "backward", off_by_a_thousandth)
    rep = gradient_check(net, X, y)
    assert not rep.agree and rep.worst_ratio > 10
    assert not any(lc.agree for lc in rep.layers)


def test_per_layer_sample_covers_every_layer_and_repeats_with_its_seed() -> None:
    net = net_for([20, 30, 10], "relu")
    idx = per_layer_sample(net, 7, seed=4)
    assert np.array_equal(idx, per_layer_sample(net, 7, seed=4))
    assert np.array_equal(idx, np.unique(idx))
    for ws, bs in zip(net.w_slices, net.b_slices, strict=True):
        assert ((idx >= ws.start) & (idx < ws.stop)).sum() == 7
        assert ((idx >= bs.start) & (idx < bs.stop)).sum() == 7
    rep = gradient_check(randomize(net), *make_data(net, 4), indices=idx)
    assert rep.n_checked == 28 and [lc.checked_W for lc in rep.layers] == [7, 7]


def test_an_interrupted_check_restores_the_parameters() -> None:
    net = randomize(net_for([3, 5, 2], "tanh"))
    X, y = make_data(net, 4)
    before = net.params.copy()
    calls: list[tuple[int, int]] = []

    def interrupt(done: int, total: int) -> None:
        calls.append((done, total))
        if done >= 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        gradient_check(net, X, y, progress=interrupt)
    assert calls[0] == (1, net.n_params) and np.array_equal(net.params, before)


def test_a_relu_kink_inside_the_step_is_counted_not_compared() -> None:
    """A ReLU input 1e-7 from 0: +-1e-5 on its bias straddles the kink, the difference is moot."""
    net = randomize(net_for([2, 3, 2], "relu"), seed=2)
    X, y = make_data(net, 5)
    first = net.layers[0]
    first.b[0] = 1e-7 - float(X[0] @ first.W[:, 0])  # sample 0's unit 0 sits just above 0
    rep = gradient_check(net, X, y)
    assert rep.layers[0].at_kink >= 1 and rep.at_kink == sum(lc.at_kink for lc in rep.layers)
    assert rep.agree  # the other parameters still agree; the kinked one is not a backprop error
