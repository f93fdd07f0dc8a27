"""Pacing without Textual: which panels show a snapshot, driven by a fake clock."""

from __future__ import annotations

import pytest

from tui.pacing import FRAME_SLACK, MAX_PANELS_PER_FRAME, RUN_PERIOD, STAGGER, Pacing

PANELS = ("weights", "outputs", "gradients", "loss", "explain", "map")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_paused_or_stepping_every_panel_shows_every_snapshot(clock: Clock) -> None:
    pacing = Pacing(PANELS, clock=clock)
    for _ in range(3):
        assert pacing.due(running=False) == list(PANELS)


def test_disabled_pacing_shows_every_snapshot_while_running(clock: Clock) -> None:
    pacing = Pacing(PANELS, clock=clock, enabled=False)
    for _ in range(3):
        assert pacing.due(running=True) == list(PANELS)
        clock.now += 0.01


def test_a_run_staggers_the_panels_and_caps_each_frame(clock: Clock) -> None:
    pacing = Pacing(PANELS, clock=clock)
    # first frame: panel k is due at k * STAGGER; within FRAME_SLACK only the first is
    assert pacing.due(running=True) == ["weights"]
    clock.now += STAGGER
    assert pacing.due(running=True) == ["outputs"]
    clock.now += 3 * STAGGER  # four are due now (weights again), but a frame takes two
    assert MAX_PANELS_PER_FRAME == 2
    assert pacing.due(running=True) == ["gradients", "loss"]  # the longest-waiting first
    assert pacing.due(running=True) == ["weights", "explain"]  # the next frame, the rest
    assert pacing.due(running=True) == []  # the map's turn is more than FRAME_SLACK away


def test_a_panel_waits_its_period(clock: Clock) -> None:
    pacing = Pacing(("loss",), clock=clock)
    assert pacing.due(running=True) == ["loss"]
    clock.now += RUN_PERIOD["loss"] - FRAME_SLACK - 0.01
    assert pacing.due(running=True) == []
    clock.now += 0.02  # within FRAME_SLACK of its turn: due now
    assert pacing.due(running=True) == ["loss"]


def test_hidden_panels_always_show_and_keep_no_turn(clock: Clock) -> None:
    pacing = Pacing(PANELS, clock=clock)
    hidden = ("outputs", "gradients", "loss", "map")
    assert pacing.due(running=True, hidden=hidden) == [*hidden, "weights"]
    assert pacing.due(running=True, hidden=hidden) == list(hidden)


def test_reset_staggers_the_next_run_again(clock: Clock) -> None:
    pacing = Pacing(PANELS, clock=clock)
    assert pacing.due(running=True) == ["weights"]
    clock.now += 10  # every panel overdue: the two whose turns came first
    assert pacing.due(running=True) == ["outputs", "gradients"]
    pacing.reset()
    clock.now += 1  # a run started a while after the stop
    assert pacing.due(running=True) == ["weights"]


def test_a_run_restarted_at_once_waits_for_the_stops_repaint_to_age(clock: Clock) -> None:
    pacing = Pacing(PANELS, clock=clock)
    assert pacing.due(running=True) == ["weights"]
    pacing.reset()  # stopped: every panel repainted now
    clock.now += 0.1  # r again at once
    assert pacing.due(running=True) == []  # no panel twice within its period
    clock.now = 100.0 + RUN_PERIOD["weights"]  # the stop was at 100.0
    assert pacing.due(running=True) == ["weights"]
    clock.now += STAGGER
    assert pacing.due(running=True) == ["outputs"]  # and the turns are staggered again


def test_a_panel_without_a_period_gets_the_default(clock: Clock) -> None:
    pacing = Pacing(("extra",), clock=clock)
    assert pacing.due(running=True) == ["extra"]
    clock.now += 0.33 - FRAME_SLACK + 0.001
    assert pacing.due(running=True) == ["extra"]
