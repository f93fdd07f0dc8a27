"""The one base class of the data panels, and the Protocol of what the app calls on a panel."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, ClassVar, Protocol

from .colours import no_color_active
from .redraw import Redraw

if TYPE_CHECKING:
    from engine.snapshot import Snapshot

    from ..overlay import Overlay


class Panel(Protocol):
    """What the app (the main screen) calls on every data panel; a rename fails in mypy."""

    def show(self, snapshot: Snapshot) -> None: ...

    def follow_cursor(self, layer: int, row: int, col: int, kind: str) -> None: ...

    def follow_sample(self, index: int) -> None: ...

    def show_overlay(self, overlay: Overlay | None) -> None: ...


class SnapshotPanel(Redraw):
    """A panel that renders the newest Snapshot; it redraws only when ``key`` changes.

    Subclasses set TITLE, implement ``build()`` (see Redraw), may widen ``key`` with what else
    their picture depends on, and may override ``adopt`` (every snapshot) and ``changed`` (a
    snapshot with a new key, just before the redraw).
    """

    TITLE: ClassVar[str] = ""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.border_title = self.TITLE
        self.snapshot: Snapshot | None = None
        self.no_color: bool | None = None  # None: ask the environment and the app
        self._key: Hashable = None

    @property
    def colourless(self) -> bool:
        """True when the panel draws without colour (NO_COLOR, or set by a test)."""
        return self.no_color if self.no_color is not None else no_color_active(self)

    def key(self, snapshot: Snapshot) -> Hashable:
        """What the picture depends on; equal keys, no redraw.

        Versions are unique across every Stepper of the process, so a reopened scenario never
        repeats one.
        """
        return snapshot.version

    def show(self, snapshot: Snapshot) -> None:
        key = self.key(snapshot)
        self.snapshot = snapshot
        self.adopt(snapshot)
        if key != self._key:
            self._key = key
            self.changed()
            self.redraw()

    def adopt(self, snapshot: Snapshot) -> None:
        """Every snapshot: keep the panel's own selection inside it (e.g. clamp a cursor)."""

    def changed(self) -> None:
        """A snapshot with a new key arrived: drop caches, follow the computation."""

    def follow_cursor(self, layer: int, row: int, col: int, kind: str) -> None:
        """The weights cursor moved (kind "W" or "b"); panels that care override this."""

    def follow_sample(self, index: int) -> None:
        """The outputs panel chose sample ``index`` of the batch; panels that care override."""

    def show_overlay(self, overlay: Overlay | None) -> None:
        """The comparison's runs (None: one run), set before ``show``; the loss plot draws it."""
