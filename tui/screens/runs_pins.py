"""The ledger runs the runs screen overlays on the loss plot (space), read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..overlay import RUN_GLYPHS, PinnedCurve
from ..runs_view import LIVE

if TYPE_CHECKING:
    from ..comparison import Comparison
    from ..runs_view import RunRow, RunsTable


def pinned_curve(row: RunRow, c: Comparison) -> PinnedCurve:
    """The ledger run of ``row`` as an overlaid curve, labelled by how its config differs from
    the comparison's scenario (or by its scenario when another one)."""
    from scenarios.overrides import describe_difference, resolved_config

    base = resolved_config(c.session.scenario)
    what = describe_difference(row.config, base) if row.scenario == c.name else row.scenario
    label = f"#{row.id}" + (f" {what}" if what else "")
    return PinnedCurve(row.id, label, row.x, row.y, row.steps, row.diverged_at is not None)


class Pins:
    """The overlaid ledger runs (``curves``) and the comparison they belong to: another
    scenario's comparison has none. The screen hands a new set to the comparison."""

    def __init__(self) -> None:
        self.curves: tuple[PinnedCurve, ...] = ()
        self._for: Comparison | None = None  # the comparison ``curves`` belong to

    def sync(self, c: Comparison | None) -> None:
        """The overlaid runs are the comparison's: another scenario's comparison has none."""
        if c is not self._for:
            self._for = c
            self.curves = c.pinned if c is not None else ()

    def live(self, table: RunsTable | None) -> bool:
        """Whether an overlaid run is still training (its curve goes on growing)."""
        if table is None or not self.curves:
            return False
        rows = [table.row(p.ledger_id) for p in self.curves]
        return any(r is not None and r.status in LIVE for r in rows)

    def toggled(self, row: RunRow, c: Comparison) -> tuple[tuple[PinnedCurve, ...] | None, str]:
        """Space on ``row``: the new overlaid runs (None: unchanged) and the note that says why.
        A run of the comparison is always drawn; a ledger-only run is drawn from its ledger
        curve."""
        if any(run.record == row.id for run in c.runs):
            note = (
                f"run #{row.id} is in the comparison: always drawn (x on the main screen drops it)"
            )
            return None, note
        pinned = self.curves
        if any(p.ledger_id == row.id for p in pinned):
            return tuple(
                p for p in pinned if p.ledger_id != row.id
            ), f"run #{row.id} off the loss plot"
        if len(c.runs) + len(pinned) >= len(RUN_GLYPHS):
            return None, f"{len(RUN_GLYPHS)} curves at most: space on an overlaid run takes it off"
        if not len(row.x):
            return None, f"run #{row.id} has no loss curve yet"
        return (
            (*pinned, pinned_curve(row, c)),
            f"run #{row.id} overlaid on the loss plot (4 on the main screen)",
        )

    def refreshed(self, table: RunsTable, c: Comparison) -> tuple[PinnedCurve, ...] | None:
        """The overlaid runs with the curves ``table`` has now (a live `train` grew them; one
        deleted elsewhere goes off the plot), or None when none changed."""
        if not self.curves:
            return None
        fresh, changed = [], False
        for p in self.curves:
            row = table.row(p.ledger_id)
            if row is not None and len(row.x) and (len(row.x) != len(p.x) or row.steps != p.step):
                fresh.append(pinned_curve(row, c))
                changed = True
            elif row is not None:
                fresh.append(p)
            else:
                changed = True  # deleted elsewhere: off the plot
        return tuple(fresh) if changed else None
