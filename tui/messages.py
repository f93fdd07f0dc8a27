"""Typed messages between the engine worker, the panels and the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # numpy loads after the first paint, not at import
    from engine.snapshot import Snapshot


class SnapshotReady(Message):
    """A fresh frozen Snapshot from the engine; a newer one may replace an unhandled older one."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        # a slow terminal drops intermediate frames instead of queueing them
        return isinstance(message, SnapshotReady)


class CursorMoved(Message):
    """The weights cursor moved: layer (0-based), row = input unit i, col = output unit j."""

    def __init__(self, layer: int, row: int, col: int, kind: str) -> None:
        super().__init__()
        self.layer = layer
        self.row = row
        self.col = col
        self.kind = kind  # "W" or "b"


class SampleSelected(Message):
    """The outputs panel selected sample ``index`` of the current batch."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index


class EngineNote(Message):
    """A short note from the engine worker for the status line, e.g. "nothing to undo"."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
