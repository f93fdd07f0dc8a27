"""The `?` screen: every key binding, generated from the same table as the footer."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ..keys import KEYS, key_label

INTRO = (
    "One training iteration is a row of units: batch, forward L1..Ln, loss, "
    "backward Ln..L1, update. Step through them, or run flat out."
)
PANEL_KEYS = (
    ("arrows", "Weights: move the cursor over W and b; Outputs: choose the sample"),
    ("< > or pgup pgdn", "Weights: previous / next layer"),
    ("ctrl+p", "command palette: every command above, searchable"),
)


def help_text() -> Content:
    rows: list[Content] = [Content(INTRO), Content("")]
    width = max(len(key_label(k.keys)) for k in KEYS) + 2
    last = ("help", "quit")  # first in the footer (so narrow footers show them), last here
    ordered = [k for k in KEYS if k.action not in last] + [k for k in KEYS if k.action in last]
    for k in ordered:
        rows.append(Content.assemble((key_label(k.keys).ljust(width), "bold"), k.help))
    rows.append(Content(""))
    for keys, text in PANEL_KEYS:
        rows.append(Content.assemble((keys.ljust(width), "bold"), text))
    rows.append(Content(""))
    rows.append(Content("escape, ? or q closes this help."))
    return Content("\n").join(rows)


class HelpScreen(ModalScreen[None]):
    """Lists every binding; any of escape, ? and q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "close", show=True),
        Binding("up", "scroll('up')", show=False),
        Binding("down", "scroll('down')", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "backprop-tui keys"
            yield Static(help_text(), id="help-text")

    def action_scroll(self, direction: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        (body.scroll_up if direction == "up" else body.scroll_down)(animate=False)
