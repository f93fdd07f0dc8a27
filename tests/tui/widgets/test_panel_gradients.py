"""GradientsPanel: norms per layer, log sparklines, delta during backward, flags."""

from __future__ import annotations

import numpy as np

from tests.tui.widgets.apps.panel_app import PanelApp, shown
from tui.widgets.gradients import GradientsPanel, sci, sparkline


async def test_norms_and_delta_in_backward(five_backward) -> None:
    s = five_backward
    app = PanelApp(GradientsPanel(), s)
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        text = shown(app.panel)
        assert sci(s.layers[2].grad_norm_W) in text
        assert sci(s.layers[1].grad_norm_b) in text
        assert "δ L2 = ∂L/∂z just computed" in text
        assert "∂L/∂W L2 8×8" in text


async def test_outside_backward_follows_layer(five_after_loss) -> None:
    app = PanelApp(GradientsPanel(), five_after_loss)
    async with app.run_test(size=(80, 20)) as pilot:
        app.panel.follow_cursor(2, 0, 0, "W")
        await pilot.pause()
        text = shown(app.panel)
        assert "∂L/∂W L3: not computed yet" in text
        assert "δ L" not in text


def test_sparkline_is_log_scale() -> None:
    # a gradient vanishing over six decades climbs down the whole range, not just the first step
    line = sparkline(np.logspace(0, -6, 7), 7, -6.0, 0.0)
    assert line == "█▇▆▅▃▂▁"


def test_fit_number_never_shows_a_tiny_value_as_zero() -> None:
    from tui.numbers import fit_number

    assert fit_number(4.2e-5, 5).strip() == "4e-5"
    assert fit_number(-0.0, 5).strip() == ".000"
    assert fit_number(-0.004, 3).strip() == "-0"  # no room: the sign stays
