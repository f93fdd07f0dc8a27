"""A hyperparameter sweep: its grid of runs, their plan as stacks (one per batch size), the run."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .losses import Loss
from .network import Network
from .sweep_pool import in_processes
from .sweep_stack import Record, run_task

Array = np.ndarray
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
    ``method``, default sweep_pool.start_method()); records are returned in the tasks' order
    whatever order they finish in. ``on_records`` sees each task's records as it finishes (for
    streaming), ``on_progress`` the running totals."""
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
        for index, records in in_processes(setup, tasks, workers, progress, method):
            finished(index, records)
    state.records = [r for i in range(len(tasks)) for r in by_task[i]]
    state.seconds = time.perf_counter() - t0
    return state
