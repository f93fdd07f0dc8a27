"""Shared look of the data panels: diverging colours, NO_COLOR shades, text building, numbers."""

from __future__ import annotations

import math
import os
from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style as VStyle
from textual.visual import RenderOptions, Visual

from ..numbers import fit_number, fmt, fmt_exact, signed  # noqa: F401  (re-exported until the panels import ..numbers)

# Diverging scale after Moreland's "coolwarm": blue (negative), light grey (zero), red
# (positive). Its ends are far apart in hue and in lightness, so Rich's downgrade to 256 or
# 16 colours still lands on blue / white / red rather than on one muddy colour.
NEG_RGB = (59, 76, 192)
MID_RGB = (221, 221, 221)
POS_RGB = (180, 4, 38)
STEPS = 8  # levels on each side of zero; 2 * STEPS + 1 in all
SHADES = " ░▒▓█"  # NO_COLOR magnitude, with a '-' / '+' sign next to it

# Categorical colours for classes (Okabe-Ito, safe for colour-blind readers) and, for
# NO_COLOR, one letter or glyph per class.
CLASS_RGB = (
    (230, 159, 0),
    (86, 180, 233),
    (0, 158, 115),
    (240, 228, 66),
    (204, 121, 167),
    (213, 94, 0),
    (0, 114, 178),
    (160, 160, 160),
)
CLASS_GLYPHS = "ox+*#@%&"


def no_color_active(widget: object | None = None) -> bool:
    """NO_COLOR is honoured from the environment or from Textual's ``app.no_color``."""
    if os.environ.get("NO_COLOR"):
        return True
    try:
        return bool(getattr(widget.app, "no_color", False))  # type: ignore[union-attr]
    except Exception:  # not mounted: no app to ask
        return False


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


# In 16 colours the RGB scale degrades unevenly: a mid blue lands on grey while a mid red
# is already red, so negative weights vanished. There, levels use the terminal's own colours:
# |k| <= 1 grey, 2-4 bright blue / red, 5-8 blue / red.
_STANDARD = {"on": False}


def use_standard_colours(on: bool) -> None:
    """Set by the app when the terminal has 16 colours (Textual's console: 'standard')."""
    if _STANDARD["on"] != on:
        _STANDARD["on"] = on
        level_styles.cache_clear()
        level_fg_styles.cache_clear()


def _standard_level(k: int) -> Style:
    # RGB values of Rich's 16-colour palette, so the downgrade lands on exactly these (named
    # ANSI colours go through Textual's theme first and came out magenta)
    black, white = Color.from_rgb(0, 0, 0), Color.from_rgb(255, 255, 255)
    if abs(k) <= 1:
        return Style(color=black, bgcolor=Color.from_rgb(170, 170, 170))
    if abs(k) <= 4:
        rgb = (85, 85, 255) if k < 0 else (255, 85, 85)
        return Style(color=black, bgcolor=Color.from_rgb(*rgb))
    rgb = (0, 0, 170) if k < 0 else (170, 0, 0)
    return Style(color=white, bgcolor=Color.from_rgb(*rgb))


@lru_cache(maxsize=1)
def level_styles() -> tuple[Style, ...]:
    """Background styles for levels -STEPS..STEPS (index 0..2*STEPS), text in a readable colour."""
    if _STANDARD["on"]:
        return tuple(_standard_level(k) for k in range(-STEPS, STEPS + 1))
    out = []
    for k in range(-STEPS, STEPS + 1):
        end = NEG_RGB if k < 0 else POS_RGB
        rgb = _mix(MID_RGB, end, abs(k) / STEPS)
        lum = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
        fg = Color.from_rgb(0, 0, 0) if lum > 140 else Color.from_rgb(255, 255, 255)
        out.append(Style(color=fg, bgcolor=Color.from_rgb(*rgb)))
    return tuple(out)


@lru_cache(maxsize=1)
def level_fg_styles() -> tuple[Style, ...]:
    """Foreground-only versions of the level colours (sparklines, numbers on the panel bg)."""
    return tuple(Style(color=s.bgcolor) for s in level_styles())


def levels(values: np.ndarray, scale: float) -> np.ndarray:
    """Map values to integer levels 0..2*STEPS (STEPS = zero) against +-scale."""
    if not scale or not math.isfinite(scale):
        return np.full(np.shape(values), STEPS, dtype=np.intp)
    v = np.nan_to_num(np.asarray(values, dtype=np.float64) / scale, nan=0.0)
    return (np.rint(np.clip(v, -1.0, 1.0) * STEPS) + STEPS).astype(np.intp)


def shade_cell(level: int, width: int) -> str:
    """NO_COLOR cell: sign then shades, e.g. '-▓▓' or '+░░'; zero is blank."""
    k = level - STEPS
    if k == 0:
        return " " * width
    mag = SHADES[max(1, min(4, math.ceil(abs(k) * 4 / STEPS)))]
    sign = "-" if k < 0 else "+"
    return sign + mag * (width - 1) if width > 1 else (mag if k > 0 else sign)


# ---- text building ------------------------------------------------------------------------
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
