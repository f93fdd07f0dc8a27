"""The `C` screen: the current batch's backprop gradient against central finite differences."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from ..cli.gradcheck import FULL_LIMIT, PER_LAYER, duration

if TYPE_CHECKING:
    import numpy as np

    from engine.gradcheck import GradCheckReport
    from engine.network import Network

    from ..engine_queue import EngineQueue


class Cancelled(Exception):
    """Escape while checking: the worker stops at its next progress call."""


@dataclass(frozen=True)
class Problem:
    """What is checked: a copy of the focused run's net and its current batch."""

    scenario: str
    net: Network
    X: np.ndarray
    y: np.ndarray
    batch_note: str  # where the batch comes from
    indices: np.ndarray | None  # the sampled parameters; None: all of them


@dataclass
class CheckProgress(Message):
    """Parameters checked so far, of ``total`` (posted from the worker)."""

    done: int
    total: int


def copy_network(net: Network) -> Network:
    """A new net with ``net``'s parameters (deepcopy would cut the layers' views of params)."""
    from engine.network import Network

    new = Network(net.sizes, net.activations, net.loss_fn, net.dtype)
    new.params[:] = net.params
    return new


def take_problem(engine: EngineQueue) -> Problem | None:
    """Copy the focused run's net and batch under the lock: the check never touches the run."""
    import numpy as np

    from engine.gradcheck import per_layer_sample

    comparison = engine.comparison
    if comparison is None:
        return None
    with comparison.lock:
        session = comparison.session
        st = session.stepper
        net = copy_network(st.net)
        if st.it.X is not None and st.it.y is not None:
            X, y = np.array(st.it.X, copy=True), np.array(st.it.y, copy=True)
            note = f"the current batch ({X.shape[0]} samples, step {st.step})"
        else:  # no iteration yet: the batch the next one will draw (from a copy of the batcher)
            idx = copy.deepcopy(st.batcher).next()
            X = st.X.copy() if idx is None else st.X[idx].copy()
            y = st.y.copy() if idx is None else st.y[idx].copy()
            note = f"the next batch ({X.shape[0]} samples, step {st.step})"
        name = session.name
    indices = per_layer_sample(net, PER_LAYER, 0) if net.n_params > FULL_LIMIT else None
    return Problem(name, net, X, y, note, indices)


def _ratio(x: float) -> str:
    return f"{x:.2f}" if x < 1000 else f"{x:.1e}"


def report_lines(rep: GradCheckReport) -> list[str]:
    """Per layer agreement, then the two costs side by side (plain text: the screen styles it)."""
    lines = [f"{'layer':<6}{'checked':>13}{'max |fd|':>10}{'max |bp-fd|':>12}{'err/tol':>9}  ok"]
    for lc in rep.layers:
        checked = f"{lc.checked_W + lc.checked_b:,}/{lc.n_W + lc.n_b:,}"
        ok = "yes" if lc.agree else "NO"
        kink = f" ({lc.at_kink} at a ReLU kink)" if lc.at_kink else ""
        lines.append(
            f"L{lc.layer + 1:<5}{checked:>13}{lc.max_gradient:>10.2e}{lc.max_abs_error:>12.2e}"
            f"{_ratio(lc.worst_ratio):>9}  {ok}{kink}"
        )
    verdict = "backprop agrees" if rep.agree else "backprop DISAGREES"
    lines += [
        "",
        f"{verdict}: every |bp - fd| <= atol + rtol*|fd| (atol {rep.atol:.1e}, rtol {rep.rtol:g},"
        f" h {rep.eps:g})"
        if rep.agree
        else f"{verdict}: some |bp - fd| > atol + rtol*|fd|",
        "",
        "cost              passes                         time",
    ]
    sampled = rep.n_checked < rep.n_params
    fd_passes = f"2 x {rep.n_checked:,} = {rep.fd_forward_passes:,} forward"
    lines.append(f"finite diff.      {fd_passes:<31}{duration(rep.fd_seconds)}")
    if sampled:
        every = f"2 x {rep.n_params:,} = {2 * rep.n_params:,} forward"
        lines.append(f"  every parameter {every:<31}~{duration(rep.fd_seconds_all_params)}")
    lines.append(f"backprop          {'1 forward + 1 backward':<31}{_ms(rep.backprop_seconds)}")
    lines.append(
        f"backprop is ~{_speedup(rep.speedup)}x faster: one backward pass gives all "
        f"{rep.n_params:,} derivatives"
    )
    return lines


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2g} ms" if seconds < 1 else duration(seconds)


