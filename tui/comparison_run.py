"""A run of a comparison and the recorder (the ledger) its runs report to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .overlay import RUN_COLOURS

if TYPE_CHECKING:
    from engine import Stepper

    from .session import Session

MAX_RUNS = len(RUN_COLOURS)  # 8: one colour and glyph each


class Recorder(Protocol):
    """Where runs are kept when they leave the screen (the ledger); the default keeps nothing.

    ``started`` when a run starts (a new run, a fork, a reset's fresh start), ``progress`` after
    training moved (paced by the recorder unless ``force``: a run stopped), ``finished`` when a
    run ends (reset, scenario switch, quit, dropped from the comparison) with its status
    ("paused", "diverged", "finished").
    """

    def started(self, run: Run) -> None: ...

    def progress(self, run: Run, force: bool = False) -> None: ...

    def finished(self, run: Run, status: str) -> None: ...


class NoRecorder:
    """Keeps nothing: the app without a ledger."""

    def started(self, run: Run) -> None:
        pass

    def progress(self, run: Run, force: bool = False) -> None:
        pass

    def finished(self, run: Run, status: str) -> None:
        pass


@dataclass(eq=False)
class Run:
    """One run of a comparison: its session (stepper), number, look, and where it came from."""

    id: int  # 1, 2, ... in creation order: "run 2"
    slot: int  # colour and glyph (overlay.RUN_COLOURS / RUN_GLYPHS), kept while in the comparison
    session: Session
    forked_from: int | None = None  # the id of the run it was forked from
    record: object = None  # the recorder's handle (e.g. the ledger's run id)
    parent: Run | None = None  # the run it was forked from (for the recorder)

    @property
    def stepper(self) -> Stepper:
        return self.session.stepper


def status_of(run: Run) -> str:
    return "diverged" if run.stepper.diverged is not None else "paused"
