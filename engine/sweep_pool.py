"""A sweep's stacks in a pool of worker processes, their progress sent back on a queue."""

from __future__ import annotations

import multiprocessing
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from .sweep_stack import REPORT_SECONDS, Record, run_task

if TYPE_CHECKING:
    from .sweep import SweepSetup, SweepTask

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


def in_processes(
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
