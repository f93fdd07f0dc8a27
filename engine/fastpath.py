"""Stepper.run's loop: N whole iterations with the divergence guard, history and undo, fast."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .optimizers import SGD
from .units import Divergence, IterationState

if TYPE_CHECKING:
    from .stepper import Stepper

Array = np.ndarray


def run_fast(
    st: Stepper, n: int, should_stop: Callable[[], bool] | None, done: int = 0
) -> tuple[int, IterationState | None]:
    """Whole iterations from an iteration boundary until ``done`` reaches n, without per-unit
    bookkeeping; ``done`` counts iterations already finished by the caller.

    Returns the new ``done`` and, when a forward pass ran and ``done`` > 0, the last forward
    pass's values (references, no copies) for display, with the record of the update applied
    when the last iteration was committed; Stepper.run makes that the current iteration. Held
    changes must already be applied and the optimiser bound (Stepper.run does).
    """
    net, opt, hist = st.net, st.opt, st.history
    lf = net.loss_fn
    params = net.params
    segs = net.grad_segments
    begin = st.begin_fast_iteration
    commit = st.commit_iteration
    # Exact overflow test without an extra pass over the weights: |p_i + u_i| <= ||p|| + ||u||,
    # so while that bound stays far below the dtype's max, p + u cannot overflow.
    safe = float(np.finfo(net.dtype).max) ** 0.5
    pbound = math.sqrt(float(params @ params))
    plain_sgd = isinstance(opt, SGD) and not opt.momentum and not opt.regularized
    zs: list[Array] = []
    acts: list[Array] = []
    Xb, yb = st.X, st.y
    ps: Array | None = None
    u: Array | None = None
    g: Array = net.grad
    r: Array | None = None
    committed = False  # whether the loop's last iteration was committed (its buffers intact)
    while done < n:
        if should_stop is not None and should_stop():
            break
        Xb, yb = begin()
        zs, acts = net.forward_all(Xb)
        ps = lf.per_sample(zs[-1], acts[-1], yb)
        loss = lf.reduce(ps)
        committed = False
        if not math.isfinite(loss):
            st.reject_iteration(Divergence(st.step + 1, "loss", None, "the loss"))
            break
        net.backward_into(Xb, yb, zs, acts)
        # ndarray.dot per layer: ~0.6 us each, a quarter of reduceat(g * g) on small nets
        sq = [seg.dot(seg) for seg in segs]
        gsq = float(sum(sq))
        # opt.total_grad inlined to keep r and g: a fresh array each (with l1/l2), or net.grad
        r = opt.reg_grad(net)
        g = net.grad if r is None else net.grad + r
        u = opt.propose(g) if math.isfinite(gsq) else None
        if u is not None:
            usq = opt.lr * opt.lr * gsq if plain_sgd else float(u @ u)
            unorm = math.sqrt(usq) if math.isfinite(usq) else math.inf
            if pbound + unorm < safe:
                params += u
                pbound += unorm
            else:
                # rare: weights or update huge; test p + u out of place before committing
                new = params + u
                if np.isfinite(new).all():
                    params[...] = new
                    pbound = math.sqrt(float(params @ params))
                else:
                    u = None
        if u is None:
            st.reject_iteration(Divergence.in_update(st.step + 1, sq))
            break
        opt.commit()
        committed = True
        done += 1
        if not commit(loss, opt.lr, sq, Xb.shape[0]):
            break  # the explosion rule tripped
    if not zs or not done:
        return done, None
    L = net.n_layers
    update = None if u is None else u.copy()
    last = IterationState(
        batch_idx=None,
        X=Xb,
        y=yb,
        zs=list(zs),
        acts=list(acts),
        per_sample_loss=ps,
        loss=float(hist.train_loss[-1]),
        reg_loss=None,
        deltas=[None] * L,
        grads_done=[True] * L,
        reg_grad=None,
        update=update,
        grad_norms=hist.grad_norms_tail(1)[0],
        sq_grad_norms=None,
        lr=opt.lr,
        batch_size=Xb.shape[0],
        deltas_kept=False,
        # no copies in the loop: the last committed iteration's g, r and the optimiser's buffers
        # are intact until the next propose; a rejected last iteration overwrote them
        applied=opt.applied(g, r, update) if committed and update is not None else None,
    )
    return done, last
