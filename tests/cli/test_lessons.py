"""`backprop-tui lessons`: the list, one lesson, --json, an unknown one; commands that parse."""

from __future__ import annotations

import json
import shlex
import sys

import pytest

from scenarios.lessons import LESSONS, Lesson
from tui.cli import main, make_parser


def test_lists_every_lesson(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lessons"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [ln.split()[1] for ln in lines[:8]] == [x.id for x in LESSONS]
    assert all(ln.startswith(f"{i + 1}  ") for i, ln in enumerate(lines[:8]))


def test_shows_one_lesson_with_its_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lessons", "edge-of-stability"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("4. Edge of stability")
    assert "measured here: sharpness at step 8,000" in out
    assert "backprop-tui train edge-of-stability --lr 0.35 --sharpness-every 50" in out


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lessons", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["id"] for d in data] == [x.id for x in LESSONS]
    assert main(["lessons", "3", "--json"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert one["id"] == "momentum-effective-lr" and len(one["commands"]) == 3
    assert one["runs"][1]["changes"] == {"training.lr": 0.05, "training.momentum": 0.9}


def test_unknown_lesson_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        sys.exit(main(["lessons", "99"]))
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and "LESSON: found '99'" in err[0]


@pytest.mark.parametrize("lesson", LESSONS, ids=[x.id for x in LESSONS])
def test_every_command_parses(lesson: Lesson) -> None:
    parser = make_parser()
    for command in lesson.commands():
        argv = shlex.split(command)
        assert argv[0] == "backprop-tui"
        args = parser.parse_args(argv[1:])
        assert args.command in ("train", "sweep", "lr-find") and args.scenario == lesson.scenario


def test_a_lesson_command_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """Lesson 3's last run, shortened: the flags the lessons produce are accepted by train."""
    argv = shlex.split(LESSONS[2].commands()[-1])[1:]
    argv[argv.index("--steps") + 1] = "20"
    assert main([*argv, "--no-record", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["steps"] == 20
