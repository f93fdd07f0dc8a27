"""A sweep's final loss over lr x batch size as a terminal heatmap (ANSI colour or ASCII ramp)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Light to dense: the lowest loss is blank, the highest '@' (the classic ASCII-art ramp).
RAMP = " .:-=+*#%@"
DIVERGED = "x"  # not in the ramp, so the divergence boundary reads as a staircase of x
BEST = ">>"  # replaces the glyph pair of the best cell (not in the ramp either)
# xterm-256 colours from good to bad: greens, yellows, oranges, reds
COLOURS = (22, 28, 34, 70, 106, 142, 178, 172, 166, 160)
DIVERGED_COLOUR = 52
CELL = 14  # columns per cell: two glyphs, a space, 6 for the mean, 4 for the spread, a space
NARROW = 10  # without the spread, when the wide cells do not fit the terminal
LABEL = 9  # the lr column


@dataclass(frozen=True)
class Cell:
    """One lr x batch-size cell: the mean final loss over the seeds that did not diverge, its
    relative spread (standard deviation / mean), and how many of how many seeds diverged."""

    mean: float | None
    spread: float | None
    diverged: int
    seeds: int

    @property
    def all_diverged(self) -> bool:
        return self.mean is None


def cell_of(losses: Sequence[float | None], diverged: Sequence[bool]) -> Cell:
    """Aggregate one cell's runs (a loss of None or non-finite counts with the diverged)."""
    ok = [x for x, d in zip(losses, diverged, strict=True) if not d and x is not None]
    ok = [x for x in ok if math.isfinite(x)]
    n_div = len(losses) - len(ok)
    if not ok:
        return Cell(None, None, n_div, len(losses))
    mean = sum(ok) / len(ok)
    spread = None
    if len(ok) > 1 and mean > 0:
        var = sum((x - mean) ** 2 for x in ok) / (len(ok) - 1)
        spread = math.sqrt(var) / mean
    return Cell(mean, spread, n_div, len(losses))


def batch_label(bs: int | None) -> str:
    return "full" if bs is None else str(bs)


def _short(v: float) -> str:
    """At most 6 characters: 3 significant digits, fewer, or a compact exponent (2.3e-3)."""
    for text in (f"{v + 0.0:.3g}", f"{v + 0.0:.2g}"):
        if len(text) <= 6 and "e" not in text:
            return text
    mant, exp = f"{v:.1e}".split("e")
    text = f"{mant}e{int(exp)}"
    return text if len(text) <= 6 else f"{v:.0e}".replace("e+0", "e").replace("e-0", "e-")


def _value(c: Cell, narrow: bool = False) -> str:
    """' 0.0412±8%' style: the mean to 3 significant digits, then the spread in percent."""
    assert c.mean is not None
    mean = _short(c.mean)
    spread = ""
    if c.spread is not None:
        pct = round(100 * c.spread)
        spread = f"±{pct}%" if pct < 100 else "±99+"
    mark = "!" if c.diverged else ""  # some seeds diverged: the table says how many
    if narrow:
        return f"{mean:>6}{mark}"
    return f"{mean:>6}{(spread + mark)[:4]:<4}"


def render(
    cells: dict[tuple[float, int | None], Cell],
    lrs: Sequence[float],
    batch_sizes: Sequence[int | None],
    color: bool,
    title: str = "",
    width: int | None = None,
) -> list[str]:
    """The heatmap's lines: lr down (rows, as given), batch size across, a legend below. When
    the cells do not fit ``width`` columns they drop the spread (the table still has it)."""
    narrow = width is not None and LABEL + 2 + CELL * len(batch_sizes) > width
    cw = NARROW if narrow else CELL
    finite = [c.mean for c in cells.values() if c.mean is not None and c.mean > 0]
    lo, hi = (min(finite), max(finite)) if finite else (1.0, 1.0)
    best = min(
        (k for k, c in cells.items() if c.mean is not None),
        key=lambda k: cells[k].mean or 0.0,
        default=None,
    )

    def level(v: float) -> int:
        if hi <= lo or v <= 0:
            return 0
        t = (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo))
        return min(len(RAMP) - 1, max(0, int(t * len(RAMP))))

    lines = [title] if title else []
    head = "lr \\ batch".ljust(LABEL + 2) + "".join(batch_label(b).center(cw) for b in batch_sizes)
    lines.append(head.rstrip())
    for lr in lrs:
        row = f"{lr:<{LABEL}.3g}  "
        for bs in batch_sizes:
            c = cells.get((lr, bs))
            row += _cell(c, level, (lr, bs) == best, color, cw)
        lines.append(row.rstrip() if not color else row)
    if finite:
        lines.append(_legend(lo, hi, color))
    return lines


def _cell(
    c: Cell | None, level: Callable[[float], int], best: bool, color: bool, cw: int = CELL
) -> str:
    narrow = cw < CELL
    if c is None:
        return " " * cw
    if c.all_diverged:
        text = f" {'diverged':^{cw - 2}} " if color else DIVERGED * (cw - 1) + " "
        if color:
            return f"\x1b[38;5;203;48;5;{DIVERGED_COLOUR}m{text}\x1b[0m"
        return text
    assert c.mean is not None
    lv = level(c.mean)
    if color:
        fg = 231 if lv <= 2 or lv >= 8 else 16  # white on the dark ends, black in between
        mark = "\x1b[1;4m" if best else ""
        text = f"{'▶' if best else ' '} {_value(c, narrow)} "
        return f"\x1b[38;5;{fg};48;5;{COLOURS[lv]}m{mark}{text:<{cw}}\x1b[0m"
    glyphs = BEST if best else RAMP[lv] * 2
    return f"{glyphs} {_value(c, narrow)} "[:cw].ljust(cw)


def _legend(lo: float, hi: float, color: bool) -> str:
    if color:
        swatches = "".join(f"\x1b[48;5;{c}m  \x1b[0m" for c in COLOURS)
        return (
            f"loss (log scale) {lo:.3g} {swatches} {hi:.3g}   "
            f"\x1b[38;5;203;48;5;{DIVERGED_COLOUR}m diverged \x1b[0m   ▶ best"
        )
    return f"loss (log scale) {lo:.3g} [{RAMP}] {hi:.3g}   {DIVERGED * 3} diverged   {BEST} best"
