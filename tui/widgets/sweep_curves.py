"""The sweep screen's plot of one cell's batch-loss curves: the mean over seeds and its band."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from ..sweep_grid import Band, plot_rows
from .sweep_heatmap import short

LABEL = 7  # the y axis's labels


class SweepCurves(Widget):
    """The cursor cell's batch loss against step (log y): '•' the mean over the seeds, '░' from
    the lowest to the highest seed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.band: Band | None = None
        self.title = ""
        self.summary = ""

    def show(self, band: Band | None, title: str, summary: str = "") -> None:
        self.band = band
        self.title = title
        self.summary = summary
        self.refresh()

    def render(self) -> Text:
        out = Text(no_wrap=True, overflow="crop")
        out.append(self.title + "\n", "bold")
        out.append(self.summary + "\n")
        b = self.band
        h = self.size.height - 4
        if b is None or h < 2:
            out.append("no finished run in this cell yet" if b is None and self.title else "")
            return out
        w = max(4, self.size.width - LABEL - 1)
        plot = plot_rows(b, w, h)
        rows = plot.rows
        top = "" if plot.top is None else short(plot.top)
        bottom = "" if plot.bottom is None else short(plot.bottom)
        for i, line in enumerate(rows):
            label = top if i == 0 else bottom if i == len(rows) - 1 else ""
            out.append(f"{label:>{LABEL}}│")
            for ch in line:
                out.append(ch, "dim" if ch == "░" else "bold" if ch == "•" else "")
            out.append("\n")
        first, last = str(b.steps[0]), str(b.steps[-1])
        axis = first + " " * max(1, w - len(first) - len(last) - 5) + last + " step"
        out.append(" " * (LABEL + 1) + axis + "\n")
        seeds = "1 seed" if b.seeds == 1 else f"• mean of {b.seeds} seeds ░ their range"
        out.append(f"batch loss, log y; {seeds}", "dim")
        return out
