"""Every bad input: exit code 2, one line on stderr naming the file and key, no traceback."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tui.cli import main

REPO = Path(__file__).resolve().parents[2]

GOOD = """
[data]
generator = "xor"
samples = 40
[network]
hidden = [4]
activation = "tanh"
[training]
learning_rate = 0.1
batch_size = 8
steps = 10
"""


def run(capsys, argv):
    with pytest.raises(SystemExit) as exc:  # argparse exits; our own checks return
        sys.exit(main(argv))
    cap = capsys.readouterr()
    assert exc.value.code == 2, cap.err
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1, cap.err
    assert "Traceback" not in cap.err and cap.out == ""
    return lines[0]


def toml(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


def test_unknown_scenario(capsys):
    line = run(capsys, ["train", "sprial"])
    assert line.startswith("backprop-tui: sprial: unknown scenario (did you mean 'spiral'?)")


def test_unknown_scenario_for_the_app(capsys):
    assert "nosuch: unknown scenario" in run(capsys, ["--scenario", "nosuch"])


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (b"", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        (b"[data]\ngenerator = xor\n", "TOML syntax error"),
    ],
)
def test_empty_binary_broken_file(tmp_path, capsys, content, found):
    p = tmp_path / "f.toml"
    p.write_bytes(content)
    line = run(capsys, ["train", str(p)])
    assert str(p) in line and found in line


def test_missing_file_and_directory(tmp_path, capsys):
    assert "no such file" in run(capsys, ["train", str(tmp_path / "x.toml")])
    assert f"{tmp_path}: is a directory" in run(capsys, ["train", str(tmp_path)])


def test_unknown_key(tmp_path, capsys):
    path = toml(tmp_path, GOOD.replace("steps = 10", "setps = 10"))
    line = run(capsys, ["train", path])
    assert f"{path}: training.setps: unknown key (did you mean 'steps'?)" in line


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("steps = 10", 'steps = "ten"', "training.steps"),  # wrong type
        ("learning_rate = 0.1", "learning_rate = -1", "training.learning_rate"),
        ("learning_rate = 0.1", "learning_rate = 0.0", "training.learning_rate"),
        ("learning_rate = 0.1", "learning_rate = nan", "training.learning_rate"),
        ("batch_size = 8", "batch_size = 0", "training.batch_size"),
        ("batch_size = 8", 'batch_size = "eight"', "training.batch_size"),
        ('activation = "tanh"', 'activation = "swish"', "network.activation"),
        ("hidden = [4]", "hidden = [50000, 50000, 50000]", "network.hidden"),
    ],
)
def test_bad_values_in_the_file(tmp_path, capsys, old, new, key):
    path = toml(tmp_path, GOOD.replace(old, new))
    line = run(capsys, ["train", path])
    assert line.startswith(f"backprop-tui: {path}: {key}: found ") and "; allowed: " in line


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["--lr", "0"], "--lr"),
        (["--lr", "-0.5"], "--lr"),
        (["--lr", "nan"], "--lr"),
        (["--lr", "fast"], "--lr"),
        (["--batch-size", "0"], "--batch-size"),
        (["--batch-size", "big"], "--batch-size"),
        (["--momentum", "1.0"], "--momentum"),
        (["--steps", "0"], "--steps"),
        (["--seed", "-1"], "--seed"),
        (["--target-accuracy", "97"], "--target-accuracy"),
    ],
)
def test_bad_values_on_the_command_line(capsys, args, key):
    line = run(capsys, ["train", "xor", *args])
    assert line.startswith(f"backprop-tui: command line: {key}: found ")


def test_csv_non_numeric_feature_and_missing_target(tmp_path, capsys):
    (tmp_path / "d.csv").write_text("x1,x2,label\n1,2,a\n3,four,b\n5,6,a\n7,8,b\n")
    scn = '[data]\nfile = "d.csv"\ntarget = "{t}"\n'
    line = run(capsys, ["train", toml(tmp_path, scn.format(t="label"))])
    assert f"{tmp_path / 'd.csv'}: line 3, column 'x2': found 'four'" in line
    line = run(capsys, ["train", toml(tmp_path, scn.format(t="class"))])
    assert "d.csv: data.target: found 'class', not in the header" in line


@pytest.mark.parametrize(
    "argv",
    [
        ["train"],
        ["trian", "xor"],
        ["train", "xor", "--steps"],
        ["train", "xor", "--wat"],
        ["train", "xor", "--steps", "3", "--epochs", "1"],
    ],
)
def test_argparse_errors_are_one_line(capsys, argv):
    assert "error:" in run(capsys, argv)


def test_unwritable_outputs_fail_before_training(tmp_path, capsys):
    assert "--save" in run(capsys, ["train", "xor", "--save", str(tmp_path / "no" / "x.npz")])
    assert "a directory" in run(capsys, ["train", "xor", "--log", str(tmp_path)])


def test_subprocess_exit_code_and_single_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace("learning_rate = 0.1", "learning_rate = -0.1"))
    proc = subprocess.run(
        [sys.executable, "-m", "tui.cli", "train", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"{bad}: training.learning_rate: found -0.1; allowed: a finite number > 0" in proc.stderr


def test_subprocess_headless_train_does_not_import_textual():
    code = (
        "import sys; from tui.cli import main; rc = main(['train', 'xor', '--steps', '20']);"
        "assert 'textual' not in sys.modules, 'textual imported'; sys.exit(rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr


def test_a_data_file_given_as_the_scenario_says_how_to_use_it(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "points.csv"
    data.write_text("x1,x2,label\n1,2,a\n3,4,b\n")
    assert main(["train", str(data)]) == 2
    err = capsys.readouterr().err
    assert "a csv data file, not a scenario" in err and 'file = "points.csv"' in err
    assert err.count("\n") == 1 and "Traceback" not in err
