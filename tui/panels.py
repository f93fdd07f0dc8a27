"""The six data panels, imported from tui/widgets in a worker so the first paint comes first."""

from __future__ import annotations

import importlib

from textual.widget import Widget

# (id, title, module, class); the order is the panel order for tab and the number keys
PANELS: tuple[tuple[str, str, str, str], ...] = (
    ("weights", "Weights", "tui.widgets.weights", "WeightsPanel"),
    ("outputs", "Outputs", "tui.widgets.outputs", "OutputsPanel"),
    ("gradients", "Gradients", "tui.widgets.gradients", "GradientsPanel"),
    ("loss", "Loss", "tui.widgets.loss_plot", "LossPlot"),
    ("explain", "Explain", "tui.widgets.explain", "ExplainPanel"),
    ("map", "Decision map", "tui.widgets.decision_map", "DecisionMapPanel"),
)


def import_panels() -> None:
    """Import the panel modules (numpy, plotext): done in a worker so the first paint is quick."""
    for _, _, module, _ in PANELS:
        importlib.import_module(module)


def make_panel(pid: str, title: str, module: str, cls: str) -> Widget:
    panel = getattr(importlib.import_module(module), cls)(id=pid)
    panel.can_focus = True  # tab reaches every panel, so the keyboard alone suffices
    return panel


def make_panels() -> list[Widget]:
    return [make_panel(*spec) for spec in PANELS]
