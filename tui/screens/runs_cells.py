"""How the runs table's cells look: each run's glyph in its colour, figures right-aligned."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from ..overlay import RUN_GLYPHS, pinned_slots, run_colour

if TYPE_CHECKING:
    from ..comparison import Comparison
    from ..overlay import PinnedCurve

# the figures' columns, right-aligned
_NUMERIC = frozenset({"id", "loss", "best", "test acc", "steps"})


def glyph(slot: int, focused: bool) -> Text:
    return Text(RUN_GLYPHS[slot], style=f"bold color({run_colour(slot, focused)})")


def markers(c: Comparison | None, pinned: tuple[PinnedCurve, ...]) -> dict[int, Text]:
    """Ledger id -> its glyph in its colour: the runs of the comparison and those overlaid
    (``pinned``), as the loss panel draws them."""
    if c is None:
        return {}
    out: dict[int, Text] = {}
    for run in c.runs:
        if isinstance(run.record, int):
            out[run.record] = glyph(run.slot, run is c.focused)
    slots = pinned_slots([r.slot for r in c.runs], len(pinned))
    for p, slot in zip(pinned, slots, strict=False):
        out.setdefault(p.ledger_id, glyph(slot, False))
    return out


def plain(cell: Text | str) -> str:
    return cell.plain if isinstance(cell, Text) else cell


def right(header: str, value: Text | str) -> Text | str:
    """``value`` right-aligned in a figures' column (a Text keeps its own look)."""
    if header in _NUMERIC and isinstance(value, str):
        return Text(value, justify="right")
    return value
