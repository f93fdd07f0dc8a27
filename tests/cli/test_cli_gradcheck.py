"""`backprop-tui gradcheck`: agreement per layer and the cost of each method, or one-line errors."""

from __future__ import annotations

import pytest

from tui.cli import main


def test_gradcheck_reports_agreement_and_costs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradcheck", "five-classes", "--batch", "8"]) == 0
    out = capsys.readouterr().out
    assert "141 parameters (all checked)" in out
    assert "282 forward passes (2 per parameter" in out and "P+1 = 142" in out
    assert "1 forward + 1 backward pass" in out
    assert "agree" in out and "DISAGREE" not in out
    for layer in ("L1", "L2", "L3"):
        assert f"\n{layer} " in out


def test_gradcheck_subset_extrapolates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradcheck", "digits", "--max-params", "50", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "a random 50 checked" in out and "would take about" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["gradcheck", "no-such-scenario"], "unknown scenario"),
        (["gradcheck", "xor", "--batch", "0"], "--batch"),
        (["gradcheck", "xor", "--max-params", "many"], "--max-params"),
    ],
)
def test_gradcheck_bad_input(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and err.count("\n") == 1
