"""A hyperparameter sweep: the grid's runs as stacks (one per batch size), in worker processes."""

from __future__ import annotations

import copy
import math
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .losses import Loss
from .network import Network
from .schedules import parse_schedule
from .stacked import StackedTrainer, StackModel

Array = np.ndarray
Record = dict[str, Any]
# A stack reports its progress about this often (seconds): a chunk of iterations between reports
# adapts to it, so small nets pay nothing for reporting and big ones still move the bar.
REPORT_SECONDS = 0.1
MAX_CHUNK = 10_000
# Each run's batch-loss curve keeps about this many points (every ceil(steps / N)-th step).
CURVE_POINTS = 1000
# Stacks are split for more workers only down to this many models each.
MIN_STACK = 8
# A stack holds about six (K, n_params) arrays (weights, gradient, velocity, update, spares):
# K is capped so that each has at most this many elements (64 MiB in float64). Far below that
# a stack has long left the cache, so the cap costs no speed.
STACK_ELEMENTS = 2**23
# Without an explicit worker count, a sweep smaller than this (model-steps) runs in-process:
# starting workers (~30 ms forked, 0.5-1 s spawned) and sending results back would cost more
# than they save.
SMALL_SWEEP = 50_000


@dataclass(frozen=True)
class NetSpec:
    """An architecture, picklable (a Network holds lambdas): enough to build the template."""

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    output: str
    reduction: str
    dtype: str

    @classmethod
    def of(cls, net: Network) -> NetSpec:
        lf = net.loss_fn
        return cls(
            tuple(net.sizes),
            tuple(net.activations),
            lf.name,
            lf.output,
            lf.reduction,
            net.dtype.name,
        )

    def build(self) -> Network:
        return Network(
            self.sizes, self.activations, Loss(self.loss, self.output, self.reduction), self.dtype
        )


