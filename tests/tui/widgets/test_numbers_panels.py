"""Property: each number the Weights cursor lines print is the correctly rounded value, at every
width (the issue's '= 10842' next to '(was 108427)' was a number cut at the panel's edge)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tui.widgets.test_numbers import correctly_rounded
from tui.widgets.weights import CursorValues, info_line, info_lines

VALUE = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e7, max_value=1e7)
MAYBE = st.none() | VALUE
NUM = r"(-?[\d.]+(?:e[+-]?\d+)?)"


def plain(lines: list[list[tuple[str, str | None]]]) -> list[str]:
    return ["".join(t for t, _ in line) for line in lines]


def check(pattern: str, text: str, *values: float) -> None:
    """Every match of ``pattern`` in ``text``: its groups are the ``values`` correctly rounded."""
    for m in re.finditer(pattern, text):
        for got, v in zip(m.groups(), values, strict=True):
            if got is not None and not got.endswith("…"):
                assert correctly_rounded(got, v), (text, got, v)


@st.composite
def cursor(draw: st.DrawFn) -> CursorValues:
    bias = draw(st.booleans())
    return CursorValues(
        layer=draw(st.integers(0, 3)),
        name="b[2]" if bias else "W[1,3]",
        where="bias of unit 2" if bias else "input 1 → unit 3",
        val=draw(VALUE),
        g=draw(MAYBE),
        reg=None if bias else draw(MAYBE),
        u=draw(MAYBE),
        how=draw(st.sampled_from(["", "lr 0.05, α 0.9", "adam lr 0.001, t 12"])),
    )


@settings(deadline=None)  # a loaded machine must not fail a property
@given(cursor(), st.integers(20, 90))
def test_cursor_lines_print_correctly_rounded_values(cv: CursorValues, width: int) -> None:
    lines = plain(info_lines(cv, width))
    assert all(len(line) <= width for line in lines)
    first, grad, upd = lines
    check(rf"\] (?:\([^)]*\) )?= {NUM}(?:…)?$", first, cv.val)
    if cv.g is not None:
        total = cv.g + (cv.reg or 0.0)
        check(rf"∂L/∂\S+ = {NUM}(?:…|\s|$)", grad, total)
        if cv.reg:
            check(rf"= (?:data )?{NUM} \+ reg {NUM}", grad, cv.g, cv.reg)
    if cv.u is not None:
        check(rf"Δ = {NUM}(?:…|\s|$)", upd, cv.u)
        check(rf"(?:before: |was ){NUM}\)", upd, cv.val - cv.u)


@settings(deadline=None)  # a loaded machine must not fail a property
@given(cursor(), st.integers(20, 90))
def test_cursor_line_prints_correctly_rounded_values(cv: CursorValues, width: int) -> None:
    (line,) = plain(info_line(cv, width))
    assert len(line) <= width
    check(rf"\] = {NUM}(?:…|\s|$)", line, cv.val)
    if cv.g is not None:
        check(rf"∂L/∂w = {NUM}", line, cv.g + (cv.reg or 0.0))
    if cv.u is not None:
        check(rf"Δ = {NUM}", line, cv.u)


def test_the_issues_case_rounds() -> None:
    """five-classes at lr 10: W = 108426.93 printed '= 10842' beside '(was 108427)'."""
    cv = CursorValues(0, "W[1,3]", "input 1 → unit 3", 108426.93, 5.0, None, -0.4)
    for width in range(20, 60):
        first = plain(info_lines(cv, width))[0]
        assert "10842 " not in first + " " and not first.endswith("10842")
    cv = CursorValues(0, "W[0,0]", "input 0 → unit 0", 0.26585, None, None, None)
    for width in range(20, 60):
        assert not plain(info_lines(cv, width))[0].endswith("0.265")
