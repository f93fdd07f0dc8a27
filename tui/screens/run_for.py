"""The `g` modal: type a stop condition (500 iterations, or epoch) and run until it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..run_loop import parse_run_for

RunFor = tuple[str, int]  # run_loop.make_limit's kind ("iterations" or "epoch") and count


class RunForInput(ModalScreen[RunFor | None]):
    """Enter runs until the typed condition (validated), escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, step: int, epoch: int) -> None:
        super().__init__()
        self.step = step
        self.epoch = epoch

    def compose(self) -> ComposeResult:
        with Vertical(id="run-for-box") as box:
            box.border_title = "run until"
            yield Static(
                f"now step {self.step}, epoch {self.epoch}. Type a number of iterations"
                " (500) or epoch (to the end of this epoch) and press enter"
            )
            yield Input(placeholder="500 or epoch", id="run-for-value")
            yield Static("", id="run-for-error", markup=False)  # quotes what was typed

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not self.is_active:  # a second enter, queued before the first closed this box
            return
        try:
            value = parse_run_for(event.value)
        except ValueError as exc:
            self.query_one("#run-for-error", Static).update(str(exc))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
