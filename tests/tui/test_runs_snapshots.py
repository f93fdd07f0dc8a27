"""Snapshot tests of the runs screen (v) on a ledger of four real `train` runs of the fixture."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.app_helpers import new_app, press, settle
from tests.tui.runs_helpers import open_runs

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


@SIZES
def test_runs_screen(snap_compare, runs_home: Path, size: tuple[int, int]) -> None:
    """Newest first, the keys that differ (lr, batch), sparklines, the diverged run's step;
    no times on screen (nothing here depends on the clock)."""

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(pilot)
        await open_runs(pilot)

    assert snap_compare(new_app(), terminal_size=size, run_before=run_before)


def test_runs_screen_sorted_with_an_overlaid_run(snap_compare, runs_home: Path) -> None:
    """s s: sorted by best loss; the run under the cursor overlaid (space): its glyph in the
    first column, in its colour."""

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(pilot)
        screen, _ = await open_runs(pilot)
        await pilot.press("s", "s", "space")
        await settle(pilot)
        await screen.next_table()
        await pilot.pause()

    assert snap_compare(new_app(), terminal_size=(100, 24), run_before=run_before)


def test_ledger_run_on_the_loss_plot(snap_compare, runs_home: Path) -> None:
    """A ledger-only run overlaid on the loss plot (panel 4) beside the app's run, labelled
    with what differs (#4 lr 0.2, batch 64); the status line counts it apart."""

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(pilot)
        await press(pilot, "g", "3", "0", "enter")
        await open_runs(pilot)
        await pilot.press("space", "escape")
        await settle(pilot)
        await press(pilot, "4")

    assert snap_compare(new_app(), terminal_size=(80, 24), run_before=run_before)
