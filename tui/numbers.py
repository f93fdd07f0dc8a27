"""The one number formatter of the app and the CLI: rounded, never cut, '—' when missing."""

from __future__ import annotations

import math

MISSING = "—"


def fmt(v: float | None, digits: int = 4, missing: str = MISSING) -> str:
    """``v`` to ``digits`` significant digits, correctly rounded; ``missing`` for None."""
    if v is None:
        return missing
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    return f"{v + 0.0:.{digits}g}"  # + 0.0 turns -0.0 into 0.0


def signed(v: float, digits: int = 3) -> str:
    """' + 0.5' or ' - 0.5': a term appended to a sum."""
    return f" - {fmt(-v, digits)}" if v < 0 else f" + {fmt(v, digits)}"


def fmt_exact(v: float | None) -> str:
    """Enough digits to tell two nearby weights apart."""
    return fmt(v, 8)


def fit_number(v: float, width: int) -> str:
    """``v`` in at most ``width`` characters (right aligned), or '' if it cannot fit."""
    if not math.isfinite(v):
        s = "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
        return s.rjust(width) if len(s) <= width else ""
    v = v + 0.0  # -0.0 (a ReLU's zero gradient) prints as 0
    for prec in (3, 2, 1, 0):
        s = f"{v:.{prec}f}"
        if s.startswith("0.") or s.startswith("-0."):
            s = s.replace("0.", ".", 1)  # '.12' reads fine and saves a column
        if len(s) <= width and (float(s) != 0 or v == 0):
            return s.rjust(width)
    s = f"{v:.0e}".replace("e+0", "e").replace("e-0", "e-")
    if len(s) <= width:  # a tiny gradient reads '4e-5', not '0'
        return s.rjust(width)
    s = f"{v:.0f}"  # '0' / '-0': small, with its sign (the colour or shade says how small)
    return s.rjust(width) if len(s) <= width else ""


def percent(v: float | None, missing: str = MISSING) -> str:
    """A fraction as a percentage with one decimal: 0.9783 -> '97.8%'."""
    if v is None or v != v:
        return missing
    return f"{100 * float(v):.1f}%"
