"""`backprop-tui train` and `scenarios`, run in-process through main(argv)."""

import json

import numpy as np

from engine import load_checkpoint
from scenarios import bundled_names
from tui.cli import main

KEYS = [
    "scenario",
    "seed",
    "steps",
    "epochs",
    "train_loss",
    "train_accuracy",
    "test_loss",
    "test_accuracy",
    "seconds",
    "steps_per_second",
    "diverged",
    "diverged_at",
    "run",  # the run's id in the ledger (null with --no-record)
    *("sharpness", "sharpness_curve", "confusion_matrix", "confusion_set", "per_class_accuracy"),
]


def last_json(capsys):
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


def test_scenarios_lists_every_bundled_name_first(capsys):
    assert main(["scenarios"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [ln.split()[0] for ln in lines] == bundled_names()
    assert all(len(ln.split(maxsplit=1)) == 2 for ln in lines)  # a description follows


def test_train_json_has_exactly_the_documented_keys(capsys):
    assert main(["train", "xor", "--steps", "300", "--json"]) == 0
    res = last_json(capsys)
    assert list(res) == KEYS
    assert res["scenario"] == "xor" and res["steps"] == 300 and res["diverged"] is False
    assert res["epochs"] == 10  # 300 training samples, batch 10
    assert res["seconds"] > 0 and res["steps_per_second"] > 0


def test_json_stdout_is_one_line_progress_goes_to_stderr(capsys):
    assert main(["train", "xor", "--steps", "300", "--json"]) == 0
    cap = capsys.readouterr()
    assert len(cap.out.strip().splitlines()) == 1
    assert "step 300/300" in cap.err


def test_regression_accuracies_are_null(capsys):
    assert main(["train", "sine", "--steps", "50", "--json"]) == 0
    res = last_json(capsys)
    assert res["train_accuracy"] is None and res["test_accuracy"] is None
    assert res["test_loss"] > 0


def test_overrides_and_epochs(capsys):
    args = ["train", "iris", "--epochs", "3", "--lr", "0.2", "--batch-size", "full"]
    assert main([*args, "--momentum", "0.5", "--seed", "7", "--eval-every", "1", "--json"]) == 0
    res = last_json(capsys)
    assert res["steps"] == 3 and res["epochs"] == 3 and res["seed"] == 7


def test_same_seed_same_result(capsys):
    main(["train", "five-classes", "--steps", "200", "--seed", "3", "--json"])
    a = last_json(capsys)
    main(["train", "five-classes", "--steps", "200", "--seed", "3", "--json"])
    b = last_json(capsys)
    assert a["train_loss"] == b["train_loss"]


def test_target_accuracy_stops_early(capsys):
    assert main(["train", "xor", "--target-accuracy", "0.95", "--json"]) == 0
    res = last_json(capsys)
    assert res["train_accuracy"] >= 0.95 and res["steps"] < 3000
    assert res["steps"] % 100 == 0  # checked at each evaluation


def test_plain_progress_lines_when_not_a_terminal(capsys):
    assert main(["train", "xor", "--steps", "1000"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert 2 <= len(lines) <= 12 and "\r" not in "".join(lines)
    assert lines[-1].startswith("xor: 1,000 steps")


def test_log_and_save(tmp_path, capsys):
    log, ckpt = tmp_path / "run.jsonl", tmp_path / "run.npz"
    args = ["train", "xor", "--steps", "250", "--log", str(log), "--save", str(ckpt)]
    assert main(args) == 0
    recs = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["step"] for r in recs] == [100, 200, 250]  # each evaluation, then the final state
    assert {"step", "epoch", "train_loss", "test_accuracy", "lr"} <= set(recs[0])
    ck = load_checkpoint(ckpt)
    assert ck.step == 250 and ck.metadata["scenario"] == "xor"
    assert not list(tmp_path.glob(".*.tmp"))  # no temp files left behind


def test_divergence_stops_saves_last_finite_state_exit_0(tmp_path, capsys):
    ckpt = tmp_path / "d.npz"
    # 1e100: the numbers overflow before the explosion rule's 20 steps (1e6 now explodes first)
    args = ["train", "sine", "--lr", "1e100", "--steps", "500", "--save", str(ckpt), "--json"]
    assert main(args) == 0
    cap = capsys.readouterr()
    res = json.loads(cap.out.strip().splitlines()[-1])
    assert res["diverged"] is True and res["steps"] < 500
    assert "diverged at step" in cap.err and "last finite state" in cap.err
    ck = load_checkpoint(ckpt)
    assert np.all(np.isfinite(ck.net.params)) and ck.metadata["diverged"] is True
    assert ck.step == res["steps"]


def test_an_exploding_loss_is_a_divergence(capsys):
    """The issue's case: at lr 1000 the loss ended at 780, accuracy at chance, not diverged."""
    assert main(["train", "five-classes", "--lr", "1000", "--steps", "300", "--json"]) == 0
    cap = capsys.readouterr()
    res = json.loads(cap.out.strip().splitlines()[-1])
    assert res["diverged"] is True and res["diverged_at"] == res["steps"] < 300
    assert "10 x the initial loss" in cap.err
    assert main(["train", "sine", "--lr", "1e100", "--steps", "300", "--json"]) == 0
    res = last_json(capsys)
    assert res["diverged_at"] == res["steps"] + 1  # a non-finite loss: the rejected iteration


def test_an_exploding_run_says_it_keeps_the_state_it_stopped_at(capsys):
    assert main(["train", "five-classes", "--lr", "1000", "--steps", "300", "--json"]) == 0
    cap = capsys.readouterr()
    res = json.loads(cap.out.strip().splitlines()[-1])
    assert res["diverged"] is True and res["diverged_at"] == res["steps"] < 300
    assert "10 x the initial loss" in cap.err and "keeping the state (step" in cap.err
