"""`--data FILE.csv --target COLUMN` (app, train, gradcheck); a checkpoint given as a scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tui.cli import main

ROWS = "sepal,petal,species\n" + "".join(
    f"{i * 0.1:.1f},{(i % 3) * 1.5 + i * 0.01:.2f},{['setosa', 'versicolor', 'virginica'][i % 3]}\n"
    for i in range(30)
)
NUMBERS = "x,y\n" + "".join(f"{i * 0.25},{(i * 0.25) ** 2 / 40:.4f}\n" for i in range(40))


def csv(tmp_path: Path, text: str = ROWS, name: str = "flowers.csv") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in cap.err and cap.out == "", cap.err
    return lines[0]


def test_train_on_a_csv_classifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = csv(tmp_path)
    argv = ["train", "--data", path, "--target", "species", "--steps", "50", "--json"]
    assert main(argv) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["scenario"] == "flowers" and res["steps"] == 50
    assert res["train_accuracy"] is not None and res["test_accuracy"] is not None


def test_train_on_a_csv_of_numbers_regresses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv(tmp_path, NUMBERS, "square.csv")
    assert main(["train", "--data", path, "--target", "y", "--steps", "20", "--json"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["train_accuracy"] is None and res["train_loss"] is not None


def test_gradcheck_on_a_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradcheck", "--data", csv(tmp_path), "--target", "species", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["agree"] is True


def test_the_app_opens_on_the_csv_with_its_column_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.app import BackpropApp

    seen: list[Any] = []

    def run(self: BackpropApp) -> None:  # the app itself is tested elsewhere: not drawn here
        seen.append(self.session)

    monkeypatch.setattr(BackpropApp, "run", run)
    monkeypatch.setattr("tui.terminal.check_terminal", lambda: None)  # pytest's stdin: no tty
    assert main(["--data", csv(tmp_path), "--target", "species"]) == 0
    (session,) = seen
    assert session.name == "flowers"
    assert session.built.feature_names == ("sepal", "petal")
    assert session.class_names == ("setosa", "versicolor", "virginica")
    assert session.two_d  # two features, classes: the decision map is drawn


@pytest.mark.parametrize("command", [[], ["train"], ["gradcheck"]])
def test_missing_column(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    line = one_error_line(capsys, [*command, "--data", csv(tmp_path), "--target", "colour"])
    assert "flowers.csv: --target: found 'colour', not in the header" in line
    assert "'sepal', 'petal', 'species'" in line


@pytest.mark.parametrize("command", [[], ["train"]])
def test_no_such_file(tmp_path: Path, command: list[str], capsys: Any) -> None:
    missing = str(tmp_path / "nope.csv")
    line = one_error_line(capsys, [*command, "--data", missing, "--target", "y"])
    assert f"{missing}: --data: no such file" in line


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["train", "--data", "x.csv"], "--target: missing"),
        (["--data", "x.csv"], "--target: missing"),
        (["train", "xor", "--target", "y"], "--target: found 'y' without --data"),
        (["train", "xor", "--data", "x.csv", "--target", "y"], "found both 'xor' and --data"),
    ],
)
def test_data_and_target_go_together(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert needle in one_error_line(capsys, argv)


def test_a_checkpoint_is_not_a_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ck = str(tmp_path / "xor.npz")
    assert main(["train", "xor", "--steps", "5", "--save", ck]) == 0
    capsys.readouterr()
    for argv in (["train", ck], ["gradcheck", ck], ["--scenario", ck]):
        line = one_error_line(capsys, argv)
        assert f"{ck}: a checkpoint (saved by train --save from the scenario 'xor')" in line
        assert "--open xor.npz` opens the checkpoint in the app" in line
        assert "`train --resume xor.npz` goes on training it" in line
        assert "train xor" in line
        assert "data file" not in line


def test_a_data_file_as_scenario_points_to_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = one_error_line(capsys, ["train", csv(tmp_path)])
    assert "a csv data file, not a scenario" in line and "--data FILE.csv --target COLUMN" in line
