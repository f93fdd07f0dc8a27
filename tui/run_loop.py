"""The continuous-run loop: trains at the chosen speed until paused, diverged or a stop condition.

At full speed it trains in ~30 ms chunks and posts at most ~9 snapshots a second. Paced speeds
(1000 ... 1 iterations/s) run the iterations that are due, then sleep in the worker thread in
short slices; unit playback computes one unit (batch, forward L1, ..., update) per tick and posts
a snapshot after each. Stop conditions (RunLimit) are the schedule's end, a target accuracy,
N iterations or the end of the epoch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .ladders import MAX_SPEED, Speed

if TYPE_CHECKING:  # numpy loads after the first paint, not at import
    from engine import Stepper
    from engine.snapshot import Snapshot

    from .session import Session

CHUNK_SECONDS = 0.03  # short enough that pause and single-step keys answer within a frame
FRAME_SECONDS = 0.11  # ~9 snapshots a second: >= 8 fps, and rendering leaves the run >= 70%
MAP_SECONDS = 0.5  # the map is the costliest snapshot part and the most bytes on the wire
MAX_CHUNK = 1 << 16
POLL_SECONDS = 0.01  # a paced run sleeps in slices this long, so a pause answers within them
YIELD_POLLS = 50  # at most this many slices waiting for queued commands between chunks
MAX_LAG_SECONDS = 0.1  # a paced run this far behind its schedule drops the backlog
EVERY_STEP_RATE = 10.0  # at this many iterations/s or fewer every iteration gets a snapshot
# A whole-set evaluation this big (multiply-adds: samples x weights) costs more than a frame's
# worth of rendering (~10 ms of BLAS): a step key shows its snapshot first, then the figures
# (784-512-512-10 on 2,000 samples: 1.3e9, ~35-60 ms; digits 64-32-10: 4e6, well under).
LATE_EVAL_MACS = 10**8
# while running, whole-set evaluations take at most about 1 / (1 + EVAL_SPACING) of the time
# (a small net's take microseconds: every frame, as before)
EVAL_SPACING = 8.0


def late_evaluation(st: Stepper) -> bool:
    """Whether ``st``'s whole-set evaluation is costly enough to come after a step's snapshot."""
    n_test = 0 if st.X_test is None else len(st.X_test)
    return (len(st.X) + n_test) * int(st.net.params.size) > LATE_EVAL_MACS


@dataclass(frozen=True)
class RunLimit:
    """Where a run stops by itself, besides a pause or a divergence.

    ``kind`` names the condition for the note: "schedule" (``until_step`` is the schedule's end,
    ``length`` its length), "iterations" (``length`` of them, ending at ``until_step``), "epoch"
    (until the batcher has finished epoch ``until_epoch``) or "" (no limit). ``target`` (a
    fraction) also stops the run once the test accuracy (train accuracy without a test set)
    reaches it.
    """

    kind: str = ""
    until_step: int | None = None
    until_epoch: int | None = None
    length: int = 0
    target: float | None = None

    def steps_left(self, st: Stepper) -> int | None:
        """Whole iterations the run may still do (a partial one counts as one), None: no cap."""
        return None if self.until_step is None else max(0, self.until_step - st.step)

    def epoch_done(self, st: Stepper) -> bool:
        return self.until_epoch is not None and st.at_boundary and st.epoch >= self.until_epoch

    def reached(self, st: Stepper) -> str:
        """The note saying why the run stops now, or '' to go on (checked between iterations)."""
        if not st.at_boundary:
            return ""
        if self.until_step is not None and st.step >= self.until_step:
            if self.kind == "schedule":
                return (
                    f"schedule done: step {st.step} ({self.length} steps);"
                    f" r runs {self.length} more"
                )
            return f"ran {self.length} iterations: step {st.step}"
        if self.epoch_done(st):
            return f"end of epoch {st.epoch}: step {st.step}"
        acc, which = accuracy(st)
        if self.target is not None and acc is not None and acc >= self.target:
            return (
                f"target accuracy {100 * self.target:g}% reached: {which} accuracy"
                f" {100 * acc:.1f}% at step {st.step}"
            )
        return ""


def accuracy(st: Stepper) -> tuple[float | None, str]:
    """The accuracy a target is checked against: test when there is a test set, else train."""
    if st.task != "classification":
        return None, ""
    ev = st.last_eval
    if st.X_test is not None:
        return ev.get("test_accuracy"), "test"
    return ev.get("train_accuracy"), "train"


def make_limit(
    st: Stepper, schedule: int, kind: str, n: int = 0, target: float | None = None
) -> RunLimit:
    """The limit of a run started now (under the session lock).

    "schedule" (``r``): to the end of the scenario's schedule of ``schedule`` iterations, or
    past it, to the end of one more schedule length (the next multiple of it); with the target
    accuracy unless it is already reached. "iterations": ``n`` more. "epoch": to the end of the
    epoch in progress (a whole one from an epoch boundary).
    """
    if kind == "schedule":
        length = max(1, schedule)
        end = (st.step // length + 1) * length
        acc, _ = accuracy(st)
        if target is not None and acc is not None and acc >= target:
            target = None  # reached already: `r` again runs on for one more schedule length
        return RunLimit("schedule", until_step=end, length=length, target=target)
    if kind == "iterations":
        return RunLimit("iterations", until_step=st.step + max(1, n), length=max(1, n))
    if kind == "epoch":
        # an epoch whose last batch is drawn but not yet trained on ends with that iteration
        return RunLimit("epoch", until_epoch=st.epoch + 1)
    return RunLimit()


def parse_run_for(text: str) -> tuple[str, int]:
    """A typed stop condition: ``500`` (iterations) or ``epoch``; raises ValueError if neither."""
    t = text.strip().lower().replace(",", "").replace("_", "")
    if t in ("e", "ep", "epoch", "end of epoch"):
        return "epoch", 0
    try:
        n = int(t)
    except ValueError:
        raise ValueError(f"type a number of iterations or 'epoch', not {text.strip()!r}") from None
    if n < 1:
        raise ValueError(f"the number of iterations must be at least 1, got {n}")
    return "iterations", n


@dataclass
class RunStats:
    """What one run did, for the status line and the benchmark."""

    steps: int = 0  # iterations finished (unit playback: counted when an update is done)
    units: int = 0  # units computed one at a time (unit playback)
    frames: int = 0
    seconds: float = 0.0
    diverged: str | None = None
    note: str = ""  # why the run stopped by itself (RunLimit.reached), '' if paused or diverged


def run_loop(
    session: Session,
    cancelled: Callable[[], bool],
    post: Callable[[Snapshot], None],
    clock: Callable[[], float] = time.perf_counter,
    *,
    speed: Callable[[], Speed] = lambda: MAX_SPEED,
    limit: RunLimit | None = None,
    sleep: Callable[[float], None] = time.sleep,
    final: Callable[[], bool] = lambda: True,
    cpu: Callable[[], float] = time.thread_time,
) -> RunStats:
    """Train until ``cancelled()``, divergence or ``limit``, then post a final snapshot (after a
    pause only if ``final()``: not when a queued command will post its own at once). While
    ``final()`` is false between chunks (commands are queued), it waits for them.

    ``speed()`` is read before each tick, so a change applies at once; a paced run keeps to
    its rate by scheduling tick k at (start + k / rate), so sleeping late does not drift.
    An evaluation's cost, which spaces the next, is this thread's ``cpu()`` time: on a busy
    machine a small net's evaluation waiting for the GIL or a core took 10-20 ms of wall
    time, and spacing then left frames with stale figures for no saving.
    """
    limit = limit or RunLimit()
    stats = RunStats()
    chunk = 4
    start = clock()
    next_frame = next_map = next_eval = float("-inf")
    st = session.stepper
    current: Speed | None = None
    origin, done = start, 0  # since the speed last changed: when, and how many ticks since

    def should_stop() -> bool:  # polled by Stepper.run before every iteration
        return cancelled() or limit.epoch_done(st)

    note = limit.reached(st)
    big = bool(getattr(session, "late_eval", False))  # a big net: evaluations off the lock
    deferred: Callable[[], Callable[[], None]] | None = None
    while True:
        sp = speed()
        if sp != current:
            current, origin, done = sp, clock(), 0
        diverged: str | None = None
        with session.lock:
            worked = False
            if not note and not cancelled():  # woken from a paced sleep by a pause: no more work
                if sp.units:
                    ok = st.step_unit() is not None
                    stats.units += 1
                    if ok and st.position == len(st.units):
                        stats.steps += 1
                    diverged = None if ok or st.diverged is None else str(st.diverged)
                    done += 1
                    worked = True
                else:
                    n = chunk
                    if sp.rate is not None:  # the iterations due by now (>= 1: we slept till
                        # the next was due), at most a chunk
                        late = clock() - (origin + done / sp.rate)
                        if late > MAX_LAG_SECONDS:  # a stall is forgiven, not caught up in a burst
                            origin += late - MAX_LAG_SECONDS
                        n = min(chunk, max(1, int((clock() - origin) * sp.rate) + 1 - done))
                    left = limit.steps_left(st)
                    if left is not None:
                        n = min(n, left)
                    if n > 0:
                        t0 = clock()
                        res = st.run(n, should_stop=should_stop)
                        dt = clock() - t0
                        stats.steps += res.steps
                        done += res.steps
                        worked = True
                        if res.steps == n == chunk and dt > 0:
                            chunk = _next_chunk(chunk, dt)
                        diverged = None if res.diverged is None else str(res.diverged)
                note = limit.reached(st) if diverged is None else ""
            stop = bool(note) or diverged is not None or cancelled()
            now = clock()
            snap = None
            every = sp.units or (sp.rate is not None and sp.rate <= EVERY_STEP_RATE)
            paused = stop and not note and diverged is None
            if paused and not final():
                pass  # the command that paused the run shows its result next: keep the lock short
            elif stop or now >= next_frame or (every and worked):
                fresh_map = stop or every or now >= next_map
                if big and not (stop or every) and now >= next_eval:
                    # a big net's evaluation (100-200 ms) runs after the lock is released, on a
                    # copy of the weights, so a key waiting for the lock does not wait for it
                    deferred = session.evaluation_job()
                elif stop or every or now >= next_eval:
                    # a big net's evaluation is spaced out, so the run (and a key waiting for
                    # the lock) does not wait for one every frame; the status line says which
                    # step its figures are from
                    t0 = cpu()
                    session.evaluate()
                    next_eval = now + EVAL_SPACING * (cpu() - t0)
                snap = session.snapshot(refresh_map=fresh_map)
                # a fixed cadence (not "now + interval") so chunk jitter does not lower the rate
                next_frame = max(next_frame + FRAME_SECONDS, now + FRAME_SECONDS / 2)
                if fresh_map:
                    next_map = max(next_map + MAP_SECONDS, now + MAP_SECONDS / 2)
        if snap is not None:
            post(snap)
            stats.frames += 1
        if deferred is not None:
            t0 = clock()
            store = deferred()  # without the lock: commands go in meanwhile
            with session.lock:
                store()
            next_eval = clock() + EVAL_SPACING * (clock() - t0)
            deferred = None
        if stop:
            stats.diverged = diverged
            stats.note = note
            break
        # a command waits for the lock (an lr or batch key): let it in before the next chunk.
        # A Lock is not fair: this loop took it straight back, and on a big net `+` waited for
        # chunk after chunk (bounded: a command that never ends does not stop the run)
        for _ in range(YIELD_POLLS):
            if final() or cancelled():
                break
            sleep(POLL_SECONDS)
        if sp.rate is not None:

            def wake(sp: Speed = sp) -> bool:
                return cancelled() or speed() != sp

            _sleep_until(origin + done / sp.rate, clock, sleep, wake)
    stats.seconds = clock() - start
    return stats


def _next_chunk(chunk: int, dt: float) -> int:
    """Grow or shrink towards CHUNK_SECONDS, at most x4 at a time to damp noise."""
    return int(min(MAX_CHUNK, max(1, chunk * min(4.0, CHUNK_SECONDS / dt))))


def _sleep_until(
    deadline: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    wake: Callable[[], bool],
) -> None:
    """Sleep (in the worker thread) until ``deadline``, in slices of at most POLL_SECONDS,
    returning early once ``wake()`` (a pause, a new speed)."""
    while not wake():
        left = deadline - clock()
        if left <= 0 or math.isnan(left):
            return
        sleep(min(left, POLL_SECONDS))
