"""train --sharpness-every and the confusion matrix: the edge-of-stability figure, logs, errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tui.cli import main


def train_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["train", *argv, "--json", "--no-record"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    res: dict[str, Any] = json.loads(out[-1])
    return res


@pytest.mark.parametrize("lr", [0.2, 0.35])
def test_edge_of_stability_settles_at_two_over_lr(capsys: pytest.CaptureFixture[str], lr: float):
    """Issue 12's done-when: the run ends with the sharpness within 15% of 2/lr, having risen to
    it from below (5.2 at the start), every one of the last 1,000 steps' measurements too."""
    res = train_json(capsys, "edge-of-stability", "--lr", str(lr), "--sharpness-every", "50")
    assert res["steps"] == 8000 and not res["diverged"]
    limit = 2 / lr
    assert res["sharpness"] == pytest.approx(limit, rel=0.15)
    curve = np.array(res["sharpness_curve"])
    assert curve[:, 0].tolist() == list(range(0, 8001, 50))
    assert curve[0, 1] < 0.95 * limit  # it starts below the edge and climbs to it
    tail = curve[curve[:, 0] >= 7000, 1]
    assert np.all(np.abs(tail / limit - 1) < 0.15)
    assert res["sharpness"] == curve[-1, 1]


def test_log_lines_carry_the_last_sharpness(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    log = tmp_path / "run.jsonl"
    res = train_json(
        capsys, "xor", "--steps", "130", "--eval-every", "50", "--sharpness-every", "40",
        "--log", str(log),
    )  # fmt: skip
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert [(x["step"], x["sharpness_step"]) for x in lines] == [(50, 40), (100, 80), (130, 130)]
    assert all(x["sharpness"] > 0 for x in lines)
    assert [s for s, _ in res["sharpness_curve"]] == [0, 40, 80, 120, 130]  # and the last step
    assert res["sharpness"] == lines[-1]["sharpness"] == res["sharpness_curve"][-1][1]


def test_measuring_does_not_change_training(capsys: pytest.CaptureFixture[str]) -> None:
    plain = train_json(capsys, "xor", "--steps", "200")
    measured = train_json(capsys, "xor", "--steps", "200", "--sharpness-every", "7")
    assert plain["sharpness"] is None and plain["sharpness_curve"] is None
    for key in ("train_loss", "test_loss", "train_accuracy", "confusion_matrix"):
        assert measured[key] == plain[key]


def test_no_sharpness_keys_in_the_log_without_the_flag(tmp_path: Path, capsys) -> None:
    log = tmp_path / "run.jsonl"
    train_json(capsys, "xor", "--steps", "100", "--log", str(log))
    assert all("sharpness" not in json.loads(x) for x in log.read_text().splitlines())


def test_confusion_matrix_is_on_the_test_set(capsys: pytest.CaptureFixture[str]) -> None:
    res = train_json(capsys, "five-classes", "--steps", "300")
    cm = np.array(res["confusion_matrix"])
    assert cm.shape == (5, 5) and res["confusion_set"] == "test"
    assert np.trace(cm) / cm.sum() == pytest.approx(res["test_accuracy"])
    acc = np.diag(cm) / cm.sum(axis=1)
    np.testing.assert_allclose(res["per_class_accuracy"], acc)


def test_confusion_matrix_without_a_test_set_uses_the_training_set(capsys) -> None:
    res = train_json(capsys, "symmetry-1986", "--steps", "100")
    cm = np.array(res["confusion_matrix"])
    assert res["confusion_set"] == "train" and cm.shape == (2, 2) and cm.sum() == 64
    assert np.trace(cm) / 64 == pytest.approx(res["train_accuracy"])


def test_regression_has_no_confusion_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    res = train_json(capsys, "sine", "--steps", "50", "--sharpness-every", "25")
    assert res["confusion_matrix"] is None and res["per_class_accuracy"] is None
    assert res["sharpness"] is not None and res["sharpness"] > 0


@pytest.mark.parametrize("value", ["0", "-3", "x", "1.5"])
def test_bad_sharpness_every_is_one_line(capsys: pytest.CaptureFixture[str], value: str) -> None:
    with pytest.raises(SystemExit) as exc:
        sys.exit(main(["train", "xor", "--sharpness-every", value]))
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1
    assert "--sharpness-every" in err[0] and "Traceback" not in err[0]
