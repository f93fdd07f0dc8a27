"""Gradients panel: per-layer gradient norms with log-scale sparklines, dL/dW heatmap, delta."""

from __future__ import annotations

import math

import numpy as np
from rich.style import Style
from rich.text import Text

from engine.snapshot import LayerSnap, Snapshot

from .. import numbers
from .colours import levels
from .fit import mark_cuts
from .heatmap import block_reduce, heat_row, summary_scale
from .lines import Lines, TextBuilder
from .views import ViewsPanel

SPARKS = "▁▂▃▄▅▆▇█"
# Vanishing is a ratio between layers: a layer whose ‖g‖ is below VANISH_RATIO of the largest
# layer's learns that much slower than the others. A net whose loss is below SETTLED has
# nothing left to learn, and small gradients there are convergence, not vanishing.
VANISH_RATIO, SETTLED = 1e-3, 1e-3
# Exploding: one step of lr·‖g‖ would move the layer's weights by more than their own size.
VANISH = Style(color="blue", bold=True)
EXPLODE = Style(color="red", bold=True)
COMPUTING = Style(color="yellow", bold=True)
ROW_PREFIX = 23  # "L1  " + two 7-wide norms + spaces + the 3-wide flag, before the sparkline


def sci(v: float | None) -> str:
    """Gradient norms span many decades: always scientific, fixed width."""
    return numbers.sci(v, 7)


def flags(s: Snapshot) -> list[str]:
    """Per layer: "!!" (not finite), "†d" (every ReLU dead on the training set), "↑x"
    (exploding), "↓v" (vanishing) or ""."""
    refs: list[float | None] = []
    for lay in s.layers:
        last = float(lay.grad_norm_history[-1]) if len(lay.grad_norm_history) else None
        refs.append(lay.grad_norm_W if lay.grad_norm_W is not None else last)
    finite = [r for r in refs if r is not None and math.isfinite(r)]
    top = max(finite, default=0.0)
    loss = (
        s.batch.loss
        if s.batch.loss is not None
        else (float(s.curves.loss_y[-1]) if len(s.curves.loss_y) else None)
    )
    settled = loss is not None and math.isfinite(loss) and loss < SETTLED
    lr = s.update.lr if s.update is not None else s.settings.lr
    out = []
    for lay, ref in zip(s.layers, refs, strict=True):
        if ref is None:
            out.append("")
        elif not math.isfinite(ref):
            out.append("!!")
        elif lay.dead_fraction == 1.0:
            out.append("†d")  # no gradient can reach below it: it will never learn again
        elif lr * ref > max(float(np.linalg.norm(lay.W)), 1e-12):
            out.append("↑x")
        elif top > 0 and ref < VANISH_RATIO * top and not settled:
            out.append("↓v")
        else:
            out.append("")
    return out


def sparkline(hist: np.ndarray, width: int, lo: float, hi: float) -> str:
    """log10 of the last ``width`` norms on one shared scale [lo, hi] (decades)."""
    h = np.asarray(hist[-width:], dtype=np.float64)
    if h.size == 0:
        return ""
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.log10(np.where(h > 0, h, np.nan))
    span = hi - lo if hi > lo else 1.0
    idx = np.clip(np.rint((np.nan_to_num(lg, nan=lo) - lo) / span * 7), 0, 7).astype(int)
    return "".join(SPARKS[i] for i in idx)


