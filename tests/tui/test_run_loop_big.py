"""The run loop's spacing of costly whole-set evaluations, and its yielding of the lock to a
queued command, on a fake clock (no Textual)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from engine.snapshot import Snapshot
from scenarios import Built, Scenario
from tests.tui.app_helpers import open_session
from tui.ladders import MAX_SPEED
from tui.run_loop import EVAL_SPACING, FRAME_SECONDS, POLL_SECONDS, YIELD_POLLS, RunLimit, run_loop
from tui.session import Session


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, dt: float) -> None:
        self.now += dt


class SlowEval(Session):
    """A session whose whole-set evaluation takes ``cost`` seconds of the fake clock (a big
    net's), and whose steps take ``step`` seconds each."""

    def __init__(self, scenario: Scenario, built: Built) -> None:
        self.clock, self.cost = Clock(), 0.0
        self.evaluations: list[float] = []
        super().__init__(scenario, built)

    def evaluate(self, force: bool = False) -> None:
        before = self._evaluated
        super().evaluate(force)
        if self._evaluated != before or force:
            self.evaluations.append(self.clock.now)
            self.clock.now += self.cost


def slow_session(cost: float) -> SlowEval:
    base = open_session("five-classes")
    s = SlowEval(base.scenario, base.built)
    s.cost = cost
    st = s.stepper
    run = st.run

    def timed_run(n: int, **kw: object) -> object:  # each iteration takes 1 ms
        s.clock.now += 0.001 * n
        return run(n, **kw)  # type: ignore[arg-type]

    st.run = timed_run  # type: ignore[method-assign,assignment]
    return s


def run_for(
    session: SlowEval, seconds: float, cpu: Callable[[], float] | None = None
) -> list[Snapshot]:
    """Run ``seconds`` of the fake clock; an evaluation's ``cost`` is CPU time unless ``cpu``
    says otherwise (the run loop spaces evaluations by their CPU time)."""
    posted: list[Snapshot] = []
    clock = session.clock
    session.evaluations.clear()
    start = clock.now
    run_loop(
        session,
        lambda: clock.now - start >= seconds,
        posted.append,
        clock,
        speed=lambda: MAX_SPEED,
        limit=RunLimit(),
        sleep=clock.sleep,
        cpu=clock if cpu is None else cpu,
    )
    return posted


def test_a_costly_evaluation_is_spaced_to_a_share_of_the_run() -> None:
    session = slow_session(cost=0.05)  # 50 ms an evaluation, as a big net's
    posted = run_for(session, 4.0)
    times = session.evaluations
    gaps = [b - a for a, b in itertools.pairwise(times[:-1])]  # the stop's own is extra
    assert gaps and min(gaps) >= EVAL_SPACING * 0.05 - 1e-9
    assert sum(0.05 for _ in times) <= 4.0 / (1 + EVAL_SPACING) * 1.5  # about a ninth
    # snapshots still come every frame, their figures from the last evaluation
    assert len(posted) >= 4.0 / FRAME_SECONDS * 0.7
    stale = [s for s in posted if s.curves.eval_step != s.progress.step]
    assert stale  # said so by the status line "(step N)"
    assert posted[-1].curves.eval_step == posted[-1].progress.step  # the stop evaluates


def test_a_cheap_evaluation_still_runs_every_frame() -> None:
    session = slow_session(cost=0.0)
    posted = run_for(session, 2.0)
    assert all(s.curves.eval_step == s.progress.step for s in posted)


def test_an_evaluation_slow_only_in_wall_time_still_runs_every_frame() -> None:
    """On a busy machine a small net's evaluation may wait 10-20 ms for the GIL or a core
    while costing microseconds: it is not spaced (the figures would go stale for nothing)."""
    session = slow_session(cost=0.05)  # 50 ms of wall time, no CPU time
    posted = run_for(session, 2.0, cpu=lambda: 0.0)
    assert len(posted) >= 2.0 / FRAME_SECONDS * 0.7
    assert all(s.curves.eval_step == s.progress.step for s in posted)


def test_the_loop_waits_between_chunks_while_a_command_is_queued() -> None:
    session = slow_session(cost=0.0)
    clock = session.clock
    queued = {"n": 3}  # chunks during which a command waits for the lock

    def final() -> bool:  # not busy: no command queued
        return queued["n"] <= 0

    slept: list[float] = []

    def sleep(dt: float) -> None:
        slept.append(dt)
        clock.now += dt
        if len(slept) % 5 == 0:
            queued["n"] -= 1  # the command ran after 5 polls

    steps_before = session.stepper.step
    run_loop(
        session,
        lambda: clock.now >= 1.0,
        lambda _: None,
        clock,
        speed=lambda: MAX_SPEED,
        sleep=sleep,
        final=final,
    )
    assert slept and all(dt == POLL_SECONDS for dt in slept)
    assert len(slept) <= 3 * 5 + YIELD_POLLS
    assert session.stepper.step > steps_before  # and the run went on


def test_a_big_nets_evaluation_runs_without_the_lock_and_its_figures_are_stored() -> None:
    """A big net (late_eval): the spaced evaluation computes on a copy of the weights with the
    lock free, so a key waiting for the lock goes in meanwhile; the figures are then stored
    under the lock with the step they belong to."""
    s = slow_session(0.0)
    s.late_eval = True
    held_while_computing: list[bool] = []
    stored: list[int | None] = []
    is_locked = s.lock.locked  # type: ignore[attr-defined]  # a Lock's, or the FairLock's
    make = s.evaluation_job

    def job():
        compute = make()
        if compute is None:
            return None

        def traced():
            held_while_computing.append(is_locked())
            store = compute()

            def traced_store() -> None:
                assert is_locked()
                store()
                stored.append(s.stepper.last_eval_step)

            return traced_store

        return traced

    s.evaluation_job = job  # type: ignore[method-assign]
    run_for(s, 1.0)
    assert held_while_computing and not any(held_while_computing)
    assert stored and all(step is not None and step > 0 for step in stored)
    st = s.stepper
    assert st.last_eval_step == st.step  # the stop evaluates its last step under the lock


def test_figures_of_a_step_undone_meanwhile_are_not_stored() -> None:
    st = open_session("five-classes").stepper
    st.run(5)
    job = st.evaluation_job()
    res, dead = job.run()
    assert res == st.evaluate()  # a copy of the weights gives the same figures, bit for bit
    st.undo()
    assert not st.store_evaluation(job.step, res, dead)  # step 5 is gone
    st.run(1)  # step 5 again: the same batch, the same weights
    assert st.store_evaluation(job.step, res, dead) and st.last_eval_step == 5
    st.run(2)
    st.evaluate()
    assert not st.store_evaluation(job.step, res, dead)  # newer figures (step 7) are held
