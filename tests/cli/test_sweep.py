"""`backprop-tui sweep`: JSON, equality with `train`, table and heatmap, bad input, processes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tui.cli import main
from tui.cli.heatmap_text import RAMP, cell_of, render
from tui.cli.sweep_axes import parse_list
from tui.cli.sweep_records import RUN_KEYS
from tui.cli.sweep_report import table_lines


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ledger of the test's own (worker processes inherit the variable)."""
    home = tmp_path / "home"
    monkeypatch.setenv("BACKPROP_TUI_HOME", str(home))
    return home


FIGURES = ["train_loss", "test_loss", "train_accuracy", "test_accuracy", "steps", "diverged"]


def _last_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    out = capsys.readouterr().out.strip().splitlines()
    result: dict[str, Any] = json.loads(out[-1])
    return result


def _train(capsys: pytest.CaptureFixture[str], spec: str, run: dict[str, Any]) -> dict[str, Any]:
    bs = "full" if run["batch_size"] is None else str(run["batch_size"])
    argv = ["train", spec, "--lr", repr(run["lr"]), "--batch-size", bs, "--seed", str(run["seed"])]
    argv += ["--momentum", repr(run["momentum"]), "--l2", repr(run["l2"])]
    argv += ["--steps", str(run["steps"]), "--json", "--no-record"]
    main(argv)
    return _last_json(capsys)


