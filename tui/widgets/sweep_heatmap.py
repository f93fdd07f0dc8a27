"""The sweep screen's lr x batch-size heatmap with a cell cursor (draws a sweep_grid.Grid)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget

from ..cli.heatmap_text import COLOURS, DIVERGED_COLOUR, RAMP, Cell, batch_label
from ..sweep_grid import CellKey, Grid
from .colours import no_color_active

CELL = 9  # a glyph, the mean in 6 characters, a mark, a space
LABEL = 8  # the lr column
LEGEND = 35  # the legend's first line at most: "loss 1.1e-4 [ .:-=+*#%@] 2.39 (log)"


def short(v: float) -> str:
    """At most 6 characters: 3 significant digits or a compact exponent."""
    for text in (f"{v:.3g}", f"{v:.2g}"):
        if len(text) <= 6 and "e" not in text:
            return text
    for spec in (".1e", ".0e"):
        mant, exp = f"{v:{spec}}".split("e")
        text = f"{mant}e{int(exp)}"
        if len(text) <= 6:
            return text
    return text


class SweepHeatmap(Widget, can_focus=True):
    """Final train loss (mean over seeds) per lr (rows) x batch size (columns), log colour
    scale; diverged cells 'x' on red; the best cell '▶'; unfinished cells '·'."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1, 0)", "up", show=False),
        Binding("down", "move(1, 0)", "down", show=False),
        Binding("left", "move(0, -1)", "left", show=False),
        Binding("right", "move(0, 1)", "right", show=False),
        Binding("enter", "open", "open cell"),
    ]

    class CursorMoved(Message):
        def __init__(self, key: CellKey) -> None:
            super().__init__()
            self.key = key

    class OpenCell(Message):
        def __init__(self, key: CellKey) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.grid: Grid | None = None
        self.row = 0
        self.col = 0
        self.no_color: bool | None = None  # None: the environment decides (tests set it)

    @property
    def cursor(self) -> CellKey | None:
        g = self.grid
        if g is None or not g.lrs or not g.batches:
            return None
        return g.lrs[self.row], g.batches[self.col]

    def show(self, grid: Grid) -> None:
        self.grid = grid
        self.row = min(self.row, max(0, len(grid.lrs) - 1))
        self.col = min(self.col, max(0, len(grid.batches) - 1))
        self.refresh(layout=True)

    def action_move(self, dr: int, dc: int) -> None:
        g = self.grid
        if g is None:
            return
        self.row = max(0, min(len(g.lrs) - 1, self.row + dr))
        self.col = max(0, min(len(g.batches) - 1, self.col + dc))
        self.refresh()
        if self.cursor is not None:
            self.post_message(self.CursorMoved(self.cursor))

    def action_open(self) -> None:
        if self.cursor is not None:
            self.post_message(self.OpenCell(self.cursor))

    def get_content_width(self, container: object, viewport: object) -> int:
        g = self.grid
        return max(LEGEND, LABEL + CELL * (len(g.batches) if g else 1))

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        g = self.grid
        return 3 + (len(g.lrs) if g else 0)  # the head, the rows, the legend's two lines

    def render(self) -> Text:
        g = self.grid
        if g is None:
            return Text("")
        mono = self.no_color if self.no_color is not None else no_color_active(self)
        out = Text(no_wrap=True, overflow="crop")
        rows, cols = self._window(len(g.lrs), len(g.batches))
        out.append("lr\\batch".ljust(LABEL), "bold")
        out.append("".join(batch_label(g.batches[c]).center(CELL) for c in cols) + "\n", "bold")
        for r in rows:
            lr = g.lrs[r]
            out.append(f"{lr:<{LABEL}.3g}")
            for c in cols:
                bs = g.batches[c]
                key = (lr, bs)
                text, style = self._cell(g, key, g.cells.get(key), mono)
                if (r, c) == (self.row, self.col) and self.has_focus:
                    style = f"{style} reverse".strip()
                elif (r, c) == (self.row, self.col):
                    style = f"{style} underline".strip()
                out.append(text, style)
            out.append("\n")
        if g.lo is not None and g.hi is not None:
            out.append(f"loss {short(g.lo)} ")
            if mono:
                out.append(f"[{RAMP}]")
            else:
                for colour in COLOURS:
                    out.append(" ", f"on color({colour})")
            out.append(f" {short(g.hi)} (log)\nxx diverged  ▶ best  · not yet")
        return out

    def _window(self, n_rows: int, n_cols: int) -> tuple[range, range]:
        """The rows and columns that fit, scrolled so that the cursor's cell is among them."""
        h = max(1, self.size.height - 3) if self.size.height else n_rows
        w = max(1, (self.size.width - LABEL) // CELL) if self.size.width else n_cols
        r0 = min(max(0, self.row - h + 1), max(0, n_rows - h))
        c0 = min(max(0, self.col - w + 1), max(0, n_cols - w))
        return range(r0, min(n_rows, r0 + h)), range(c0, min(n_cols, c0 + w))

    def _cell(self, g: Grid, key: CellKey, cell: Cell | None, mono: bool) -> tuple[str, str]:
        if cell is None:
            return "·".center(CELL), "dim"
        if cell.mean is None:
            text = "xx".center(CELL)
            return text, "" if mono else f"bold color(203) on color({DIVERGED_COLOUR})"
        lv = g.levels.get(key, 0)
        mark = "!" if cell.diverged else " "  # some seeds diverged
        glyph = "▶" if key == g.best else (RAMP[lv] if mono else " ")
        text = f"{glyph}{short(cell.mean):>6}{mark} "
        if mono:
            return text, "bold" if key == g.best else ""
        fg = "color(231)" if lv <= 2 or lv >= 8 else "color(16)"
        return text, f"{fg} on color({COLOURS[lv]})" + (" bold" if key == g.best else "")
