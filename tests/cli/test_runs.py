"""`backprop-tui runs`: the table, --json, show (--json, --csv), rm; train records; bad input."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.ledger import Ledger
from tui.cli import main

REPO = Path(__file__).resolve().parents[2]


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """One line on stderr, exit 2, nothing on stdout."""
    assert main(argv) == 2
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in cap.err, cap.err
    assert cap.out == ""
    return lines[0]


def train(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(["train", *argv, "--json"]) == 0
    summary: dict[str, object] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return summary


def runs_json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, object]]:
    assert main(["runs", *argv, "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    runs: list[dict[str, object]] = json.loads(out[0])["runs"]
    return runs


def test_train_records_and_runs_lists_newest_first(capsys: pytest.CaptureFixture[str]) -> None:
    a = train(capsys, "xor", "--steps", "200")
    b = train(capsys, "xor", "--steps", "200", "--lr", "0.2")
    c = train(capsys, "xor", "--steps", "200", "--batch-size", "32", "--momentum", "0.5")
    train(capsys, "xor", "--steps", "50", "--no-record")
    runs = runs_json(capsys)
    assert [r["id"] for r in runs] == [c["run"], b["run"], a["run"]]
    first = runs[-1]
    for key in ("id", "scenario", "config", "seed", "status", "steps", "train_loss"):
        assert key in first
    for key in ("test_loss", "test_accuracy", "best_train_loss", "best_test_accuracy"):
        assert key in first
    assert first["status"] == "finished" and first["steps"] == 200
    assert first["train_loss"] == a["train_loss"]
    assert first["test_accuracy"] == a["test_accuracy"]
    assert runs[1]["config"]["training.lr"] == 0.2  # type: ignore[index]
    # the table: only the keys that differ, one row per run
    assert main(["runs"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == [
        "id", "scenario", "lr", "batch", "momentum", "steps", "loss", "best", "test", "acc",
        "status",
    ]  # fmt: skip
    assert len(lines) == 4
    assert lines[1].split()[:5] == [str(c["run"]), "xor", "0.1", "32", "0.5"]
    assert lines[3].split()[:5] == [str(a["run"]), "xor", "0.1", "10", "0.9"]
    assert lines[3].split()[-1] == "finished"


def test_show_json_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rid = train(capsys, "xor", "--steps", "300")["run"]
    assert main(["runs", "show", str(rid), "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    shown = json.loads(out[0])
    assert shown["id"] == rid and shown["config"]["network.hidden"] == [8]
    curve = shown["curve"]
    assert curve["step"][0] == 1 and curve["step"][-1] == 300
    assert curve["train_loss"][-1] == pytest.approx(shown["train_loss"])
    for name in ("batch_loss", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr"):
        assert len(curve[name]) == len(curve["step"])
    assert shown["checkpoint_missing"] is False
    lr = [v for v in curve["lr"] if v is not None]
    assert lr == [0.1, 0.1]  # a constant lr: its ends only
    target = tmp_path / "curve.csv"
    assert main(["runs", "show", str(rid), "--csv", str(target)]) == 0
    rows = list(csv.DictReader(target.open()))
    assert len(rows) == len(curve["step"])
    assert rows[-1]["step"] == "300" and float(rows[-1]["train_loss"]) == curve["train_loss"][-1]
    assert rows[0]["train_loss"] == ""  # no evaluation at step 1
    assert main(["runs", "show", str(rid)]) == 0
    text = capsys.readouterr().out
    assert f"run {rid}: xor (train), finished" in text
    assert "training.lr = 0.1" in text and "train_loss: 3 points" in text


def test_checkpoint_missing_is_said_and_the_run_still_shows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rid = train(capsys, "xor", "--steps", "20")["run"]
    home = Path(os.environ["BACKPROP_TUI_HOME"])
    (home / "checkpoints" / f"{rid}.npz").unlink()
    assert main(["runs", "show", str(rid)]) == 0
    assert "(checkpoint missing)" in capsys.readouterr().out
    line = refused(capsys, ["train", "--resume", str(rid), "--steps", "5"])
    assert f"run {rid}: checkpoint missing" in line


def test_rm(capsys: pytest.CaptureFixture[str]) -> None:
    a = train(capsys, "xor", "--steps", "20")["run"]
    b = train(capsys, "xor", "--steps", "20")["run"]
    c = train(capsys, "xor", "--steps", "20")["run"]
    home = Path(os.environ["BACKPROP_TUI_HOME"])
    line = refused(capsys, ["runs", "rm", str(a), "999"])
    assert line.endswith("unknown run id 999")
    assert len(runs_json(capsys)) == 3  # nothing deleted
    assert main(["runs", "rm", str(a), str(c)]) == 0
    assert f"deleted runs {a}, {c}" in capsys.readouterr().out
    assert [r["id"] for r in runs_json(capsys)] == [b]
    assert sorted(p.name for p in (home / "checkpoints").iterdir()) == [f"{b}.npz"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["runs", "show", "7"], "unknown run id 7"),
        (["runs", "show", "x1"], "run id: found 'x1'"),
        (["runs", "rm", "0"], "run id: found '0'"),
        (["train", "--resume", "7"], "unknown run id 7"),
        (["train", "xor", "--resume", "1"], "SCENARIO: found with --resume"),
        (["train", "--resume", "1", "--lr", "0.1"], "--lr: found with --resume"),
        (["train", "--resume", "nothere.npz"], "nothere.npz: no such file"),
        (["train", "xor", "--hidden", "16,x"], "--hidden: found '16,x'"),
        (["train", "xor", "--hidden", "0,4"], "--hidden: found '0,4'"),
        (["train", "xor", "--activation", "relu6"], "--activation: found 'relu6'"),
        (["train", "xor", "--init", "hee"], "--init: found 'hee' (did you mean 'he'?)"),
        (["train", "xor", "--optimizer", "sgdd"], "--optimizer: found 'sgdd'"),
        (["train", "xor", "--l1", "-1"], "--l1: found -1"),
        (["train", "xor", "--l2", "abc"], "--l2: found 'abc'"),
        (["train", "xor", "--schedule", "cosin"], "--schedule: found 'cosin'"),
        (["train", "xor", "--optimizer", "adam", "--momentum", "0.5"], "--momentum"),
    ],
)
def test_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    assert words in refused(capsys, argv)
    assert main(["runs", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"runs": []}  # a refused train records nothing


def test_new_train_options_apply(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["xor", "--steps", "30", "--hidden", "6,5", "--activation", "tanh", "--init", "xavier"]
    argv += ["--optimizer", "adam", "--lr", "0.01", "--l1", "1e-4", "--l2", "1e-3"]
    argv += ["--schedule", "warmup:steps=5+cosine:steps=20"]
    rid = train(capsys, *argv)["run"]
    config = runs_json(capsys)[0]["config"]
    assert isinstance(config, dict)
    assert config["network.hidden"] == [6, 5] and config["network.activation"] == "tanh"
    assert config["network.init"] == "xavier" and config["training.optimizer"] == "adam"
    assert (config["training.l1"], config["training.l2"]) == (1e-4, 1e-3)
    assert config["training.schedule"] == "warmup:steps=5+cosine:steps=20"
    assert main(["runs", "show", str(rid), "--json"]) == 0
    lr = json.loads(capsys.readouterr().out)["curve"]["lr"]
    given = [v for v in lr if v is not None]
    assert given[0] == pytest.approx(0.01 / 5) and given[-1] < 0.01  # warm-up, then cosine
    assert rid is not None
    assert train(capsys, "xor", "--steps", "5", "--hidden", "none")["steps"] == 5


def test_a_ledger_that_is_not_a_database_is_refused_and_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "runs.sqlite").write_text("not sqlite\n")
    before = hashlib.sha256((home / "runs.sqlite").read_bytes()).hexdigest()
    for argv in (["runs"], ["train", "xor", "--steps", "5"], ["runs", "show", "1"]):
        line = refused(capsys, [*argv, "--home", str(home)])
        assert "not a backprop-tui ledger" in line
    assert hashlib.sha256((home / "runs.sqlite").read_bytes()).hexdigest() == before
    # a newer schema likewise
    other = tmp_path / "o"
    Ledger.open(other).close()
    conn = sqlite3.connect(other / "runs.sqlite")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    assert "newer backprop-tui" in refused(capsys, ["--home", str(other), "runs"])
    assert "newer backprop-tui" in refused(capsys, ["train", "xor", "--home", str(other)])


def test_home_flag_goes_anywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rid = train(capsys, "xor", "--steps", "5", "--home", str(tmp_path / "a"))["run"]
    assert (tmp_path / "a" / "runs.sqlite").is_file()
    assert (tmp_path / "a" / "checkpoints" / f"{rid}.npz").is_file()
    assert [r["id"] for r in runs_json(capsys, "--home", str(tmp_path / "a"))] == [rid]
    assert main(["--home", str(tmp_path / "a"), "runs", "show", str(rid), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == rid
    assert runs_json(capsys, "--home", str(tmp_path / "b")) == []


def _start_train(home: Path) -> subprocess.Popen[str]:
    argv = ["train", "xor", "--steps", "1000000000", "--eval-every", "1000", "--home", str(home)]
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def _wait_for_points(proc: subprocess.Popen[str], home: Path) -> int:
    """The run's id once its first curve points are in the ledger (written about once a second)."""
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None and time.monotonic() < deadline
        if (home / "runs.sqlite").exists():
            with Ledger.open(home) as led:
                runs = led.runs()
                if runs and runs[0].steps > 0:
                    assert runs[0].status == "running"
                    return runs[0].id
        time.sleep(0.05)


