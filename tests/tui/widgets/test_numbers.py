"""tui.numbers: every string printed is the value correctly rounded to the digits it shows."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.numbers import ellipsize, fit_number, fixed, fmt, fmt_fit, neg_log, percent, sci

FINITE = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
NUMBER = re.compile(r"^-?(\d*)\.?(\d*)(?:e([+-]?\d+))?$")


def correctly_rounded(printed: str, v: float) -> bool:
    """True when ``printed`` is ``v`` rounded (half to even, on its exact binary value) to the
    position of the last digit ``printed`` shows: a cut number ('10842' for 108427) fails."""
    s = printed.strip()
    m = NUMBER.match(s)
    assert m, f"not a number: {printed!r}"
    decimals = len(m.group(2))
    exp = int(m.group(3) or 0)
    quantum = Decimal(1).scaleb(exp - decimals)
    want = Decimal(v).quantize(quantum, rounding=ROUND_HALF_EVEN)
    return Decimal(s if not s.startswith((".", "-.")) else s.replace(".", "0.", 1)) == want


def test_the_issues_cut_values_fail_the_check() -> None:
    assert not correctly_rounded("10842", 108426.93)
    assert not correctly_rounded("0.265", 0.26585)
    assert correctly_rounded("0.266", 0.26585)


@settings(deadline=None)  # a loaded machine must not fail a property
@given(FINITE, st.integers(1, 10))
def test_fmt_is_correctly_rounded(v: float, digits: int) -> None:
    s = fmt(v, digits)
    assert correctly_rounded(s, v)
    mantissa = s.split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    assert len(mantissa) <= digits


@settings(deadline=None)  # a loaded machine must not fail a property
@given(FINITE, st.integers(1, 14), st.integers(1, 10))
def test_fmt_fit_fits_and_is_correctly_rounded(v: float, room: int, digits: int) -> None:
    s = fmt_fit(v, room, digits)
    assert correctly_rounded(s, v)
    assert len(s) <= room or s == fmt(v, 1)  # only a number no digit of which fits overflows


def test_fmt_fit_drops_digits_instead_of_cutting() -> None:
    assert fmt_fit(108426.93, 6) == "108427"
    assert fmt_fit(0.26585, 5) == "0.266"
    assert fmt_fit(0.26585, 20) == "0.26585"


@settings(deadline=None)  # a loaded machine must not fail a property
@given(FINITE, st.integers(1, 8))
def test_fit_number_is_correctly_rounded(v: float, width: int) -> None:
    s = fit_number(v, width)
    assert len(s) <= width
    if s.strip():
        assert correctly_rounded(s, v)


@settings(deadline=None)  # a loaded machine must not fail a property
@given(FINITE, st.integers(0, 6))
def test_fixed_is_correctly_rounded(v: float, decimals: int) -> None:
    assert correctly_rounded(fixed(v, decimals), v)


@settings(deadline=None)  # a loaded machine must not fail a property
@given(FINITE)
def test_sci_is_correctly_rounded(v: float) -> None:
    assert correctly_rounded(sci(v), v)


@settings(deadline=None)  # a loaded machine must not fail a property
@given(st.floats(min_value=-2, max_value=2, allow_nan=False))
def test_percent_is_correctly_rounded(v: float) -> None:
    s = percent(v)
    assert s.endswith("%")
    want = (Decimal(v) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
    assert Decimal(s[:-1]) == want


def test_percent_ties_on_the_exact_value() -> None:
    # 0.0015 is stored a little above 0.0015, so 0.15% rounds up to 0.2%; 100 * 0.0015 in
    # floats is a little below 0.15 and would print 0.1%
    assert Decimal(0.0015) > Decimal("0.0015")  # noqa: RUF032 (the float's exact value)
    assert f"{100 * 0.0015:.1f}" == "0.1"
    assert percent(0.0015) == "0.2%"


def test_ellipsize_marks_a_cut() -> None:
    assert ellipsize("predicted virginica", 15) == "predicted virg…"
    assert ellipsize("short", 15) == "short"
    assert ellipsize("x", 0) == ""


@settings(deadline=None)  # a loaded machine must not fail a property
@given(st.floats(min_value=1e-300, max_value=1.0, exclude_max=True))
def test_neg_log_reads_true(p: float) -> None:
    """'-log {arg} = {value}': -log of the printed argument rounds to the printed value."""
    arg, value = neg_log(p, -math.log(p))
    if arg.startswith("(1 - "):
        shown = -math.log1p(-float(arg[5:-1]))
    else:
        shown = -math.log(float(arg))
        assert float(arg) != 1.0
    assert fmt(shown, 5) == value


def test_neg_log_of_a_probability_near_one() -> None:
    """The issue's 'loss = -log 1 = 1.8789e-06'."""
    assert neg_log(1 - 1.8789e-06, 1.8789e-06) == ("(1 - 1.8789e-06)", "1.8789e-06")
