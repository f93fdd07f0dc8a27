"""The `?` screen: every key binding, generated from the same table as the footer."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..keys import KEYS, key_label

INTRO = (
    "One training iteration is a row of units: batch, forward L1..Ln, loss, "
    "backward Ln..L1, update. Step through them, or run flat out. c forks the run to "
    "compare: the runs train side by side, the loss panel overlays them."
)
PANEL_KEYS = (
    ("arrows", "Weights: move the cursor over W and b; Outputs: choose the sample"),
    ("< > or pgup pgdn", "Weights: previous / next layer"),
    ("ctrl+p", "command palette: every command above, searchable"),
)


def help_table() -> Table:
    """Keys and what they do; long lines wrap under their own column (a hanging indent)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    last = ("app.help", "app.quit")  # first in the footer (so narrow footers show them), last here
    # the comparison's keys also come early in the footer; here they follow c, which forks
    compare = [k for k in KEYS if k.action in ("focus_run(-1)", "focus_run(1)", "drop_run")]
    ordered = [k for k in KEYS if k.action not in last and k not in compare]
    fork = next(i for i, k in enumerate(ordered) if k.action == "app.engine('fork')")
    ordered[fork + 1 : fork + 1] = compare
    ordered += [k for k in KEYS if k.action in last]
    for k in ordered:
        table.add_row(key_label(k.keys), k.help)
    table.add_row("", "")
    for keys, text in PANEL_KEYS:
        table.add_row(keys, text)
    return table


def help_text(scenario: str = "", look_for: str = "") -> Group:
    """The intro, what to look for in ``scenario`` (its ``look_for`` line), every key."""
    parts: list[str | Table] = [INTRO, ""]
    if look_for:
        parts += [f"What to look for in {scenario}: {look_for}", ""]
    parts += [help_table(), "", "escape, ? or q closes this help."]
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """Lists every binding; any of escape, ? and q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "close", show=True),
        Binding("up", "scroll('up')", show=False),
        Binding("down", "scroll('down')", show=False),
    ]

    def __init__(self, scenario: str = "", look_for: str = "") -> None:
        super().__init__()
        self.scenario = scenario
        self.look_for = look_for

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "backprop-tui keys"
            yield Static(help_text(self.scenario, self.look_for), id="help-text")

    def action_scroll(self, direction: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        (body.scroll_up if direction == "up" else body.scroll_down)(animate=False)
