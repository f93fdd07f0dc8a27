"""--fps reaches the app's pacing from the command line; bad values are one line, exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tui.terminal
from tests.tui.app_helpers import TestApp, fixture, key_event, open_session, press, settle
from tui.app import BackpropApp
from tui.cli import main
from tui.screens.main import PANEL_IDS


@pytest.mark.parametrize("value", ["0", "-1", "x", "61", "nan", ""])
def test_bad_fps_is_one_line_naming_the_option_exit_2(value: str) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "tui.cli", f"--fps={value}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and "--fps" in lines[0] and repr(value) in lines[0]
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("args", [[], ["--data", "DATA"]])
def test_fps_on_the_command_line_reaches_the_apps_pacing(
    args: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    opened: list[BackpropApp] = []

    def run_in_terminal(app: BackpropApp, *_: object) -> int:
        opened.append(app)  # instead of taking over the terminal
        return 0

    monkeypatch.setattr(tui.terminal, "run_in_terminal", run_in_terminal)
    monkeypatch.setattr(tui.terminal, "check_terminal", lambda: "")
    if args:  # the app on a CSV's default scenario: built before the app opens
        csv = tmp_path / "d.csv"  # type: ignore[operator]
        csv.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(20)))
        args = ["--data", str(csv), "--target", "y"]
    else:
        args = ["--scenario", str(fixture("xor"))]
    assert main(["--fps", "2.5", *args]) == 0
    assert len(opened) == 1 and opened[0].pacing.fps == 2.5
    assert main(args) == 0
    assert opened[1].pacing.fps is None  # no cap unless asked


async def test_a_capped_run_trains_and_shows_every_panel_when_it_stops() -> None:
    app = TestApp(open_session("five-classes"), fps=1.0)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert app.pacing.fps == 1.0 and app.pacing.enabled
        await press(pilot, "g")
        for ch in "1000000":
            app.post_message(key_event(ch))
        app.post_message(key_event("enter"))
        await app.snapshot_where(lambda s: s.progress.step > 0)
        assert app.engine.running
        app.post_message(key_event("r"))
        await settle(pilot)
        assert not app.engine.running
        step = app.session.stepper.step if app.session else -1
        assert step > 0

        def all_show_it() -> bool:
            return all(
                (snap := app.main.panel(pid).snapshot) is not None and snap.progress.step == step
                for pid in PANEL_IDS
            )

        # a stop shows the newest snapshot in every panel, capped or not: those that redrew
        # within the cap's frame on the stop's timer (Pacing.stop), at most 1/fps later
        for _ in range(40):
            if all_show_it():
                break
            await pilot.pause(0.05)
        assert all_show_it()
