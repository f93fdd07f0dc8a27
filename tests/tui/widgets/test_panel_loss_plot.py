"""LossPlot: the plotext text, log-y toggle, caching and throttling."""

from __future__ import annotations

import numpy as np
from panel_app import PanelApp

from tui.widgets.loss_plot import LossPlot, ema, thin


async def test_plot_legend_log_and_cache(five_long) -> None:
    app = PanelApp(LossPlot(throttle=0), five_long)
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        p = app.panel
        text = p.render().plain
        assert "train" in text and "smoothed" in text and "test" in text and "linear y" in text
        builds = p.builds
        p.render()
        assert p.builds == builds  # same data, same size: cached
        p.show(five_long)
        assert p.builds == builds
        p.toggle_log_y()
        await pilot.pause()
        assert "log y" in p.render().plain and p.builds == builds + 1


async def test_throttle_coalesces(five_long, five_after_loss) -> None:
    app = PanelApp(LossPlot(throttle=10.0), five_long)
    async with app.run_test(size=(60, 16)) as pilot:
        await pilot.pause()
        p = app.panel
        n = p.builds
        p.show(five_after_loss)  # new data inside the throttle window: deferred
        await pilot.pause()
        assert p.builds == n and p._timer is not None


async def test_empty() -> None:
    from panel_app import five_stepper, snap

    app = PanelApp(LossPlot(throttle=0), snap(five_stepper()))
    async with app.run_test(size=(60, 16)) as pilot:
        await pilot.pause()
        assert "no iterations yet" in app.panel.render().plain


def test_ema_and_thin() -> None:
    assert np.allclose(ema(np.ones(5)), 1.0)  # debiased: no pull toward 0 at the start
    x, y = thin(np.arange(1000.0), np.arange(1000.0), 100)
    assert len(x) == 200 and (y[0], y[1]) == (0, 9)  # each bucket's min and max
