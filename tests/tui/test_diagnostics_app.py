"""Pilot tests of issue 12 in the app: gradient check, lessons, sharpness, panel views."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Stepper
from scenarios import load_scenario
from scenarios.lessons import LESSONS, find_lesson
from tests.tui.app_helpers import (
    key_event,
    new_app,
    press,
    settle,
    snapshot_of,
    stepper_of,
)
from tui.app import BackpropApp
from tui.comparison import Comparison
from tui.probe_settings import PROBES
from tui.screens.gradcheck import GradCheckScreen, report_lines
from tui.screens.lessons import LessonsScreen, flag_changes, lesson_plan


@pytest.fixture(autouse=True)
def _probes_off() -> None:
    PROBES.reset()  # one process runs many apps: each test starts with no diagnostics asked


def state_of(st: Stepper) -> tuple[np.ndarray, ...]:
    """Everything the check must not touch: parameters, gradient buffer, optimiser, batcher."""
    opt = [np.array(v, copy=True) for v in vars(st.opt).values() if isinstance(v, np.ndarray)]
    return (st.net.params.copy(), *opt, np.array([st.step, st.version, st.position]))


def comparison_of(app: BackpropApp) -> Comparison:
    assert app.engine.comparison is not None
    return app.engine.comparison


async def test_gradcheck_screen_checks_the_batch_and_leaves_the_run_untouched() -> None:
    app = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "space", "space", "b")  # mid-iteration: gradients computed, no update
        st = stepper_of(app)
        before = state_of(st)
        batcher = st.batcher.state()
        await press(pilot, "C")
        screen = app.screen
        assert isinstance(screen, GradCheckScreen)
        await settle(pilot)
        rep = screen.report
        assert rep is not None and rep.agree
        assert rep.n_checked == rep.n_params == st.net.n_params  # a small net: every parameter
        assert rep.fd_forward_passes == 2 * rep.n_params
        assert [lc.layer for lc in rep.layers] == list(range(st.net.n_layers))
        text = str(screen.query_one("#gradcheck-report").render())
        assert "backprop agrees" in text and "1 forward + 1 backward" in text
        after = state_of(st)
        assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
        assert st.batcher.state() == batcher
        await press(pilot, "escape")
        assert app.screen is app.main
        await press(pilot, "u")  # the iteration goes on as if nothing happened
        assert st.step == 3


async def test_gradcheck_samples_a_big_net_and_escape_cancels() -> None:
    app = new_app("big-784")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        st = stepper_of(app)
        before = state_of(st)
        app.post_message(key_event("C"))  # no settling: escape comes while it checks
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GradCheckScreen)
        await press(pilot, "escape")
        assert app.screen is app.main and screen.cancelled
        assert all(np.array_equal(a, b) for a, b in zip(before, state_of(st), strict=True))


def test_gradcheck_report_lines_put_the_costs_side_by_side() -> None:
    from engine.gradcheck import gradient_check, per_layer_sample
    from scenarios import build

    built = build(load_scenario("tests/fixtures/scenarios/five-classes.toml"))
    st = built.stepper
    rep = gradient_check(st.net, st.X[:8], st.y[:8], indices=per_layer_sample(st.net, 5))
    lines = report_lines(rep)
    assert lines[0].split()[:2] == ["layer", "checked"]
    assert lines[1].startswith("L1 ") and "10/" in lines[1]  # 5 weights + 5 biases checked
    fd = next(x for x in lines if x.startswith("finite diff."))
    assert f"2 x {rep.n_checked:,} = {2 * rep.n_checked:,} forward" in fd
    assert any(x.startswith("  every parameter") for x in lines)  # sampled: the full cost
    assert any("1 forward + 1 backward" in x for x in lines)


def test_flag_changes_and_the_plan_of_every_lesson() -> None:
    assert flag_changes(("--momentum", "0", "--epochs", "20", "--eval-every", "5")) == (
        {"training.momentum": 0, "training.epochs": 20},
        None,
    )
    assert flag_changes(("--sharpness-every", "50"))[1] == 50
    for lesson in LESSONS:
        plan = lesson_plan(lesson, load_scenario(lesson.scenario))
        assert plan[0] == ("load", lesson.scenario)
        adds = [arg for cmd, arg in plan if cmd == "add"]
        assert len(adds) == max(1, len(lesson.runs))
        assert plan[-2:] == [("focus", 1), ("drop", None)]


async def test_lessons_picker_loads_the_scenario_and_its_runs() -> None:
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "t")
        assert isinstance(app.screen, LessonsScreen)
        text = str(app.screen.query_one("#lessons-text").render())
        assert LESSONS[0].title in text and "measured here" in text
        await press(pilot, "down", "down")  # lesson 3: momentum's effective lr
        assert find_lesson("3").title in str(app.screen.query_one("#lessons-text").render())
        await press(pilot, "enter")
        await settle(pilot)
        assert app.screen is app.main
        c = comparison_of(app)
        lesson = find_lesson("3")
        assert c.session.name == "circles" and len(c) == len(lesson.runs)
        got = [(r.stepper.lr, r.stepper.opt.momentum) for r in c.runs]  # type: ignore[attr-defined]
        assert got == [(0.5, 0.0), (0.05, 0.9), (0.05, 0.0)]
        first = c.runs[0].stepper.net.params
        assert all(np.array_equal(r.stepper.net.params, first) for r in c.runs)  # same start
        assert c.focused is c.runs[0]
        assert snapshot_of(app).model.scenario == "circles"


async def test_lesson_4_turns_the_sharpness_on_and_escape_changes_nothing() -> None:
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "t", "escape")
        assert comparison_of(app).session.name == "five-classes" and PROBES.sharpness_every is None
        await press(pilot, "t", "down", "down", "down", "enter")
        await settle(pilot)
        c = comparison_of(app)
        assert c.session.name == "edge-of-stability" and len(c) == 3
        assert [r.stepper.lr for r in c.runs] == [0.2, 0.35, 0.6]
        assert PROBES.sharpness_every == 50
        await press(pilot, "space", "space")
        overlay = app.main.overlay
        assert overlay is not None
        sharp = {c.label: c.sharpness for c in overlay.curves}
        assert set(sharp) == {"lr 0.2", "lr 0.35", "lr 0.6"}
        for label, lr in (("lr 0.2", 0.2), ("lr 0.35", 0.35), ("lr 0.6", 0.6)):
            got = sharp[label]
            assert got is not None
            steps, values, limit = got
            assert list(steps) == [0] and values.size == 1 and limit == pytest.approx(2 / lr)
        await press(pilot, "4")  # the loss panel, the runs' sharpness in the strip under it
        text = str(app.main.query_one("#loss").render())
        assert "sharpness vs 2/lr: " in text and "/5.71" in text  # lr 0.35's value/limit


async def test_i_cycles_the_outputs_views_and_the_confusion_is_the_engines() -> None:
    from engine.confusion import network_confusion
    from tui.widgets.outputs import OutputsPanel

    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "space", "space", "2", "i")
        panel = app.main.query_one(OutputsPanel)
        assert panel.view == "activations" and "hidden activations" in str(panel.border_title)
        assert "L1 relu 8 units" in str(panel.render())
        assert not PROBES.confusion
        await press(pilot, "i")
        await settle(pilot)
        assert panel.view == "confusion" and PROBES.confusion
        probes = snapshot_of(app).probes
        assert probes is not None and probes.confusion is not None
        st = stepper_of(app)
        want = network_confusion(st.net, st.X_test, st.y_test, 5)
        assert np.array_equal(probes.confusion.matrix, want) and probes.confusion.step == 2
        assert "at step 2" in str(panel.render())
        await press(pilot, "i")
        assert panel.view == "" and not PROBES.confusion and panel.border_title == "Outputs"


async def test_histograms_view_and_the_sharpness_key() -> None:
    from tui.widgets.gradients import GradientsPanel
    from tui.widgets.loss_plot import LossPlot

    app = new_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await press(pilot, "E", "space", "space", "space", "3", "i")
        assert PROBES.sharpness_every == 25
        probes = snapshot_of(app).probes
        assert probes is not None and probes.histograms is not None
        assert list(probes.histograms.steps) == [0, 1, 2, 3]  # a frame per snapshot
        assert list(probes.sharpness_steps) == [0]  # the first measurement, then every 25
        grads = app.main.query_one(GradientsPanel)
        text = str(grads.render())
        assert "‖ΔW‖/‖W‖" in text and "lr/(1-b) 0.5" in text
        assert "sharpness" in str(app.main.query_one(LossPlot).render())
        await press(pilot, "E")
        assert PROBES.sharpness_every is None
        assert "sharpness" not in str(app.main.query_one(LossPlot).render())


async def test_sharpness_is_refused_on_a_big_net_with_a_note() -> None:
    from tests.tui.app_helpers import status_text

    app = new_app("big-784")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "E")
        assert PROBES.sharpness_every is None
        assert "too costly" in status_text(app)


async def test_encoder_codes_read_at_a_glance() -> None:
    from tui.app import BackpropApp
    from tui.session import Session
    from tui.widgets.outputs import OutputsPanel

    app = BackpropApp(Session.open("encoder-8-3-8"), pace_panels=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await press(pilot, "space", "2", "i")
        text = str(app.main.query_one(OutputsPanel).render())
        assert "L1 sigmoid 3 units  code " in text and "L1 codes of the batch" in text
        snap = snapshot_of(app)
        a, X = snap.layers[0].a, snap.batch.X
        assert a is not None and X is not None
        for k in range(3):  # each sample's input bits and its code from the engine's activations
            x = "".join("1" if v > 0.5 else "0" for v in X[k])
            bits = "".join("1" if v > 0.5 else "0" for v in a[k])
            assert f"{x} → {bits}" in text
