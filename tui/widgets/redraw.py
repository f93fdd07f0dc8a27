"""Partial redraws: a panel sends the terminal only the cells that changed since its last frame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from textual.geometry import Region, Size
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.app import RenderResult


def _cells(strip: Strip) -> list[tuple[str, object]] | None:
    """(character, style) per cell, or None when a character is not one cell wide."""
    out: list[tuple[str, object]] = []
    for seg in strip:
        if seg.cell_length != len(seg.text):
            return None
        out.extend((ch, seg.style) for ch in seg.text)
    return out


def changed_span(old: Strip, new: Strip, width: int) -> tuple[int, int]:
    """[x0, x1) covering every cell that differs between two lines of the same width."""
    a, b = _cells(old), _cells(new)
    if a is None or b is None or len(a) != len(b):
        return 0, width
    n = len(a)
    x0 = 0
    while x0 < n and a[x0] == b[x0]:
        x0 += 1
    x1 = n
    while x1 > x0 and a[x1 - 1] == b[x1 - 1]:
        x1 -= 1
    return x0, x1


class Redraw(Widget):
    """Panels implement ``build()``; ``redraw()`` repaints only the changed cells.

    Textual repaints a refreshed widget's whole region, one colour code per styled cell: a
    heatmap panel is ~4 kB a frame at 120x36. ``redraw()`` renders the new frame at once, diffs
    it line by line against the last frame painted and marks just the changed spans dirty;
    ``render()`` then hands Textual the frame already built. Anything else that repaints the
    widget (resize, focus, a plain ``refresh()``) goes through ``build()`` and makes the next
    ``redraw()`` a full one, so the diff is always against what is on the screen.
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        # before Widget.__init__, which may already call refresh()
        self._redrawing = False
        self._painted: tuple[Size, list[Strip]] | None = None  # the last frame painted
        self._prepared: tuple[Size, RenderResult, list[Strip]] | None = None
        super().__init__(name=name, id=id, classes=classes)

    def build(self) -> RenderResult:
        raise NotImplementedError

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        if not regions and not self._redrawing:
            # the state changed outside redraw(): a prepared frame would be stale
            self._prepared = None
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def render(self) -> RenderResult:
        prepared, self._prepared = self._prepared, None
        if prepared is not None and prepared[0] == self.size:
            self._painted = (prepared[0], prepared[2])
            return prepared[1]
        self._painted = None  # painted without a diff baseline: the next redraw is full
        return self.build()

    def redraw(self) -> None:
        """Like refresh(), but only the cells that changed go to the terminal."""
        size = self.size
        if not self.is_mounted or not self.display or size.width <= 0 or size.height <= 0:
            self._painted = self._prepared = None
            self.refresh()
            return
        result = self.build()
        visual = visualize(self, result)
        strips = Visual.to_strips(self, visual, size.width, size.height, self.visual_style)
        base = self._prepared[2] if self._prepared is not None else None
        if base is None and self._painted is not None and self._painted[0] == size:
            base = self._painted[1]
        self._prepared = (size, result, strips)
        if base is None or len(base) != len(strips):
            self._redrawing = True
            try:
                self.refresh()
            finally:
                self._redrawing = False
            return
        regions = []
        for y, (old, new) in enumerate(zip(base, strips, strict=True)):
            if old != new:
                x0, x1 = changed_span(old, new, size.width)
                if x1 > x0:
                    regions.append(Region(x0, y, x1 - x0, 1))
        if regions:
            self.refresh(*regions)
