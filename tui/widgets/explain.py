"""Explain panel: the equation of the unit just computed, with the selected neuron's numbers."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from rich.text import Text

from engine.activations import ACTIVATIONS
from engine.snapshot import LayerSnap, Snapshot

from ..numbers import fmt, neg_log, operands, signed
from .base import SnapshotPanel
from .lines import TextBuilder

MAX_TERMS = 4  # dot-product terms written out before "…"
EQ, NUM, NOTE = "bold", "cyan", "dim"

INTRO_HEAD = (
    "One training iteration is split into units:\n"
    "  sample → forward L1…Ln → loss → backward Ln…L1 → update\n\n"
)
INTRO_KEYS = (
    ("n", "next unit (one layer)"),
    ("space", "a whole iteration"),
    ("f", "finish the forward pass"),
    ("b", "finish the backward pass"),
    ("u", "apply the update"),
    ("r", "run / pause"),
)
INTRO_TAIL = (
    "\n\nPress n to start: this panel then shows the equation just computed, with the real "
    "numbers of the unit under the weights cursor."
)


def intro(width: int) -> str:
    """The keys in two columns when they fit side by side, else one per line."""
    cells = [f"{k:<6} {what}" for k, what in INTRO_KEYS]
    col = max(map(len, cells)) + 3
    if width >= 2 * col:
        pairs = zip(cells[::2], cells[1::2], strict=True)
        keys = "\n".join(a.ljust(col) + b for a, b in pairs)
    else:
        keys = "\n".join(cells)
    return INTRO_HEAD + keys + INTRO_TAIL


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


def _par(text: str) -> str:
    """A negative factor in parentheses: "0.9·(-0.0049)", never "0.9·-0.0049"."""
    return f"({text})" if text.startswith("-") else text


def _fprime(name: str, z: float, a: float) -> float:
    """f'(z) of one neuron, for display (the same formula the engine uses)."""
    act = ACTIVATIONS.get(name)
    return float(act.grad(np.array([z]), np.array([a]))[0]) if act else float("nan")


