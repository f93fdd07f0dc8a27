"""`backprop-tui lr-find`: the JSON, the terminal plot, bad input."""

from __future__ import annotations

import json

import pytest

from tui.cli import main


def test_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lr-find", "xor", "--iterations", "80", "--json"]) == 0
    cap = capsys.readouterr()
    data = json.loads(cap.out.strip().splitlines()[-1])
    assert list(data) == ["lrs", "losses", "suggested_lr"]
    assert len(data["lrs"]) == len(data["losses"]) <= 80
    assert data["lrs"][0] == 1e-7
    best = min(range(len(data["losses"])), key=lambda i: data["losses"][i])
    assert data["suggested_lr"] == data["lrs"][best] / 10
    assert "suggested lr" in cap.err  # the human report goes to stderr with --json


def test_plot_and_suggestion_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lr-find", "xor", "--start", "1e-4", "--end", "100", "--iterations", "60"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("smoothed loss vs learning rate")
    assert any("o" in ln and ln.lstrip().startswith(("|", "0", "1")) for ln in lines[1:14])
    assert "1e-4" in out and "100" in out and "*" in out
    assert "suggested lr" in lines[-1]
    assert "\x1b[" not in out


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        (["--start", "0"], "--start"),
        (["--start", "abc"], "--start"),
        (["--start", "1", "--end", "0.5"], "--end"),
        (["--iterations", "1"], "--iterations"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    extra: list[str], key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lr-find", "xor", "--json", *extra]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and len(cap.err.strip().splitlines()) == 1 and key in cap.err
