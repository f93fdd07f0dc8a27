"""GradientsPanel: norms per layer, log sparklines, delta during backward, flags."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine.snapshot import Snapshot
from tests.tui.widgets.apps.panel_app import PanelApp, shown
from tui.widgets.gradients import GradientsPanel, flags, sci, sparkline


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


def with_norms(s: Snapshot, norms: list[float], loss: float) -> Snapshot:
    """``s`` with the layers' gradient norms and the batch loss replaced."""
    layers = tuple(
        replace(lay, grad_norm_W=n, grad_norm_history=np.full(5, n))
        for lay, n in zip(s.layers, norms, strict=True)
    )
    return replace(s, layers=layers, batch=replace(s.batch, loss=loss))


def test_vanishing_is_a_ratio_between_layers(five_backward: Snapshot) -> None:
    """The flags used a fixed 1e-5: a layer 1e4 times weaker than the others is vanishing
    whatever its size, a converged net (every layer small, the loss tiny) is not."""
    s = with_norms(five_backward, [2e-4, 0.5, 0.8], 1.2)
    assert flags(s) == ["↓v", "", ""]
    s = with_norms(five_backward, [3e-7, 4e-7, 2e-6], 1e-6)  # converged: all small together
    assert flags(s) == ["", "", ""]
    s = with_norms(five_backward, [3e-9, 4e-7, 2e-5], 1e-6)  # ratio, but nothing left to learn
    assert flags(s) == ["", "", ""]


def test_exploding_is_a_step_larger_than_the_weights(five_backward: Snapshot) -> None:
    w = float(np.linalg.norm(five_backward.layers[1].W))
    lr = five_backward.settings.lr
    s = with_norms(five_backward, [0.5, 2 * w / lr, 0.5], 1.0)
    assert flags(s) == ["", "↑x", ""]


async def test_flags_are_explained(five_backward: Snapshot) -> None:
    s = with_norms(five_backward, [2e-4, 0.5, 0.8], 1.2)
    app = PanelApp(GradientsPanel(), s)
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        text = shown(app.panel)
        assert "↓v vanishing: ‖g‖ < 1e-3 of the largest layer's" in text


async def test_a_cut_title_ends_in_an_ellipsis(big_784: Snapshot) -> None:
    """'(blocks' was cut at the panel's edge without a mark."""
    app = PanelApp(GradientsPanel(), big_784)
    async with app.run_test(size=(34, 20)) as pilot:
        await pilot.pause()
        for line in shown(app.panel).splitlines():
            assert len(line.rstrip()) <= 30
            assert "(blocks" not in line or "(blocks)" in line


async def test_a_layer_whose_relus_are_all_dead_is_flagged() -> None:
    from engine.snapshot import take_snapshot
    from tests.tui.widgets.apps.panel_app import five_stepper

    st = five_stepper()
    st.net.layers[0].b[...] = -1e3  # no training input can switch a first-layer ReLU on
    st.evaluate()
    st.step_iteration()
    s = take_snapshot(st)
    assert s.layers[0].dead_fraction == 1.0
    assert flags(s)[0] == "†d" and flags(s)[-1] != "†d"  # the output layer has no ReLUs
    app = PanelApp(GradientsPanel(), s)
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        text = shown(app.panel)
        assert "†d every ReLU dead on the training set" in text
