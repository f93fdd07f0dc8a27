"""Stepper.run's loop: N whole iterations with the divergence guard, history and undo, fast."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np

from .optimizers import SGD
from .units import Divergence, IterationState, RunResult

if TYPE_CHECKING:
    from .stepper import Stepper


def run_fast(st: Stepper, n: int, should_stop: object) -> RunResult:
    """The guarded fast path behind Stepper.run: whole iterations, no per-unit bookkeeping."""
    t0 = time.perf_counter()
    done = 0
    if n > 0 and not st.at_boundary:
        if not st.step_iteration():
            return RunResult(done, st.diverged, time.perf_counter() - t0)
        done += 1
    st._apply_pending()
    net, opt, batcher, hist = st.net, st.opt, st.batcher, st.history
    opt.bind(net)
    lf = net.loss_fn
    X, Y = st.X, st.y
    params = net.params
    segs = net.grad_segments
    undo = st._undo.depth > 0
    # Exact overflow test without an extra pass over the weights: |p_i + u_i| <= ||p|| + ||u||,
    # so while that bound stays far below the dtype's max, p + u cannot overflow.
    safe = float(np.finfo(net.dtype).max) ** 0.5
    pbound = math.sqrt(float(params @ params))
    plain_sgd = isinstance(opt, SGD) and not opt.momentum and not opt.regularized
    zs = acts = Xb = yb = ps = None
    u = None
    while done < n:
        if should_stop is not None and should_stop():  # type: ignore[operator]
            break
        if undo:
            st._push_undo()
        mark = batcher.state()
        idx = batcher.next()
        if idx is None:
            Xb, yb = X, Y
        else:
            Xb, yb = X[idx], Y[idx]
        zs, acts = net.forward_all(Xb)
        ps = lf.per_sample(zs[-1], acts[-1], yb)
        loss = lf.reduce(ps)
        if not math.isfinite(loss):
            batcher.load_state(mark)
            st.diverged = Divergence(st.step + 1, "loss", None, "the loss")
            break
        net.backward_into(Xb, yb, zs, acts)
        # ndarray.dot per layer: ~0.6 us each, a quarter of reduceat(g * g) on small nets
        sq = [seg.dot(seg) for seg in segs]
        gsq = float(sum(sq))
        u = opt.propose(opt.total_grad(net)) if math.isfinite(gsq) else None
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
            if undo:
                st._undo.pop()
            batcher.load_state(mark)
            st.diverged = st._locate(np.array(sq))
            break
        opt.commit()
        st.step += 1
        hist.record(loss, opt.lr, sq)
        done += 1
        if st.step >= st._eval_due:
            st._maybe_eval()
    if zs is not None and done:
        # keep the last iteration's values (references, no copies) for display
        L = net.n_layers
        st.it = IterationState(
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
            update=None if u is None else u.copy(),
            grad_norms=hist.grad_norms_tail(1)[0],
            sq_grad_norms=None,
            lr=opt.lr,
            batch_size=Xb.shape[0],
            deltas_kept=False,
        )
        st._k = len(st._units)
    return RunResult(done, st.diverged, time.perf_counter() - t0)
