"""The one number formatter of the app and the CLI: rounded, never cut, '—' when missing.

Every function here rounds the float's exact binary value correctly (Python's format does, and
Decimal where a product would add a rounding of its own). A number that does not fit its room
is printed with fewer digits, never cut: a cut '108427' reads '10842', a cut '0.26585' '0.265'.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

MISSING = "—"
ELLIPSIS = "…"


def fmt(v: float | None, digits: int = 4, missing: str = MISSING) -> str:
    """``v`` to ``digits`` significant digits, correctly rounded; ``missing`` for None."""
    if v is None:
        return missing
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    return f"{v + 0.0:.{digits}g}"  # + 0.0 turns -0.0 into 0.0


def fmt_fit(v: float | None, room: int, digits: int = 8, missing: str = MISSING) -> str:
    """``v`` with as many significant digits (at most ``digits``) as fit in ``room`` columns.

    Correctly rounded at every length; when even one digit does not fit, the one-digit form is
    returned anyway (longer than ``room``: the caller ends its line with '…' rather than cut a
    number).
    """
    if v is None or not math.isfinite(float(v)):
        return fmt(v, digits, missing)
    for d in range(digits, 0, -1):
        s = fmt(v, d)
        if len(s) <= room:
            return s
    return fmt(v, 1)


def neg_log(p: float, loss: float, digits: int = 5) -> tuple[str, str]:
    """(argument, value) for '-log {argument} = {value}' that reads true: the probability
    printed with as many digits as -log of the printed number needs to round to the printed
    loss, or as '(1 - q)' when p is so close to 1 that it would print as '1'.

    A cross-entropy of 1.8789e-06 is -log(1 - 1.8789e-06), not '-log 1'.
    """
    value = fmt(loss, digits)
    if not (math.isfinite(p) and math.isfinite(loss)) or p <= 0:
        return fmt(p, digits), value
    for d in range(max(1, digits - 1), 13):
        arg = fmt(p, d)
        shown = float(arg)
        if 0 < shown < 1 and fmt(-math.log(shown), digits) == value:
            if p > 0.99 and d > digits:  # '0.99999812' reads worse than '(1 - 1.88e-06)'
                break
            return arg, value
    q = 1.0 - p  # exact for p in [0.5, 1] (Sterbenz)
    if 0 < q < 1:
        for d in range(max(1, digits - 1), 13):
            arg = fmt(q, d)
            if fmt(-math.log1p(-float(arg)), digits) == value:
                return f"(1 - {arg})", value
    return fmt(p, 12), value


def operands(
    evaluate: Callable[..., float],
    values: Sequence[float],
    result: float,
    digits: int = 5,
    result_digits: int = 6,
) -> tuple[list[str], str]:
    """The ``values`` and the ``result`` of a printed equation, with as many digits on the
    values (from ``digits`` up to 12) as it takes for ``evaluate`` of the printed values to
    round to the printed result: '0.885875 - 0.5·0.038699 = 0.866526' must add up.

    Exact values (lr 0.5, momentum 0.9) print short whatever the digits.
    """
    shown = fmt(result, result_digits)
    texts = [fmt(v, digits) for v in values]
    for d in range(digits, 13):
        texts = [fmt(v, d) for v in values]
        try:
            got = evaluate(*(float(t) for t in texts))
        except (ArithmeticError, ValueError):
            break
        if fmt(got, result_digits) == shown:
            break
    return texts, shown


def signed(v: float, digits: int = 3) -> str:
    """' + 0.5' or ' - 0.5': a term appended to a sum."""
    return f" - {fmt(-v, digits)}" if v < 0 else f" + {fmt(v, digits)}"


def fmt_exact(v: float | None) -> str:
    """Enough digits to tell two nearby weights apart."""
    return fmt(v, 8)


def fixed(v: float, decimals: int = 3) -> str:
    """``v`` with ``decimals`` digits after the point (a probability: '0.492')."""
    return f"{float(v) + 0.0:.{decimals}f}"


def sci(v: float | None, width: int = 7, missing: str = MISSING) -> str:
    """Scientific with two significant digits, right aligned in ``width`` (norms over decades)."""
    if v is None:
        return missing.center(width)
    if not math.isfinite(v):
        return f"{v!s:>{width}}"
    return f"{float(v) + 0.0:{width}.1e}"


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
    """A fraction as a percentage with one decimal: 0.9783 -> '97.8%'.

    Through Decimal: 100 * v in floats rounds once more and can move a value off a tie.
    """
    if v is None or v != v:
        return missing
    if not math.isfinite(v):
        return f"{float(v) * 100}%"
    p = (Decimal(float(v)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
    return f"{p + 0:.1f}%"  # + 0: Decimal('-0.0') prints as '0.0'


def ellipsize(s: str, width: int) -> str:
    """``s`` in ``width`` columns, ending in '…' when it had to be cut."""
    if len(s) <= width:
        return s
    return s[: max(0, width - 1)] + ELLIPSIS if width > 0 else ""