def test_kill_9_mid_run_leaves_it_interrupted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "h"
    proc = _start_train(home)
    try:
        rid = _wait_for_points(proc, home)
        proc.kill()  # SIGKILL: no handler runs
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    runs = runs_json(capsys, "--home", str(home))
    assert [(r["id"], r["status"]) for r in runs] == [(rid, "interrupted")]
    assert isinstance(runs[0]["steps"], int) and runs[0]["steps"] > 0
    conn = sqlite3.connect(home / "runs.sqlite")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_sigterm_records_interrupted_with_a_checkpoint_that_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "h"
    proc = _start_train(home)
    try:
        rid = _wait_for_points(proc, home)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143 and "Traceback" not in err
    info = runs_json(capsys, "--home", str(home))[0]
    assert info["status"] == "interrupted" and info["checkpoint"] == f"{rid}.npz"
    steps = info["steps"]
    assert isinstance(steps, int)
    more = train(capsys, "--resume", str(rid), "--steps", "10", "--home", str(home))
    assert more["steps"] == steps + 10 and more["run"] == rid
    assert runs_json(capsys, "--home", str(home))[0]["status"] == "finished"


def test_a_diverged_run_is_recorded_as_diverged(capsys: pytest.CaptureFixture[str]) -> None:
    summary = train(capsys, "five-classes", "--lr", "1000", "--steps", "2000")
    assert summary["diverged"] is True
    info = runs_json(capsys)[0]
    assert info["status"] == "diverged" and info["diverged_at"] == summary["diverged_at"]
    assert main(["runs"]) == 0
    assert f"diverged at {summary['diverged_at']:,}" in capsys.readouterr().out


