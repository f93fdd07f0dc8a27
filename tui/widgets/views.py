"""A panel with extra views cycled by `i`: hidden activations, confusion matrix, histograms."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from ..probe_settings import PROBES
from .activations import draw_activations
from .base import SnapshotPanel
from .confusion import draw_confusion
from .fit import mark_cuts
from .histograms import draw_histograms
from .lines import Lines, TextBuilder

if TYPE_CHECKING:
    from engine.snapshot import Snapshot

# what each view is called in the panel's title
VIEW_TITLES = {
    "activations": "hidden activations",
    "confusion": "confusion matrix",
    "histograms": "histograms over time",
}


class ViewsPanel(SnapshotPanel):
    """``VIEWS`` are the panel's extra views; "" is its own. `i` goes to the next one.

    Every number drawn comes with the snapshot: the activations are the batch's (LayerSnap.a),
    the confusion matrix and the histograms the engine's probes (Snapshot.probes), which the
    worker computes only while a view asks for them (tui.probe_settings).
    """

    VIEWS: ClassVar[tuple[str, ...]] = ()
    BINDINGS: ClassVar[list[BindingType]] = [Binding("i", "view", "view", show=False)]

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.view = ""

    def views(self) -> tuple[str, ...]:
        """The views this snapshot allows: the confusion matrix is for classifiers only."""
        s = self.snapshot
        classifier = s is None or s.model.task == "classification"
        return ("", *(v for v in self.VIEWS if v != "confusion" or classifier))

    def action_view(self) -> None:
        views = self.views()
        pos = views.index(self.view) if self.view in views else 0
        self.set_view(views[(pos + 1) % len(views)])

    def set_view(self, view: str) -> None:
        self.view = view
        self.border_title = self.TITLE + (f" · {VIEW_TITLES[view]}" if view else "")
        if "confusion" in self.VIEWS:
            PROBES.confusion = view == "confusion"
        if "histograms" in self.VIEWS:
            PROBES.histograms = view == "histograms"
        engine = getattr(self.app, "engine", None)
        if view in ("confusion", "histograms") and engine is not None:
            engine.put("show")  # a snapshot with the matrix, computed now
        self._key = None
        self.redraw()

    def key(self, snapshot: Snapshot) -> Hashable:
        probes = snapshot.probes
        cm = None if probes is None or probes.confusion is None else probes.confusion.step
        return (super().key(snapshot), self.view, cm)

    def build_view(self) -> Lines | Text | None:
        """The view's picture, or None for the panel's own."""
        s = self.snapshot
        if not self.view or s is None:
            return None
        if self.view not in self.views():  # e.g. confusion after switching to a regression
            self.set_view("")
            return None
        tb = TextBuilder()
        width, height = max(self.size.width, 30), max(self.size.height, 4)
        nc = self.colourless
        if self.view == "activations":
            draw_activations(tb, s, int(getattr(self, "sample", 0)), width, height, nc)
        elif self.view == "confusion":
            draw_confusion(tb, s, width, height, nc)
        elif self.view == "histograms":
            draw_histograms(tb, s, width, height, nc)
        return mark_cuts(tb.build(), self.size.width)
