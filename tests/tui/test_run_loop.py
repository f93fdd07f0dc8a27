"""The run loop without Textual: speeds, unit playback and stop conditions, on a fake clock."""

from __future__ import annotations

import itertools

import pytest

from engine.snapshot import Snapshot
from tests.tui.app_helpers import open_session
from tui.ladders import MAX_SPEED, SPEEDS, Speed, speed_faster, speed_slower
from tui.run_loop import (
    POLL_SECONDS,
    RunLimit,
    RunStats,
    make_limit,
    parse_run_for,
    run_loop,
)
from tui.session import Session


class FakeTime:
    """A clock that moves only when the loop sleeps: the maths takes no time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, dt: float) -> None:
        self.slept.append(dt)
        self.now += dt


def run(
    session: Session,
    t: FakeTime,
    speed: Speed,
    *,
    until: float = float("inf"),
    limit: RunLimit | None = None,
) -> tuple[RunStats, list[Snapshot]]:
    posted: list[Snapshot] = []
    stats = run_loop(
        session,
        lambda: t.now >= until,
        posted.append,
        t.clock,
        speed=lambda: speed,
        limit=limit,
        sleep=t.sleep,
    )
    return stats, posted


def test_the_speed_ladder() -> None:
    labels = [s.label for s in SPEEDS]
    assert labels == [
        "max",
        "1000/s",
        "100/s",
        "10/s",
        "5/s",
        "2/s",
        "1/s",
        "4 units/s",
        "2 units/s",
        "1 unit/s",
    ]
    assert speed_faster(MAX_SPEED) == MAX_SPEED
    assert speed_slower(SPEEDS[-1]) == SPEEDS[-1]
    s = MAX_SPEED
    for expected in SPEEDS[1:]:
        s = speed_slower(s)
        assert s == expected
    for expected in reversed(SPEEDS[:-1]):
        s = speed_faster(s)
        assert s == expected


@pytest.mark.parametrize("rate", [100, 10, 5, 2, 1])
def test_a_paced_run_keeps_its_rate(rate: int) -> None:
    session, t = open_session(), FakeTime()
    stats, _ = run(session, t, Speed(rate), until=3.0)
    # tick k is due at k / rate from the start (the first at once), so 3 s hold 3 * rate + 1
    assert 3 * rate <= stats.steps <= 3 * rate + 1
    assert session.stepper.step == stats.steps
    # it sleeps in short slices, so a pause is seen within POLL_SECONDS at every speed
    assert max(t.slept) <= POLL_SECONDS + 1e-12


def test_a_slow_run_posts_every_iteration() -> None:
    session, t = open_session(), FakeTime()
    stats, posted = run(session, t, Speed(5), until=2.0)
    steps = [s.progress.step for s in posted]
    assert steps[: stats.steps] == list(range(1, stats.steps + 1))


def test_unit_playback_posts_one_unit_at_a_time() -> None:
    session, t = open_session(), FakeTime()
    stats, posted = run(session, t, Speed(4, units=True), until=1.9)
    assert stats.units == 8 and stats.steps == 0  # units at 0, 0.25, ..., 1.75 s
    assert [s.progress.last_unit for s in posted[:8]] == [
        "sample",
        "forward L1/3",
        "forward L2/3",
        "forward L3/3",
        "loss",
        "backward L3/3",
        "backward L2/3",
        "backward L1/3",
    ]
    stats, posted = run(session, t, Speed(4, units=True), until=t.now + 0.1)
    assert stats.steps == 1 and posted[0].progress.last_unit == "update"
    assert session.stepper.step == 1


def test_a_pause_at_one_unit_a_second_is_seen_within_a_poll() -> None:
    session, t = open_session(), FakeTime()
    stats, _ = run(session, t, Speed(1, units=True), until=0.3)
    assert stats.units == 1
    assert 0.3 <= t.now <= 0.3 + POLL_SECONDS + 1e-9


def test_a_new_speed_applies_at_once() -> None:
    session, t = open_session(), FakeTime()
    speeds = {True: Speed(1, units=True), False: Speed(100)}
    stats = run_loop(
        session,
        lambda: t.now >= 2.0,
        lambda s: None,
        t.clock,
        speed=lambda: speeds[t.now < 1.0],
        sleep=t.sleep,
    )
    # one unit at t=0, then from t=1 (the sleep wakes on the change) 100 iterations a second
    assert stats.units == 1
    assert 100 <= stats.steps <= 102


def test_r_stops_at_the_schedule_end_then_runs_one_more_length() -> None:
    session, t = open_session(), FakeTime()
    st = session.stepper
    stats, posted = run(session, t, MAX_SPEED, limit=make_limit(st, 20, "schedule"))
    assert st.step == 20 and stats.steps == 20
    assert stats.note == "schedule done: step 20 (20 steps); r runs 20 more"
    assert posted[-1].progress.step == 20
    stats, _ = run(session, t, MAX_SPEED, limit=make_limit(st, 20, "schedule"))
    assert st.step == 40 and "step 40" in stats.note
    st.run(5)  # paused mid-schedule: r runs to the schedule's end
    run(session, t, MAX_SPEED, limit=make_limit(st, 20, "schedule"))
    assert st.step == 60


def test_a_paced_run_stops_at_its_limit() -> None:
    session, t = open_session(), FakeTime()
    stats, _ = run(session, t, Speed(100), limit=make_limit(session.stepper, 0, "iterations", 30))
    assert session.stepper.step == 30 and stats.note == "ran 30 iterations: step 30"


def test_unit_playback_stops_at_the_end_of_an_iteration() -> None:
    session, t = open_session(), FakeTime()
    st = session.stepper
    stats, _ = run(session, t, Speed(4, units=True), limit=make_limit(st, 0, "iterations", 1))
    assert st.step == 1 and st.at_boundary and stats.units == len(st.units)


def test_epoch_limit_stops_at_the_epochs_end() -> None:
    session, t = open_session(), FakeTime()
    st = session.stepper
    assert st.steps_per_epoch == 25  # 400 training samples, batch 16
    st.run(10)
    stats, _ = run(session, t, MAX_SPEED, limit=make_limit(st, 0, "epoch"))
    assert st.step == 25 and st.epoch == 1
    assert stats.note == "end of epoch 1: step 25"
    run(session, t, MAX_SPEED, limit=make_limit(st, 0, "epoch"))  # from an epoch's start
    assert st.step == 50 and st.epoch == 2


def test_target_accuracy_stops_the_run() -> None:
    session, t = open_session(), FakeTime()
    st = session.stepper
    stats, _ = run(session, t, MAX_SPEED, limit=make_limit(st, 2000, "schedule", target=0.5))
    acc = st.last_eval["test_accuracy"]
    assert acc is not None and acc >= 0.5 and st.step < 2000
    assert stats.note.startswith("target accuracy 50% reached: test accuracy")
    # reached already: r runs on to the schedule's end
    assert make_limit(st, 2000, "schedule", target=0.5).target is None


def test_parse_run_for() -> None:
    assert parse_run_for(" 500 ") == ("iterations", 500)
    assert parse_run_for("1,000") == ("iterations", 1000)
    assert parse_run_for("Epoch") == ("epoch", 0)
    for bad in ("", "0", "-3", "soon"):
        with pytest.raises(ValueError):
            parse_run_for(bad)


def test_a_stalled_paced_run_does_not_burst_to_catch_up() -> None:
    session, t = open_session(), FakeTime()
    stalled = False

    def sleep(dt: float) -> None:
        nonlocal stalled
        t.sleep(dt if stalled else dt + 1.0)  # the first sleep overruns by a second
        stalled = True

    posted: list[Snapshot] = []
    stats = run_loop(
        session,
        lambda: t.now >= 2.0,
        posted.append,
        t.clock,
        speed=lambda: Speed(10),
        sleep=sleep,
    )
    # 10/s over 2 s less the stall: about 10 iterations, one per tick, never a burst of 10
    assert 9 <= stats.steps <= 12
    steps = [s.progress.step for s in posted]
    assert all(b - a <= 2 for a, b in itertools.pairwise(steps))