@dataclass(frozen=True)
class SweepSetup:
    """What every run of a sweep shares: data, architecture, optimiser kind, and per seed the
    initial weights and the generator of the batch order (as a single run would build them)."""

    net: NetSpec
    X: Array
    y: Array
    X_test: Array | None
    y_test: Array | None
    task: str
    optimizer: str  # "sgd" or "adam"
    l1: float
    initial: dict[int, Array]  # seed -> initial flat parameters
    batch_rngs: dict[int, np.random.Generator]  # seed -> the batch order's generator, unused
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    schedule: str = "constant"  # the lr schedule's text (engine.schedules.parse_schedule)
    batch_schedule: str = "constant"  # refused unless constant (see __post_init__)

    def __post_init__(self) -> None:
        # a stack trains its runs at one batch size throughout; a growing batch is train's
        if self.batch_schedule != "constant":
            raise ValueError(
                f"training.batch_schedule: found {self.batch_schedule!r}; allowed: constant in a "
                "sweep (its runs share one batch size; train runs a batch schedule)"
            )

    @property
    def n_train(self) -> int:
        return int(self.X.shape[0])

    def steps_per_epoch(self, batch_size: int | None) -> int:
        n = self.n_train
        bs = n if batch_size is None or batch_size >= n else batch_size
        return -(-n // bs)


@dataclass(frozen=True)
class RunSpec:
    """One run of the grid: a combination of settings and a seed."""

    lr: float
    batch_size: int | None  # None: the full batch
    momentum: float
    l2: float
    seed: int


@dataclass(frozen=True)
class SweepTask:
    """A stack: runs of one batch size trained together for ``steps`` iterations."""

    batch_size: int | None
    steps: int
    runs: tuple[RunSpec, ...]

    @property
    def model_steps(self) -> int:
        return self.steps * len(self.runs)


def grid(
    lrs: Sequence[float],
    batch_sizes: Sequence[int | None],
    momenta: Sequence[float],
    l2s: Sequence[float],
    seeds: Sequence[int],
) -> list[RunSpec]:
    """Every combination times every seed, lr varying slowest."""
    return [
        RunSpec(lr, bs, m, l2, s)
        for lr in lrs
        for bs in batch_sizes
        for m in momenta
        for l2 in l2s
        for s in seeds
    ]


def plan(
    runs: Sequence[RunSpec],
    steps_of: Callable[[int | None], int],
    workers: int,
    n_params: int = 0,
) -> list[SweepTask]:
    """One stack per batch size, split into pieces when there are fewer stacks than workers or
    when a stack's arrays would pass STACK_ELEMENTS (``n_params`` per model); the costliest
    first, so the last task to finish is a small one."""
    by_batch: dict[int | None, list[RunSpec]] = {}
    for r in runs:
        by_batch.setdefault(r.batch_size, []).append(r)
    pieces = max(1, math.ceil(workers / max(len(by_batch), 1)))
    largest = max(1, STACK_ELEMENTS // n_params) if n_params else len(runs)
    tasks: list[SweepTask] = []
    for bs, group in by_batch.items():
        # a smaller stack loses the stacking's gain; below MIN_STACK pieces are not worth it
        k = max(1, min(pieces, len(group) // MIN_STACK), math.ceil(len(group) / largest))
        size = math.ceil(len(group) / k)
        for i in range(0, len(group), size):
            tasks.append(SweepTask(bs, steps_of(bs), tuple(group[i : i + size])))
    return sorted(tasks, key=lambda t: -t.model_steps * (t.batch_size or 1_000_000))


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


# ---- worker processes -----------------------------------------------------------------------
_SETUP: SweepSetup | None = None
_PROGRESS: Any = None  # a multiprocessing queue of (task index, model-steps)


def _init_worker(setup: SweepSetup, progress: Any) -> None:
    global _SETUP, _PROGRESS
    _SETUP, _PROGRESS = setup, progress
    # Ctrl-C reaches the whole process group: the parent stops the sweep, workers must not
    # print a traceback each; a forked worker drops the parent's other handlers, so the
    # parent's SIGTERM ends it quietly
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _work(index: int, task: SweepTask) -> tuple[int, list[Record], int]:
    """One task in a worker: its records and the model-steps it reported on the queue."""
    assert _SETUP is not None
    q = _PROGRESS
    sent = 0

    def report(n: int) -> None:
        nonlocal sent
        sent += n
        q.put((index, n))

    return index, run_task(_SETUP, task, report), sent


@dataclass
class SweepRun:
    """Results as they arrive: records by task, model-steps done, the wall time."""

    total_model_steps: int
    done_model_steps: int = 0
    records: list[Record] = field(default_factory=list)
    seconds: float = 0.0


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_sweep(
    setup: SweepSetup,
    tasks: Sequence[SweepTask],
    workers: int,
    on_progress: Callable[[SweepRun], None] | None = None,
    on_records: Callable[[list[Record]], None] | None = None,
    method: str | None = None,
) -> SweepRun:
    """Run every task, in this process (one worker) or in ``workers`` processes (started by
    ``method``, default start_method()); records are returned in the tasks' order whatever order
    they finish in. ``on_records`` sees each task's records as it finishes (for streaming),
    ``on_progress`` the running totals."""
    state = SweepRun(sum(t.model_steps for t in tasks))
    t0 = time.perf_counter()
    by_task: dict[int, list[Record]] = {}

    def progress(n: int) -> None:
        state.done_model_steps += n
        state.seconds = time.perf_counter() - t0
        if on_progress is not None:
            on_progress(state)

    def finished(index: int, records: list[Record]) -> None:
        by_task[index] = records
        if on_records is not None:
            on_records(records)

    if workers <= 1 or len(tasks) <= 1:
        for i, task in enumerate(tasks):
            finished(i, run_task(setup, task, progress))
    else:
        for index, records in _in_processes(setup, tasks, workers, progress, method):
            finished(index, records)
    state.records = [r for i in range(len(tasks)) for r in by_task[i]]
    state.seconds = time.perf_counter() - t0
    return state


def start_method() -> str:
    """ "fork" on Linux when this process runs no other thread, else "spawn".

    A forked worker starts in milliseconds and inherits the data; a spawned one starts a new
    interpreter and imports numpy (measured 0.5-1 s on a busy 2-core machine, more than a small
    sweep's work). Forking a process with other threads can deadlock, so the app (threads)
    runs its sweeps as a `backprop-tui sweep` subprocess, and anything else gets spawn. Every
    worker entry point is picklable and module-level, so both methods work.
    """
    if sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _in_processes(
    setup: SweepSetup,
    tasks: Sequence[SweepTask],
    workers: int,
    progress: Callable[[int], None],
    method: str | None = None,
) -> Iterator[tuple[int, list[Record]]]:
    """Tasks in a pool of processes (the GIL rules out threads); progress comes back on a queue
    that the parent drains while it waits."""
    ctx = multiprocessing.get_context(method or start_method())
    q = ctx.Queue()
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)),
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(setup, q),
    )
    # A queue's items go through a feeder thread, so a task's result can arrive before its last
    # progress items: on completion the task's count is made up to what it sent, and items
    # that come later for a finished task are dropped, so the total ends exact.
    counted: dict[int, int] = {}
    finished: set[int] = set()

    def drain() -> None:
        for index, n in _drain(q):
            if index not in finished:
                counted[index] = counted.get(index, 0) + n
                progress(n)

    try:
        pending: set[Future[tuple[int, list[Record], int]]] = {
            pool.submit(_work, i, t) for i, t in enumerate(tasks)
        }
        while pending:
            done, pending = wait(pending, timeout=REPORT_SECONDS, return_when=FIRST_COMPLETED)
            drain()
            for fut in done:
                index, records, sent = fut.result()
                finished.add(index)
                if sent > counted.get(index, 0):
                    progress(sent - counted.get(index, 0))
                yield index, records
    except BaseException:
        # Ctrl-C, a signal, or a failed task: the running stacks must not be waited for (the
        # pool has no public way to stop a running task before Python 3.14's terminate_workers)
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join(5)  # reaped here, not left as zombies
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _drain(q: Any) -> list[tuple[int, int]]:
    """The (task index, model-steps) items waiting on the queue now."""
    items = []
    while True:
        try:
            items.append(q.get_nowait())
        except queue.Empty:
            return items
