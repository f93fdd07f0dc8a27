"""Snapshots copy each big array once: grad_W shares dW's copy when the update used the data
gradient itself, and no snapshot array is the engine's own buffer."""

from __future__ import annotations

import numpy as np
import pytest

from engine import SGD, Adam, Optimizer, Stepper
from engine.snapshot import take_snapshot
from tests.engine.engine_helpers import make_data, net_for


def _stepper(opt: Optimizer) -> Stepper:
    net = net_for([3, 5, 4, 3], "tanh", seed=2)
    X, y = make_data(net, 18, seed=3)
    return Stepper(net, opt, X, y, batch_size=4, seed=5, eval_every=3)


@pytest.mark.parametrize("path", ["unit", "fast"])
@pytest.mark.parametrize("opt", [lambda: SGD(0.1, momentum=0.9), lambda: Adam(0.01)])
def test_without_regularisation_grad_w_is_dw_one_copy(path: str, opt: object) -> None:
    st = _stepper(opt())  # type: ignore[operator]
    for _ in range(3):
        assert st.step_iteration() if path == "unit" else st.run(1).steps == 1
    snap = take_snapshot(st)
    for i, lay in enumerate(snap.layers):
        if lay.dW is None:  # the fast path keeps no per-layer gradients for some layers
            continue
        assert lay.grad_W is lay.dW and lay.grad_b is lay.db  # shared, not copied twice
        gW, gb = st.net.grad_views[i]
        assert lay.db is not None
        assert np.array_equal(lay.dW, gW) and np.array_equal(lay.db, gb)
        assert not np.shares_memory(lay.dW, st.net.grad)  # a copy, not the engine's buffer
    before = [lay.grad_W.copy() for lay in snap.layers if lay.grad_W is not None]
    assert st.step_iteration()  # the engine moves on: the snapshot does not
    after = [lay.grad_W for lay in snap.layers if lay.grad_W is not None]
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_with_l2_grad_w_is_its_own_copy_dw_plus_the_regularisation() -> None:
    st = _stepper(SGD(0.1, momentum=0.9, l2=0.01))
    for _ in range(2):
        assert st.step_iteration()
    snap = take_snapshot(st)
    for lay in snap.layers:
        assert lay.grad_W is not None and lay.dW is not None and lay.reg_dW is not None
        assert lay.grad_W is not lay.dW
        np.testing.assert_array_equal(lay.grad_W, lay.dW + lay.reg_dW)
