"""train's --log and --save targets are checked before training; SIGTERM and SIGHUP stop cleanly."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from engine import load_checkpoint
from tui.cli import main

REPO = Path(__file__).resolve().parents[2]


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """One line on stderr, exit 2, nothing trained (no summary on stdout)."""
    assert main(argv) == 2
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in cap.err, cap.err
    assert cap.out == ""
    return lines[0]


@pytest.mark.parametrize("key", ["--log", "--save"])
def test_a_fifo_target_is_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str
) -> None:
    fifo = tmp_path / "fake"
    os.mkfifo(fifo)
    line = refused(capsys, ["train", "xor", "--steps", "5", key, str(fifo)])
    assert f"command line: {key}: found '{fifo}': is a FIFO, not a regular file" in line
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still a FIFO
    assert os.listdir(tmp_path) == ["fake"]


def no_writes_outside(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Make a temp file or a rename outside ``root`` fail: a broken check must never replace a
    real device (as root, a rename onto /dev/null would)."""
    real_mkstemp, real_replace = tempfile.mkstemp, os.replace

    def inside(path: object) -> None:
        if not str(path).startswith(str(root)):
            raise AssertionError(f"would write outside the test's folder: {path}")

    def mkstemp(*args: Any, dir: Any = None, **kwargs: Any) -> tuple[int, str]:
        inside(dir)
        fd, name = real_mkstemp(*args, dir=dir, **kwargs)  # type: ignore[call-overload]
        return fd, str(name)

    def replace(src: Any, dst: Any) -> None:
        inside(dst)
        real_replace(src, dst)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "rename", replace)


def test_a_device_node_target_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # refused by the check before anything is opened; the guard keeps /dev/null safe regardless
    no_writes_outside(monkeypatch, tmp_path)
    line = refused(capsys, ["train", "xor", "--steps", "5", "--log", "/dev/null"])
    assert "is a character device, not a regular file" in line
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("sub/", "ends in '/', a directory"),
        ("sub", "is a directory, not a regular file"),
        ("x" * 300 + ".npz", "longer than"),
        ("nofolder/x.npz", "no folder"),
    ],
)
def test_bad_save_targets_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, why: str
) -> None:
    (tmp_path / "sub").mkdir()
    line = refused(capsys, ["train", "xor", "--steps", "5", "--save", f"{tmp_path}/{name}"])
    assert why in line and line.startswith("backprop-tui: command line: --save: ")


@pytest.mark.parametrize("path", ["/proc/self/x.jsonl", "/sys/x.jsonl"])
def test_proc_and_sys_are_refused(capsys: pytest.CaptureFixture[str], path: str) -> None:
    assert "not a place for files" in refused(capsys, ["train", "xor", "--log", path])


def test_a_250_character_name_trains_and_is_saved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save = tmp_path / ("c" * 246 + ".npz")
    assert main(["train", "xor", "--steps", "5", "--save", str(save)]) == 0
    assert load_checkpoint(save).step == 5
    assert os.listdir(tmp_path) == [save.name]


def test_a_symlink_target_writes_the_file_it_points_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "real.jsonl"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    assert main(["train", "xor", "--steps", "5", "--eval-every", "5", "--log", str(link)]) == 0
    assert link.is_symlink() and '"step": 5' in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the existing file's mode is kept
    assert sorted(os.listdir(tmp_path)) == ["link.jsonl", "real.jsonl"]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_write_what_is_done(tmp_path: Path, sig: int, code: int) -> None:
    log, save = tmp_path / "run.jsonl", tmp_path / "run.npz"
    argv = ["train", "xor", "--steps", "1000000000", "--eval-every", "1000"]
    argv += ["--log", str(log), "--save", str(save), "--json"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        # the log's temp file appears once the handlers are in place and the loop starts
        deadline = time.monotonic() + 30
        while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr
            time.sleep(0.01)
        time.sleep(0.05)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    assert "Traceback" not in err and f"stopped by {signal.Signals(sig).name} at step" in err
    assert sorted(os.listdir(tmp_path)) == ["run.jsonl", "run.npz"]  # no .tmp left behind
    steps = load_checkpoint(save).step
    assert steps > 0
    assert f'"step": {steps},' in log.read_text().splitlines()[-1]
    assert f'"steps": {steps},' in out