class GradientsPanel(ViewsPanel):
    """Shows the gradient of the layer being computed, else of the weights cursor's layer; i:
    the histograms of |W| and |dL/dW| over time, with each layer's update/weight ratio."""

    VIEWS = ("histograms",)

    TITLE = "Gradients"

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.cur_layer = 0  # the weights cursor's layer

    def follow_cursor(self, layer: int, row: int, col: int, kind: str) -> None:
        """Outside backward, show the gradient of the weights cursor's layer."""
        if layer != self.cur_layer:
            self.cur_layer = layer
            self.redraw()

    def build(self) -> Lines | Text:
        s = self.snapshot
        if s is None or not s.layers:
            return Text("no network yet", style="dim")
        view = self.build_view()  # i: another view of the snapshot
        if view is not None:
            return view
        nc = self.colourless
        width, height = max(self.size.width, 30), max(self.size.height, 4)
        tb = TextBuilder()
        used = self._table(tb, s, width)
        left = height - used
        computing = s.progress.last_layer if s.progress.last_phase == "backward" else None
        backward = computing is not None
        focus = computing if computing is not None else min(self.cur_layer, len(s.layers) - 1)
        lay = s.layers[focus]
        if backward and lay.delta is not None and left >= 6:
            # dW in full when it fits beside at least a third for the batch's deltas
            body = left - 2
            w_rows = lay.dW.shape[0] if lay.dW is not None else body // 2
            w_rows = max(1, min(w_rows, body - max(2, body // 3)))
            self._matrix(tb, lay.dW, f"∂L/∂W L{focus + 1}", width, w_rows, nc)
            title = f"δ L{focus + 1} = ∂L/∂z just computed (rows: samples)"
            if len(title) + 30 > width:
                title = f"δ L{focus + 1} = ∂L/∂z per sample"
            self._matrix(tb, lay.delta, title, width, body - w_rows, nc, True)
        elif left >= 3:
            self._matrix(tb, lay.dW, f"∂L/∂W L{focus + 1}", width, left - 1, nc)
        return mark_cuts(tb.build(), self.size.width)

    def _table(self, tb: TextBuilder, s: Snapshot, width: int) -> int:
        """One line per layer: norms, flag, sparkline; returns lines used."""
        hists = [lay.grad_norm_history for lay in s.layers]
        pos = np.concatenate([h[h > 0] for h in hists] + [np.zeros(0)])
        pos = pos[np.isfinite(pos)]
        lo, hi = (np.log10(pos.min()), np.log10(pos.max())) if pos.size else (0.0, 1.0)
        spark_w = max(0, width - ROW_PREFIX)  # every column the row's numbers leave
        decades = f"1e{math.floor(lo)}‥1e{math.ceil(hi)}"  # floor/ceil: never "1e-0"
        head = "     ‖∂L/∂W‖ ‖∂L/∂b‖".ljust(ROW_PREFIX)
        label = f"log ‖g‖ {decades}" if len(head) + 8 + len(decades) <= width else decades
        tb.line(head + label, "dim")
        marks = flags(s)
        for lay, flag in zip(s.layers, marks, strict=True):
            self._row(tb, s, lay, flag, spark_w, lo, hi)
        used = 1 + len(s.layers)
        if any(marks) and self.size.height - used >= 5:  # say what a flag means, once
            said = {
                "↓v": "↓v vanishing: ‖g‖ < 1e-3 of the largest layer's",
                "↑x": "↑x exploding: lr·‖g‖ > ‖W‖",
                "!!": "!! not finite",
                "†d": "†d every ReLU dead on the training set",
            }
            tb.line("; ".join(said[f] for f in dict.fromkeys(m for m in marks if m)), "dim")
            used += 1
        return used

    def _row(
        self, tb: TextBuilder, s: Snapshot, lay: LayerSnap, flag: str, w: int, lo: float, hi: float
    ) -> None:
        i = lay.index
        computing = s.progress.last_phase == "backward" and s.progress.last_layer == i
        tb.add(f"L{i + 1:<2} ", COMPUTING if computing else "bold")
        tb.add(f"{sci(lay.grad_norm_W)} {sci(lay.grad_norm_b)} ")
        style = VANISH if flag == "↓v" else (EXPLODE if flag else None)
        tb.add(f"{flag:<2} ", style)
        tb.line(sparkline(lay.grad_norm_history, w, lo, hi), style or "cyan")

    def _matrix(
        self,
        tb: TextBuilder,
        a: np.ndarray | None,
        title: str,
        width: int,
        rows: int,
        nc: bool,
        samples: bool = False,
    ) -> None:
        if a is None:
            tb.line(f"{title}: not computed yet", "dim")
            return
        rows = max(1, rows)
        cw = max(2, min(6, (width - 1) // a.shape[1]))
        cols = max(1, (width - 1) // cw)
        r = block_reduce(a, rows, cols, "maxabs")
        values = r.shape == a.shape and cw >= 5
        scale = summary_scale(a, r)
        shape = "×".join(map(str, a.shape))
        note = " (blocks)" if r.shape != a.shape else ""
        scale_text = f"±{numbers.sci(scale, 0)}"
        head = f"{title} {shape}{note} {scale_text}"
        if len(head) > width:  # the shape goes first: the layer, blocks and scale say more
            head = f"{title}{note} {scale_text}"
        if len(head) > width:  # then the title's words, with a mark
            head = numbers.ellipsize(title, width - len(f"{note} {scale_text}"))
            head += f"{note} {scale_text}"
        tb.line(numbers.ellipsize(head, width), COMPUTING if samples else "bold")
        lv = levels(r, scale)
        for k in range(r.shape[0]):
            tb.add(" ")
            heat_row(tb, r[k], lv[k], cw, nc, values)
            tb.add("\n")
