"""A one-line choice among a few words: left/right (or space) cycle, a letter jumps to a word."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class Choice(Widget, can_focus=True):
    """Shows ``◀ value ▶``; enter posts Submitted, as an Input does (a form applies on it).

    Lighter than a Select (no overlay, no option list: a form of a dozen fields opens faster)
    and every key stays on one line, so a form keeps its size.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "previous", show=False),
        Binding("right,space", "move(1)", "next", show=False),
        Binding("enter", "submit", "submit", show=False),
    ]
    DEFAULT_CSS = """
    Choice { height: 1; }
    Choice:focus { text-style: reverse; }
    """

    value: reactive[str] = reactive("")

    @dataclass
    class Changed(Message):
        choice: Choice
        value: str

        @property
        def control(self) -> Choice:
            return self.choice

    @dataclass
    class Submitted(Message):
        choice: Choice
        value: str

        @property
        def control(self) -> Choice:
            return self.choice

    def __init__(
        self,
        options: tuple[str, ...],
        value: str,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        if value not in options:
            raise ValueError(f"{value!r} is not one of {options}")
        self.options = options
        self.set_reactive(Choice.value, value)

    def render(self) -> Content:
        return Content(f"◀ {self.value} ▶")

    def watch_value(self, value: str) -> None:
        self.post_message(self.Changed(self, value))

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self, self.value))

    def action_move(self, step: int) -> None:
        i = self.options.index(self.value)
        self.value = self.options[(i + step) % len(self.options)]

    def on_key(self, event: events.Key) -> None:
        """A letter jumps to the next word starting with it (again: the one after)."""
        ch = (event.character or "").lower()
        if len(ch) != 1 or not ch.isalpha():
            return
        i = self.options.index(self.value)
        n = len(self.options)
        for k in range(1, n + 1):
            word = self.options[(i + k) % n]
            if word.startswith(ch):
                self.value = word
                event.stop()
                return

    def on_click(self) -> None:
        self.action_move(1)
