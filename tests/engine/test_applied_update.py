"""The snapshot shows the update that was applied: its gradient, lr, velocity or moments."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from engine import SGD, Adam, Optimizer, Phase, Stepper
from engine.snapshot import LayerSnap, Snapshot, UpdateInfo, take_snapshot
from tests.engine.engine_helpers import computed, make_data, net_for

Array = np.ndarray


def _stepper(opt: Optimizer, bs: int | None = 4) -> Stepper:
    net = net_for([3, 5, 4, 3], "tanh", seed=2)
    X, y = make_data(net, 18, seed=3)
    return Stepper(net, opt, X, y, batch_size=bs, seed=5, eval_every=3)


def _unit(st: Stepper, n: int) -> None:
    for _ in range(n):
        assert st.step_iteration()


def _fast(st: Stepper, n: int) -> None:
    assert st.run(n).steps == n


PATHS: dict[str, Callable[[Stepper, int], None]] = {"unit": _unit, "fast": _fast}


def _sgd_expected(lay: LayerSnap, lr: float, momentum: float) -> tuple[Array, Array]:
    """The 1986 rule as SGD.propose computes it: -lr g, plus momentum times the old velocity."""
    uW = computed(lay.grad_W) * -lr
    ub = computed(lay.grad_b) * -lr
    if momentum:
        uW = computed(lay.vel_W) * momentum + uW
        ub = computed(lay.vel_b) * momentum + ub
    return uW, ub


def _adam_expected(m: Array, v: Array, snap: Snapshot) -> Array:
    up = computed_update(snap)
    u = m / computed_float(up.bias1)
    u *= -up.lr
    d = np.sqrt(v / computed_float(up.bias2))
    d += computed_float(up.eps)
    u /= d
    return u


def computed_update(snap: Snapshot) -> UpdateInfo:
    assert snap.update is not None
    return snap.update


def computed_float(x: float | None) -> float:
    assert x is not None
    return x


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_update_is_minus_lr_grad_plus_momentum_velocity(path: str, momentum: float) -> None:
    st = _stepper(SGD(lr=0.1, momentum=momentum))
    assert take_snapshot(st).update is None  # before any update
    prev_u: list[Array] | None = None
    for k in range(4):
        PATHS[path](st, 1)
        snap = take_snapshot(st)
        up = computed_update(snap)
        assert (up.optimizer, up.lr, up.momentum) == ("sgd", 0.1, momentum)
        assert up.beta1 is None and up.t is None
        for i, lay in enumerate(snap.layers):
            uW, ub = _sgd_expected(lay, 0.1, momentum)
            assert np.array_equal(uW, computed(lay.uW)) and np.array_equal(ub, computed(lay.ub))
            assert np.array_equal(computed(lay.grad_W), computed(lay.dW))  # no l1/l2
            if momentum:
                want = np.zeros_like(uW) if prev_u is None else prev_u[i]
                assert np.array_equal(computed(lay.vel_W), want), k  # first step: no previous Δw
            else:
                assert lay.vel_W is None
        prev_u = [computed(lay.uW) for lay in snap.layers]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("l2", [0.0, 0.01])
def test_adam_update_follows_from_m_v_and_bias_corrections(path: str, l2: float) -> None:
    st = _stepper(Adam(lr=0.01, l2=l2))
    for t in range(1, 4):
        PATHS[path](st, 1)
        snap = take_snapshot(st)
        up = computed_update(snap)
        assert (up.optimizer, up.t, up.beta1, up.beta2, up.eps) == ("adam", t, 0.9, 0.999, 1e-8)
        assert up.bias1 == 1 - 0.9**t and up.bias2 == 1 - 0.999**t
        assert up.momentum is None
        for lay in snap.layers:
            mW, vW = computed(lay.m_W), computed(lay.v_W)
            assert np.array_equal(_adam_expected(mW, vW, snap), computed(lay.uW))
            ub = _adam_expected(computed(lay.m_b), computed(lay.v_b), snap)
            assert np.array_equal(ub, computed(lay.ub))
            assert lay.vel_W is None


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("make", [lambda: SGD(lr=0.5, l2=0.1), lambda: Adam(lr=0.01, l2=0.01)])
def test_l2_gradient_recorded_at_the_weights_before_the_update(
    path: str, make: Callable[[], Optimizer]
) -> None:
    st = _stepper(make())
    PATHS[path](st, 2)
    before = [lay.W.copy() for lay in take_snapshot(st).layers]
    PATHS[path](st, 1)
    snap = take_snapshot(st)
    for lay, W0 in zip(snap.layers, before, strict=True):
        assert np.array_equal(computed(lay.reg_dW), W0 * st.opt.l2)
        assert np.array_equal(computed(lay.grad_W), computed(lay.dW) + W0 * st.opt.l2)
        assert np.array_equal(computed(lay.grad_b), computed(lay.db))  # biases not regularised
        assert np.array_equal(lay.W, W0 + computed(lay.uW))


def test_lr_changed_mid_iteration_is_not_the_one_shown_as_applied() -> None:
    """The issue's case: the lr raised after the forward pass applies from the next step."""
    st = _stepper(SGD(lr=0.05, momentum=0.9))
    st.run_until(Phase.LOSS)
    assert not st.set_lr(0.1) and not st.set_momentum(0.5)
    st.run_until(Phase.UPDATE)
    snap = take_snapshot(st)
    up = computed_update(snap)
    assert (up.lr, up.momentum) == (0.05, 0.9)
    assert snap.settings.lr == 0.1  # what the next iteration uses
    for lay in snap.layers:
        assert not computed(lay.vel_W).any()  # first step: no previous Δw
        uW, _ = _sgd_expected(lay, 0.05, 0.9)
        assert np.array_equal(uW, computed(lay.uW))


