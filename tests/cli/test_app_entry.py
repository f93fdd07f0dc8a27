"""With no subcommand the CLI opens the app, lazily; the progress bar draws on a terminal."""

import io
import subprocess
import sys
import types
from pathlib import Path

from tui.cli import main


def on_a_terminal(monkeypatch):
    """pytest's stdin is no terminal: these tests are about what happens on one."""
    import tui.terminal

    monkeypatch.setattr(tui.terminal, "check_terminal", lambda: None)


def fake_app(monkeypatch, calls):
    on_a_terminal(monkeypatch)
    mod = types.ModuleType("tui.app")

    def run_app(spec, fps=None):
        calls.append(spec)
        return 0

    mod.run_app = run_app
    monkeypatch.setitem(sys.modules, "tui.app", mod)


def test_no_subcommand_opens_the_default_scenario(monkeypatch):
    calls = []
    fake_app(monkeypatch, calls)
    assert main([]) == 0
    assert calls == ["five-classes"]


def test_scenario_option_is_passed_on(monkeypatch):
    calls = []
    fake_app(monkeypatch, calls)
    assert main(["--scenario", "xor"]) == 0
    assert calls == ["xor"]


def test_missing_app_is_one_line_exit_2(monkeypatch, capsys):
    on_a_terminal(monkeypatch)
    monkeypatch.setitem(sys.modules, "tui.app", None)  # makes `from tui.app import` fail
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "terminal app is not available" in err


def test_no_terminal_is_one_line_exit_2_before_the_app_loads(monkeypatch, capsys):
    # under pytest stdin is not a terminal; the app must not even be imported
    monkeypatch.setitem(sys.modules, "tui.app", None)
    assert main(["--scenario", "xor"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs a terminal" in err


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_redraws_in_place_on_a_terminal(monkeypatch):
    out = FakeTTY()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["train", "xor", "--steps", "200"]) == 0
    text = out.getvalue()
    assert "\r[" in text and "100% step 200/200" in text
    assert text.count("\n") == 2  # the bar's own line, then the summary


def test_the_cli_and_the_default_scenario_load_without_numpy():
    # `--help` and the app's first paint must not wait for numpy (about 0.1 s)
    code = (
        "import sys; from tui.cli import make_parser; from scenarios import DEFAULT_SCENARIO;"
        "make_parser(); assert DEFAULT_SCENARIO == 'five-classes';"
        "assert 'numpy' not in sys.modules, 'numpy imported'"
    )
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=repo
    )
    assert proc.returncode == 0, proc.stderr
