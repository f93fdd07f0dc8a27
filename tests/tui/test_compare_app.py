"""Pilot tests of comparing runs in the app: c forks, { } focus, x drops, keys drive every run."""

from __future__ import annotations

import numpy as np

from tests.tui.app_helpers import (
    key_event,
    new_app,
    press,
    settle,
    snapshot_of,
    status_text,
    stepper_of,
)
from tests.tui.test_comparison import Kept
from tui.app import BackpropApp
from tui.comparison import Comparison
from tui.comparison_run import MAX_RUNS
from tui.widgets.loss_plot import LossPlot


def comparison_of(app: BackpropApp) -> Comparison:
    assert app.engine.comparison is not None
    return app.engine.comparison


def footer_keys(app: BackpropApp) -> set[str]:
    return {b.binding.action for b in app.main.active_bindings.values() if b.enabled}


async def test_c_forks_the_run_and_the_status_names_it() -> None:
    app = new_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "focus_run(1)" not in footer_keys(app)  # hidden with one run
        assert "run 1" not in status_text(app)
        await press(pilot, "space", "space", "c")
        c = comparison_of(app)
        assert len(c) == 2 and c.focused.id == 2 and c.focused.forked_from == 1
        assert stepper_of(app) is c.runs[1].stepper and stepper_of(app).step == 0
        assert np.array_equal(stepper_of(app).net.params, c.runs[0].stepper.initial_params)
        assert snapshot_of(app).version == stepper_of(app).version
        assert "x run 2 (2 runs)" in status_text(app)
        assert "forked from run 1" in status_text(app)
        assert {"focus_run(1)", "focus_run(-1)", "drop_run"} <= footer_keys(app)
        assert app.main.overlay is not None
        assert app.main.query_one(LossPlot).overlay is app.main.overlay


async def test_focus_keys_move_the_focus_and_the_panels_follow() -> None:
    app = new_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "c", "+", "c")
        c = comparison_of(app)
        assert c.focused.id == 3
        await press(pilot, "right_curly_bracket")
        assert c.focused.id == 1 and snapshot_of(app).version == c.runs[0].stepper.version
        assert "• run 1 (3 runs)" in status_text(app)
        await press(pilot, "left_curly_bracket", "left_curly_bracket")
        assert c.focused.id == 2
        assert snapshot_of(app).settings.lr == 0.1  # run 2's own lr
        await press(pilot, "-")  # the lr keys change the focused run only
        assert [r.stepper.lr for r in c] == [0.05, 0.05, 0.1]


async def test_step_keys_and_r_drive_every_run() -> None:
    app = new_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "c", "+", "c", "-", "-", "space", "n")
        c = comparison_of(app)
        assert [r.stepper.step for r in c] == [1, 1, 1]
        assert [r.stepper.position for r in c] == [1, 1, 1]
        await press(pilot, "space")
        assert [r.stepper.step for r in c] == [2, 2, 2]
        app.post_message(key_event("r"))
        await app.snapshot_where(lambda s: s.progress.step > 5)
        await press(pilot, "r")  # pause
        steps = [r.stepper.step for r in c]
        assert steps[0] > 2 and steps == [steps[0]] * 3  # lockstep: as many each
        lrs = [0.05, 0.1, 0.02]
        from tests.tui.test_comparison import alone

        for run, lr in zip(c.runs, lrs, strict=True):
            ref = alone(lr, steps[0])
            assert np.array_equal(run.stepper.net.params, ref.net.params)


async def test_capital_r_keeps_every_run() -> None:
    kept = Kept()
    app = new_app()
    app.engine.recorder = kept
    comparison_of(app).recorder = kept
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "c", "+", "space", "space", "R")
        c = comparison_of(app)
        assert len(c) == 2 and [r.stepper.step for r in c] == [0, 0]
        assert [r.stepper.lr for r in c] == [0.05, 0.1]
        finished = [e for e in kept.events if e[0] == "finished"]
        assert finished == [("finished", 1, "paused"), ("finished", 2, "paused")]