def test_before_the_update_unit_nothing_is_recorded() -> None:
    st = _stepper(SGD(lr=0.1, momentum=0.9, l2=0.1))
    st.step_iteration()
    st.run_until(Phase.BACKWARD)
    snap = take_snapshot(st)
    assert snap.update is None
    W = snap.layers[0].W
    assert all(lay.grad_W is None and lay.vel_W is None for lay in snap.layers)
    # the regularisation gradient the coming update will use: at the current weights
    assert np.array_equal(computed(snap.layers[0].reg_dW), W * 0.1)


@pytest.mark.parametrize("make", [lambda: SGD(lr=0.1, momentum=0.9, l1=1e-3, l2=1e-2), Adam])
def test_fast_path_records_what_the_unit_path_records(make: Callable[[], Optimizer]) -> None:
    a, b = _stepper(make()), _stepper(make())
    _unit(a, 7)
    _fast(b, 7)
    sa, sb = take_snapshot(a), take_snapshot(b)
    assert sa.update == sb.update
    for la, lb in zip(sa.layers, sb.layers, strict=True):
        for name in ("grad_W", "grad_b", "reg_dW", "vel_W", "vel_b", "m_W", "v_W", "uW", "ub"):
            x, y = getattr(la, name), getattr(lb, name)
            assert (x is None) == (y is None), name
            assert x is None or np.array_equal(x, y), name


def test_undo_forgets_the_record() -> None:
    st = _stepper(SGD(lr=0.1, momentum=0.9))
    _fast(st, 3)
    assert st.undo()
    assert take_snapshot(st).update is None


def test_a_rejected_fast_iteration_leaves_no_stale_record() -> None:
    st = _stepper(SGD(lr=0.1, momentum=0.9), bs=None)
    _fast(st, 2)
    assert take_snapshot(st).update is not None
    st.net.params[0] = np.inf  # the next iteration's loss is not finite
    res = st.run(3)
    assert res.steps == 0 and res.diverged is not None
    assert take_snapshot(st).update is None
