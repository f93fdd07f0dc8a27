"""Styled lines for the panels: a builder of styled pieces and the Visual that paints them."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style as VStyle
from textual.visual import RenderOptions, Visual


@lru_cache(maxsize=256)
def _parse(style: str) -> Style:
    return Style.parse(style)


def as_style(style: Style | str | None) -> Style | None:
    if not style:
        return None
    return _parse(style) if isinstance(style, str) else style


@lru_cache(maxsize=1)
def _console() -> Console:
    return Console(width=1000, color_system="truecolor", force_terminal=True)


class Lines(Visual):
    """Pre-styled lines handed to Textual as strips directly.

    A rich Text would be converted span by span into Textual's Content (about 15 µs a span);
    a heatmap has thousands of spans, so this keeps a repaint to a few ms. The strips are
    cached per size and base style, since a refresh without new data re-renders the same lines.
    """

    def __init__(self, lines: list[list[Segment]]) -> None:
        self.lines = lines
        self._cache: tuple[tuple, list[Strip]] | None = None

    @classmethod
    def from_text(cls, text: Text) -> Lines:
        """Split a rich Text (e.g. parsed ANSI) into styled lines, once, when it is built."""
        console = _console()
        return cls([list(line.render(console)) for line in text.split("\n", allow_blank=True)])

    @property
    def plain(self) -> str:
        return "\n".join("".join(seg.text for seg in line) for line in self.lines)

    def __str__(self) -> str:
        return self.plain

    def render_strips(
        self, width: int, height: int | None, style: VStyle, options: RenderOptions
    ) -> list[Strip]:
        base = style.rich_style
        key = (width, height, base)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        strips = []
        combined: dict[Style | None, Style] = {None: base}  # few distinct styles, many segments
        for line in self.lines[:height]:
            segs = []
            n = 0
            for seg in line:
                st = combined.get(seg.style)
                if st is None:
                    st = combined[seg.style] = base + seg.style
                segs.append(Segment(seg.text, st))
                n += len(seg.text)  # panels draw single-width characters only
            strip = Strip(segs, n)
            strips.append(strip if n == width else strip.crop_extend(0, width, base))
        self._cache = (key, strips)
        return strips

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return max((sum(len(seg.text) for seg in line) for line in self.lines), default=0)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return len(self.lines)


class TextBuilder:
    """Accumulate styled pieces line by line; build() gives Lines (no wrap) or a wrapping Text."""

    __slots__ = ("_cur", "_lines")

    def __init__(self) -> None:
        self._lines: list[list[Segment]] = []
        self._cur: list[Segment] = []

    def add(self, s: str, style: Style | str | None = None) -> TextBuilder:
        if not s:
            return self
        st = as_style(style)
        if "\n" not in s:
            self._cur.append(Segment(s, st))
            return self
        first, *rest = s.split("\n")
        if first:
            self._cur.append(Segment(first, st))
        for piece in rest:
            self._lines.append(self._cur)
            self._cur = [Segment(piece, st)] if piece else []
        return self

    def add_runs(self, lv: np.ndarray, cw: int, styles: tuple[Style, ...]) -> TextBuilder:
        """Blank cells of width cw coloured by level, one segment per run of equal levels."""
        n = len(lv)
        if n == 0:
            return self
        change = np.empty(n, dtype=bool)
        change[0] = True
        np.not_equal(lv[1:], lv[:-1], out=change[1:])
        starts = np.flatnonzero(change)
        bounds = [*starts.tolist(), n]
        cur = self._cur
        for a, b, k in zip(bounds, bounds[1:], lv[starts].tolist(), strict=False):
            cur.append(Segment(" " * ((b - a) * cw), styles[k]))
        return self

    def line(self, s: str = "", style: Style | str | None = None) -> TextBuilder:
        self.add(s, style)
        return self.add("\n")

    def _all(self) -> list[list[Segment]]:
        lines = self._lines + ([self._cur] if self._cur else [])
        return lines

    def build(self) -> Lines:
        return Lines(self._all())

    def text(self) -> Text:
        """A rich Text that wraps to the widget width (for prose, where spans are few)."""
        out = Text()
        for k, line in enumerate(self._all()):
            if k:
                out.append("\n")
            for seg in line:
                out.append(seg.text, seg.style)
        return out
