"""Snapshot tests of the sweep screen (S, a finished tiny sweep) and the range test screen (F)."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from tests.tui.app_helpers import press, settle
from tests.tui.sweep_helpers import run_sweep, xor_app

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


@SIZES
def test_sweep_screen_finished(snap_compare, size: tuple[int, int]) -> None:
    """3 lrs x 2 batch sizes x 2 seeds of 30 steps on xor, done: the heatmap with the best cell,
    the cursor on lr 0.5 full batch and its two seeds' curves; no times on screen."""

    async def run_before(pilot: Pilot[int]) -> None:
        await run_sweep(pilot)
        await press(pilot, "down", "right")

    assert snap_compare(xor_app(), terminal_size=size, run_before=run_before)


@SIZES
def test_range_test_screen(snap_compare, size: tuple[int, int]) -> None:
    """F after two iterations: the smoothed loss against lr, the minimum and the suggestion."""

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(pilot)
        await press(pilot, "space", "space", "F")
        await settle(pilot)

    assert snap_compare(xor_app(), terminal_size=size, run_before=run_before)