def hang(text: Text, width: int) -> Text:
    """Wrap each line at spaces to ``width``, continuation lines indented under the line's own
    text (+4), so a long equation reads as one block instead of restarting at the margin."""
    if width < 20:
        return text
    out = Text()
    for k, line in enumerate(text.split("\n", allow_blank=True)):
        if k:
            out.append("\n")
        plain = line.plain
        indent = min(len(plain) - len(plain.lstrip(" ")) + 4, width // 3)
        first, rest = True, line
        while len(rest.plain) > (room := width if first else width - indent):
            cut = rest.plain.rfind(" ", indent if first else 1, room + 1)
            if cut <= 0:
                cut = room  # one long word: break it
            head, tail = rest[:cut], rest[cut:]
            head.rstrip()  # in place
            out.append_text(head)
            out.append("\n" + " " * indent)
            skip = len(tail.plain) - len(tail.plain.lstrip(" "))
            rest, first = tail[skip:], False
        out.append_text(rest)
    return out


class ExplainPanel(SnapshotPanel):
    """The equation of the unit just computed, for the weights cursor's neuron and the sample
    chosen in the outputs panel."""

    TITLE = "Explain"

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.cursor: tuple[int, int, int, str] = (0, 0, 0, "W")  # layer, row, col, kind
        self.sample = 0
        self._short = False  # six rows or fewer: the compact wording (set by build)

    def follow_cursor(self, layer: int, row: int, col: int, kind: str) -> None:
        self.cursor = (layer, row, col, kind)
        self.redraw()

    def follow_sample(self, index: int) -> None:
        self.sample = index
        self.redraw()

    def _set_title(self, title: str) -> None:
        if self.border_title != title:
            self.border_title = title

    # ---- helpers ------------------------------------------------------------------------------
    def _neuron(self, lay: LayerSnap) -> tuple[int, int]:
        """(i, j) of the cursor clamped into ``lay``: the neuron j and incoming weight i shown."""
        _, row, col, _ = self.cursor
        fi, fo = lay.W.shape
        return max(0, min(row, fi - 1)), max(0, min(col, fo - 1))

    def _sample(self, s: Snapshot) -> int:
        rows = s.batch.X.shape[0] if s.batch.X is not None else 1
        return max(0, min(self.sample, rows - 1))

    def _a_prev(self, s: Snapshot, k: int) -> np.ndarray | None:
        src = s.batch.X if k == 0 else s.layers[k - 1].a
        return None if src is None else src[self._sample(s)]

    def _label(self, s: Snapshot, n: int) -> str:
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

    # ---- drawing ------------------------------------------------------------------------------
    def build(self) -> Text:
        s = self.snapshot
        short = 0 < self.size.height < 8  # 80x24: six rows, the equations need every one
        self._short = short
        title = "Explain"
        if s is None or s.progress.last_phase is None:
            self._set_title(title)
            return hang(Text(intro(self.size.width)), self.size.width)
        pr = s.progress
        tb = TextBuilder()
        if short:  # what was computed and what comes next go to the border instead
            title = f"Explain: {pr.last_unit} (step {pr.step}, next {pr.next_unit})"
        else:
            tb.add(f"{pr.last_unit}", "bold reverse")
            tb.line(f"  step {pr.step}, next: {pr.next_unit}", NOTE)
        self._set_title(title)
        if s.progress.diverged:
            tb.line(s.progress.diverged, "bold red")
        phase = s.progress.last_phase
        if phase == "sample":
            self._sample_text(tb, s)
        elif phase == "forward" and s.progress.last_layer is not None:
            self._forward(tb, s, s.progress.last_layer)
        elif phase == "loss":
            self._loss(tb, s)
        elif phase == "backward" and s.progress.last_layer is not None:
            self._backward(tb, s, s.progress.last_layer)
        elif phase == "update":
            self._update(tb, s)
        return hang(tb.text(), self.size.width)

    def _sample_text(self, tb: TextBuilder, s: Snapshot) -> None:
        size = (
            "full batch" if s.settings.batch_size is None else f"batch size {s.settings.batch_size}"
        )
        tb.line(f"Picked a batch of {s.batch.size} training samples ({size}).")
        tb.line("Every later unit works on all of them at once, one row per sample.", NOTE)
        if s.batch.X is not None:
            n = self._sample(s)
            x = ", ".join(fmt(v, 3) for v in s.batch.X[n][:8]) + (
                " …" if s.batch.X.shape[1] > 8 else ""
            )
            tb.add(f"Sample {n + 1}: ").add(f"x = [{x}]", NUM).line(f", target {self._label(s, n)}")
        if s.settings.pending:
            tb.line("Applied now: " + ", ".join(f"{k} = {v}" for k, v in s.settings.pending), NOTE)

    def _forward(self, tb: TextBuilder, s: Snapshot, k: int) -> None:
        lay = s.layers[k]
        _, j = self._neuron(lay)
        n = self._sample(s)
        a_in = self._a_prev(s, k)
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

    def _loss(self, tb: TextBuilder, s: Snapshot) -> None:
        n = self._sample(s)
        out = s.batch.outputs
        psl = s.batch.per_sample_loss
        if out is None or psl is None:
            tb.line("(values not kept on this path)", NOTE)
            return
        tb.line(f"Loss for sample {n + 1}, target {self._label(s, n)}:", EQ)
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
            t = self._target(s, n)
            tb.line("  L = -[y·log ŷ + (1-y)·log(1-ŷ)]")
            tb.add(f"    ŷ = {fmt(out[n, 0], 5)}, y = {fmt(t, 3)}:  L = ").line(fmt(psl[n], 6), NUM)
        else:
            t = self._target(s, n)
            if out.shape[1] == 1 and t is not None:
                d = float(out[n, 0]) - t
                tb.line("  L = ½·(ŷ - y)²   (squared error)")
                # each printed step evaluates to the printed loss
                (yh, tt), loss = operands(
                    lambda a, b: 0.5 * (a - b) ** 2, [float(out[n, 0]), t], float(psl[n])
                )
                (dd,), _ = operands(lambda x: 0.5 * x * x, [d], float(psl[n]))
                tb.add(f"    = ½·({yh} - {_par(tt)})² = ½·{_par(dd)}² = ")
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
                "Next, backward starts from δ_L = ∂L/∂z_L = ŷ - y (the output's derivative "
                "cancels).",
                NOTE,
            )

    def _target(self, s: Snapshot, n: int) -> float | None:
        """The first target value of sample ``n`` (regression, or a 0/1 label)."""
        if s.batch.y is None:
            return None
        return float(np.ravel(s.batch.y[n])[0])

    def _backward(self, tb: TextBuilder, s: Snapshot, k: int) -> None:
        lay = s.layers[k]
        i, j = self._neuron(lay)
        n = self._sample(s)
        last = k == len(s.layers) - 1
        per = f" / {s.batch.size}" if s.model.reduction == "mean" else ""  # mean: δ_L carries 1/B
        if lay.delta is None:
            tb.line(f"Backward through layer {k + 1} (deltas not kept on this path).", EQ)
        elif last:
            self._delta_out(tb, s, lay, j, n, per)
        else:
            above = s.layers[k + 1]
            head = f"δ{k + 1} = (δ{k + 2}·W{k + 2}ᵀ) * f'(z{k + 1})"
            if above.delta is None or lay.z is None or lay.a is None:
                tb.line(head, EQ)
            else:
                back = float(above.delta[n] @ above.W[j])
                _, fd = act_text(lay.activation)
                fp = _fprime(lay.activation, float(lay.z[n, j]), float(lay.a[n, j]))
                (b_, f_), d_ = operands(lambda a, b: a * b, [back, fp], float(lay.delta[n, j]), 4)
                if self._short:  # one line: the sum's terms give way to the ∂L/∂W lines
                    tb.add(f"{head}: unit j={j}, sample {n + 1}: ", EQ)
                    tb.add(f"δ_j = Σ_m δ_m·W_jm · f'(z_j) = {_par(b_)}·{_par(f_)} = ")
                    tb.line(d_, NUM)
                else:
                    tb.line(head, EQ)
                    tb.add(f"  unit j={j}, sample {n + 1}: Σ_m δ_m·W_jm = ")
                    tb.line(terms(above.delta[n], above.W[j]) + f" = {fmt(back, 5)}")
                    tb.add(f"  f'(z_j) = {fd} = {fmt(fp, 4)};  δ_j = {b_}·{_par(f_)} = ")
                    tb.line(d_, NUM)
        self._grad(tb, s, lay, i, j, n)

    def _delta_out(self, tb: TextBuilder, s: Snapshot, lay: LayerSnap, j: int, n: int, per: str):
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
                fp = _fprime(lay.activation, float(lay.z[n, j]), float(lay.a[n, j]))
                val = f" = {fmt(fp, 5)}" if fd != fmt(fp, 5) else f"  ({lay.activation} output)"
                tb.line(f"  f'(z) = {fd}{val}")
            size = float(s.batch.size) if per else 1.0
            (o_, t_, f_), d_ = operands(
                lambda o, y, f: (o - y) * f / size,
                [float(out[n, j]), t, fp],
                float(lay.delta[n, j]),
            )
            diff = f"({o_} - {_par(t_)})" + (f"·{_par(f_)}" if s.model.loss_name == "mse" else "")
            tb.add(f"  unit j={j}, sample {n + 1}: {diff}{per} = ")
            tb.line(d_, NUM)

    def _grad(self, tb: TextBuilder, s: Snapshot, lay: LayerSnap, i: int, j: int, n: int) -> None:
        k = lay.index
        if lay.dW is None or lay.db is None:
            return
        src = "x" if k == 0 else f"a{k}"
        a_in = self._a_prev(s, k)
        adds = ""
        if a_in is not None and lay.delta is not None:
            (a_i, d_j), prod = operands(
                lambda a, b: a * b,
                [float(a_in[i]), float(lay.delta[n, j])],
                float(a_in[i] * lay.delta[n, j]),
                4,
                4,
            )
            adds = f"{_par(a_i)}·{_par(d_j)} = {prod}"
        if self._short:  # two lines instead of four, so 80x24 keeps them
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
        tb.add(f"  ∂L/∂W[{i},{j}] = Σ over {s.batch.size} samples = ").line(
            fmt(lay.dW[i, j], 6), NUM
        )
        if lay.reg_dW is not None and lay.reg_dW[i, j]:
            tb.line(f"  + regularisation {fmt(lay.reg_dW[i, j], 5)} (added at the update)")
        tb.add(f"  ∂L/∂b[{j}] = Σ δ_j = ").line(fmt(lay.db[j], 6), NUM)

    def _update(self, tb: TextBuilder, s: Snapshot) -> None:
        """The update as it was applied: the lr, momentum and velocity or Adam's moments the
        engine recorded (not today's settings), and the gradient it used (data + l1/l2 at the
        weights before the update)."""
        layer = max(0, min(self.cursor[0], len(s.layers) - 1))
        lay = s.layers[layer]
        i, j = self._neuron(lay)
        is_b = self.cursor[3] == "b"
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
            self._adam(tb, s, lay, name, at, gv, du)
        elif up.momentum:
            vel = at(lay.vel_b if is_b else lay.vel_W)
            vel = 0.0 if vel is None else vel
            tb.line("Δw = -lr·g + α·Δw_prev  (momentum α; Δw_prev: the last step)", EQ)
            self._reg(tb, gv, reg)
            (lr_, g_, a_, v_), d_ = operands(
                lambda lr_, g_, a_, v_: -lr_ * g_ + a_ * v_, [lr, gv, up.momentum, vel], du
            )
            tb.add(f"  {name}: Δw = -{lr_}·{_par(g_)} + {a_}·{_par(v_)} = ").line(d_, NUM)
            (o_, d2), n_ = operands(lambda o, d: o + d, [old, du], new, 6)
            tb.add(f"  w ← {o_} + {_par(d2)} = ").line(n_, NUM)
        else:
            tb.line("w ← w - lr·g   (g: the gradient of the loss)", EQ)
            self._reg(tb, gv, reg)
            (o_, lr_, g_), n_ = operands(lambda o, lr_, g_: o - lr_ * g_, [old, lr, gv], new, 6)
            tb.add(f"  {name}: {o_} - {lr_}·{_par(g_)} = ").line(n_, NUM)
        moved = _moved(s, up.optimizer, bool(up.momentum))
        tb.line(moved + ("" if self._short else " The next iteration starts with sample."), NOTE)

    def _reg(self, tb: TextBuilder, gv: float, reg: float | None) -> None:
        """The gradient used when l1/l2 is on: the data's and the regularisation's, both at the
        weights before the update."""
        if reg:
            (d_, r_), g_ = operands(lambda a, b: a + b, [gv - reg, reg], gv, 5, 5)
            tb.line(f"  g = ∂L/∂w + reg = {d_} + {_par(r_)} = {g_}")

    def _adam(
        self,
        tb: TextBuilder,
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
        is_b = self.cursor[3] == "b"
        m, v = at(lay.m_b if is_b else lay.m_W), at(lay.v_b if is_b else lay.v_W)
        b1, b2, eps, t = up.bias1, up.bias2, up.eps, up.t
        if m is None or v is None or b1 is None or b2 is None or eps is None or t is None:
            tb.line(f"adam: {name} moved by Δw = {fmt(du, 6)} (moments not kept)", EQ)
            return
        if self._short:  # six rows: the moments' update rule gives way to their values
            tb.line("adam: Δw = -lr·m̂ / (√v̂ + ε),  m̂ = m/(1-β1ᵗ), v̂ = v/(1-β2ᵗ)", EQ)
        else:
            tb.line("adam: m ← β1·m + (1-β1)·g,  v ← β2·v + (1-β2)·g²", EQ)
            tb.line("  Δw = -lr·m̂ / (√v̂ + ε),  m̂ = m/(1-β1ᵗ), v̂ = v/(1-β2ᵗ)", EQ)
        if not self._short:  # six rows: g itself is on the next line
            self._reg(tb, gv, None if is_b else at(lay.reg_dW))
        tb.line(
            f"  {name}, t = {t}: g = {fmt(gv, 5)}, m = {fmt(m, 5)}, v = {fmt(v, 5)};"
            f"  1-β1ᵗ = {fmt(b1, 5)}, 1-β2ᵗ = {fmt(b2, 5)}"
        )
        mh, vh = m / b1, v / b2
        (lr_, m_, v_, e_), d_ = operands(
            lambda lr_, m_, v_, e_: -lr_ * m_ / (math.sqrt(v_) + e_), [up.lr, mh, vh, eps], du
        )
        tb.add(f"  m̂ = {m_}, v̂ = {v_}:  Δw = -{lr_}·{_par(m_)} / (√{v_} + {e_}) = ")
        tb.line(d_, NUM)
        new = float(lay.b[self._neuron(lay)[1]] if is_b else lay.W[self._neuron(lay)])
        (o_, d2), n_ = operands(lambda o, d: o + d, [new - du, du], new, 6)
        tb.add(f"  w ← {o_} + {_par(d2)} = ").line(n_, NUM)


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
