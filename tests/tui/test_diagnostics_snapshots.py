"""Snapshot tests of issue 12's views: activations, confusion, histograms, sharpness, lessons."""

from __future__ import annotations

import pytest

from tests.tui.app_helpers import new_app, press, settle
from tui.probe_settings import PROBES

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
STEPS = ("space",) * 6


@pytest.fixture(autouse=True)
def _probes_off() -> None:
    PROBES.reset()


def keys_then_settle(*keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await press(pilot, *keys)
        await settle(pilot)

    return run_before


@SIZES
def test_activations_view(snap_compare, size: tuple[int, int]) -> None:
    """Outputs, i: the third sample's hidden activations, each layer's dead ReLUs."""
    keys = (*STEPS, "2", "i", "down", "down")
    assert snap_compare(new_app(), terminal_size=size, run_before=keys_then_settle(*keys))


@SIZES
def test_confusion_view(snap_compare, size: tuple[int, int]) -> None:
    """Outputs, i i: the confusion matrix on the fixture's test set, per-class accuracy."""
    keys = (*STEPS, "2", "i", "i")
    assert snap_compare(new_app(), terminal_size=size, run_before=keys_then_settle(*keys))


@SIZES
def test_histograms_view(snap_compare, size: tuple[int, int]) -> None:
    """Gradients, i: |W| and |dL/dW| over six steps, each layer's update/weight ratio."""
    keys = (*STEPS, "3", "i")
    assert snap_compare(new_app(), terminal_size=size, run_before=keys_then_settle(*keys))


@SIZES
def test_sharpness_strip(snap_compare, size: tuple[int, int]) -> None:
    """E then 60 steps: the sharpness measured every 25 steps under the loss plot (3 rows in
    the loss panel at 80x24, 5 in the grid's)."""
    keys = ("E", "g", "6", "0", "enter", "4")
    assert snap_compare(new_app(), terminal_size=size, run_before=keys_then_settle(*keys))


@SIZES
def test_lessons_screen(snap_compare, size: tuple[int, int]) -> None:
    """t, down x3: lesson 4 (edge of stability) with its claim and the figures measured here."""
    keys = ("t", "down", "down", "down")
    assert snap_compare(new_app(), terminal_size=size, run_before=keys_then_settle(*keys))
