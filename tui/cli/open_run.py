"""`backprop-tui --open ID|FILE.npz`: a recorded run in the app, where it left off, bit for bit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import fail

if TYPE_CHECKING:
    from engine.ledger import RunInfo
    from scenarios import Built, Scenario


def run_state(spec: str) -> tuple[Scenario, Built, RunInfo | None]:
    """The run's scenario and a stepper restored from its checkpoint (with the app's undo), and
    its ledger entry when ``spec`` is an id; one-line errors as train --resume gives them."""
    from scenarios import build

    from .resume import load_run

    scn, ck, info = load_run(spec, "--open")
    built = build(scn)
    ck.restore_into(built.stepper)
    return scn, built, info


def open_app_on_run(spec: str, fps: float | None = None) -> int:
    """Load and check everything before the terminal is taken over, then open the app on it."""
    from engine import CheckpointError
    from engine.ledger import LedgerError
    from scenarios import ScenarioError

    try:
        scn, built, _ = run_state(spec)
    except (ScenarioError, CheckpointError, LedgerError) as exc:
        return fail(str(exc))
    except (ValueError, MemoryError) as exc:
        return fail(f"{spec}: {exc}")
    from tui.terminal import check_terminal, run_in_terminal  # stdlib only

    if problem := check_terminal():
        return fail(problem)
    try:
        from tui.app import BackpropApp
        from tui.session import Session
    except ImportError as exc:
        return fail(f"the terminal app is not available ({exc}); `train --resume` works headless")
    app = BackpropApp(session=Session(scn, built), fps=fps)
    return run_in_terminal(app, app.engine.pause)
