"""Explain's equations for the update unit: plain SGD, momentum or Adam, as applied."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from engine.snapshot import LayerSnap, Snapshot

from ..numbers import fmt, operands
from .explain_equations import EQ, NOTE, NUM, Focus, par
from .lines import TextBuilder


def write_update(tb: TextBuilder, fc: Focus, s: Snapshot) -> None:
    """The update as it was applied: the lr, momentum and velocity or Adam's moments the
    engine recorded (not today's settings), and the gradient it used (data + l1/l2 at the
    weights before the update)."""
    layer = max(0, min(fc.cursor[0], len(s.layers) - 1))
    lay = s.layers[layer]
    i, j = fc.neuron(lay)
    is_b = fc.cursor[3] == "b"
    name = f"b{layer + 1}[{j}]" if is_b else f"W{layer + 1}[{i},{j}]"
    up = s.update
    u = lay.ub if is_b else lay.uW
    g = lay.grad_b if is_b else lay.grad_W
    if up is None or u is None or g is None:
        tb.line("The update changes every weight (its numbers were not kept).", EQ)
        return

    def at(a: np.ndarray | None) -> float | None:
        return None if a is None else float(a[j] if is_b else a[i, j])

    du, gv = float(u[j] if is_b else u[i, j]), float(g[j] if is_b else g[i, j])
    new = float(lay.b[j] if is_b else lay.W[i, j])
    old = new - du
    reg = None if is_b else at(lay.reg_dW)
    lr = up.lr
    if up.optimizer == "adam":
        _adam(tb, fc, s, lay, name, at, gv, du)
    elif up.momentum:
        vel = at(lay.vel_b if is_b else lay.vel_W)
        vel = 0.0 if vel is None else vel
        tb.line("Δw = -lr·g + α·Δw_prev  (momentum α; Δw_prev: the last step)", EQ)
        _reg(tb, gv, reg)
        (lr_, g_, a_, v_), d_ = operands(
            lambda lr_, g_, a_, v_: -lr_ * g_ + a_ * v_, [lr, gv, up.momentum, vel], du
        )
        tb.add(f"  {name}: Δw = -{lr_}·{par(g_)} + {a_}·{par(v_)} = ").line(d_, NUM)
        (o_, d2), n_ = operands(lambda o, d: o + d, [old, du], new, 6)
        tb.add(f"  w ← {o_} + {par(d2)} = ").line(n_, NUM)
    else:
        tb.line("w ← w - lr·g   (g: the gradient of the loss)", EQ)
        _reg(tb, gv, reg)
        (o_, lr_, g_), n_ = operands(lambda o, lr_, g_: o - lr_ * g_, [old, lr, gv], new, 6)
        tb.add(f"  {name}: {o_} - {lr_}·{par(g_)} = ").line(n_, NUM)
    moved = _moved(s, up.optimizer, bool(up.momentum))
    tb.line(moved + ("" if fc.short else " The next iteration starts with sample."), NOTE)


def _reg(tb: TextBuilder, gv: float, reg: float | None) -> None:
    """The gradient used when l1/l2 is on: the data's and the regularisation's, both at the
    weights before the update."""
    if reg:
        (d_, r_), g_ = operands(lambda a, b: a + b, [gv - reg, reg], gv, 5, 5)
        tb.line(f"  g = ∂L/∂w + reg = {d_} + {par(r_)} = {g_}")


def _adam(
    tb: TextBuilder,
    fc: Focus,
    s: Snapshot,
    lay: LayerSnap,
    name: str,
    at: Callable[[np.ndarray | None], float | None],
    gv: float,
    du: float,
) -> None:
    """Adam's step with its moments and bias corrections as they were applied."""
    up = s.update
    assert up is not None
    is_b = fc.cursor[3] == "b"
    m, v = at(lay.m_b if is_b else lay.m_W), at(lay.v_b if is_b else lay.v_W)
    b1, b2, eps, t = up.bias1, up.bias2, up.eps, up.t
    if m is None or v is None or b1 is None or b2 is None or eps is None or t is None:
        tb.line(f"adam: {name} moved by Δw = {fmt(du, 6)} (moments not kept)", EQ)
        return
    if fc.short:  # six rows: the moments' update rule gives way to their values
        tb.line("adam: Δw = -lr·m̂ / (√v̂ + ε),  m̂ = m/(1-β1ᵗ), v̂ = v/(1-β2ᵗ)", EQ)
    else:
        tb.line("adam: m ← β1·m + (1-β1)·g,  v ← β2·v + (1-β2)·g²", EQ)
        tb.line("  Δw = -lr·m̂ / (√v̂ + ε),  m̂ = m/(1-β1ᵗ), v̂ = v/(1-β2ᵗ)", EQ)
    if not fc.short:  # six rows: g itself is on the next line
        _reg(tb, gv, None if is_b else at(lay.reg_dW))
    tb.line(
        f"  {name}, t = {t}: g = {fmt(gv, 5)}, m = {fmt(m, 5)}, v = {fmt(v, 5)};"
        f"  1-β1ᵗ = {fmt(b1, 5)}, 1-β2ᵗ = {fmt(b2, 5)}"
    )
    mh, vh = m / b1, v / b2
    (lr_, m_, v_, e_), d_ = operands(
        lambda lr_, m_, v_, e_: -lr_ * m_ / (math.sqrt(v_) + e_), [up.lr, mh, vh, eps], du
    )
    tb.add(f"  m̂ = {m_}, v̂ = {v_}:  Δw = -{lr_}·{par(m_)} / (√{v_} + {e_}) = ")
    tb.line(d_, NUM)
    new = float(lay.b[fc.neuron(lay)[1]] if is_b else lay.W[fc.neuron(lay)])
    (o_, d2), n_ = operands(lambda o, d: o + d, [new - du, du], new, 6)
    tb.add(f"  w ← {o_} + {par(d2)} = ").line(n_, NUM)


def _moved(s: Snapshot, optimizer: str, momentum: bool) -> str:
    """What the update did to the weights' signs, said only as far as it is true."""
    against = total = 0
    for lay in s.layers:
        for u, g in ((lay.uW, lay.grad_W), (lay.ub, lay.grad_b)):
            if u is None or g is None:
                continue
            moving = (u != 0) & (g != 0)
            total += int(moving.sum())
            against += int((moving & (np.sign(u) == -np.sign(g))).sum())
    if total == 0:
        return "No weight moved (every gradient was 0)."
    if against == total:
        return "Every weight moved against its gradient."
    why = (
        "the momentum term α·Δw_prev outweighed -lr·g"
        if momentum
        else ("Adam's running average m had the other sign" if optimizer == "adam" else "")
    )
    return (
        f"{against} of the {total} weights that moved went against their gradient, the others "
        f"with it: {why}."
    )
