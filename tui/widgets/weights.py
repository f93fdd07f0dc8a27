"""Weights panel: one layer's W and b as a diverging heatmap with a cursor on one weight."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType

from engine.snapshot import LayerSnap, Snapshot
from tui.messages import CursorMoved

from ..numbers import fmt
from .base import SnapshotPanel
from .colours import levels
from .fit import mark_cuts
from .heatmap import block_edges, block_of, block_reduce, heat_row, robust_scale
from .lines import Lines, TextBuilder
from .weight_cursor import CursorValues, cursor_values, info_line, info_lines

COMPUTING = Style(color="yellow", bold=True)
# block-summarised W, its levels, summarised b, its levels, the colour scale
Reduced = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]
CELL_WIDTHS = (7, 6, 5, 4, 3, 2)


class WeightsPanel(SnapshotPanel, can_focus=True):
    """W (rows = input neuron i, columns = output neuron j) and b of the cursor's layer.

    Keys when focused: arrows move the cursor (the row under W is b), shift+arrows jump a
    block, pgup/pgdn or < > or , . change layer, m switches block summary mean / max-abs.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1, 0)", "unit", show=False),
        Binding("down", "move(1, 0)", "unit", show=False),
        Binding("left", "move(0, -1)", "weight", show=False),
        Binding("right", "move(0, 1)", "weight", show=False),
        Binding("shift+up", "jump(-1, 0)", show=False),
        Binding("shift+down", "jump(1, 0)", show=False),
        Binding("shift+left", "jump(0, -1)", show=False),
        Binding("shift+right", "jump(0, 1)", show=False),
        Binding("pageup,less_than_sign", "layer(-1)", "layer"),  # , and . set the run speed
        Binding("pagedown,greater_than_sign", "layer(1)", "layer"),
        Binding("m", "summary", "mean/max", show=False),
    ]

    TITLE = "Weights"

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.cur_layer = 0
        self.row = 0  # input neuron i; == fan_in means the bias row
        self.col = 0
        self.summary = "maxabs"
        self._cache: dict[tuple[int, int, int, str], Reduced] = {}
        self._shown: tuple[int, int] = (1, 1)  # display blocks (rows, cols) of the last render
        self._user_layer = False  # the user chose a layer since the last step: keep it

    # ---- data -------------------------------------------------------------------------------
    def adopt(self, snapshot: Snapshot) -> None:
        n = len(snapshot.layers)
        if self.cur_layer >= n:
            self.cur_layer, self.row, self.col = n - 1, 0, 0
        self._clamp()

    def changed(self) -> None:
        """A new step (or the first snapshot): new weights, and maybe a layer to follow."""
        self._cache.clear()
        if self.snapshot is not None:
            self._follow(self.snapshot)

    def _follow(self, s: Snapshot) -> None:
        """Stepping through a pass, show the layer being computed, unless the user picked one
        since the last step (theirs stays for this step; the next step follows again)."""
        layer = s.progress.last_layer if s.progress.last_phase in ("forward", "backward") else None
        if self._user_layer:
            self._user_layer = False
        elif layer is not None and layer != self.cur_layer:
            self.cur_layer = layer
            self._clamp()
            self._announce()  # Explain and Gradients follow the cursor; show() redraws

    @property
    def kind(self) -> str:
        lay = self._lay()
        return "b" if lay is not None and self.row == lay.W.shape[0] else "W"

    def _lay(self) -> LayerSnap | None:
        s = self.snapshot
        return None if s is None or not s.layers else s.layers[self.cur_layer]

    def _clamp(self) -> None:
        lay = self._lay()
        if lay is None:
            return
        fi, fo = lay.W.shape
        self.row = max(0, min(self.row, fi))
        self.col = max(0, min(self.col, fo - 1))

    def _post(self) -> None:
        self._clamp()
        self.redraw()
        self._announce()

    def _announce(self) -> None:
        row = 0 if self.kind == "b" else self.row
        self.post_message(CursorMoved(self.cur_layer, row, self.col, self.kind))

    def follow_cursor(self, layer: int, row: int, col: int, kind: str = "W") -> None:
        """Put the cursor somewhere without posting CursorMoved (for the app)."""
        self.cur_layer = layer
        self._clamp_layer()
        lay = self._lay()
        self.row = lay.W.shape[0] if (kind == "b" and lay is not None) else row
        self.col = col
        self._clamp()
        self.redraw()

    def _clamp_layer(self) -> None:
        n = len(self.snapshot.layers) if self.snapshot else 1
        self.cur_layer = max(0, min(self.cur_layer, n - 1))

    # ---- actions ----------------------------------------------------------------------------
    def action_move(self, dr: int, dc: int) -> None:
        self.row += dr
        self.col += dc
        self._post()

    def action_jump(self, dr: int, dc: int) -> None:
        lay = self._lay()
        if lay is None:
            return
        fi, fo = lay.W.shape
        br, bc = self._shown
        self.row += dr * max(1, -(-fi // br))
        self.col += dc * max(1, -(-fo // bc))
        self._post()

    def action_layer(self, d: int) -> None:
        old = self.cur_layer
        self._user_layer = True
        self.cur_layer += d
        self._clamp_layer()
        if self.cur_layer != old:
            lay = self._lay()
            self.row = min(self.row, lay.W.shape[0]) if lay is not None else 0
            self._post()

    def action_summary(self) -> None:
        self.summary = "mean" if self.summary == "maxabs" else "maxabs"
        self._cache.clear()
        self.redraw()

    # ---- drawing ------------------------------------------------------------------------------
    def _reduced(self, lay: LayerSnap, rows: int, cols: int) -> Reduced:
        """Block-summarised W and b with their colour levels; computed once per snapshot/size."""
        key = (lay.index, rows, cols, self.summary)
        hit = self._cache.get(key)
        if hit is None:
            scale = robust_scale(lay.W)
            bscale = max(scale, robust_scale(lay.b))
            Wr = block_reduce(lay.W, rows, cols, self.summary)
            br = block_reduce(lay.b[None, :], 1, cols, self.summary)[0]
            hit = (Wr, levels(Wr, scale), br, levels(br, bscale), scale)
            self._cache[key] = hit
        return hit

    def build(self) -> Lines | Text:
        s = self.snapshot
        if s is None or not s.layers:
            return Text("no network yet", style="dim")
        nc = self.colourless
        width, height = max(self.size.width, 20), max(self.size.height, 6)
        lay = s.layers[self.cur_layer]
        fi, fo = lay.W.shape
        tb = TextBuilder()
        label_w = max(len(str(fi - 1)), 1) + 1
        avail_w = width - label_w
        # a summarised layer uses 2-column cells: squarer blocks, half the cells to paint
        cw = next((c for c in CELL_WIDTHS if fo * c <= avail_w), 2)
        cols = min(fo, max(1, avail_w // cw))
        # Every row of W in full beats blocks of two (an 8x8 layer at 80x24 has ~10 rows):
        # give up the column header, then fold the three info lines into one, then move the
        # layer strip into the border title, before summarising rows into blocks.
        # (header, info lines, strip in the body) for each layout, roomiest first
        layouts = ((True, 3, True), (False, 3, True), (False, 1, True), (False, 1, False))
        for header, info, strip in layouts:
            if fi + 1 + header + info + strip <= height:
                break
        else:
            # blocks either way: keep everything when that leaves 16 rows of blocks, else
            # trade the strip and two info lines for rows (at 80x24: 7 rows of 16, not 4)
            roomy = height - 6 >= 16
            header, info, strip = layouts[0] if roomy else (True, 1, False)
        self._strip_in_title(s if not strip else None)
        if strip:
            self._strip(tb, s, width)
        rows = min(fi, max(1, height - 1 - header - info - strip))
        self._shown = (rows, cols)
        Wr, Wl, br, bl, scale = self._reduced(lay, rows, cols)
        blocked = rows < fi or cols < fo
        values = not blocked and cw >= 4
        cur_r = block_of(self.row, fi, rows) if self.kind == "W" else None
        cur_c = block_of(self.col, fo, cols)
        # header: column indices when they fit, else what a block stands for
        if header or blocked:
            tb.add(" " * label_w)
        if blocked:
            er, ec = -(-fi // rows), -(-fo // cols)
            what = "max |w|" if self.summary == "maxabs" else "mean"
            tb.line(f"{fi}×{fo} in blocks of ≤{er}×{ec}, {what} (m); ±{fmt(scale, 2)}", "dim")
        elif not header:
            pass
        elif cw >= 3:
            tb.line("".join(str(j).rjust(cw - 1) + " " for j in range(fo))[:avail_w], "dim")
        else:
            tb.line(f"j → 0..{fo - 1}", "dim")
        edges = block_edges(fi, rows)
        for r in range(rows):
            tb.add(str(int(edges[r])).rjust(label_w - 1) + " ", "dim")
            heat_row(tb, Wr[r], Wl[r], cw, nc, values, cur_c if r == cur_r else None)
            tb.add("\n")
        tb.add("b".rjust(label_w - 1) + " ", "bold")
        heat_row(tb, br, bl, cw, nc, values, cur_c if self.kind == "b" else None)
        tb.add("\n")
        cv: CursorValues = cursor_values(lay, self.kind, self.row, self.col, s.update)
        for k, pieces in enumerate(info_line(cv, width) if info == 1 else info_lines(cv, width)):
            if k:
                tb.add("\n")
            for text, style in pieces:
                tb.add(text, style)
        return mark_cuts(tb.build(), self.size.width)

    def _strip_in_title(self, s: Snapshot | None) -> None:
        """The layer strip in the border title when the body has no row to spare for it."""
        title = "Weights"
        if s is not None:
            lay = s.layers[self.cur_layer]
            mark = ""
            pr = s.progress
            if pr.last_layer == self.cur_layer and pr.last_phase in ("forward", "backward"):
                mark = " ◀fwd" if pr.last_phase == "forward" else " ◀bwd"
            fi, fo = lay.W.shape
            title = f"Weights L{self.cur_layer + 1}/{len(s.layers)} {fi}×{fo}{mark} (< >)"
        if self.border_title != title:
            self.border_title = title

    def _strip(self, tb: TextBuilder, s: Snapshot, width: int) -> None:
        """Every layer on one line: with shapes when they fit, else shapes only for the
        cursor's layer, else a window of layers around it (never silently dropping layers)."""
        pr = s.progress
        computing = pr.last_layer if pr.last_phase in ("forward", "backward") else None
        update = pr.last_phase == "update"
        pieces: list[tuple[str, Style]] = []
        for short in (False, True):
            pieces = []
            for lay in s.layers:
                i = lay.index
                fi, fo = lay.W.shape
                mark = ""
                if i == computing:
                    mark = " ◀fwd" if pr.last_phase == "forward" else " ◀bwd"
                elif update and not short:
                    mark = " ◀upd"
                cur = i == self.cur_layer
                label = f"L{i + 1}" if short and not cur else f"L{i + 1} {fi}×{fo}"
                label = f"[{label}{mark}]" if cur else f" {label}{mark} "
                style = Style(bold=True, reverse=True) if cur else Style(dim=True)
                pieces.append((label, style + COMPUTING if mark else style))
            if sum(len(p[0]) for p in pieces) <= width:
                break
        lo, hi = self.cur_layer, self.cur_layer + 1
        total = len(pieces[lo][0])
        while True:  # widen the window around the cursor's layer while it fits
            grown = False
            for k in (hi, lo - 1):
                if 0 <= k < len(pieces) and total + len(pieces[k][0]) + 2 <= width:
                    total += len(pieces[k][0])
                    lo, hi = min(lo, k), max(hi, k + 1)
                    grown = True
            if not grown:
                break
        if lo > 0:
            tb.add("…", "dim")
        for label, style in pieces[lo:hi]:
            tb.add(label, style)
        if hi < len(pieces):
            tb.add("…", "dim")
        tb.add("\n")
