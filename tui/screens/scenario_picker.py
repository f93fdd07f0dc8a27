"""The `s` screen: pick a bundled scenario (or type a path); dismisses with the choice or None."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option


def _describe(name: str) -> Content:
    from scenarios import ScenarioError, load_scenario

    try:
        desc = load_scenario(name).description
    except ScenarioError as exc:  # a broken bundled file should not hide the others
        desc = str(exc)
    return Content.assemble((name, "bold"), "  ", desc)


class ScenarioPicker(ModalScreen[str | None]):
    """Arrows and enter choose a bundled scenario; tab to the path box for a .toml file."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        from scenarios import bundled_names

        names = bundled_names()
        with Vertical(id="picker-box") as box:
            box.border_title = "choose a scenario"
            yield OptionList(*(Option(_describe(n), id=n) for n in names), id="picker-list")
            yield Static("or a path to a scenario .toml (enter to open):", id="picker-hint")
            yield Input(placeholder="path/to/scenario.toml", id="picker-path")

    def on_mount(self) -> None:
        from scenarios import bundled_names

        options = self.query_one(OptionList)
        names = bundled_names()
        if self.current in names:
            options.highlighted = names.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if not self.is_active:  # a second enter, queued before the first closed this box
            return
        self.dismiss(event.option.id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not self.is_active:  # a second enter, queued before the first closed this box
            return
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