def test_json_runs_equal_train_runs(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["sweep", "xor", "--lr", "0.05,3e3", "--batch-size", "10,full", "--momentum", "0,0.9"]
    argv += ["--l2", "0,0.01"]
    assert main([*argv, "--seeds", "2", "--steps", "30", "--json", "--workers", "1"]) == 0
    summary = _last_json(capsys)
    assert set(summary) == {"runs", "seconds", "model_steps_per_second"}
    runs = summary["runs"]
    assert len(runs) == 2 * 2 * 2 * 2 * 2
    assert all(list(r) == list(RUN_KEYS) for r in runs)
    # seed s gives every combination the same initial weights: the same initial loss
    assert len({(r["seed"], r["initial_loss"]) for r in runs}) == 2
    assert any(r["diverged"] for r in runs) and not all(r["diverged"] for r in runs)
    picks = [runs[0], runs[7], next(r for r in runs if r["diverged"])]
    assert (runs[7]["batch_size"], runs[7]["momentum"], runs[7]["l2"]) == (10, 0.9, 0.01)
    for run in picks:
        single = _train(capsys, "xor", run)
        steps = single["steps"]
        assert {k: single[k] for k in FIGURES} == {k: run[k] for k in FIGURES}, run
        assert single["diverged_at"] == run["diverged_at"]
        assert steps == run["steps"]


def test_l2_and_epochs_equal_train_on_a_scenario_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--l2 equal to the scenario's training.l2; the scenario's epochs as whole passes."""
    text = (Path(__file__).parents[2] / "scenarios/bundled/xor.toml").read_text()
    scn = tmp_path / "xor-l2.toml"
    scn.write_text(text.replace("steps = 3000", "epochs = 2\nl2 = 0.01"))
    assert main(["sweep", str(scn), "--l2", "0.01", "--batch-size", "7,full", "--json"]) == 0
    runs = _last_json(capsys)["runs"]
    assert [r["steps"] for r in runs] == [2 * 43, 2]  # 300 samples: 43 batches of 7 an epoch
    for run in runs:
        assert run["l2"] == 0.01
        single = _train(capsys, str(scn), run)
        assert {k: single[k] for k in FIGURES} == {k: run[k] for k in FIGURES}


def test_workers_are_processes_and_agree_with_one(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["sweep", "xor", "--lr", "0.01:1:4log", "--batch-size", "5,10", "--seeds", "4"]
    argv += ["--steps", "20", "--json-lines"]
    proc = subprocess.run(
        [sys.executable, "-m", "tui.cli", *argv, "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 4 * 2 * 4 + 1  # one line per run as its stack finishes, then the summary
    assert "2 workers" in proc.stderr
    streamed = [json.loads(ln) for ln in lines[:-1]]
    for line in streamed:  # each streamed run carries its batch-loss curve too
        curve = line.pop("curve")
        assert len(curve["steps"]) == len(curve["batch_loss"]) == line["steps"]
    streamed.sort(key=lambda r: json.dumps(r))
    runs = json.loads(lines[-1])["runs"]
    assert streamed == sorted(runs, key=lambda r: json.dumps(r))
    assert main([*argv, "--workers", "1"]) == 0
    assert _last_json(capsys)["runs"] == runs
    assert [r["lr"] for r in runs[::8]] == [0.01, 0.0464, 0.215, 1.0]


def test_spawned_workers_agree_with_one() -> None:
    """The start method used where fork is not (macOS, Windows, a process with threads)."""
    from engine.sweep import grid, plan, run_sweep
    from scenarios import build, load_scenario
    from tui.cli.sweep import _setup

    scn = load_scenario("xor")
    setup = _setup(scn, build(scn, undo_depth=0), [0, 1])
    tasks = plan(grid([0.1, 2.0], [5, 10], [0.9], [0.0], [0, 1]), lambda bs: 15, 2)
    assert len(tasks) == 2
    spawned = run_sweep(setup, tasks, 2, method="spawn")
    here = run_sweep(setup, tasks, 1)
    for a, b in zip(spawned.records, here.records, strict=True):
        (sa, la), (sb, lb) = a.pop("curve"), b.pop("curve")
        assert a == b
        assert np.array_equal(sa, sb) and np.array_equal(la, lb)
    assert spawned.done_model_steps == spawned.total_model_steps == 8 * 15


def test_heatmap_marks_best_diverged_and_ramp() -> None:
    cells = {
        (0.1, 10): cell_of([0.5, 0.7], [False, False]),
        (0.1, None): cell_of([0.01, 0.012], [False, False]),
        (1.0, 10): cell_of([None, 9.0], [True, True]),
        (1.0, None): cell_of([3.0, 5.0], [False, True]),
    }
    lines = render(cells, [0.1, 1.0], [10, None], color=False, title="t")
    assert lines[0] == "t" and "full" in lines[1]
    row1, row2 = lines[2], lines[3]
    assert ">>" in row1 and "0.011" in row1 and "±" in row1  # the best cell, mean and spread
    assert "x" * 10 in row2  # every seed diverged: its own glyph
    assert "3!" in row2 and RAMP[-1] * 2 in row2  # one seed left: its loss, marked; the worst
    assert "\x1b[" not in "".join(lines)
    narrow = render(cells, [0.1, 1.0], [10, None], color=False, width=30)
    assert all(len(ln) <= 31 for ln in narrow[:-1]) and "±" not in "".join(narrow[:-1])
    assert ">>" in narrow[1] and "3!" in narrow[2]
    coloured = render(cells, [0.1, 1.0], [10, None], color=True)
    assert "\x1b[48;5;" in "".join(coloured) and "diverged" in coloured[2]


def test_table_sorted_by_mean_final_loss_diverged_last() -> None:
    def run(lr: float, loss: float | None, diverged: bool, seed: int) -> dict[str, Any]:
        return {
            "lr": lr,
            "batch_size": 10,
            "momentum": 0.0,
            "l2": 0.0,
            "seed": seed,
            "train_loss": loss,
            "test_loss": loss,
            "test_accuracy": 0.5,
            "diverged": diverged,
        }

    records = [run(1.0, None, True, 0), run(0.1, 0.3, False, 0), run(0.01, 0.2, False, 0)]
    lines = table_lines(records, 1)
    assert [ln.split()[0] for ln in lines] == ["lr", "0.01", "0.1", "1"]
    assert lines[-1].split()[-1] == "yes"


def test_plan_one_stack_per_batch_size_split_for_workers_and_memory() -> None:
    from engine.sweep import STACK_ELEMENTS, grid, plan

    runs = grid([0.1, 0.2, 0.3, 0.4], [5, None], [0.0, 0.9], [0.0], [0, 1])  # 16 per batch

    def sizes(tasks: list[Any]) -> list[tuple[int | None, int]]:
        return sorted(((t.batch_size or 0), len(t.runs)) for t in tasks)

    assert sizes(plan(runs, lambda bs: 10, 1)) == [(0, 16), (5, 16)]
    assert sizes(plan(runs, lambda bs: 10, 4)) == [(0, 8), (0, 8), (5, 8), (5, 8)]
    assert sizes(plan(runs, lambda bs: 10, 64)) == [(0, 8), (0, 8), (5, 8), (5, 8)]  # >= 8 each
    assert sizes(plan(runs, lambda bs: 10, 1, STACK_ELEMENTS // 4)) == [(0, 4)] * 4 + [(5, 4)] * 4
    tasks = plan(runs, lambda bs: 1 if bs else 10, 1)
    assert [t.steps for t in tasks] == [10, 1]  # the costliest first (steps x models x batch)
    assert sorted((r for t in tasks for r in t.runs), key=repr) == sorted(runs, key=repr)


def test_seed_sets_the_first_seed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "xor", "--seed", "7", "--seeds", "2", "--steps", "5", "--json"]) == 0
    runs = _last_json(capsys)["runs"]
    assert [r["seed"] for r in runs] == [7, 8]
    single = _train(capsys, "xor", runs[1])
    assert single["train_loss"] == runs[1]["train_loss"]
    assert main(["sweep", "xor", "--seed", "-1", "--steps", "5"]) == 2
    assert "--seed" in capsys.readouterr().err


def test_lists_and_ranges() -> None:
    assert parse_list("--lr", "1e-3:1:4log") == [0.001, 0.01, 0.1, 1.0]
    assert parse_list("--momentum", "0:0.9:4") == [0.0, 0.3, 0.6, 0.9]
    assert parse_list("--l2", "0, 1e-4,0") == [0.0, 1e-4]
    assert parse_list("--lr", None) is None


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        (["--lr", ""], "--lr"),
        (["--lr", "0.1,,0.2"], "--lr"),
        (["--lr", "abc"], "--lr"),
        (["--lr", "1:0.1:5log"], "--lr"),
        (["--lr", "0.1:1:1"], "--lr"),
        (["--lr", "0:1:3log"], "--lr"),
        (["--lr", "-1"], "--lr"),
        (["--momentum", "1"], "--momentum"),
        (["--l2", "nan"], "--l2"),
        (["--batch-size", "301"], "--batch-size"),
        (["--batch-size", "0"], "--batch-size"),
        (["--seeds", "0"], "--seeds"),
        (["--workers", "two"], "--workers"),
        (["--lr", "1e-3:1:100log", "--seeds", "41"], "runs"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_run(
    extra: list[str], key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sweep", "xor", "--steps", "5", "--json", *extra]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    err = cap.err.strip().splitlines()
    assert len(err) == 1 and key in err[0] and "Traceback" not in cap.err


def test_momentum_refused_for_adam(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "spiral", "--momentum", "0.9", "--steps", "5"]) == 2
    assert "only with sgd" in capsys.readouterr().err


def test_more_than_4096_runs_need_yes(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["sweep", "xor", "--lr", "1e-3:1:4097log", "--steps", "1", "--json"]
    assert main(argv) == 2
    assert "4,097 runs" in capsys.readouterr().err


def test_every_run_goes_into_the_ledger_as_one_sweep(
    _home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.ledger import Ledger

    argv = ["sweep", "xor", "--lr", "0.1,1e4", "--seeds", "2", "--steps", "25", "--json"]
    assert main(argv) == 0
    runs = _last_json(capsys)["runs"]
    with Ledger.open(_home) as ledger:
        kept = ledger.runs()
        assert len(kept) == 4 and len({r.sweep for r in kept}) == 1 and kept[0].sweep
        assert {r.origin for r in kept} == {"sweep"}
        by_key = {(r.config["training.lr"], r.seed): r for r in kept}
        for run in runs:
            info = by_key[(run["lr"], run["seed"])]
            assert info.status == ("diverged" if run["diverged"] else "finished")
            assert (info.steps, info.train_loss, info.diverged_at) == (
                run["steps"],
                run["train_loss"],
                run["diverged_at"],
            )
            assert info.config["training.steps"] == 25
            steps, losses = ledger.curve(info.id)["batch_loss"]
            assert steps[0] == 1 and steps[-1] == run["steps"] and np.isfinite(losses).all()
    assert main([*argv, "--no-record"]) == 0
    with Ledger.open(_home) as ledger:
        assert len(ledger.runs()) == 4


def test_a_foreign_ledger_is_refused_before_anything_runs(
    _home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _home.mkdir()
    (_home / "runs.sqlite").write_bytes(b"not a database at all" * 10)
    assert main(["sweep", "xor", "--steps", "5", "--json"]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and len(cap.err.strip().splitlines()) == 1


def _children(pid: int) -> list[str]:
    """The pids whose parent is ``pid`` (from /proc/*/stat: its 4th field)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if fields[1] == str(pid):
            out.append(stat.parent.name)
    return out


def _alive(pid: str) -> bool:
    """Running, not gone nor a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_workers_too(sig: int, code: int) -> None:
    argv = ["sweep", "xor", "--lr", "0.01,0.1", "--batch-size", "5,10", "--steps", "10000000"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", *argv, "--workers", "2", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    workers: list[str] = []
    deadline = time.monotonic() + 60  # a loaded machine starts processes slowly
    while len(workers) < 2 and time.monotonic() < deadline:  # wait for both workers to start
        workers = _children(proc.pid)
        if len(workers) < 2:
            time.sleep(0.02)  # a polling interval, not a wait for something to happen
    assert len(workers) == 2
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code
    assert out == "" and "Traceback" not in err and "sweep " in err.strip().splitlines()[-1]
    assert not any(_alive(pid) for pid in workers)


def test_a_scheduled_scenario_equals_train(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The lr in force is each run's lr x the scenario's schedule, as in `train`."""
    text = (Path(__file__).parents[2] / "scenarios/bundled/xor.toml").read_text()
    scn = tmp_path / "xor-cosine.toml"
    scn.write_text(
        text.replace("steps = 3000", 'steps = 30\nschedule = "warmup:steps=5+cosine:steps=30"')
    )
    assert main(["sweep", str(scn), "--lr", "0.1,0.5", "--json"]) == 0
    for run in _last_json(capsys)["runs"]:
        single = _train(capsys, str(scn), run)
        assert {k: single[k] for k in FIGURES} == {k: run[k] for k in FIGURES}
