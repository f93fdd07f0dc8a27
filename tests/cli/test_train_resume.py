"""`train --resume ID|FILE.npz`: 300 steps then 300 more end exactly where 600 in one go do."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from engine import load_checkpoint
from tui.cli import main


def train(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(["train", *argv, "--json"]) == 0
    summary: dict[str, object] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return summary


def ledger_checkpoint(run: object) -> Path:
    return Path(os.environ["BACKPROP_TUI_HOME"]) / "checkpoints" / f"{run}.npz"


FIGURES = ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "steps", "epochs")


@pytest.mark.parametrize(
    "argv",
    [
        ["xor"],  # mini-batch SGD with momentum
        ["spiral", "--batch-size", "7"],  # Adam, a batch size that does not divide the set
        ["circles", "--schedule", "warmup:steps=50+step:every=100,factor=0.5"],
        ["five-classes", "--batch-size", "full", "--l2", "0.001"],
    ],
)
def test_300_then_300_is_600(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    whole = train(capsys, *argv, "--steps", "600", "--eval-every", "70")
    half = train(capsys, *argv, "--steps", "300", "--eval-every", "70")
    rest = train(capsys, "--resume", str(half["run"]), "--steps", "300")
    assert rest["run"] == half["run"]
    for key in FIGURES:
        assert rest[key] == whole[key], key
    a, b = (
        load_checkpoint(ledger_checkpoint(whole["run"])),
        load_checkpoint(ledger_checkpoint(rest["run"])),
    )
    np.testing.assert_array_equal(a.net.params, b.net.params)
    for k, v in a.opt_state.items():
        np.testing.assert_array_equal(b.opt_state[k], v)
    assert a.batcher == b.batcher
    # the resumed run's curve is the whole run's
    assert main(["runs", "show", str(whole["run"]), "--json"]) == 0
    one = json.loads(capsys.readouterr().out)["curve"]
    assert main(["runs", "show", str(rest["run"]), "--json"]) == 0
    two = json.loads(capsys.readouterr().out)["curve"]
    for name in ("train_loss", "test_accuracy"):
        pairs = [(s, v) for s, v in zip(one["step"], one[name], strict=True) if v is not None]
        assert pairs == [
            (s, v) for s, v in zip(two["step"], two[name], strict=True) if v is not None
        ]


def test_resume_from_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    whole = train(capsys, "xor", "--steps", "600")
    save = tmp_path / "half.npz"
    half = train(capsys, "xor", "--steps", "300", "--save", str(save))
    # the file is that run's latest state: the run goes on
    rest = train(capsys, "--resume", str(save), "--steps", "300")
    assert rest["run"] == half["run"] and rest["train_loss"] == whole["train_loss"]
    # again from the same (now older) file: a new run, forked from it, same result
    again = train(capsys, "--resume", str(save), "--steps", "300")
    assert again["run"] not in (half["run"], whole["run"])
    assert again["train_loss"] == whole["train_loss"]
    assert main(["runs", "show", str(again["run"]), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["forked_from"] == half["run"]
    assert shown["curve"]["step"][0] == 1  # the file's history came along
    # into another ledger, or with --no-record
    other = train(capsys, "--resume", str(save), "--steps", "300", "--home", str(tmp_path / "o"))
    assert other["train_loss"] == whole["train_loss"]
    bare = train(capsys, "--resume", str(save), "--steps", "300", "--no-record")
    assert bare["run"] is None and bare["train_loss"] == whole["train_loss"]


def test_resume_without_steps_goes_to_the_planned_end(capsys: pytest.CaptureFixture[str]) -> None:
    save_run = train(capsys, "xor", "--steps", "200")
    line_args = ["train", "--resume", str(save_run["run"])]
    assert main(line_args) == 2  # 200 planned, 200 done
    err = capsys.readouterr().err
    assert "past its planned 200 steps" in err and "--steps N" in err
    more = train(capsys, "--resume", str(save_run["run"]), "--epochs", "2")
    assert more["steps"] == 200 + 2 * 30  # xor trains on 300 samples in batches of 10


def test_a_checkpoint_from_before_version_2_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save = tmp_path / "old.npz"
    train(capsys, "xor", "--steps", "10", "--save", str(save), "--no-record")
    with np.load(save, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta"]))
    del meta["user"]["config"]
    arrays["meta"] = np.array(json.dumps(meta))
    with open(save, "wb") as f:
        np.savez(f, allow_pickle=False, **arrays)
    assert main(["train", "--resume", str(save)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "without its run's config" in err
