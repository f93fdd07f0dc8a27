"""`train --batch-schedule`: epochs under a growing batch, resume bit for bit, bad values, sweep."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from engine import load_checkpoint
from tui.cli import main

GROW = ["--batch-size", "10", "--batch-schedule", "step:epochs=3,factor=2", "--momentum", "0"]


def train(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(["train", *argv, "--json"]) == 0
    summary: dict[str, object] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return summary


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exc:  # argparse exits; our own checks return
        sys.exit(main(argv))
    cap = capsys.readouterr()
    assert exc.value.code == 2, cap.err
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in cap.err, cap.err
    return lines[0]


def test_epochs_count_epochs_as_the_batch_grows(capsys: pytest.CaptureFixture[str]) -> None:
    """circles: 300 training samples; batch 10, 20, 40 for 3 epochs each: 90 + 45 + 24 steps."""
    out = train(capsys, "circles", *GROW, "--epochs", "9", "--no-record")
    assert (out["epochs"], out["steps"]) == (9, 90 + 45 + 24)


def test_300_then_300_is_600(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["circles", "--batch-size", "7", "--batch-schedule", "step:every=250,factor=2"]
    whole = train(capsys, *argv, "--steps", "600", "--eval-every", "70")
    half = train(capsys, *argv, "--steps", "300", "--eval-every", "70")
    rest = train(capsys, "--resume", str(half["run"]), "--steps", "300")
    for key in ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "steps", "epochs"):
        assert rest[key] == whole[key], key
    home = Path(os.environ["BACKPROP_TUI_HOME"]) / "checkpoints"
    a, b = (load_checkpoint(home / f"{r['run']}.npz") for r in (whole, rest))
    np.testing.assert_array_equal(a.net.params, b.net.params)
    assert a.batcher == b.batcher
    assert (
        a.settings["batch_schedule"] == b.settings["batch_schedule"] == ("step:every=250,factor=2")
    )
    assert main(["runs", "show", str(whole["run"]), "--json"]) == 0
    config = json.loads(capsys.readouterr().out)["config"]
    assert config["training.batch_schedule"] == "step:every=250,factor=2"


def test_resume_with_epochs_goes_on_under_the_schedule(capsys: pytest.CaptureFixture[str]) -> None:
    whole = train(capsys, "circles", *GROW, "--epochs", "9")
    half = train(capsys, "circles", *GROW, "--epochs", "4")
    rest = train(capsys, "--resume", str(half["run"]), "--epochs", "5")
    assert (rest["steps"], rest["epochs"], rest["train_loss"]) == (
        whole["steps"],
        9,
        whole["train_loss"],
    )


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("grow", "--batch-schedule: found 'grow'"),
        ("step:every=0", "--batch-schedule: found every=0"),
        ("step:every=3,factor=0.5", "factor a whole number >= 2"),
    ],
)
def test_bad_value_is_one_line_naming_the_flag(
    capsys: pytest.CaptureFixture[str], value: str, says: str
) -> None:
    line = refused(capsys, ["train", "xor", "--batch-schedule", value])
    assert line.startswith("backprop-tui: command line: --batch-schedule: ") and says in line


def test_not_with_resume(capsys: pytest.CaptureFixture[str]) -> None:
    line = refused(capsys, ["train", "--resume", "1", "--batch-schedule", "step:every=2"])
    assert "--batch-schedule: found with --resume" in line


def test_sweep_refuses_a_scenario_with_a_batch_schedule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "g.toml"
    p.write_text(
        textwrap.dedent("""
        [data]
        generator = "xor"
        samples = 40
        [training]
        batch_size = 4
        batch_schedule = "step:every=5,factor=2"
        steps = 10
        """)
    )
    line = refused(capsys, ["sweep", str(p), "--lr", "0.1,0.2", "--no-record"])
    assert "training.batch_schedule: found 'step:every=5,factor=2'" in line
