"""LossPlot: the plotext text, log-y toggle and caching."""

from __future__ import annotations

import numpy as np

from tests.tui.widgets.apps.panel_app import PanelApp, shown
from tui.widgets.loss_plot import LossPlot, decade_ticks, ema


async def test_plot_legend_log_and_cache(five_long) -> None:
    app = PanelApp(LossPlot(), five_long)
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        p = app.panel
        text = shown(p)
        assert "train" in text and "smoothed" in text and "test" in text and "linear y" in text
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
