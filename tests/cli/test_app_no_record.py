"""The app's --no-record: neither the app nor what it starts (sweeps) writes to the ledger."""

from __future__ import annotations

import sys
import types

import pytest

from tui.cli import main
from tui.cli.args import NO_RECORD_ENV, recording


def test_no_record_reaches_the_app_through_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # set (not deleted) so monkeypatch restores it: main() sets it in os.environ for the process
    monkeypatch.setenv(NO_RECORD_ENV, "0")
    seen: list[bool] = []
    fake = types.ModuleType("tui.app")

    def run_app(spec: str | None, fps: float | None = None) -> int:
        seen.append(recording(False))
        return 0

    fake.run_app = run_app  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tui.app", fake)
    monkeypatch.setattr("tui.terminal.check_terminal", lambda: None)
    assert main(["--no-record"]) == 0
    assert seen == [False]


def test_the_app_built_under_no_record_has_no_recorder(monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.app import BackpropApp

    monkeypatch.setenv(NO_RECORD_ENV, "1")
    assert BackpropApp(spec="xor").engine.recorder is None
    monkeypatch.delenv(NO_RECORD_ENV)
    app = BackpropApp(spec="xor")
    assert app.engine.recorder is not None
    app.engine.recorder.close()  # type: ignore[attr-defined]


def test_train_and_sweep_started_under_no_record_leave_the_ledger_alone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    monkeypatch.setenv("BACKPROP_TUI_HOME", str(tmp_path))
    monkeypatch.setenv(NO_RECORD_ENV, "1")
    assert main(["train", "xor", "--steps", "20", "--json"]) == 0
    assert main(["sweep", "xor", "--lr", "0.1,1", "--steps", "20", "--json"]) == 0
    capsys.readouterr()
    assert not (tmp_path / "runs.sqlite").exists()
