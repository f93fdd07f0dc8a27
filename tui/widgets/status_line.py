"""The always-visible status line: scenario, step, epoch, phase, lr, batch, loss, accuracy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget

from ..ladders import format_batch, format_lr
from ..numbers import fmt

if TYPE_CHECKING:  # numpy loads after the first paint, not at import
    from engine.snapshot import Snapshot

Part = tuple[str, str]  # (text, style)


def phase_label(snap: Snapshot) -> str:
    """The unit computed last, in the issue's words: forward L2/3, loss, backward L1/3, update."""
    if snap.progress.last_unit is None:
        return "start"
    if snap.progress.last_unit == "sample":
        return "batch drawn"
    return snap.progress.last_unit


def _num(x: float | None) -> str:
    return fmt(x, 4, missing="–")


def status_parts(snap: Snapshot, running: bool, n: int) -> list[Part]:
    """The status line's segments (``n``: training-set size); each stays on one line."""
    pending = dict(snap.settings.pending)
    parts: list[Part] = [
        (snap.model.scenario, "bold"),
        (f"step {snap.progress.step}", ""),
        (f"epoch {snap.progress.epoch}", ""),
        (f"phase {phase_label(snap)}", "bold"),
        (f"lr {format_lr(snap.settings.lr)}", ""),
    ]
    if "lr" in pending:
        parts.append((f"(lr {format_lr(pending['lr'])} from next step)", "italic"))  # type: ignore[arg-type]
    parts.append((format_batch(snap.settings.batch_size, n), ""))
    if "batch_size" in pending:
        b = format_batch(pending["batch_size"], n)  # type: ignore[arg-type]
        parts.append((f"({b} from next step)", "italic"))
    ev = snap.curves.last_eval
    parts.append((f"train loss {_num(ev.get('train_loss'))}", ""))
    if snap.model.task == "classification":
        test_acc, train_acc = ev.get("test_accuracy"), ev.get("train_accuracy")
        if test_acc is not None:
            parts.append((f"test accuracy {100 * test_acc:.1f}%", ""))
        elif train_acc is not None:
            parts.append((f"train accuracy {100 * train_acc:.1f}% (no test set)", ""))
    elif ev.get("test_loss") is not None:
        parts.append((f"test loss {_num(ev['test_loss'])}", ""))
    parts.append(("RUNNING" if running else "paused", "reverse bold" if running else "dim"))
    return parts


def pack(parts: list[Part], width: int) -> list[list[Part]]:
    """Greedy line packing at segment boundaries, two spaces between segments."""
    lines: list[list[Part]] = [[]]
    used = 0
    for text, style in parts:
        need = len(text) + (2 if lines[-1] else 0)
        if lines[-1] and used + need > width:
            lines.append([])
            used, need = 0, len(text)
        lines[-1].append((text, style))
        used += need
    return lines


class StatusLine(Widget):
    """Shows the latest snapshot's numbers; wraps at segment boundaries on narrow terminals."""

    running: reactive[bool] = reactive(False, layout=True)
    note: reactive[str] = reactive("", layout=True)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshot: Snapshot | None = None
        self._height = 0
        self.loading_name = ""  # the scenario being loaded, until the first snapshot
        self.n_train = 1 << 62  # set by the app: a batch this large is the full batch

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        # a layout pass costs the whole screen: only when the status changes its height
        height = len(self._lines(self.content_region.width or self.size.width))
        self.refresh(layout=height != self._height)
        self._height = height

    def _lines(self, width: int) -> list[list[Part]]:
        if self.snapshot is None:
            return [[(f"loading {self.loading_name}…", "dim")]]
        lines = pack(status_parts(self.snapshot, self.running, self.n_train), max(width, 1))
        diverged = self.snapshot.progress.diverged
        if diverged:
            # its own line, reverse video: visible without colour too
            lines.append([(f"DIVERGED: {diverged}; press - to lower lr, or z", "reverse bold")])
        if self.note:
            lines.append([(self.note, "italic")])
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Content:
        rows = []
        for line in self._lines(self.content_region.width or self.size.width):
            pieces: list[str | tuple[str, str]] = []
            for i, part in enumerate(line):
                if i:
                    pieces.append("  ")
                pieces.append(part if part[1] else part[0])
            rows.append(Content.assemble(*pieces))
        return Content("\n").join(rows)
