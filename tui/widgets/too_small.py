"""The message shown instead of the layout when the terminal is smaller than 80x24."""

from __future__ import annotations

from textual.app import RenderResult
from textual.widget import Widget

MIN_WIDTH = 80
MIN_HEIGHT = 24


class TooSmall(Widget):
    """Says how big the terminal is and how big it needs to be."""

    def render(self) -> RenderResult:
        w, h = self.app.size
        return (
            f"Please enlarge the window.\n\n"
            f"backprop-tui needs at least {MIN_WIDTH}x{MIN_HEIGHT}; this terminal is {w}x{h}.\n\n"
            f"q quits."
        )
