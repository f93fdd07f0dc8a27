"""The six data panels, imported from tui/widgets; a stand-in keeps the app running if one fails."""

from __future__ import annotations

import contextlib
import importlib
import logging
from typing import TYPE_CHECKING

from textual.app import RenderResult
from textual.widget import Widget

if TYPE_CHECKING:  # numpy loads after the first paint, not at import
    from engine.snapshot import Snapshot


log = logging.getLogger(__name__)


class Placeholder(Widget, can_focus=True):
    """Stands in for a panel whose module is missing or broken, so the rest still works."""

    def __init__(self, title: str, reason: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = title
        self.reason = reason
        self.snapshot: Snapshot | None = None

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def render(self) -> RenderResult:
        return f"{self.border_title}: not available ({self.reason})"


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
        with contextlib.suppress(ImportError):  # make_panel reports it with a Placeholder
            importlib.import_module(module)


def make_panel(pid: str, title: str, module: str, cls: str) -> Widget:
    """An instance of the panel class, or a Placeholder saying why it could not be loaded."""
    try:
        panel_cls = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as exc:
        log.warning("panel %s unavailable: %s", cls, exc)
        return Placeholder(title, f"{type(exc).__name__}: {exc}", id=pid)
    panel = panel_cls(id=pid)
    panel.can_focus = True  # tab reaches every panel, so the keyboard alone suffices
    return panel


def make_panels() -> list[Widget]:
    return [make_panel(*spec) for spec in PANELS]
