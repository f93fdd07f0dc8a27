"""One stack of a sweep trained in this process: its runs' records, progress reported as it goes."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .schedules import parse_schedule
from .stacked import StackedTrainer, StackModel

if TYPE_CHECKING:
    from .sweep import SweepSetup, SweepTask

Record = dict[str, Any]
# A stack reports its progress about this often (seconds): a chunk of iterations between reports
# adapts to it, so small nets pay nothing for reporting and big ones still move the bar.
REPORT_SECONDS = 0.1
MAX_CHUNK = 10_000
# Each run's batch-loss curve keeps about this many points (every ceil(steps / N)-th step).
CURVE_POINTS = 1000


def run_task(
    setup: SweepSetup,
    task: SweepTask,
    report: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[Record]:
    """Train one stack; ``report(n)`` gets model-steps as they are done. Returns one record per
    run, in the task's order, with the figures `train` prints for the same run."""
    template = setup.net.build()
    models = [
        StackModel(
            setup.initial[r.seed],
            copy.deepcopy(setup.batch_rngs[r.seed]),
            r.lr,
            r.momentum,
            setup.l1,
            r.l2,
        )
        for r in task.runs
    ]
    tr = StackedTrainer(
        template,
        models,
        setup.X,
        setup.y,
        task.batch_size,
        setup.optimizer,
        setup.beta1,
        setup.beta2,
        setup.eps,
        setup.X_test,
        setup.y_test,
        setup.task,
        record_every=max(1, math.ceil(task.steps / CURVE_POINTS)),
        schedule=parse_schedule(setup.schedule),
    )
    chunk = 10
    reported = 0
    while tr.step < task.steps and tr.active:
        if should_stop is not None and should_stop():
            break
        before, active = tr.step, tr.active
        t0 = time.perf_counter()
        tr.run(min(chunk, task.steps - tr.step))
        dt = time.perf_counter() - t0
        if report is not None:
            report((tr.step - before) * active)
            reported += (tr.step - before) * active
        if dt > 0:
            chunk = max(1, min(MAX_CHUNK, int((tr.step - before) * REPORT_SECONDS / dt)))
    if report is not None and reported < task.model_steps:
        report(task.model_steps - reported)  # the steps diverged models will not train
    records = []
    for k, (r, res) in enumerate(zip(task.runs, tr.finish(), strict=True)):
        ev = tr.evaluate(res, k)
        records.append(
            {
                "lr": r.lr,
                "batch_size": r.batch_size,
                "momentum": r.momentum,
                "l2": r.l2,
                "seed": r.seed,
                "initial_loss": res.initial_loss,
                "train_loss": ev["train_loss"],
                "test_loss": ev["test_loss"],
                "train_accuracy": ev["train_accuracy"],
                "test_accuracy": ev["test_accuracy"],
                "steps": res.steps,
                "diverged": res.diverged is not None,
                "diverged_at": None if res.diverged is None else res.diverged.step,
                "divergence": None if res.diverged is None else str(res.diverged),
                "planned_steps": task.steps,
                "curve": tr.curve(k),  # (steps, batch losses), not in the public JSON
            }
        )
    return records