def _speedup(x: float) -> str:
    if not math.isfinite(x):
        return "∞"
    return f"{x:,.0f}" if x >= 10 else f"{x:.1f}"


class GradCheckScreen(ModalScreen[None]):
    """Runs the check in a thread worker on a copy; escape cancels (or closes when done)."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "cancel / close"),
        Binding("enter,q,C", "close", "close", show=False),
    ]

    def __init__(self, engine: EngineQueue) -> None:
        super().__init__()
        self.engine = engine
        self.report: GradCheckReport | None = None
        self.cancelled = False
        self._worker: Worker[GradCheckReport | None] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="gradcheck-box") as box:
            box.border_title = "gradient check: backprop against finite differences"
            yield Static("copying the network and the batch...", id="gradcheck-head")
            yield ProgressBar(id="gradcheck-progress", show_eta=True)
            with VerticalScroll(id="gradcheck-body"):
                yield Static("", id="gradcheck-report")
            yield Static("escape: cancel", id="gradcheck-keys")

    def on_mount(self) -> None:
        self._worker = self.run_worker(
            self._check, group="gradcheck", thread=True, exit_on_error=False
        )

    def _check(self) -> GradCheckReport | None:
        import numpy as np

        from engine.gradcheck import gradient_check

        worker = get_current_worker()
        problem = take_problem(self.engine)
        if problem is None:
            return None
        self.app.call_from_thread(self._describe, problem)

        def progress(done: int, total: int) -> None:
            if worker.is_cancelled:
                raise Cancelled
            self.post_message(CheckProgress(done, total))

        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                return gradient_check(
                    problem.net, problem.X, problem.y, indices=problem.indices, progress=progress
                )
        except Cancelled:
            return None

    def _describe(self, p: Problem) -> None:
        P = p.net.n_params
        if p.indices is None:
            what = f"all {P:,} parameters"
        else:
            what = f"{len(p.indices):,} of {P:,} parameters ({PER_LAYER} W and b per layer)"
        self.query_one("#gradcheck-head", Static).update(
            f"{p.scenario}: {p.net.describe()}\n{p.batch_note}; checking {what}\n"
            "each checked parameter: 2 forward passes (θ ± h); backprop: 1 forward + 1 backward"
        )
        n = P if p.indices is None else len(p.indices)
        self.query_one(ProgressBar).update(total=n, progress=0)

    def on_check_progress(self, message: CheckProgress) -> None:
        self.query_one(ProgressBar).update(total=message.total, progress=message.done)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker:
            return
        if event.state == WorkerState.SUCCESS:
            rep = event.worker.result
            if rep is None:
                return
            self.report = rep
            bar = self.query_one(ProgressBar)
            bar.update(total=rep.n_checked, progress=rep.n_checked)
            text = "\n".join(report_lines(rep))
            self.query_one("#gradcheck-report", Static).update(text)
            self.set_class(not rep.agree, "-disagree")
            self.query_one("#gradcheck-keys", Static).update(
                "the run's weights, optimiser and step are untouched (checked on a copy)"
                "   escape: close"
            )
        elif event.state == WorkerState.ERROR:
            self.query_one("#gradcheck-report", Static).update(
                f"check failed: {event.worker.error}"
            )

    def action_close(self) -> None:
        worker = self._worker
        if worker is not None and worker.is_running:
            self.cancelled = True
            worker.cancel()  # its next progress call raises Cancelled
        self.dismiss(None)
