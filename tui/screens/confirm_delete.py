"""The runs screen's question before a run and its checkpoint are deleted: y deletes."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmDelete(ModalScreen[bool]):
    """y deletes, anything else keeps."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "delete"),
        Binding("n,escape", "answer(False)", "keep"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="runs-confirm"):
            yield Static(self.question, markup=False)
            yield Static("y: delete   n or escape: keep", classes="runs-hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
