"""The panels' colours: the diverging weight scale, its NO_COLOR shades, class colours."""

from __future__ import annotations

import math
import os
from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.style import Style

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
