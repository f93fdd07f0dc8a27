"""Snapshot tests of a comparison: three runs of five-classes (lr 0.05, 0.1, 0.02) overlaid."""

from __future__ import annotations

import pytest

from tests.tui.app_helpers import new_app, press, settle

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
# fork twice (the second fork from the first, its lr then lowered twice), 40 iterations each
THREE_RUNS = ("c", "+", "c", "-", "-", "g", "4", "0", "enter")


def keys_then_settle(*keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await press(pilot, *keys)

    return run_before


@SIZES
def test_overlay(snap_compare, size: tuple[int, int]) -> None:
    """The loss panel (4 at 80x24) overlays the three runs, run 3 focused: drawn last, raw and
    smoothed, each curve labelled with its lr; the status line names run 3 in its colour."""
    keys = (*THREE_RUNS, "4")
    assert snap_compare(new_app(), terminal_size=size, run_before=keys_then_settle(*keys))


def test_overlay_difference_to_the_first_run(snap_compare) -> None:
    """`d`: each run's loss minus run 1's at the same step, run 1 focused (`}` wraps round)."""
    keys = (*THREE_RUNS, "right_curly_bracket", "d")
    assert snap_compare(new_app(), terminal_size=(160, 48), run_before=keys_then_settle(*keys))


def test_overlay_no_color(snap_compare, monkeypatch) -> None:
    """NO_COLOR: each run's curve is drawn with its glyph."""
    monkeypatch.setenv("NO_COLOR", "1")
    keys = (*THREE_RUNS, "4")
    assert snap_compare(new_app(), terminal_size=(80, 24), run_before=keys_then_settle(*keys))
