"""A stack's optimiser: per-model lr, momentum, L1 and L2 as columns, and the batched update."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .optimizers import Optimizer

Array = np.ndarray


class StackUpdate:
    """SGD (with momentum) or Adam for the active models of a stack, in the single path's order
    of operations (Optimizer.reg_grad, SGD/Adam.propose). A term the single path does not add
    (momentum 0, L1/L2 0) is masked out rather than added as 0.0, which keeps signed zeros.

    ``install`` sets the models (again after a freeze); ``propose`` gives the update and
    ``commit`` then keeps the optimiser state it computed."""

    def __init__(
        self, optimizer: str, beta1: float, beta2: float, eps: float, weight_mask: Array
    ) -> None:
        self.optimizer = optimizer
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self._weight_mask = weight_mask
        self.t = 0  # Adam's step count (every active model has the same)
        self._adam_next: tuple[Array, Array, int] | None = None

    def install(
        self, opts: Sequence[Optimizer], P: Array, V: Array, M: Array | None, S: Array | None
    ) -> None:
        """The active models' optimisers (their settings become columns) and state arrays."""
        self.V, self.M, self.S = V, M, S
        self._V_spare = np.empty_like(V)
        self._U = np.empty_like(P)
        self._base_lr = np.array([o.lr for o in opts], dtype=np.float64)[:, None]
        self.lr = (-self._base_lr).astype(P.dtype)
        mom = np.array([getattr(o, "momentum", 0.0) for o in opts], dtype=P.dtype)
        self._mom = mom[:, None]
        self._mom_rows = (mom > 0)[:, None]
        self._any_mom = bool(mom.any())
        self._all_mom = bool(mom.all())
        l1 = np.array([o.l1 for o in opts], dtype=P.dtype)
        l2 = np.array([o.l2 for o in opts], dtype=P.dtype)
        self._l1, self._l2 = l1[:, None], l2[:, None]
        wm = self._weight_mask[None, :]
        self._l1_where = wm & (l1 > 0)[:, None]
        self._l1_rows = (l1 > 0)[:, None]
        self._l2_where = wm & (l2 > 0)[:, None]
        self._reg_rows = ((l1 > 0) | (l2 > 0))[:, None]
        self._any_reg = bool(self._reg_rows.any())

    def scale_lr(self, factor: float, dtype: np.dtype[np.generic]) -> None:
        """Every model's lr times a schedule's factor: the Stepper's opt.lr = base x factor, a
        double, then -lr meets the weights' dtype."""
        self.lr = (-(self._base_lr * factor)).astype(dtype)

    def add_reg_grad(self, G: Array, P: Array) -> None:
        """G += l2 W + l1 sign(W) (weights only) for the regularised models, as Optimizer.reg_grad
        builds it: zeros, the l2 term, then the l1 term added."""
        if not self._any_reg:
            return
        R = np.zeros_like(P)
        np.multiply(P, self._l2, out=R, where=self._l2_where)
        if self._l1_rows.any():
            t = np.where(self._l1_where, self._l1 * np.sign(P), 0)
            np.add(R, t, out=R, where=self._l1_rows)
        np.add(G, R, out=G, where=self._reg_rows)

    def propose(self, G: Array) -> Array:
        """The optimiser's proposed update for every model (its state is committed later)."""
        if self.optimizer == "adam":
            return self._propose_adam(G)
        # into a reused buffer: a fresh (K, n_params) array per step costs page faults
        U: Array = np.multiply(G, self.lr, out=self._U)
        if self._any_mom:
            # dw(t) = -lr g + alpha dw(t-1), only for the models with momentum
            Vn = self._V_spare
            if self._all_mom:
                np.multiply(self.V, self._mom, out=Vn)
                Vn += U
                return Vn
            np.multiply(self.V, self._mom, out=Vn, where=self._mom_rows)
            np.add(Vn, U, out=Vn, where=self._mom_rows)
            np.copyto(U, Vn, where=self._mom_rows)
        return U

    def _propose_adam(self, G: Array) -> Array:
        """Adam's u = -lr m_hat / (sqrt(s_hat) + eps) in Adam.propose's order of operations."""
        assert self.M is not None and self.S is not None
        t = self.t + 1
        b1, b2 = self.beta1, self.beta2
        M = np.multiply(self.M, b1)
        M += np.multiply(G, 1 - b1)
        S = np.multiply(self.S, b2)
        tmp = np.multiply(G, G)
        tmp *= 1 - b2
        S += tmp
        self._adam_next = (M, S, t)
        U: Array = np.divide(M, 1 - b1**t)
        U *= self.lr
        denom = np.divide(S, 1 - b2**t)
        np.sqrt(denom, out=denom)
        denom += self.eps
        U /= denom
        return U

    def commit(self) -> None:
        """Take the state the last ``propose`` computed (Adam's moments, or the new velocity)."""
        if self.optimizer == "adam":
            assert self._adam_next is not None
            self.M, self.S, self.t = self._adam_next
        elif self._any_mom:
            self.V, self._V_spare = self._V_spare, self.V
