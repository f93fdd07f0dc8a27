"""Snapshot tests of the whole screen: sizes, phases, help, a decision map, NO_COLOR."""

from __future__ import annotations

import pytest

from tests.tui.app_helpers import TestApp, key_event, new_app, open_session, press, settle
from tui.app import BackpropApp

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
PHASES = {"forward": ("n", "n", "n"), "backward": ("f", "n", "n"), "update": ("space", "u")}


def keys_then_settle(*keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await press(pilot, *keys)

    return run_before


@pytest.mark.parametrize("phase", list(PHASES))
@SIZES
def test_main_screen(snap_compare, size: tuple[int, int], phase: str) -> None:
    """forward: after forward L2/3; backward: after backward L2/3; update: after two steps."""
    assert snap_compare(new_app(), terminal_size=size, run_before=keys_then_settle(*PHASES[phase]))


@SIZES
def test_help_screen(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(new_app(), terminal_size=size, run_before=keys_then_settle("?"))


@SIZES
def test_scenario_picker(snap_compare, size: tuple[int, int]) -> None:
    """`s`: the bundled scenarios with their descriptions, the current one highlighted."""
    assert snap_compare(new_app(), terminal_size=size, run_before=keys_then_settle("s"))


@SIZES
def test_lr_input(snap_compare, size: tuple[int, int]) -> None:
    """`=`: the typed learning-rate box, with the error a bad value gets."""
    keys = ("equals_sign", "x", "enter")
    assert snap_compare(new_app(), terminal_size=size, run_before=keys_then_settle(*keys))


def test_decision_map_after_training(snap_compare) -> None:
    """xor after 400 iterations: the map shows the four quadrants forming."""
    session = open_session("xor")
    session.stepper.run(400)  # before the app starts: no worker is running yet
    app = BackpropApp(session, pace_panels=False)
    assert snap_compare(app, terminal_size=(160, 48), run_before=keys_then_settle("space", "6"))


def test_no_color(snap_compare, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # Textual reads it when the app is created
    app = new_app()
    assert snap_compare(app, terminal_size=(160, 48), run_before=keys_then_settle("space", "b"))


def test_no_color_small(snap_compare, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = new_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=keys_then_settle("space", "f"))


def test_too_small(snap_compare) -> None:
    assert snap_compare(new_app(), terminal_size=(70, 20), run_before=keys_then_settle())


def test_speed_mode(snap_compare) -> None:
    """`, , ,`: the speed ladder's 10 iterations/s, shown in the status line (paused)."""
    keys = ("comma", "comma", "comma")
    assert snap_compare(new_app(), terminal_size=(80, 24), run_before=keys_then_settle(*keys))


def test_unit_playback(snap_compare) -> None:
    """Unit playback at 2 units/s, paused once forward L2/3 is shown: every panel shows it
    (2, not 4: on a loaded machine the pause could come after the next unit, 250 ms later)."""

    async def run_before(pilot) -> None:
        app = pilot.app
        assert isinstance(app, TestApp)
        await settle(pilot)
        await press(pilot, *["comma"] * 8)
        app.post_message(key_event("r"))
        await app.snapshot_where(lambda s: s.progress.last_unit == "forward L2/3")
        await press(pilot, "r")  # pauses well before the next unit (500 ms)

    assert snap_compare(new_app(), terminal_size=(160, 48), run_before=run_before)
