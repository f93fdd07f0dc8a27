"""LossPlot: the plotext text, labels, step and accuracy axes, log-y toggle and caching."""

from __future__ import annotations

import numpy as np

from engine import SGD, Network, Stepper
from engine.snapshot import Snapshot
from tests.tui.widgets.apps.panel_app import PanelApp, five_stepper, shown, snap, wedges_and_disc
from tui.widgets.loss_plot import LossPlot, decade_ticks, ema, step_label, step_ticks


async def test_plot_legend_log_and_cache(five_long) -> None:
    app = PanelApp(LossPlot(), five_long)
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        p = app.panel
        text = shown(p)
        assert "batch loss" in text and "smoothed" in text and "test loss" in text
        assert "lin" in text
        builds = p.builds
        p.render()
        assert p.builds == builds  # same data, same size: cached
        p.show(five_long)
        assert p.builds == builds
        p.toggle_log_y()
        await pilot.pause()
        logged = shown(p)
        assert "log y" in logged and p.builds == builds + 1
        # decade labels, not plotext's long decimals
        assert "1e-1" in logged or "1e0" in logged
        assert "0.000000" not in logged


async def test_empty() -> None:
    from tests.tui.widgets.apps.panel_app import five_stepper, snap

    app = PanelApp(LossPlot(), snap(five_stepper()))
    async with app.run_test(size=(60, 16)) as pilot:
        await pilot.pause()
        assert "no iterations yet" in shown(app.panel)


def test_ema() -> None:
    assert np.allclose(ema(np.ones(5)), 1.0)  # debiased: no pull toward 0 at the start


def test_decade_ticks() -> None:
    ticks = decade_ticks(np.log10(np.array([0.9, 2e-5, 1e-13])), most=5)
    labels = [lab for _, lab in ticks]
    assert labels[0] == "1e-13" and labels[-1] == "1e0" and len(labels) <= 6
    assert [t for t, _ in ticks] == sorted(t for t, _ in ticks)
    assert decade_ticks(np.array([np.nan]), 4) == []
    assert [lab for _, lab in decade_ticks(np.log10(np.array([0.3, 0.5])), 4)] == ["1e-1", "1e0"]


def test_step_ticks_are_whole_and_round() -> None:
    assert step_ticks(1, 8) == [0, 1]
    assert step_ticks(3, 8) == [0, 1, 2, 3]
    assert step_ticks(200, 6) == [0, 50, 100, 150, 200]
    assert step_ticks(21_000, 6) == [0, 5000, 10_000, 15_000, 20_000]
    assert step_ticks(999, 3) == [0, 500]
    assert [step_label(t) for t in (0, 500, 1500, 20_000, 1_000_000)] == [
        "0",
        "500",
        "1.5k",
        "20k",
        "1M",
    ]


async def _plot_text(s: Snapshot, size: tuple[int, int] = (80, 20), **attrs: object) -> str:
    app = PanelApp(LossPlot(), s, **attrs)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        return shown(app.panel)


def _tick_row(text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    assert "└" in lines[-2]  # the frame's bottom edge is right above the tick labels
    return lines[-1]


async def test_x_axis_whole_steps_named_step() -> None:
    """One step used to be labelled 0.00 0.33 0.67 ...; now whole steps and the word "step"."""
    st = five_stepper()
    st.run(1)
    row = _tick_row(await _plot_text(snap(st)))
    assert row.split() == ["0", "step"] and "." not in row
    st.run(2)
    assert _tick_row(await _plot_text(snap(st))).split()[:3] == ["0", "1", "2"]


async def test_x_ticks_of_a_long_run(five_long) -> None:
    row = _tick_row(await _plot_text(five_long))
    # 300 sits at the right edge: the axis name takes its place rather than touch it
    assert row.split() == ["0", "50", "100", "150", "200", "250", "step"]


async def test_labels_say_which_loss() -> None:
    """The drawn loss is the batch's, before the update: the legend says so at every width."""
    st = five_stepper()
    st.run(3)
    wide = await _plot_text(snap(st), size=(100, 20))
    assert "batch loss  " in wide and "batch loss (smoothed)" in wide
    narrow = await _plot_text(snap(st), size=(36, 14))
    assert "batch loss" in narrow and "smoothed" in narrow


def _right_labels(text: str) -> list[str]:
    """The right axis's tick labels, top first."""
    ends = [ln.rsplit("├", 1)[-1].strip() for ln in text.split("\n")[1:] if "├" in ln]
    return [e for e in ends if e.endswith("%")]


async def test_accuracy_on_a_fixed_percent_axis(five_long) -> None:
    st = five_stepper()
    st.run(10)  # one evaluation: a single accuracy point used to span -0.0..2.0
    assert _right_labels(await _plot_text(snap(st))) == ["100%", "75%", "50%", "25%", "0%"]
    text = await _plot_text(five_long)
    assert _right_labels(text) == ["100%", "75%", "50%", "25%", "0%"]  # whatever the values
    assert "test acc" in text and "train acc" in text  # train accuracy beside the test's
    off = await _plot_text(five_long, show_accuracy=False)
    assert "acc" not in off and "%" not in off


async def test_no_test_split_shows_train_accuracy() -> None:
    """symmetry-1986 and encoder-8-3-8 have no test set: `a` shows the train accuracy."""
    X, y = wedges_and_disc()
    net = Network.from_sizes([2, 8, 5], hidden="relu", output="softmax", seed=0, init="he")
    st = Stepper(net, SGD(lr=0.1), X, y, batch_size=16, seed=0, eval_every=10)
    st.run(40)
    text = await _plot_text(snap(st))
    assert "train acc" in text and "test" not in text and _right_labels(text)[0] == "100%"
    off = await _plot_text(snap(st), show_accuracy=False)
    assert "train acc" not in off and "%" not in off
