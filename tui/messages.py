"""Typed messages between the engine worker, the panels and the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # numpy loads after the first paint, not at import
    from engine.snapshot import Snapshot

    from .overlay import Overlay


@dataclass
class SnapshotReady(Message):
    """A fresh frozen Snapshot from the engine (the focused run's), with the comparison's
    overlay (None for one run); a newer one may replace an unhandled older one."""

    snapshot: Snapshot
    overlay: Overlay | None = None

    def can_replace(self, message: Message) -> bool:
        # a slow terminal drops intermediate frames instead of queueing them
        return isinstance(message, SnapshotReady)


@dataclass
class CursorMoved(Message):
    """The weights cursor moved: layer (0-based), row = input neuron i, col = output neuron j."""

    layer: int
    row: int
    col: int
    kind: str  # "W" or "b"


@dataclass
class SampleSelected(Message):
    """The outputs panel selected sample ``index`` of the current batch."""

    index: int


@dataclass
class EngineNote(Message):
    """A short note from the engine worker for the status line, e.g. "nothing to undo"."""

    text: str
