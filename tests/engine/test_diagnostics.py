"""Effective step, the momentum stability limit and per-layer update-to-weight ratios."""

from __future__ import annotations

import numpy as np
import pytest

from engine import SGD, Network, Stepper
from engine.diagnostics import effective_lr, layer_update_ratios, stability_limit, update_ratio
from engine.snapshot import take_snapshot


def test_effective_lr() -> None:
    assert effective_lr("sgd", 0.05, 0.9) == pytest.approx(0.5)
    assert effective_lr("sgd", 0.1) == 0.1
    assert effective_lr("adam", 0.001) == 0.001
    with pytest.raises(ValueError):
        effective_lr("sgd", 0.1, 1.0)
    with pytest.raises(ValueError):
        effective_lr("rmsprop", 0.1)


def test_momentum_converges_to_the_effective_step_on_a_constant_gradient() -> None:
    """v <- b v - lr g with g = 1: the step tends to lr / (1 - b)."""
    lr, b, v = 0.05, 0.9, 0.0
    for _ in range(500):
        v = b * v - lr * 1.0
    assert -v == pytest.approx(effective_lr("sgd", lr, b), rel=1e-12)


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_stability_limit_on_a_quadratic(momentum: float) -> None:
    """Heavy ball on (lam/2) x^2 stays bounded just under 2(1+b)/lam and grows just over it."""
    lam = 4.0
    limit = stability_limit(lam, momentum)
    assert limit == pytest.approx(2 * (1 + momentum) / lam)

    def final(lr: float) -> float:
        x, v = 1.0, 0.0
        for _ in range(2000):
            v = momentum * v - lr * lam * x
            x += v
        return abs(x)

    assert final(0.99 * limit) < 1.0 < final(1.01 * limit)
    assert stability_limit(0.0) == float("inf")


def test_layer_update_ratios_after_one_sgd_step() -> None:
    net = Network.from_sizes([2, 4, 3], "tanh", "softmax", "cross_entropy", seed=0)
    X = np.random.default_rng(1).standard_normal((8, 2))
    y = np.arange(8) % 3
    before = net.params.copy()
    grads = net.gradients(X, y)
    SGD(lr=0.1).step(net, X, y)
    ratios = layer_update_ratios(net, before, net.params)
    for i, (gW, _) in enumerate(grads):
        W0 = before[net.w_slices[i]]
        assert ratios[i] == pytest.approx(0.1 * np.linalg.norm(gW) / np.linalg.norm(W0))
    assert np.isnan(update_ratio(np.ones(3), np.zeros(3)))
    with pytest.raises(ValueError):
        layer_update_ratios(net, before[:-1], net.params)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_snapshot_carries_effective_lr_and_update_ratios(momentum: float) -> None:
    net = Network.from_sizes([3, 5, 4, 3], "tanh", "softmax", "cross_entropy", seed=2)
    rng = np.random.default_rng(3)
    st = Stepper(net, SGD(lr=0.1, momentum=momentum), rng.standard_normal((18, 3)),
                 np.arange(18) % 3, batch_size=4, seed=5)  # fmt: skip
    snap = take_snapshot(st)
    assert snap.settings.effective_lr == pytest.approx(0.1 / (1 - momentum))
    assert all(lay.update_ratio is None for lay in snap.layers)  # no update yet
    for _ in range(3):
        before = net.params.copy()
        assert st.step_iteration()
        ratios = layer_update_ratios(net, before, net.params)
        snap = take_snapshot(st)
        got = [lay.update_ratio for lay in snap.layers]
        assert got == pytest.approx(list(ratios), rel=1e-9)
