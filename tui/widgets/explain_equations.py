"""Explain's equations for the sample, forward, loss and backward units, with real numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.activations import ACTIVATIONS
from engine.snapshot import LayerSnap, Snapshot

from ..numbers import fmt, neg_log, operands, signed
from .lines import TextBuilder

MAX_TERMS = 4  # dot-product terms written out before "…"
EQ, NUM, NOTE = "bold", "cyan", "dim"


@dataclass(frozen=True)
class Focus:
    """Whose numbers the equations show: the weights cursor (layer, row, col, kind), the
    sample chosen in the outputs panel, and whether the panel has only six rows or fewer."""

    cursor: tuple[int, int, int, str]
    sample: int
    short: bool

    def neuron(self, lay: LayerSnap) -> tuple[int, int]:
        """(i, j) of the cursor clamped into ``lay``: the neuron j and incoming weight i shown."""
        _, row, col, _ = self.cursor
        fi, fo = lay.W.shape
        return max(0, min(row, fi - 1)), max(0, min(col, fo - 1))

    def sample_of(self, s: Snapshot) -> int:
        rows = s.batch.X.shape[0] if s.batch.X is not None else 1
        return max(0, min(self.sample, rows - 1))

    def a_prev(self, s: Snapshot, k: int) -> np.ndarray | None:
        src = s.batch.X if k == 0 else s.layers[k - 1].a
        return None if src is None else src[self.sample_of(s)]


def terms(a: np.ndarray, w: np.ndarray) -> str:
    """'a1·w1 + a2·w2 + … (+k more)' with the first MAX_TERMS products written out."""
    s = ""
    for x, y in zip(a[:MAX_TERMS], w[:MAX_TERMS], strict=False):
        wy = f"({fmt(y, 3)})" if y < 0 else fmt(y, 3)
        term = f"{fmt(abs(x), 3)}·{wy}"
        s += (f" - {term}" if x < 0 else f" + {term}") if s else f"{fmt(x, 3)}·{wy}"
    if len(a) > MAX_TERMS:
        s += f" + … ({len(a) - MAX_TERMS} more)"
    return s


def act_text(name: str) -> tuple[str, str]:
    """(formula of f, formula of f') for an activation; softmax has no element-wise f'."""
    if name == "softmax":
        return "e^z_j / Σ_k e^z_k", ""
    a = ACTIVATIONS.get(name)
    return (a.formula, a.derivative) if a else (name, "")


def par(text: str) -> str:
    """A negative factor in parentheses: "0.9·(-0.0049)", never "0.9·-0.0049"."""
    return f"({text})" if text.startswith("-") else text


def fprime(name: str, z: float, a: float) -> float:
    """f'(z) of one neuron, for display (the same formula the engine uses)."""
    act = ACTIVATIONS.get(name)
    return float(act.grad(np.array([z]), np.array([a]))[0]) if act else float("nan")


def label(s: Snapshot, n: int) -> str:
    """Sample ``n``'s target as the equations print it: a class, a number or a list."""
    if s.batch.y is None:
        return "?"
    y = s.batch.y[n]
    if np.ndim(y) == 0:
        c = int(y)
        name = (
            s.model.class_names[c]
            if s.model.class_names and c < len(s.model.class_names)
            else str(c)
        )
        return str(c) if name == str(c) else f"{c} ({name})"  # digits: not "2 (2)"
    if np.size(y) == 1:  # one regression target: a number, not a list
        return fmt(float(np.ravel(y)[0]), 4)
    return "[" + ", ".join(fmt(v, 3) for v in np.ravel(y)) + "]"


def write_sample_text(tb: TextBuilder, fc: Focus, s: Snapshot) -> None:
    """The sample unit: the batch drawn, and the chosen sample's inputs and target."""
    size = "full batch" if s.settings.batch_size is None else f"batch size {s.settings.batch_size}"
    tb.line(f"Picked a batch of {s.batch.size} training samples ({size}).")
    tb.line("Every later unit works on all of them at once, one row per sample.", NOTE)
    if s.batch.X is not None:
        n = fc.sample_of(s)
        x = ", ".join(fmt(v, 3) for v in s.batch.X[n][:8]) + (
            " …" if s.batch.X.shape[1] > 8 else ""
        )
        tb.add(f"Sample {n + 1}: ").add(f"x = [{x}]", NUM).line(f", target {label(s, n)}")
    if s.settings.pending:
        tb.line("Applied now: " + ", ".join(f"{k} = {v}" for k, v in s.settings.pending), NOTE)


def write_forward(tb: TextBuilder, fc: Focus, s: Snapshot, k: int) -> None:
    """Forward through layer ``k``: z = a·W + b and a = f(z) for the cursor's unit."""
    lay = s.layers[k]
    _, j = fc.neuron(lay)
    n = fc.sample_of(s)
    a_in = fc.a_prev(s, k)
    src = "x" if k == 0 else f"a{k}"
    tb.line(f"Forward through layer {k + 1}: z = {src}·W + b, then a = f(z).", EQ)
    if a_in is None or lay.z is None or lay.a is None:
        tb.line("(values not kept on this path)", NOTE)
        return
    tb.line(f"Unit j={j}, sample {n + 1}:")
    tb.add("  z_j = Σ_i a_i·W_ij + b_j = ").line(terms(a_in, lay.W[:, j]) + signed(lay.b[j]))
    tb.add("      = ").line(fmt(lay.z[n, j], 6), NUM)
    f, _ = act_text(lay.activation)
    tb.add(f"  a_j = {lay.activation}(z_j) = {f} = ").line(fmt(lay.a[n, j], 6), NUM)
    if lay.activation == "softmax":
        tb.line("  softmax turns the scores z into probabilities that sum to 1.", NOTE)


def write_loss(tb: TextBuilder, fc: Focus, s: Snapshot) -> None:
    """The loss unit: the chosen sample's loss worked out, then the batch loss."""
    n = fc.sample_of(s)
    out = s.batch.outputs
    psl = s.batch.per_sample_loss
    if out is None or psl is None:
        tb.line("(values not kept on this path)", NOTE)
        return
    tb.line(f"Loss for sample {n + 1}, target {label(s, n)}:", EQ)
    if (
        s.model.loss_name == "cross_entropy"
        and s.batch.y is not None
        and np.ndim(s.batch.y[n]) == 0
    ):
        c = int(s.batch.y[n])
        p, loss = neg_log(float(out[n, c]), float(psl[n]), 6)
        tb.add(f"  L = -log p_y = -log {p} = ").line(loss, NUM)
        tb.line(
            "  p_y: the probability given to the true class y; the smaller, the larger L.", NOTE
        )
    elif s.model.loss_name == "binary_cross_entropy":
        t = target(s, n)
        tb.line("  L = -[y·log ŷ + (1-y)·log(1-ŷ)]")
        tb.add(f"    ŷ = {fmt(out[n, 0], 5)}, y = {fmt(t, 3)}:  L = ").line(fmt(psl[n], 6), NUM)
    else:
        t = target(s, n)
        if out.shape[1] == 1 and t is not None:
            d = float(out[n, 0]) - t
            tb.line("  L = ½·(ŷ - y)²   (squared error)")
            # each printed step evaluates to the printed loss
            (yh, tt), loss = operands(
                lambda a, b: 0.5 * (a - b) ** 2, [float(out[n, 0]), t], float(psl[n])
            )
            (dd,), _ = operands(lambda x: 0.5 * x * x, [d], float(psl[n]))
            tb.add(f"    = ½·({yh} - {par(tt)})² = ½·{par(dd)}² = ")
            tb.line(loss, NUM)
        else:
            tb.line("  L = ½ Σ_k (ŷ_k - y_k)²   (squared error)")
            tb.add(f"    ŷ = {fmt(out[n, 0], 5)}…  L = ").line(fmt(psl[n], 6), NUM)
    tb.add(f"Batch loss ({s.model.reduction} over {s.batch.size}) = ").line(
        fmt(s.batch.loss, 6), NUM
    )
    if s.batch.reg_loss:
        tb.line(f"  + regularisation {fmt(s.batch.reg_loss, 5)}")
    if s.model.loss_name == "mse":
        out_act = s.layers[-1].activation if s.layers else ""
        why = " (linear output: f' = 1)" if out_act == "linear" else ""
        tb.line(f"Next, backward starts from δ_L = (ŷ - y)·f'(z_L){why}.", NOTE)
    else:
        tb.line(
            "Next, backward starts from δ_L = ∂L/∂z_L = ŷ - y (the output's derivative cancels).",
            NOTE,
        )


def target(s: Snapshot, n: int) -> float | None:
    """The first target value of sample ``n`` (regression, or a 0/1 label)."""
    if s.batch.y is None:
        return None
    return float(np.ravel(s.batch.y[n])[0])


def write_backward(tb: TextBuilder, fc: Focus, s: Snapshot, k: int) -> None:
    """Backward through layer ``k``: the cursor unit's δ, then its ∂L/∂W and ∂L/∂b."""
    lay = s.layers[k]
    i, j = fc.neuron(lay)
    n = fc.sample_of(s)
    last = k == len(s.layers) - 1
    per = f" / {s.batch.size}" if s.model.reduction == "mean" else ""  # mean: δ_L carries 1/B
    if lay.delta is None:
        tb.line(f"Backward through layer {k + 1} (deltas not kept on this path).", EQ)
    elif last:
        _delta_out(tb, fc, s, lay, j, n, per)
    else:
        above = s.layers[k + 1]
        head = f"δ{k + 1} = (δ{k + 2}·W{k + 2}ᵀ) * f'(z{k + 1})"
        if above.delta is None or lay.z is None or lay.a is None:
            tb.line(head, EQ)
        else:
            back = float(above.delta[n] @ above.W[j])
            _, fd = act_text(lay.activation)
            fp = fprime(lay.activation, float(lay.z[n, j]), float(lay.a[n, j]))
            (b_, f_), d_ = operands(lambda a, b: a * b, [back, fp], float(lay.delta[n, j]), 4)
            if fc.short:  # one line: the sum's terms give way to the ∂L/∂W lines
                tb.add(f"{head}: unit j={j}, sample {n + 1}: ", EQ)
                tb.add(f"δ_j = Σ_m δ_m·W_jm · f'(z_j) = {par(b_)}·{par(f_)} = ")
                tb.line(d_, NUM)
            else:
                tb.line(head, EQ)
                tb.add(f"  unit j={j}, sample {n + 1}: Σ_m δ_m·W_jm = ")
                tb.line(terms(above.delta[n], above.W[j]) + f" = {fmt(back, 5)}")
                tb.add(f"  f'(z_j) = {fd} = {fmt(fp, 4)};  δ_j = {b_}·{par(f_)} = ")
                tb.line(d_, NUM)
    _grad(tb, fc, s, lay, i, j, n)


def _delta_out(
    tb: TextBuilder, fc: Focus, s: Snapshot, lay: LayerSnap, j: int, n: int, per: str
) -> None:
    assert lay.delta is not None  # _backward says "not kept" instead
    out = s.batch.outputs
    if s.model.loss_name == "mse":
        tb.line(f"δ_L = (ŷ - y) * f'(z){per}   (squared error, chain rule)", EQ)
    else:
        tb.line(f"δ_L = (ŷ - y){per}   (the softmax/sigmoid derivative cancels)", EQ)
    if out is not None and s.batch.y is not None:
        yv = s.batch.y[n]
        t = float(j == int(yv)) if np.ndim(yv) == 0 else float(np.ravel(yv)[j])
        fp = 1.0
        if s.model.loss_name == "mse" and lay.z is not None and lay.a is not None:
            # the chain rule's f'(z) is part of the number: show it, or the sum is wrong
            _, fd = act_text(lay.activation)
            fp = fprime(lay.activation, float(lay.z[n, j]), float(lay.a[n, j]))
            val = f" = {fmt(fp, 5)}" if fd != fmt(fp, 5) else f"  ({lay.activation} output)"
            tb.line(f"  f'(z) = {fd}{val}")
        size = float(s.batch.size) if per else 1.0
        (o_, t_, f_), d_ = operands(
            lambda o, y, f: (o - y) * f / size,
            [float(out[n, j]), t, fp],
            float(lay.delta[n, j]),
        )
        diff = f"({o_} - {par(t_)})" + (f"·{par(f_)}" if s.model.loss_name == "mse" else "")
        tb.add(f"  unit j={j}, sample {n + 1}: {diff}{per} = ")
        tb.line(d_, NUM)


def _grad(tb: TextBuilder, fc: Focus, s: Snapshot, lay: LayerSnap, i: int, j: int, n: int) -> None:
    k = lay.index
    if lay.dW is None or lay.db is None:
        return
    src = "x" if k == 0 else f"a{k}"
    a_in = fc.a_prev(s, k)
    adds = ""
    if a_in is not None and lay.delta is not None:
        (a_i, d_j), prod = operands(
            lambda a, b: a * b,
            [float(a_in[i]), float(lay.delta[n, j])],
            float(a_in[i] * lay.delta[n, j]),
            4,
            4,
        )
        adds = f"{par(a_i)}·{par(d_j)} = {prod}"
    if fc.short:  # two lines instead of four, so 80x24 keeps them
        tb.add(f"∂L/∂W{k + 1} = {src}ᵀ·δ{k + 1}, Σ over {s.batch.size} samples: ", EQ)
        tb.add(f"∂L/∂W[{i},{j}] = ").line(fmt(lay.dW[i, j], 6), NUM)
        if adds:
            tb.add(f"  sample {n + 1} adds {adds};  ")
        tb.add(f"∂L/∂b[{j}] = Σ δ_j = ").line(fmt(lay.db[j], 6), NUM)
        if lay.reg_dW is not None and lay.reg_dW[i, j]:
            tb.line(f"  + regularisation {fmt(lay.reg_dW[i, j], 5)} (added at the update)")
        return
    tb.line(f"∂L/∂W{k + 1} = {src}ᵀ·δ{k + 1}: each weight sums a_i·δ_j over the batch.", EQ)
    if adds:
        tb.line(f"  W[{i},{j}]: this sample adds {adds}")
    tb.add(f"  ∂L/∂W[{i},{j}] = Σ over {s.batch.size} samples = ").line(fmt(lay.dW[i, j], 6), NUM)
    if lay.reg_dW is not None and lay.reg_dW[i, j]:
        tb.line(f"  + regularisation {fmt(lay.reg_dW[i, j], 5)} (added at the update)")
    tb.add(f"  ∂L/∂b[{j}] = Σ δ_j = ").line(fmt(lay.db[j], 6), NUM)
