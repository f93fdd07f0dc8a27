"""`backprop-tui gradcheck`: agreement per layer and the cost of each method, or one-line errors."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from scenarios import bundled_names
from tui.cli import main
from tui.cli.gradcheck import Bar

REPO = Path(__file__).resolve().parents[2]


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


# ---- issue 8: a measure right for tiny gradients, sampling, --json, Ctrl-C ------------------

JSON_KEYS = {
    "max_relative_error",
    "parameters",
    "checked",
    "fd_forward_passes",
    "backprop_passes",
    "fd_seconds",
    "backprop_seconds",
    "per_layer",
    "agree",
}


def test_vanishing_gradients_agrees_and_states_the_measure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Its first layer's gradients are ~1e-7: relative error 4e-5 is rounding, not a bug."""
    assert main(["gradcheck", "vanishing-gradients"]) == 0
    out = capsys.readouterr().out
    assert "DISAGREE" not in out and out.rstrip().endswith("agree")
    measure = [ln for ln in out.splitlines() if ln.startswith("measure:")]
    assert len(measure) == 1 and "|bp - fd| <= atol + rtol*|fd|" in measure[0]
    assert "eps_machine*|L|/h" in measure[0]


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_scenario_agrees(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    # sampled (20 weights and 20 biases a layer, seeded) so the whole set stays fast
    assert main(["gradcheck", name, "--per-layer", "20", "--json"]) == 0, capsys.readouterr()
    res = json.loads(capsys.readouterr().out)
    assert res["agree"] is True
    assert all(layer["agree"] for layer in res["per_layer"])


def test_json_is_one_line_with_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradcheck", "five-classes", "--batch", "8", "--json"]) == 0
    cap = capsys.readouterr()
    lines = cap.out.splitlines()
    assert len(lines) == 1
    res = json.loads(lines[0])
    assert res.keys() >= JSON_KEYS
    assert (res["parameters"], res["checked"], res["fd_forward_passes"]) == (141, 141, 282)
    assert res["backprop_passes"] == 2  # one forward, one backward
    assert res["fd_seconds"] > 0 and res["backprop_seconds"] > 0
    assert [layer["layer"] for layer in res["per_layer"]] == [1, 2, 3]
    assert sum(layer["parameters"] for layer in res["per_layer"]) == 141
    assert res["max_relative_error"] == max(
        layer["max_relative_error"] for layer in res["per_layer"]
    )


def big_net(tmp_path: Path, hidden: str) -> str:
    p = tmp_path / "big.toml"
    p.write_text(f'[data]\ngenerator = "circles"\n[network]\nhidden = {hidden}\n')
    return str(p)


def test_a_big_net_is_sampled_per_layer_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = big_net(tmp_path, "[120, 80]")  # 10,202 parameters: just over the full-check limit
    assert main(["gradcheck", path, "--batch", "4"]) == 0
    out = capsys.readouterr().out
    assert "10,202 parameters (482 checked: up to 100 weights and 100 biases per layer)" in out
    assert "all 10,202 would take about" in out and "(--all)" in out
    assert "\nL3 " in out and "agree" in out


def test_per_layer_sample_is_seeded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = big_net(tmp_path, "[120, 80]")
    runs = []
    for _ in range(2):
        assert main(["gradcheck", path, "--batch", "4", "--per-layer", "5", "--json"]) == 0
        res = json.loads(capsys.readouterr().out)
        runs.append([layer["max_gradient"] for layer in res["per_layer"]])
        assert res["checked"] == 5 + 5 + 5 + 5 + 5 + 2  # L3 has two biases
    assert runs[0] == runs[1]


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_with_a_full_check_estimate() -> None:
    out = FakeTTY()
    bar = Bar(out, n_params=669_706)
    bar(100, 510)
    bar(510, 510)
    bar.close()
    text = out.getvalue()
    assert text.startswith("\r[") and "510/510 parameters" in text
    assert "all 669,706 would take about" in text
    assert text.endswith("\r\x1b[K")  # the bar is wiped before the report


def test_no_progress_bar_when_piped() -> None:
    out = io.StringIO()
    bar = Bar(out, n_params=None)
    bar(1, 2)
    bar.close()
    assert out.getvalue() == ""


def test_a_wrong_gradient_disagrees_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 0.1% error in one layer's dL/dW (a subtle bug, not a doubled value) is caught."""
    from engine.layer import Dense

    orig = Dense.backward

    def slightly_wrong(self: Dense, delta: Any, a_prev: Any, gW: Any, gb: Any) -> None:
        orig(self, delta, a_prev, gW, gb)
        if self.fan_in == 2:  # only the first layer
            gW *= 1.001

    monkeypatch.setattr(Dense, "backward", slightly_wrong)
    assert main(["gradcheck", "five-classes", "--json"]) == 1
    res = json.loads(capsys.readouterr().out)
    assert res["agree"] is False
    assert [layer["agree"] for layer in res["per_layer"]] == [False, True, True]


def test_the_table_says_disagree(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    from engine.layer import Dense

    orig = Dense.backward

    def doubled_bias(self: Dense, delta: Any, a_prev: Any, gW: Any, gb: Any) -> None:
        orig(self, delta, a_prev, gW, gb)
        gb *= 2

    monkeypatch.setattr(Dense, "backward", doubled_bias)
    assert main(["gradcheck", "xor"]) == 1
    assert "backprop and finite differences DISAGREE" in capsys.readouterr().out


def test_ctrl_c_exits_130_without_a_traceback(tmp_path: Path) -> None:
    path = big_net(tmp_path, "[300, 300]")  # --all: 91,802 parameters, minutes of checking
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "gradcheck", path, "--all"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        header = proc.stdout.readline()  # printed (flushed) just before the check starts
        assert "91,802 parameters (all checked)" in header
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err and err.count("\n") == 1