def test_a_ledger_that_fails_mid_run_does_not_stop_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "h"
    Ledger.open(home).close()
    conn = sqlite3.connect(home / "runs.sqlite")
    conn.execute(
        "CREATE TRIGGER fail BEFORE INSERT ON points BEGIN SELECT RAISE(ABORT, 'disk'); END"
    )
    conn.commit()
    conn.close()
    assert main(["train", "xor", "--steps", "50", "--home", str(home)]) == 0
    cap = capsys.readouterr()
    assert "not recorded in the run ledger: " in cap.err + cap.out and "Traceback" not in cap.err
    assert "xor: 50 steps" in cap.out


def test_nohup_keeps_training_after_sighup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`nohup backprop-tui train ... &`: the SIGHUP of a closed SSH session is ignored."""
    home = tmp_path / "h"
    argv = ["train", "xor", "--steps", "1000000000", "--eval-every", "1000", "--home", str(home)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),  # what nohup does
    )
    try:
        rid = _wait_for_points(proc, home)
        proc.send_signal(signal.SIGHUP)
        with Ledger.open(home) as led:  # it goes on writing: wait for a later write
            seen = led.run(rid).steps
            deadline = time.monotonic() + 60
            while led.run(rid).steps == seen:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143 and "Traceback" not in err
    assert runs_json(capsys, "--home", str(home))[0]["status"] == "interrupted"
