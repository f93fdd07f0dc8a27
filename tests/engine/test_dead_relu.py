"""Dead ReLU neurons: the share never active on the training set, per layer, at evaluation."""

from __future__ import annotations

import numpy as np

from engine import SGD, Stepper
from engine.snapshot import take_snapshot
from tests.engine.engine_helpers import make_data, net_for


def _stepper(hidden: str = "relu") -> Stepper:
    net = net_for([3, 8, 6, 2], hidden, seed=1)
    X, y = make_data(net, 40, seed=2)
    return Stepper(net, SGD(lr=0.1), X, y, batch_size=8, seed=3, eval_every=5)


def _dead_by_hand(st: Stepper) -> list[float]:
    zs, _ = st.net.forward_all(st.X)
    return [float(np.mean((z <= 0).all(axis=0))) for z in zs[:-1]]


def test_none_before_any_evaluation_and_for_non_relu_layers() -> None:
    st = _stepper()
    snap = take_snapshot(st)
    assert [lay.dead_fraction for lay in snap.layers] == [None, None, None]
    assert snap.curves.eval_step is None
    tanh = _stepper("tanh")
    tanh.evaluate()
    assert [lay.dead_fraction for lay in take_snapshot(tanh).layers] == [None, None, None]


def test_a_layer_whose_relus_are_all_dead_is_flagged() -> None:
    st = _stepper()
    st.net.layers[1].b = np.full(6, -1e3)  # z << 0 for every sample: the whole layer is dead
    st.net.layers[0].b[:2] = -1e3  # two of the first layer's eight neurons
    st.evaluate()
    snap = take_snapshot(st)
    assert [lay.dead_fraction for lay in snap.layers] == [0.25, 1.0, None]  # output: None
    assert [lay.dead_fraction for lay in snap.layers][:2] == _dead_by_hand(st)


def test_evaluations_during_training_keep_it_current_with_their_step() -> None:
    st = _stepper()
    st.run(7)  # an evaluation is due at step 5
    assert st.last_eval_step == 5
    snap = take_snapshot(st)
    assert snap.curves.eval_step == 5
    assert all(isinstance(lay.dead_fraction, float) for lay in snap.layers[:2])
    st.net.layers[1].b = np.full(6, -1e3)
    st.evaluate()
    assert take_snapshot(st).layers[1].dead_fraction == 1.0
    assert take_snapshot(st).curves.eval_step == 7
    st.reset()
    assert take_snapshot(st).layers[0].dead_fraction is None
