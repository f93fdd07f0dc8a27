"""Explain panel: the equation of the unit just computed, with the selected neuron's numbers."""

from __future__ import annotations

from rich.text import Text

from .base import SnapshotPanel
from .explain_equations import (
    NOTE,
    Focus,
    write_backward,
    write_forward,
    write_loss,
    write_sample_text,
)
from .explain_update import write_update
from .lines import TextBuilder

INTRO_HEAD = (
    "One training iteration is split into units:\n"
    "  sample → forward L1…Ln → loss → backward Ln…L1 → update\n\n"
)
INTRO_KEYS = (
    ("n", "next unit (one layer)"),
    ("space", "a whole iteration"),
    ("f", "finish the forward pass"),
    ("b", "finish the backward pass"),
    ("u", "apply the update"),
    ("r", "run / pause"),
)
INTRO_TAIL = (
    "\n\nPress n to start: this panel then shows the equation just computed, with the real "
    "numbers of the unit under the weights cursor."
)


def intro(width: int) -> str:
    """The keys in two columns when they fit side by side, else one per line."""
    cells = [f"{k:<6} {what}" for k, what in INTRO_KEYS]
    col = max(map(len, cells)) + 3
    if width >= 2 * col:
        pairs = zip(cells[::2], cells[1::2], strict=True)
        keys = "\n".join(a.ljust(col) + b for a, b in pairs)
    else:
        keys = "\n".join(cells)
    return INTRO_HEAD + keys + INTRO_TAIL


def hang(text: Text, width: int) -> Text:
    """Wrap each line at spaces to ``width``, continuation lines indented under the line's own
    text (+4), so a long equation reads as one block instead of restarting at the margin."""
    if width < 20:
        return text
    out = Text()
    for k, line in enumerate(text.split("\n", allow_blank=True)):
        if k:
            out.append("\n")
        plain = line.plain
        indent = min(len(plain) - len(plain.lstrip(" ")) + 4, width // 3)
        first, rest = True, line
        while len(rest.plain) > (room := width if first else width - indent):
            cut = rest.plain.rfind(" ", indent if first else 1, room + 1)
            if cut <= 0:
                cut = room  # one long word: break it
            head, tail = rest[:cut], rest[cut:]
            head.rstrip()  # in place
            out.append_text(head)
            out.append("\n" + " " * indent)
            skip = len(tail.plain) - len(tail.plain.lstrip(" "))
            rest, first = tail[skip:], False
        out.append_text(rest)
    return out


class ExplainPanel(SnapshotPanel):
    """The equation of the unit just computed, for the weights cursor's neuron and the sample
    chosen in the outputs panel."""

    TITLE = "Explain"

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.cursor: tuple[int, int, int, str] = (0, 0, 0, "W")  # layer, row, col, kind
        self.sample = 0

    def follow_cursor(self, layer: int, row: int, col: int, kind: str) -> None:
        self.cursor = (layer, row, col, kind)
        self.redraw()

    def follow_sample(self, index: int) -> None:
        self.sample = index
        self.redraw()

    def _set_title(self, title: str) -> None:
        if self.border_title != title:
            self.border_title = title

    # ---- drawing ------------------------------------------------------------------------------
    def build(self) -> Text:
        s = self.snapshot
        short = 0 < self.size.height < 8  # 80x24: six rows, the equations need every one
        title = "Explain"
        if s is None or s.progress.last_phase is None:
            self._set_title(title)
            return hang(Text(intro(self.size.width)), self.size.width)
        pr = s.progress
        tb = TextBuilder()
        if short:  # what was computed and what comes next go to the border instead
            title = f"Explain: {pr.last_unit} (step {pr.step}, next {pr.next_unit})"
        else:
            tb.add(f"{pr.last_unit}", "bold reverse")
            tb.line(f"  step {pr.step}, next: {pr.next_unit}", NOTE)
        self._set_title(title)
        if s.progress.diverged:
            tb.line(s.progress.diverged, "bold red")
        fc = Focus(self.cursor, self.sample, short)
        phase = s.progress.last_phase
        if phase == "sample":
            write_sample_text(tb, fc, s)
        elif phase == "forward" and s.progress.last_layer is not None:
            write_forward(tb, fc, s, s.progress.last_layer)
        elif phase == "loss":
            write_loss(tb, fc, s)
        elif phase == "backward" and s.progress.last_layer is not None:
            write_backward(tb, fc, s, s.progress.last_layer)
        elif phase == "update":
            write_update(tb, fc, s)
        return hang(tb.text(), self.size.width)
