"""The always-visible status line: scenario, step, epoch, phase, lr, batch, loss, accuracy."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual.content import Content
from textual.geometry import Size
from textual.reactive import reactive

from ..ladders import format_batch, format_lr
from ..numbers import fmt, percent
from .redraw import Redraw

if TYPE_CHECKING:  # numpy loads after the first paint, not at import
    from engine.snapshot import Snapshot

    from ..overlay import Overlay

Part = tuple[str, str]  # (text, style)

# The run state's room is the longer word's, whichever is shown: `r` never rewraps the line
STATE_WIDTH = max(len("RUNNING"), len("paused"))
# A note (e.g. "reset to the initial weights") goes once training moved on this many
# iterations past it and it was on screen this long: both, so a run at full speed does not
# hide a note before it can be read, and a slow run does not keep it for minutes
NOTE_STEPS = 20
NOTE_SECONDS = 3.0


def phase_label(snap: Snapshot) -> str:
    """The unit computed last, in the issue's words: forward L2/3, loss, backward L1/3, update."""
    if snap.progress.last_unit is None:
        return "start"
    if snap.progress.last_unit == "sample":
        return "batch drawn"
    return snap.progress.last_unit


def longest_phase(snap: Snapshot) -> int:
    """The longest phase label of this network: the phase's room, so stepping through the
    units moves nothing on the line and never rewraps it."""
    n = len(snap.model.sizes) - 1
    return max(len("batch drawn"), len(f"backward L{n}/{n}"))


def _num(x: float | None) -> str:
    return fmt(x, 4, missing="–")


def run_part(overlay: Overlay) -> Part:
    """Which run of a comparison the line (and every panel) shows, in its colour and glyph."""
    focused = overlay.curves[-1]  # drawn last
    n = sum(c.ledger_id is None for c in overlay.curves)  # not the ledger runs overlaid (v)
    ledger = len(overlay.curves) - n
    from ..overlay import colour_hex

    runs = f" ({n} runs)" if n > 1 else ""
    return (
        f"{focused.glyph} run {focused.run_id}{runs}"
        + (f" +{ledger} from the ledger" * (ledger > 0)),
        f"bold {colour_hex(focused.colour)}",
    )


def status_parts(
    snap: Snapshot, running: bool, n: int, overlay: Overlay | None = None
) -> list[Part]:
    """The status line's segments (``n``: training-set size); each stays on one line. With
    a comparison the focused run's number, glyph and colour come after the scenario."""
    pending = dict(snap.settings.pending)
    parts: list[Part] = [
        (snap.model.scenario, "bold"),
        *([run_part(overlay)] if overlay is not None else []),
        (f"step {snap.progress.step}", ""),
        (f"epoch {snap.progress.epoch}", ""),
        (f"phase {phase_label(snap)}".ljust(6 + longest_phase(snap)), "bold"),
        (f"lr {format_lr(snap.settings.lr)}", ""),
    ]
    base = snap.settings.base_lr
    if snap.settings.schedule and base is not None:  # the lr in force is base x schedule
        # it changes every step: its room is the longest ('lr 1.234e-05'), so nothing moves
        parts[-1] = (parts[-1][0].ljust(12), "")
        parts.append((f"({format_lr(base)} x {snap.settings.schedule})", "dim"))
    eff = snap.settings.effective_lr
    if eff is not None and eff != snap.settings.lr:  # SGD with momentum: lr/(1-momentum)
        text = f"(effective {format_lr(eff)})"
        parts.append((text.ljust(21) if snap.settings.schedule else text, "dim"))
    if "lr" in pending:
        parts.append((f"(lr {format_lr(pending['lr'])} from next step)", "italic"))  # type: ignore[arg-type]
    if snap.settings.batch_schedule:  # the batch in force, then what it grows from
        parts.append((format_batch(snap.settings.batch_in_force, n), ""))
        grows_from = format_batch(snap.settings.batch_size, n).removeprefix("batch ")
        parts.append((f"({grows_from}, {snap.settings.batch_schedule})", "dim"))
    else:
        parts.append((format_batch(snap.settings.batch_size, n), ""))
    if "batch_size" in pending:
        b = format_batch(pending["batch_size"], n)  # type: ignore[arg-type]
        parts.append((f"({b} from next step)", "italic"))
    ev = snap.curves.last_eval
    # the whole training set's loss, evaluated after a step (the plot draws batch losses)
    loss = f"train-set loss {_num(ev.get('train_loss'))}"
    at = snap.curves.eval_step
    if at is not None and at != snap.progress.step:
        loss += f" (step {at})"  # not evaluated at the step shown: say which step it is from
    parts.append((loss, ""))
    if snap.model.task == "classification":
        test_acc, train_acc = ev.get("test_accuracy"), ev.get("train_accuracy")
        if test_acc is not None:
            parts.append((f"test accuracy {percent(test_acc)}", ""))
        elif train_acc is not None:
            parts.append((f"train accuracy {percent(train_acc)} (no test set)", ""))
    elif ev.get("test_loss") is not None:
        parts.append((f"test loss {_num(ev['test_loss'])}", ""))
    state = "RUNNING" if running else "paused"
    parts.append((state.ljust(STATE_WIDTH), "reverse bold" if running else "dim"))
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


