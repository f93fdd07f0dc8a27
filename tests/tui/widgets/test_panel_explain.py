"""ExplainPanel: the right equation per phase, with the snapshot's own numbers."""

from __future__ import annotations

from tests.tui.widgets.apps.panel_app import PanelApp, kept, shown, snap, trained_five
from tui.numbers import fmt
from tui.widgets.explain import ExplainPanel


async def test_phases_with_numbers() -> None:
    st = trained_five(30, 0)
    app = PanelApp(ExplainPanel(), None)
    async with app.run_test(size=(80, 20)) as pilot:
        p = app.panel
        await pilot.pause()
        assert "Press n to start" in shown(p)
        p.follow_cursor(1, 2, 3, "W")
        seen = {}
        for _ in range(9):
            st.step_unit()
            s = snap(st)
            p.show(s)
            seen[s.progress.last_unit] = (s, shown(p))
        s, t = seen["forward L2/3"]
        assert "z = a1·W + b" in t and fmt(kept(s.layers[1].z)[0, 3], 6) in t
        s, t = seen["loss"]
        c = int(kept(s.batch.y)[0])
        assert f"L = -log p_c = -log {fmt(kept(s.batch.outputs)[0, c], 5)}" in t
        s, t = seen["backward L3/3"]
        assert "δ_L = (ŷ - y) / 16" in t
        s, t = seen["backward L2/3"]
        assert "δ2 = (δ3·W3ᵀ) * f'(z2)" in t and fmt(kept(s.layers[1].dW)[2, 3], 6) in t
        s, t = seen["update"]
        lay = s.layers[1]
        assert "α·Δw(t-1)" in t and f"→ new {fmt(lay.W[2, 3], 6)}" in t
        s, t = seen["sample"]
        assert "batch of 16" in t


async def test_mse_loss_and_delta_with_f_prime() -> None:
    """Regression: the loss is ½(ŷ - t)² with the sample's numbers, δ_L names f'(z)."""
    from tests.tui.widgets.apps.panel_app import sine_stepper

    st = sine_stepper()
    app = PanelApp(ExplainPanel(), None)
    async with app.run_test(size=(100, 20)) as pilot:
        p = app.panel
        await pilot.pause()
        seen = {}
        for _ in range(5):
            st.step_unit()
            s = snap(st)
            p.show(s)
            seen[s.progress.last_unit] = (s, shown(p))
        s, t = seen["loss"]
        assert "L = ½·(ŷ - t)²" in t and fmt(kept(s.batch.per_sample_loss)[0], 6) in t
        assert "softmax" not in t and "(ŷ - t)·f'(z_L)" in t
        s, t = seen["backward L2/2"]
        assert "f'(z) = 1  (linear output)" in t and fmt(kept(s.layers[1].delta)[0, 0], 6) in t


def test_hang_indents_continuations() -> None:
    from rich.text import Text

    from tui.widgets.explain import hang

    out = hang(Text("  z = " + " + ".join(["0.123·(-0.456)"] * 6)), 40).plain.splitlines()
    assert len(out) > 1 and all(len(line) <= 40 for line in out)
    assert all(line.startswith("      ") for line in out[1:])  # own indent (2) + 4
