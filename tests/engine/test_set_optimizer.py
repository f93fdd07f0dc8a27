"""Stepper.set_optimizer: another optimiser keeps the weights, held to the iteration's end."""

from __future__ import annotations

import numpy as np
import pytest

from engine import SGD, Adam, Stepper
from engine.schedules import parse_schedule
from tests.engine.engine_helpers import make_data, net_for


def _stepper() -> Stepper:
    net = net_for([3, 5, 4, 3], "tanh", seed=2)
    X, y = make_data(net, 18, seed=3)
    return Stepper(net, SGD(lr=0.1, momentum=0.9), X, y, batch_size=4, seed=5, eval_every=3)


def test_switching_kind_keeps_the_weights_and_starts_from_zero_state() -> None:
    st = _stepper()
    st.run(5)
    params = st.net.params.copy()
    assert st.set_optimizer(Adam(lr=0.01, beta1=0.8, l2=1e-3))
    assert isinstance(st.opt, Adam) and st.lr == 0.01 and st.opt.beta1 == 0.8
    assert np.array_equal(st.net.params, params)
    assert not st.opt.state()["m"].any() and int(st.opt.state()["t"]) == 0
    assert st.undo_count == 0  # undo stops at the switch
    st.run(3)
    assert np.array_equal(st.history.lr[-3:], [0.01] * 3) and st.step == 8
    st.undo()
    assert st.step == 7


def test_the_same_kind_keeps_its_state() -> None:
    st = _stepper()
    st.run(5)
    velocity = st.opt.state()["velocity"]
    opt = st.opt
    st.set_optimizer(SGD(lr=0.05, momentum=0.5, l1=1e-4))
    assert st.opt is opt and isinstance(opt, SGD)
    assert (opt.lr, opt.momentum, opt.l1) == (0.05, 0.5, 1e-4)
    assert np.array_equal(st.opt.state()["velocity"], velocity)
    assert st.undo_count == 5  # nothing to forget


def test_mid_iteration_the_switch_is_held_and_paths_agree() -> None:
    a, b = _stepper(), _stepper()
    for st in (a, b):
        st.run(2)
        st.step_unit()
        assert not st.set_optimizer(Adam(lr=0.02))
        assert st.opt.name == "sgd" and "optimizer" in st.pending
    a.step_iteration()
    assert a.opt.name == "adam" and a.history.lr[-1] == 0.1  # that iteration ran with sgd
    while a.step < 9:
        a.step_unit()
    b.run(7)
    assert np.array_equal(a.net.params, b.net.params)
    assert np.array_equal(a.opt.state()["m"], b.opt.state()["m"])


def test_reset_after_a_switch_keeps_the_new_kind_at_zero_state() -> None:
    st = _stepper()
    initial = st.net.params.copy()
    st.run(3)
    st.set_optimizer(Adam(lr=0.01))
    st.run(3)
    st.reset()
    assert st.opt.name == "adam" and np.array_equal(st.net.params, initial)
    assert not st.opt.state()["m"].any()


def test_the_schedule_goes_on_multiplying_the_new_base() -> None:
    st = _stepper()
    st.set_schedule(parse_schedule("step:every=2,factor=0.5"))
    st.run(2)
    st.set_optimizer(Adam(lr=0.04))
    st.run(2)
    assert list(st.history.lr) == [0.1, 0.1, 0.02, 0.02]


def test_not_an_optimizer_raises() -> None:
    with pytest.raises(TypeError):
        _stepper().set_optimizer("adam")  # type: ignore[arg-type]
