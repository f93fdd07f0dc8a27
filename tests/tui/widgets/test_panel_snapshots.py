"""Screenshots of every panel at a small and a large size, and NO_COLOR for the colour maps."""

from __future__ import annotations

import pytest

from tests.tui.widgets.apps.panel_app import PanelApp, big_stepper, snap, trained_five, units
from tui.widgets.decision_map import DecisionMapPanel
from tui.widgets.explain import ExplainPanel
from tui.widgets.gradients import GradientsPanel
from tui.widgets.loss_plot import LossPlot
from tui.widgets.outputs import OutputsPanel
from tui.widgets.weights import WeightsPanel

SMALL, LARGE = (60, 18), (140, 40)


def _five(extra_units: int, iterations: int = 30, decision=(48, 34)):
    return snap(trained_five(iterations, extra_units), decision=decision)


def _app(kind: str, size: tuple[int, int], no_color: bool = False) -> PanelApp:
    if kind == "weights":
        return PanelApp(WeightsPanel(), _five(9), no_color=no_color)
    if kind == "weights_big":
        return PanelApp(WeightsPanel(), snap(units(big_stepper(), 7)), no_color=no_color)
    if kind == "outputs":
        return PanelApp(OutputsPanel(), _five(5))
    if kind == "gradients":
        return PanelApp(GradientsPanel(), _five(7), no_color=no_color)
    if kind == "loss_plot":
        return PanelApp(LossPlot(), _five(0, 200), no_color=no_color)
    if kind == "explain":
        app = PanelApp(ExplainPanel(), _five(7))
        app.panel.cursor = (1, 2, 3, "W")
        return app
    w, h = size
    dec = (w - 2, 2 * (h - 3))  # a cell per column and half row inside the border and legend
    return PanelApp(DecisionMapPanel(), _five(0, 200, dec), no_color=no_color)


KINDS = ["weights", "weights_big", "outputs", "gradients", "loss_plot", "explain", "decision"]


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["small", "large"])
@pytest.mark.parametrize("kind", KINDS)
def test_panel(snap_compare, kind: str, size: tuple[int, int]) -> None:
    assert snap_compare(_app(kind, size), terminal_size=size)


@pytest.mark.parametrize("kind", ["weights", "weights_big", "gradients", "decision", "loss_plot"])
def test_panel_no_color(snap_compare, kind: str) -> None:
    assert snap_compare(_app(kind, SMALL, no_color=True), terminal_size=SMALL)
