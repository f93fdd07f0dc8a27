"""The units of one iteration computed one at a time, keeping every z, a and delta for display.

Each function runs the same numpy calls, in the same order, as the fast path (engine/fastpath.py),
so the weights agree bit for bit; each returns False when it rejected the iteration.

The units run in order (Stepper._step_unit), so a unit's inputs were computed by the units before
it; the asserts state that for the type checker (IterationState holds None until computed).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .units import Divergence, Phase

if TYPE_CHECKING:
    from .stepper import Stepper


def sample(st: Stepper, _: int | None) -> bool:
    """Apply held changes, save the start state for undo, draw the batch."""
    st.begin_iteration()
    return True


def forward(st: Stepper, i: int | None) -> bool:
    """z_i = a_{i-1} @ W_i + b_i and a_i = f(z_i), kept for display."""
    assert i is not None  # a forward unit names its layer
    it = st.it
    a_prev = it.X if i == 0 else it.acts[i - 1]
    assert a_prev is not None
    it.zs[i], it.acts[i] = st.net.layers[i].forward(a_prev)
    return True


def loss(st: Stepper, _: int | None) -> bool:
    """Per-sample and reduced loss of the batch; a non-finite loss rejects the iteration."""
    it = st.it
    lf = st.net.loss_fn
    z, a, y = it.zs[-1], it.acts[-1], it.y
    assert z is not None and a is not None and y is not None
    it.per_sample_loss = lf.per_sample(z, a, y)
    it.loss = lf.reduce(it.per_sample_loss)
    it.reg_loss = st.opt.reg_loss(st.net)
    if not math.isfinite(it.loss):
        return st.reject_iteration(Divergence(st.step + 1, "loss", None, "the loss"))
    return True


def backward(st: Stepper, i: int | None) -> bool:
    """delta_i (from the loss for the output layer, else from the layer above), dW_i, db_i."""
    assert i is not None  # a backward unit names its layer
    it = st.it
    net = st.net
    L = net.n_layers
    z, a = it.zs[i], it.acts[i]
    assert z is not None and a is not None
    if i == L - 1:
        assert it.y is not None
        delta = net.loss_fn.delta(z, a, it.y)
    else:
        above = it.deltas[i + 1]
        assert above is not None
        delta = net.layers[i + 1].delta_below(above, z, a, net.layers[i])
    it.deltas[i] = delta
    a_prev = it.X if i == 0 else it.acts[i - 1]
    assert a_prev is not None
    gW, gb = net.grad_views[i]
    net.layers[i].backward(delta, a_prev, gW, gb)
    it.grads_done[i] = True
    seg = net.grad_segments[i]
    if not math.isfinite(float(seg.dot(seg))):
        return st.reject_iteration(Divergence(st.step + 1, "backward", i, "the gradient norm"))
    return True


def update(st: Stepper, _: int | None) -> bool:
    """params += the optimiser's update, unless a weight would become non-finite; then the
    iteration is committed (step, history, undo, evaluation when due)."""
    it = st.it
    net = st.net
    sq = net.sq_layer_norms()
    it.reg_grad = st.opt.reg_grad(net)
    g = net.grad if it.reg_grad is None else net.grad + it.reg_grad
    u = st.opt.propose(g)
    new = net.params + u
    if not np.isfinite(new).all():
        return st.reject_iteration(Divergence.in_update(st.step + 1, sq))
    net.params[...] = new
    st.opt.commit()
    it.sq_grad_norms = sq
    it.grad_norms = np.sqrt(sq)
    it.update = u.copy()
    it.applied = st.opt.applied(g, it.reg_grad, it.update)
    if it.loss is None:
        raise RuntimeError("the update unit ran before the loss unit")
    st.commit_iteration(it.loss, it.lr, sq, it.batch_size)
    return True


UNIT_FUNCTIONS: dict[Phase, Callable[[Stepper, int | None], bool]] = {
    Phase.SAMPLE: sample,
    Phase.FORWARD: forward,
    Phase.LOSS: loss,
    Phase.BACKWARD: backward,
    Phase.UPDATE: update,
}