class StatusLine(Redraw):
    """Shows the latest snapshot's numbers; wraps at segment boundaries on narrow terminals.

    Its height changes as little as it can, since every panel moves with it: the run state's
    room is reserved, and at a given width and scenario the numbers' lines never shrink (a
    step count that grew a digit keeps its line after an undo). ``note`` (set by the app)
    stays until training moved on NOTE_STEPS iterations and NOTE_SECONDS passed.
    """

    running: reactive[bool] = reactive(False, layout=True)
    speed: reactive[str] = reactive("", layout=True)  # set by the app: "max", "10/s", "2 units/s"
    note: reactive[str] = reactive("", layout=True, always_update=True)
    clock: ClassVar[Callable[[], float]] = time.monotonic  # tests replace it

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshot: Snapshot | None = None
        self.overlay: Overlay | None = None
        self._height = 0
        self.loading_name = ""  # the scenario being loaded, until the first snapshot
        self.n_train = 1 << 62  # set by the app: a batch this large is the full batch
        self._note_step: int | None = None  # the step shown when the note was set
        self._note_since = 0.0
        self._rows: dict[tuple[int, str], int] = {}  # most number lines seen at (width, scenario)
        self._note_rows = 0  # rows the last note took: kept blank while a run goes

    def watch_note(self, note: str) -> None:
        self._note_step = None if self.snapshot is None else self.snapshot.progress.step
        self._note_since = type(self).clock()

    def show(self, snapshot: Snapshot, overlay: Overlay | None = None) -> None:
        self.snapshot = snapshot
        self.overlay = overlay
        if self.note and self._note_done(snapshot.progress.step):
            self.note = ""
        # a layout pass costs the whole screen: only when the status changes its height; else
        # only the changed cells go out (Redraw: ~9 times a second while running, and a whole
        # repaint was ~800 bytes each at 120x36)
        height = len(self._lines(self.content_region.width or self.size.width))
        if height != self._height:
            self.refresh(layout=True)
        else:
            self.redraw()
        self._height = height

    def _note_done(self, step: int) -> bool:
        if self._note_step is None:  # set before the first snapshot: count from this one
            self._note_step = step
        moved = step - self._note_step >= NOTE_STEPS
        return moved and type(self).clock() - self._note_since >= NOTE_SECONDS

    def _lines(self, width: int) -> list[list[Part]]:
        if self.snapshot is None:
            return [[(f"loading {self.loading_name}…", "dim")]]
        width = max(width, 1)
        parts = status_parts(self.snapshot, self.running, self.n_train, self.overlay)
        if self.speed:  # before the run state; its room is the longest label's ("2 units/s")
            parts.insert(len(parts) - 1, (f"speed {self.speed}".ljust(15), ""))
        lines = pack(parts, width)
        where = (width, self.snapshot.model.scenario)
        if where not in self._rows and len(self._rows) > 16:
            self._rows.clear()  # resized many times: forget the old widths
        most = self._rows[where] = max(self._rows.get(where, 0), len(lines))
        lines += [[] for _ in range(most - len(lines))]
        diverged = self.snapshot.progress.diverged
        if diverged:
            # its own lines, reverse video: visible without colour too
            text = f"DIVERGED: {diverged}; press - to lower lr, or z"
            lines += [[(t, "reverse bold")] for t in textwrap.wrap(text, width)]
        if self.note:
            note: list[list[Part]] = [[(t, "italic")] for t in textwrap.wrap(self.note, width)]
            self._note_rows = len(note)
            lines += note
        elif self.running:
            # a run keeps the rows of the note it cleared: a note coming and going with each
            # r moved every panel, a full repaint of the screen each time (issue 9 §6)
            lines += [[] for _ in range(self._note_rows)]
        else:
            self._note_rows = 0
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def build(self) -> Content:
        rows = []
        for line in self._lines(self.content_region.width or self.size.width):
            pieces: list[str | tuple[str, str]] = []
            for i, part in enumerate(line):
                if i:
                    pieces.append("  ")
                pieces.append(part if part[1] else part[0])
            rows.append(Content.assemble(*pieces))
        return Content("\n").join(rows)
