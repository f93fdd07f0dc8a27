"""The loss overlay of a comparison: each run's curve, colour, glyph and label, frozen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy loads after the first paint, not at import
    import numpy as np

# One look per slot (a run keeps its slot while it is in the comparison): a bright 256-colour
# for the focused run, a darker one of the same hue for the others ("dimmed"), and a glyph that
# names the run without colour. Hues after Okabe-Ito, told apart by colour-blind readers too.
RUN_COLOURS: tuple[tuple[int, int], ...] = (
    (51, 30),  # cyan
    (214, 130),  # orange
    (207, 96),  # pink
    (83, 28),  # green
    (227, 136),  # yellow
    (75, 25),  # blue
    (203, 124),  # red
    (255, 244),  # white
)
RUN_GLYPHS = "•x+o*#@%"


@dataclass(frozen=True, eq=False)
class OverlayCurve:
    """One run's batch-loss curve, downsampled, and how to draw and name it."""

    run_id: int  # "run 2": its number in the comparison, in creation order
    slot: int  # index into RUN_COLOURS and RUN_GLYPHS
    label: str  # what differs from the other runs, e.g. "lr 0.2"
    x: np.ndarray  # steps (1-based: the loss of iteration k is drawn at k)
    y: np.ndarray  # batch loss before the update
    diff: np.ndarray  # y minus the first run's loss at the same step (NaN where it has none)
    step: int
    diverged: bool
    focused: bool
    ledger_id: int | None = None  # a PinnedCurve's run: drawn, never stepped
    # (steps, values, limit 2(1+b)/lr) of the run's sharpness while it is measured, else None
    sharpness: tuple[np.ndarray, np.ndarray, float] | None = None

    @property
    def colour(self) -> int:
        return RUN_COLOURS[self.slot][0 if self.focused else 1]

    @property
    def glyph(self) -> str:
        return RUN_GLYPHS[self.slot]


@dataclass(frozen=True, eq=False)
class PinnedCurve:
    """A ledger run overlaid read-only (the runs screen's space): its batch-loss curve as the
    ledger has it (steps: the loss of iteration k at step k)."""

    ledger_id: int
    label: str  # e.g. "#12 lr 0.2"
    x: np.ndarray
    y: np.ndarray
    step: int
    diverged: bool


def pinned_slots(used: list[int], n: int) -> list[int]:
    """The slots (colour, glyph) of ``n`` overlaid ledger runs: the first ones the comparison's
    runs leave free, in order (fewer than ``n`` when they run out)."""
    return [s for s in range(len(RUN_COLOURS)) if s not in used][:n]


@dataclass(frozen=True, eq=False)
class Overlay:
    """Every run of a comparison of two or more runs, the focused one last (drawn on top).

    ``key`` changes whenever anything drawn changes (the runs' versions, labels, focus): the
    panel's redraw key.
    """

    curves: tuple[OverlayCurve, ...]
    base_id: int  # the first run: the difference view subtracts its curve
    key: tuple[object, ...]


def run_colour(slot: int, focused: bool = True) -> int:
    return RUN_COLOURS[slot][0 if focused else 1]


def colour_hex(index: int) -> str:
    """A 256-colour index as #rrggbb: Textual's Content styles take no color(N)."""
    from rich.color import Color

    return Color.from_ansi(index).get_truecolor().hex


def run_glyph(slot: int) -> str:
    return RUN_GLYPHS[slot]
