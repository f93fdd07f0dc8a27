"""--fps: the pacing cap on panel frames while running (fake clock), and the option's values."""

from __future__ import annotations

import itertools
import math

import pytest

from tui.pacing import FRAME_SLACK, MAX_FPS, RUN_PERIOD, Pacing, parse_fps

PANELS = ("weights", "outputs", "gradients", "loss", "explain", "map")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def frames(pacing: Pacing, clock: Clock, seconds: float, dt: float = 0.11) -> list[list[str]]:
    """The panels shown by each snapshot of a run lasting ``seconds``, one every ``dt``."""
    out = []
    t_end = clock.now + seconds
    while clock.now < t_end - 1e-9:
        out.append(pacing.due(running=True))
        clock.now += dt
    return out


def test_one_fps_redraws_every_panel_together_once_a_second() -> None:
    clock = Clock()
    pacing = Pacing(PANELS, clock=clock, fps=1.0)
    shown = frames(pacing, clock, 10.0)
    panel_frames = [f for f in shown if f]
    assert panel_frames[0] == list(PANELS)  # no stagger under a cap: one frame, all of them
    assert all(f == list(PANELS) for f in panel_frames)
    # 10 s at 1 fps: snapshots come every 0.11 s, so the frames are 1.1 s apart
    assert len(panel_frames) == 10
    redraws = sum(len(f) for f in shown)
    assert redraws <= 10 * len(PANELS)


@pytest.mark.parametrize("fps", [0.5, 1.0, 2.0, 5.0])
def test_frames_are_at_least_a_frame_apart_less_the_slack(fps: float) -> None:
    clock = Clock()
    pacing = Pacing(PANELS, clock=clock, fps=fps)
    times = []
    t_end = clock.now + 20.0
    while clock.now < t_end:
        if pacing.due(running=True):
            times.append(clock.now)
        clock.now += 0.03
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 1 / fps - 1e-9  # a cap is never exceeded
    # and the cap is a cap, not a stall: frames keep coming at about that rate (or the
    # panels' own, when that is lower)
    assert len(times) >= 20 * min(fps, 1 / max(RUN_PERIOD.values())) * 0.8


def test_a_cap_above_the_panels_own_rate_changes_nothing_but_the_grouping() -> None:
    clock = Clock()
    capped = Pacing(PANELS, clock=clock, fps=30.0)
    per_panel = {p: sum(p in f for f in frames(capped, clock, 10.0)) for p in PANELS}
    for p, n in per_panel.items():  # each panel still at most once per its period
        assert n <= math.ceil(10.0 / (RUN_PERIOD[p] - FRAME_SLACK)) + 1


def test_hidden_panels_are_not_capped() -> None:
    clock = Clock()
    pacing = Pacing(PANELS, clock=clock, fps=1.0)
    assert pacing.due(running=True, hidden=("map",)) == ["map", *PANELS[:5]]
    clock.now += 0.11
    assert pacing.due(running=True, hidden=("map",)) == ["map"]  # within the frame: only hidden


def test_paused_is_never_capped_and_a_new_run_starts_with_a_frame() -> None:
    clock = Clock()
    pacing = Pacing(PANELS, clock=clock, fps=0.5)
    assert pacing.due(running=True) == list(PANELS)
    clock.now += 0.2
    assert pacing.due(running=False) == list(PANELS)  # a step's result shows at once
    pacing.reset()  # the run stopped: every panel repainted, a frame under the cap
    clock.now += 1.0
    assert pacing.due(running=True) == []  # r again at once: the cap holds across the stop
    clock.now += 1.0
    assert pacing.due(running=True) == list(PANELS)  # a new run starts with a frame


@pytest.mark.parametrize(("text", "fps"), [("5", 5.0), ("0.5", 0.5), (" 60 ", 60.0), ("1e1", 10.0)])
def test_parse_fps_accepts_positive_rates_up_to_the_max(text: str, fps: float) -> None:
    assert parse_fps(text) == fps


@pytest.mark.parametrize("text", ["0", "-1", "x", "", "nan", "inf", "61", "1e9", "5fps"])
def test_parse_fps_refuses_the_rest_in_one_line(text: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_fps(text)
    msg = str(err.value)
    assert "\n" not in msg and repr(text) in msg and f"{MAX_FPS:g}" in msg


def test_a_stop_shows_at_once_the_panels_that_waited_their_period() -> None:
    clock = Clock()
    pacing = Pacing(PANELS, clock=clock)
    shown = frames(pacing, clock, 1.0)  # a run of a second: every panel has redrawn
    last = {p: max(i for i, f in enumerate(shown) if p in f) for p in PANELS}
    now, wait = pacing.stop()
    # a panel redrawn less than its period (less the slack) ago waits; the others show now
    for p in PANELS:
        age = (len(shown) - last[p]) * 0.11
        assert (p in now) == (age >= RUN_PERIOD[p] - FRAME_SLACK - 1e-9), (p, age)
    late = [p for p in PANELS if p not in now]
    assert late and 0 < wait <= max(RUN_PERIOD.values())
    clock.now += wait
    assert pacing.late() == late  # the timer: the rest show the stop's snapshot
    assert pacing.late() == []  # once


def test_r_at_every_stop_redraws_no_panel_more_often_than_its_period() -> None:
    clock = Clock()
    pacing = Pacing(PANELS, clock=clock)
    redraws: dict[str, list[float]] = {p: [] for p in PANELS}
    late_at: float | None = None
    t_end = clock.now + 10.0
    while clock.now < t_end:  # runs of 0.15 s, r again at once: 6 stops a second
        for _ in range(2):
            for p in pacing.due(running=True):
                redraws[p].append(clock.now)
            clock.now += 0.075
        now, wait = pacing.stop()
        for p in now:
            redraws[p].append(clock.now)
        late_at = clock.now + wait if wait else None
        if late_at is not None and late_at <= clock.now:
            for p in pacing.late():
                redraws[p].append(clock.now)
    for p, times in redraws.items():
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= RUN_PERIOD[p] - FRAME_SLACK - 1e-9, p
        assert len(times) >= 10.0 / RUN_PERIOD[p] * 0.5  # and they do keep up


def test_without_pacing_a_stop_shows_every_panel_now() -> None:
    pacing = Pacing(PANELS, clock=Clock(), enabled=False)
    assert pacing.stop() == (list(PANELS), 0.0)


def test_hidden_panels_show_at_a_stop_whatever_their_turn() -> None:
    clock = Clock()
    pacing = Pacing(PANELS, clock=clock)
    pacing.reset()  # all just repainted
    clock.now += 0.1
    now, wait = pacing.stop(hidden=("map",))
    assert now == ["map"] and wait > 0
