"""A small modal to type a learning rate; dismisses with the number, or None on escape."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..ladders import format_lr, parse_lr


class LrInput(ModalScreen[float | None]):
    """Enter applies the typed value (validated), escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, current: float) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="lr-box") as box:
            box.border_title = "learning rate"
            yield Static(f"now {format_lr(self.current)}; type a number > 0 and press enter")
            yield Input(value=format_lr(self.current), id="lr-value", select_on_focus=True)
            yield Static("", id="lr-error", markup=False)  # the error quotes what was typed

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not self.is_active:  # a second enter, queued before the first closed this box
            return
        try:
            value = parse_lr(event.value)
        except ValueError as exc:
            self.query_one("#lr-error", Static).update(str(exc))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
