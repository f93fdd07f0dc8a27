"""`backprop-tui --open ID|FILE.npz`: the run restored for the app; errors before it opens."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from scenarios import build, load_scenario
from tui.cli import main
from tui.cli.open_run import run_state


def train(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(["train", *argv, "--json"]) == 0
    summary: dict[str, object] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return summary


@pytest.mark.parametrize("by", ["id", "file"])
def test_the_opened_run_goes_on_bit_for_bit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], by: str
) -> None:
    save = tmp_path / "run.npz"
    rid = train(capsys, "five-classes", "--steps", "250", "--save", str(save))["run"]
    scn, built, info = run_state(str(rid) if by == "id" else str(save))
    assert (info is not None) == (by == "id")
    st = built.stepper
    assert st.step == 250 and st.undo_depth > 0  # the app's stepper: undo on
    st.run(150)
    whole = build(load_scenario("five-classes"), undo_depth=0).stepper
    whole.run(400)
    np.testing.assert_array_equal(st.net.params, whole.net.params)
    assert st.evaluate() == whole.evaluate()
    assert scn.name == "five-classes"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--open", "7"], "unknown run id 7"),
        (["--open", "missing.npz"], "missing.npz: no such file"),
        (["--open", "1", "runs"], "--open: found with runs"),
        (["--open", "1", "--scenario", "xor"], "--open: found with --scenario"),
    ],
)
def test_bad_open_is_one_line_before_the_terminal(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and words in err, err
