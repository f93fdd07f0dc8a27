"""K networks of one shape trained in one batched numpy pass, bit for bit as one at a time."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import stacked_loss
from .activations import get_activation, output_function
from .data import Batcher
from .evaluation import evaluate_sets
from .network import Network
from .optimizers import SGD, Adam, Optimizer
from .schedules import CONSTANT, Schedule
from .stacked_update import StackUpdate
from .stepper import REFERENCE_ROWS
from .units import EXPLODE_FACTOR, EXPLODE_STEPS, Divergence

Array = np.ndarray
ActFn = Callable[[Array], Array]
GradFn = Callable[[Array, Array], Array]

# Below this squared gradient norm the per-layer BLAS dots the single path computes are surely
# finite too (they differ from any other summation order by a relative ~n*eps), so the exact
# per-model dots are needed only above it: the rare road to overflow.
_SURELY_FINITE = 1e300


@dataclass(frozen=True)
class StackModel:
    """One model of a stack: initial weights, the generator of its batch order, its settings.

    ``rng`` is consumed by the stack (as the Stepper consumes its own): pass a fresh generator
    per model. Models whose generators are in the same state share one batch order.
    """

    params: Array
    rng: np.random.Generator
    lr: float
    momentum: float = 0.0
    l1: float = 0.0
    l2: float = 0.0


@dataclass
class StackResult:
    """Where one model ended: its weights, committed steps and divergence (None if it did not)."""

    params: Array
    steps: int
    diverged: Divergence | None
    initial_loss: float


class StackedTrainer:
    """Trains K copies of ``template``'s architecture at once, each with its own lr, momentum, L1,
    L2, initial weights and batch order; every model has the same batch size.

    Every operation is the single path's (Stepper.run, engine/fastpath.py) on a stacked array:
    ``np.matmul`` on (K, B, n_in) x (K, n_in, n_out) calls the same BLAS kernel per model as the
    2-D product (measured: bit-identical for every shape tried, broadcast inputs and strided
    outputs included), the batch reductions run along the same axis in the same order, and the
    element-wise maths is the same ufunc. So each model's weights agree bit for bit with the same
    run trained alone by the Stepper. Signed zeros are kept too: a term the single path does not
    add (momentum 0, L1/L2 0) is not added here either, rather than added as 0.0.

    Divergence follows the Stepper's rules per model: a non-finite loss, gradient or new weight
    rejects that model's iteration; the batch loss per sample above 10x its initial loss for 20
    committed steps in a row stops it after that step. A diverged model is frozen and taken out of
    the stack; the others go on.
    """

    def __init__(
        self,
        template: Network,
        models: Sequence[StackModel],
        X: Array,
        y: Array,
        batch_size: int | None,
        optimizer: str = "sgd",
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        X_test: Array | None = None,
        y_test: Array | None = None,
        task: str = "classification",
        record_every: int = 0,
        schedule: Schedule = CONSTANT,
    ) -> None:
        if optimizer not in ("sgd", "adam"):
            raise ValueError(f"unknown optimizer {optimizer!r}; valid: sgd, adam")
        if not models:
            raise ValueError("a stack needs at least one model")
        net = template
        self.net = net
        self.optimizer = optimizer
        self.schedule = schedule  # the lr in force: each model's lr x schedule.lr_at(step)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.X = net.as_inputs(X)
        self.y = net.as_targets(y)
        self.X_test = None if X_test is None else net.as_inputs(X_test)
        self.y_test = None if y_test is None else net.as_targets(y_test)
        self.task = task
        self.K = len(models)
        self.models = list(models)
        # The optimisers check the hyperparameters exactly as a single run would.
        self._opts: list[Optimizer] = [self._optimizer(m) for m in models]
        n_params = net.n_params
        P = np.empty((self.K, n_params), dtype=net.dtype)
        for k, m in enumerate(models):
            if m.params.shape != (n_params,):
                raise ValueError(f"model {k}: params must have shape ({n_params},)")
            P[k] = m.params
        # models whose generators are in the same state share one batcher (one batch order)
        self._batchers: list[Batcher] = []
        group: list[int] = []
        states: list[object] = []
        for m in models:
            st = m.rng.bit_generator.state
            if st in states:
                group.append(states.index(st))
            else:
                states.append(st)
                group.append(len(self._batchers))
                self._batchers.append(Batcher(self.X.shape[0], batch_size, m.rng))
        self.batch_size = self._batchers[0].batch_size
        self.step = 0
        self.results: list[StackResult | None] = [None] * self.K
        self.initial_loss = np.array([self._reference_loss(P[k]) for k in range(self.K)])
        ok = np.isfinite(self.initial_loss) & (self.initial_loss > 0)
        self._limit_all = np.where(ok, EXPLODE_FACTOR * self.initial_loss, np.inf)
        self._sum_loss = net.reduction == "sum"
        # per-layer functions and the parameter layout, shared by every model
        self._L = net.n_layers
        self._f: list[ActFn] = []
        self._fprime: list[GradFn | None] = []
        for layer in net.layers:
            act = layer.activation
            self._f.append(output_function(act) if layer.is_output else get_activation(act).f)
            self._fprime.append(None if layer.is_output else get_activation(act).grad)
        self._softmax_out = net.output == "softmax"
        self._rows = stacked_loss.RowIndex()
        self._update = StackUpdate(optimizer, self.beta1, self.beta2, self.eps, net.weight_mask)
        self._active = np.arange(self.K)
        self._group = np.array(group)
        self._set_stack(
            P,
            np.zeros_like(P),
            np.zeros_like(P) if optimizer == "adam" else None,
            np.zeros_like(P) if optimizer == "adam" else None,
            np.zeros(self.K, dtype=np.int64),
        )
        # the batch loss of every active model at every record_every-th step (0: none), as
        # (step, model indices, losses) rows; curve(k) picks one model's points out
        self.record_every = int(record_every)
        self._records: list[tuple[int, Array, Array]] = []

    # ---- set-up -----------------------------------------------------------------------------
    def _optimizer(self, m: StackModel) -> Optimizer:
        if self.optimizer == "adam":
            return Adam(m.lr, self.beta1, self.beta2, self.eps, l1=m.l1, l2=m.l2)
        return SGD(m.lr, m.momentum, l1=m.l1, l2=m.l2)

    def _reference_loss(self, params: Array) -> float:
        """The Stepper's initial loss: the data loss per sample on evenly strided rows."""
        self.net.params[...] = params
        stride = -(-self.X.shape[0] // REFERENCE_ROWS)
        Xr, yr = self.X[::stride], self.y[::stride]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss = self.net.loss(Xr, yr)
        return loss / max(Xr.shape[0], 1) if self.net.reduction == "sum" else loss

    def _set_stack(
        self, P: Array, V: Array, M: Array | None, S: Array | None, streak: Array
    ) -> None:
        """Install the active models' arrays and their per-model settings as columns."""
        act = self._active
        self.P, self._streak = P, streak
        self._P_spare = np.empty_like(P)
        self.G = np.empty_like(P)
        self._update.install([self._opts[k] for k in act], P, V, M, S)
        self._limit = self._limit_all[act]
        self._views()

    def _views(self) -> None:
        """Per-layer (K, fan_in, fan_out) and (K, fan_out) views of the weights (both buffers:
        they swap each iteration, their views with them) and of the gradient."""
        self._W, self._b = self._layer_views(self.P)
        self._W_spare, self._b_spare = self._layer_views(self._P_spare)
        self._gW, self._gb = self._layer_views(self.G)

    def _layer_views(self, flat: Array) -> tuple[list[Array], list[Array]]:
        net, K = self.net, flat.shape[0]
        Ws: list[Array] = []
        bs_: list[Array] = []
        for ws, bs, layer in zip(net.w_slices, net.b_slices, net.layers, strict=True):
            Ws.append(flat[:, ws].reshape(K, layer.fan_in, layer.fan_out))
            bs_.append(flat[:, bs])
        return Ws, bs_

    @property
    def active(self) -> int:
        """Models still training."""
        return len(self._active)

    # ---- training ---------------------------------------------------------------------------
    def run(self, n: int, should_stop: Callable[[], bool] | None = None) -> int:
        """Up to n iterations of every active model; returns how many were run (fewer when every
        model diverged or ``should_stop`` said so)."""
        done = 0
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            while done < n and len(self._active):
                if should_stop is not None and should_stop():
                    break
                self._iteration()
                done += 1
        return done

    def _batch(self) -> tuple[Array, Array]:
        """This iteration's inputs (K or 1, B, n_in) and targets, one batch order per group."""
        idx = [b.next() for b in self._batchers]
        if idx[0] is None:  # full batch: every model sees the whole set in its stored order
            return self.X[None], self.y[None]
        if len(idx) == 1:
            i0 = idx[0]
            return self.X[i0][None], self.y[i0][None]
        rows = np.stack([i for i in idx if i is not None])[self._group[self._active]]
        return self.X[rows], self.y[rows]

    def _iteration(self) -> None:
        step = self.step + 1
        if not self.schedule.is_constant:
            self._update.scale_lr(self.schedule.lr_at(self.step), self.P.dtype)
        Xb, yb = self._batch()
        n = Xb.shape[1]
        # forward: z = a @ W + b, a = f(z), each model with its own W
        zs: list[Array] = []
        acts: list[Array] = []
        a = Xb
        for W, b, f in zip(self._W, self._b, self._f, strict=True):
            z = np.matmul(a, W)
            z += b[:, None, :]
            a = f(z)
            zs.append(z)
            acts.append(a)
        ps = stacked_loss.per_sample(self.net.loss_fn, zs[-1], acts[-1], yb, self._rows)
        loss = np.add.reduce(ps, axis=1).astype(np.float64)
        if self.net.reduction == "mean":
            loss = loss / n
        rejected: dict[int, Divergence] = {}
        finite = np.isfinite(loss)
        if not finite.all():
            for k in np.flatnonzero(~finite):
                rejected[int(k)] = Divergence(step, "loss", None, "the loss")
        # backward: dL/dW = a_prev^T delta, dL/db = sum of delta over the batch, one layer down
        delta = stacked_loss.delta(self.net.loss_fn, zs[-1], acts[-1], yb, n, self._rows)
        for i in range(self._L - 1, -1, -1):
            a_prev = acts[i - 1] if i > 0 else Xb
            np.matmul(a_prev.transpose(0, 2, 1), delta, out=self._gW[i])
            np.add.reduce(delta, axis=1, out=self._gb[i])  # what np.sum calls
            if i > 0:
                fprime = self._fprime[i - 1]
                assert fprime is not None
                delta = np.matmul(delta, self._W[i].transpose(0, 2, 1))
                delta *= fprime(zs[i - 1], acts[i - 1])
        G = self.G
        gsq = np.einsum("ij,ij->i", G, G)
        unsure = ~(gsq < _SURELY_FINITE)
        for k in np.flatnonzero(unsure) if unsure.any() else ():
            if int(k) in rejected:
                continue
            # the single path's own test: one BLAS dot per layer, summed in Python
            segs = [
                G[k, o : bs.stop]
                for o, bs in zip(self.net.layer_offsets, self.net.b_slices, strict=True)
            ]
            sq = [s.dot(s) for s in segs]
            if not math.isfinite(float(sum(sq))):
                rejected[int(k)] = Divergence.in_update(step, sq)
        self._update.add_reg_grad(G, self.P)
        U = self._update.propose(G)
        new = np.add(self.P, U, out=self._P_spare)
        total = np.isfinite(np.add.reduce(new, axis=1))  # finite only if every weight is
        for k in np.flatnonzero(~total) if not total.all() else ():
            if int(k) not in rejected and not np.isfinite(new[k]).all():
                rejected[int(k)] = Divergence.in_update(step, [0.0])
        # commit: new weights and optimiser state for every model not rejected
        old = self.P
        if rejected:
            bad = np.fromiter(rejected, dtype=np.intp)
            new[bad] = old[bad]  # a rejected model keeps the weights it had
        self.P, self._P_spare = new, old
        self._W, self._W_spare = self._W_spare, self._W
        self._b, self._b_spare = self._b_spare, self._b
        self._update.commit()
        self.step = step
        if self.record_every and step % self.record_every == 0:
            self._records.append((step, self._active.copy(), loss))
        per_sample = loss / n if self._sum_loss else loss
        above = per_sample > self._limit
        frozen: dict[int, Divergence] = dict(rejected)
        if above.any() or self._streak.any():
            self._streak = np.where(above, self._streak + 1, 0)
        tripped = self._streak >= EXPLODE_STEPS
        for k in np.flatnonzero(tripped) if tripped.any() else ():
            if int(k) not in frozen:
                model = int(self._active[k])
                frozen[int(k)] = Divergence.exploded(step, float(self.initial_loss[model]))
        if frozen:
            self._freeze(frozen, old)

    def _freeze(self, frozen: dict[int, Divergence], old: Array) -> None:
        """Take diverged models out of the stack, keeping their final weights and reports."""
        for k, div in frozen.items():
            model = int(self._active[k])
            committed = div.limit is not None  # the explosion rule keeps the step it tripped on
            self.results[model] = StackResult(
                self.P[k].copy(),
                self.step if committed else self.step - 1,
                div,
                float(self.initial_loss[model]),
            )
        keep = np.ones(len(self._active), dtype=bool)
        keep[list(frozen)] = False
        self._active = self._active[keep]
        upd = self._update
        self._set_stack(
            self.P[keep],
            upd.V[keep],
            None if upd.M is None else upd.M[keep],
            None if upd.S is None else upd.S[keep],
            self._streak[keep],
        )

    # ---- results ----------------------------------------------------------------------------
    def finish(self) -> list[StackResult]:
        """Every model's result, in the order given (the active ones at the current step)."""
        for k, model in enumerate(self._active):
            self.results[int(model)] = StackResult(
                self.P[k].copy(), self.step, None, float(self.initial_loss[model])
            )
        out = [r for r in self.results if r is not None]
        assert len(out) == self.K
        return out

    def curve(self, model: int) -> tuple[Array, Array]:
        """One model's recorded batch losses: (steps, losses), the committed steps only (a
        rejected iteration's loss is not a point of the run)."""
        res = self.results[model]
        last = res.steps if res is not None else self.step
        steps: list[int] = []
        losses: list[float] = []
        for step, active, loss in self._records:
            if step > last:
                break
            i = np.searchsorted(active, model)
            if i < len(active) and active[i] == model:
                steps.append(step)
                losses.append(float(loss[i]))
        return np.array(steps, dtype=np.int64), np.array(losses, dtype=np.float64)

    def evaluate(self, result: StackResult, model: int) -> dict[str, float | None]:
        """The Stepper's whole-set evaluation of one model's weights (data + regularisation loss,
        accuracy; train and test)."""
        self.net.params[...] = result.params
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return evaluate_sets(
                self.net,
                self._opts[model],
                self.X,
                self.y,
                self.X_test,
                self.y_test,
                self.task,
            )
