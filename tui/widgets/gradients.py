"""Gradients panel: per-layer gradient norms with log-scale sparklines, dL/dW heatmap, delta."""

from __future__ import annotations

import math

import numpy as np
from rich.style import Style
from rich.text import Text

from engine.snapshot import LayerSnap, Snapshot

from .base import SnapshotPanel
from .colours import levels
from .heatmap import block_reduce, heat_row, robust_scale
from .lines import Lines, TextBuilder

SPARKS = "▁▂▃▄▅▆▇█"
TINY, HUGE = 1e-5, 1e2  # ||g|| below / above: flagged as vanishing / exploding
VANISH = Style(color="blue", bold=True)
EXPLODE = Style(color="red", bold=True)
COMPUTING = Style(color="yellow", bold=True)
ROW_PREFIX = 23  # "L1  " + two 7-wide norms + spaces + the 3-wide flag, before the sparkline


def sci(v: float | None) -> str:
    """Gradient norms span many decades: always scientific, fixed width."""
    if v is None:
        return "   —   "
    if not math.isfinite(v):
        return f"{v!s:>7}"
    return f"{v:7.1e}"


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


class GradientsPanel(SnapshotPanel):
    """Shows the gradient of the layer being computed, else of the weights cursor's layer."""

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
        return tb.build()

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
        for lay in s.layers:
            self._row(tb, s, lay, spark_w, lo, hi)
        return 1 + len(s.layers)

    def _row(self, tb: TextBuilder, s: Snapshot, lay: LayerSnap, w: int, lo: float, hi: float):
        i = lay.index
        computing = s.progress.last_phase == "backward" and s.progress.last_layer == i
        tb.add(f"L{i + 1:<2} ", COMPUTING if computing else "bold")
        tb.add(f"{sci(lay.grad_norm_W)} {sci(lay.grad_norm_b)} ")
        g = lay.grad_norm_W
        last = float(lay.grad_norm_history[-1]) if len(lay.grad_norm_history) else None
        ref = g if g is not None else last
        flag, style = "   ", None
        if ref is not None and math.isfinite(ref):
            if ref < TINY:
                flag, style = "↓v ", VANISH
            elif ref > HUGE:
                flag, style = "↑x ", EXPLODE
        elif ref is not None:
            flag, style = "!! ", EXPLODE
        tb.add(flag, style)
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
        scale = robust_scale(a)
        shape = "×".join(map(str, a.shape))
        note = " (blocks)" if r.shape != a.shape else ""
        tb.line(f"{title} {shape}{note} ±{scale:.1e}", COMPUTING if samples else "bold")
        lv = levels(r, scale)
        for k in range(r.shape[0]):
            tb.add(" ")
            heat_row(tb, r[k], lv[k], cw, nc, values)
            tb.add("\n")
