"""The `F` screen: the learning-rate range test from the focused run's weights, on a copy."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import Worker, WorkerState, get_current_worker

from ..cli.lr_find import plot_lines

if TYPE_CHECKING:
    from engine.lrfind import RangeTest
    from engine.stepper import Stepper

    from ..engine_queue import EngineQueue

PLOT_WIDTH = 72  # the plot's columns at most (it fits the box at 80x24)


def copy_stepper(st: Stepper) -> Stepper:
    """What range_test reads of a run, copied (under the lock): weights, optimiser state and
    the batch order where it stands; range_test then trains a copy of this copy."""
    from engine.network import Network
    from engine.stepper import Stepper

    net = st.net
    work = Network(net.sizes, net.activations, net.loss_fn, net.dtype)
    work.params[...] = net.params
    new = Stepper(
        work,
        copy.deepcopy(st.opt),
        st.X,
        st.y,
        st.batch_size,
        copy.deepcopy(st.batcher.rng),
        undo_depth=0,
    )
    new.batcher.load_state(copy.deepcopy(st.batcher.state()))
    return new


class LrFindScreen(ModalScreen[None]):
    """Runs engine.lrfind.range_test in a thread worker; enter sets the suggested lr."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "close"),
        Binding("enter", "apply", "set the suggested lr"),
    ]

    def __init__(self, engine: EngineQueue) -> None:
        super().__init__()
        self.engine = engine
        self.result: RangeTest | None = None
        self.step = 0
        self._worker: Worker[RangeTest | None] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="lrfind-box") as box:
            box.border_title = "learning-rate range test (Smith 2015, fastai lr_find)"
            yield Static("copying the run's weights...", id="lrfind-plot")
            yield Static("", id="lrfind-summary")
            yield Static("escape: close", id="lrfind-keys")

    def on_mount(self) -> None:
        self.engine.pause()  # the test starts from the weights on screen
        self._worker = self.run_worker(self._test, group="lrfind", thread=True, exit_on_error=False)

    def _test(self) -> RangeTest | None:
        import numpy as np

        from engine.lrfind import range_test

        worker = get_current_worker()
        comparison = self.engine.comparison
        if comparison is None:
            return None
        with comparison.lock:  # copied in a moment; the run goes on while the test trains
            st = comparison.session.stepper
            self.step = st.step
            work = copy_stepper(st)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return range_test(work, should_stop=lambda: worker.is_cancelled)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker:
            return
        if event.state == WorkerState.SUCCESS and event.worker.result is not None:
            self.show(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self.query_one("#lrfind-plot", Static).update(
                f"range test failed: {event.worker.error}"
            )

    def show(self, res: RangeTest) -> None:
        from engine.lrfind import END_LR, START_LR

        self.result = res
        width = max(40, min(PLOT_WIDTH, self.query_one("#lrfind-box").content_size.width))
        self.query_one("#lrfind-plot", Static).update(
            "\n".join(plot_lines(res, START_LR, END_LR, width))
        )
        lo, hi = res.suggested_range
        why = {
            "diverged": "stopped past 4x the best loss",
            "not finite": "stopped at a non-finite loss",
            "end": "never past 4x the best loss",
        }[res.stopped]
        self.query_one("#lrfind-summary", Static).update(
            f"from step {self.step}: {len(res.lrs)} iterations, lr {res.lrs[0]:.3g} to "
            f"{res.lrs[-1]:.3g} ({why})\nlowest at {res.min_lr:.3g}, steepest at "
            f"{res.steepest_lr:.3g}; suggested lr {res.suggested_lr:.3g} (try {lo:.3g} to {hi:.3g})"
        )
        self.query_one("#lrfind-keys", Static).update(
            f"enter set lr {res.suggested_lr:.3g} · escape close · the run is untouched"
            " (tested on a copy)"
        )

    def action_apply(self) -> None:
        res = self.result
        if res is None:
            return
        self.engine.put("lr", float(f"{res.suggested_lr:.3g}"))
        self.dismiss(None)

    def action_close(self) -> None:
        worker = self._worker
        if worker is not None and worker.is_running:
            worker.cancel()  # range_test asks should_stop before each iteration
        self.dismiss(None)