async def test_switching_scenario_closes_every_run() -> None:
    kept = Kept()
    app = new_app()
    app.engine.recorder = kept
    comparison_of(app).recorder = kept
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "c", "space")
        old = comparison_of(app)
        app.action_engine("load", "xor")
        await settle(pilot)
        assert comparison_of(app) is not old and len(comparison_of(app)) == 1
        finished = [e for e in kept.events if e[0] == "finished"]
        assert finished == [("finished", 1, "paused"), ("finished", 2, "paused")]
        assert app.main.overlay is None
        assert "focus_run(1)" not in footer_keys(app)


async def test_ninth_fork_is_a_note_and_x_drops() -> None:
    app = new_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, *["c"] * (MAX_RUNS - 1))
        c = comparison_of(app)
        assert len(c) == MAX_RUNS
        await press(pilot, "c")
        assert len(c) == MAX_RUNS and "8 runs at most" in status_text(app)
        await press(pilot, "x")
        assert len(c) == MAX_RUNS - 1 and c.focused.id == MAX_RUNS - 1
        assert f"run {MAX_RUNS} dropped" in status_text(app)
        for _ in range(MAX_RUNS - 2):
            await press(pilot, "x")
        assert len(c) == 1 and app.main.overlay is None
        await press(pilot, "x")  # the only run: hidden and off
        assert len(c) == 1


async def test_d_toggles_the_difference_view() -> None:
    app = new_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await press(pilot, "d")
        plot = app.main.query_one(LossPlot)
        assert not plot.diff  # one run: nothing to subtract
        await press(pilot, "c", "+", "space", "space", "space")
        builds = plot.builds
        await press(pilot, "d")
        assert plot.diff and plot.builds == builds + 1
        assert "minus run 1" in str(plot.build())


async def test_every_run_goes_to_the_ledger_from_start_to_end() -> None:
    from engine.ledger import Ledger

    app = new_app(record=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "space", "c", "+", "space", "space")
        with Ledger.open() as ledger:
            live = sorted(ledger.runs(), key=lambda r: r.id)
        assert [(r.origin, r.status) for r in live] == [("app", "paused")] * 2
        first, fork = live
        assert fork.forked_from == first.id and fork.fingerprint == first.fingerprint
        assert fork.config["training.lr"] == 0.1 and first.config["training.lr"] == 0.05
        await press(pilot, "R")  # both runs end as they were, and start afresh
        with Ledger.open() as ledger:
            runs = sorted(ledger.runs(), key=lambda r: r.id)
            curve = ledger.curve(first.id)
        assert [(r.status, r.steps) for r in runs] == [("finished", 3), ("finished", 2)]
        assert list(curve["batch_loss"][0]) == [1, 2, 3]
        await press(pilot, "space")  # the fresh runs get their entries as they train
        with Ledger.open() as ledger:
            runs = sorted(ledger.runs(), key=lambda r: r.id)
        assert [r.status for r in runs[2:]] == ["paused", "paused"]
        assert runs[3].forked_from == runs[2].id
        await pilot.press("q")  # the app exits: nothing to settle
    with Ledger.open() as ledger:
        runs = sorted(ledger.runs(), key=lambda r: r.id)
    assert [(r.status, r.steps) for r in runs] == [
        ("finished", 3),
        ("finished", 2),
        ("finished", 1),
        ("finished", 1),
    ]


async def test_a_run_that_stops_shows_where_it_stopped_in_the_ledger() -> None:
    """The recorder sends curves about once a second; a stop sends them at once, so `v` and
    `runs` show the paused run's last step, not the step of a second before."""
    from engine.ledger import Ledger

    app = new_app(record=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "space", "c", "g", "4", "0", "enter")  # 40 iterations: well under 1 s
        steps = [run.stepper.step for run in comparison_of(app).runs]
        assert steps == [41, 40]
        with Ledger.open() as ledger:
            live = sorted(ledger.runs(), key=lambda r: r.id)
        assert [(r.status, r.steps) for r in live] == [("paused", 41), ("paused", 40)]
        await pilot.press("q")
