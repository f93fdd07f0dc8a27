"""ExplainPanel: the right equation per phase, with the snapshot's own numbers."""

from __future__ import annotations

import math
import re

import numpy as np

from engine import SGD, Adam, Network, Optimizer, Phase, Stepper
from engine.snapshot import Snapshot
from tests.tui.widgets.apps.panel_app import (
    PanelApp,
    kept,
    shown,
    snap,
    trained_five,
    wedges_and_disc,
)
from tui.numbers import fmt, neg_log
from tui.widgets.explain import ExplainPanel
from tui.widgets.weights import WeightsPanel


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
        arg, loss = neg_log(
            float(kept(s.batch.outputs)[0, c]), float(kept(s.batch.per_sample_loss)[0]), 6
        )
        assert f"L = -log p_y = -log {arg} = {loss}" in t
        s, t = seen["backward L3/3"]
        assert "δ_L = (ŷ - y) / 16" in t
        s, t = seen["backward L2/3"]
        assert "δ2 = (δ3·W3ᵀ) * f'(z2)" in t and fmt(kept(s.layers[1].dW)[2, 3], 6) in t
        s, t = seen["update"]
        lay = s.layers[1]
        assert "α·Δw_prev" in t and f"= {fmt(lay.W[2, 3], 6)}" in t
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
        assert "L = ½·(ŷ - y)²" in t and fmt(kept(s.batch.per_sample_loss)[0], 6) in t
        assert "softmax" not in t and "(ŷ - y)·f'(z_L)" in t
        s, t = seen["backward L2/2"]
        assert "f'(z) = 1  (linear output)" in t and fmt(kept(s.layers[1].delta)[0, 0], 6) in t


def test_hang_indents_continuations() -> None:
    from rich.text import Text

    from tui.widgets.explain import hang

    out = hang(Text("  z = " + " + ".join(["0.123·(-0.456)"] * 6)), 40).plain.splitlines()
    assert len(out) > 1 and all(len(line) <= 40 for line in out)
    assert all(line.startswith("      ") for line in out[1:])  # own indent (2) + 4


def five(lr: float) -> Stepper:
    X, y = wedges_and_disc()
    net = Network.from_sizes([2, 8, 8, 5], hidden="relu", output="softmax", seed=0, init="he")
    return Stepper(net, SGD(lr=lr, momentum=0.9), X, y, batch_size=16, seed=0)


def xor(opt: Optimizer) -> Stepper:
    """xor with tanh hidden units and batches of 8 (the issue's second case)."""
    rng = np.random.default_rng(0)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    X = corners[np.arange(32) % 4] + rng.normal(scale=0.1, size=(32, 2))
    y = (np.arange(32) % 4 == 1) | (np.arange(32) % 4 == 2)
    net = Network.from_sizes(
        [2, 4, 1], hidden="tanh", output="sigmoid", loss="binary_cross_entropy", seed=0
    )
    return Stepper(net, opt, X, y.astype(float)[:, None], batch_size=8, seed=0)


async def explain(s: Snapshot, cursor: tuple[int, int, int, str], size=(100, 24)) -> str:
    app = PanelApp(ExplainPanel(), s)
    async with app.run_test(size=size) as pilot:
        app.panel.follow_cursor(*cursor)
        await pilot.pause()
        return shown(app.panel)


def numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.?\d*(?:e[+-]?\d+)?", text)]


async def test_the_update_shown_is_the_one_applied_after_a_held_change() -> None:
    """The issue: five-classes `1`, cursor on W[1,3], `n n + u`: the step ran with lr 0.05 and
    no previous Δw, Explain printed lr 0.1 and an invented Δw(t-1)."""
    st = five(0.05)
    st.step_unit()
    st.step_unit()
    assert not st.set_lr(0.1)  # held for the next iteration
    st.run_until(Phase.UPDATE)
    s = snap(st)
    lay = s.layers[1]
    i, j = (int(k) for k in np.unravel_index(np.argmax(abs(kept(lay.grad_W))), lay.W.shape))
    t = await explain(s, (1, i, j, "W"))
    g, du = float(kept(lay.grad_W)[i, j]), float(kept(lay.uW)[i, j])
    assert g != 0
    assert np.isclose(du, -0.05 * g)  # what the engine did
    line = next(ln for ln in t.splitlines() if "]: Δw = -" in ln)
    neg_lr, g_, a_, v_, d_ = numbers(line.split("Δw =")[1])
    assert (neg_lr, a_, v_) == (-0.05, 0.9, 0.0)  # the lr applied, no previous step
    assert fmt(neg_lr * g_ + a_ * v_, 6) == fmt(d_, 6) == fmt(du, 6)  # the arithmetic is true
    assert "0.1·" not in line
    new = next(ln for ln in t.splitlines() if "w ←" in ln)
    o_, d2, n_ = numbers(new.split("←")[1])
    assert fmt(o_ + d2, 6) == fmt(n_, 6) == fmt(lay.W[i, j], 6)
    app = PanelApp(WeightsPanel(), s)
    async with app.run_test(size=(100, 30)) as pilot:
        app.panel.follow_cursor(1, i, j)
        await pilot.pause()
        assert "lr 0.05" in shown(app.panel)


async def test_the_gradient_shown_after_the_update_is_the_one_used() -> None:
    """The issue: xor, tanh, lr 0.5, l2 0.1, batch 8: after `b` ∂L/∂w was 0.0407358, after
    the update 0.038699 (recomputed at the new weights), and '0.885875 - 0.5·0.038699 =
    0.865507' did not add up."""
    st = xor(SGD(lr=0.5, l2=0.1))
    st.run(3)
    st.run_until(Phase.BACKWARD)
    before = snap(st)
    lay = before.layers[0]
    g_before = float(kept(lay.dW)[1, 2] + kept(lay.reg_dW)[1, 2])
    st.run_until(Phase.UPDATE)
    s = snap(st)
    t = await explain(s, (0, 1, 2, "W"))
    line = next(ln for ln in t.splitlines() if ln.strip().startswith("W1[1,2]:"))
    o_, lr_, g_, n_ = numbers(line.split(":", 1)[1])
    assert lr_ == 0.5 and fmt(g_, 5) == fmt(g_before, 5)
    assert fmt(o_ - lr_ * g_, 6) == fmt(n_, 6) == fmt(s.layers[0].W[1, 2], 6)
    assert "reg" in t  # g = data + regularisation, both at the weights before the update
    app = PanelApp(WeightsPanel(), s)
    async with app.run_test(size=(100, 30)) as pilot:
        app.panel.follow_cursor(0, 1, 2)
        await pilot.pause()
        assert f"∂L/∂W[1,2] = {fmt(g_before, 6)}" in shown(app.panel)


async def test_adam_shows_its_moments_and_the_right_sign() -> None:
    """With Adam and l2 0.01 the gradient shown had the wrong sign; now m, v, the bias
    corrections and the step are printed, and the step evaluates from them."""
    st = xor(Adam(lr=0.05, l2=0.01))
    st.run(4)
    st.run_until(Phase.BACKWARD)
    lay = snap(st).layers[0]
    g_before = float(kept(lay.dW)[0, 1] + kept(lay.reg_dW)[0, 1])
    st.run_until(Phase.UPDATE)
    s = snap(st)
    t = await explain(s, (0, 0, 1, "W"), (120, 24))
    assert "t = 5" in t and "1-β1ᵗ" in t and "m̂" in t and "v̂" in t
    assert f"g = {fmt(g_before, 5)}," in t
    line = next(ln for ln in t.splitlines() if ln.strip().startswith("m̂ ="))
    m_, v_, neg_lr, m2, v2, e_, d_ = numbers(line.replace("√", " "))
    assert neg_lr == -0.05 and m_ == m2 and v_ == v2
    assert fmt(neg_lr * m_ / (math.sqrt(v_) + e_), 6) == fmt(d_, 6)
    assert fmt(d_, 6) == fmt(kept(s.layers[0].uW)[0, 1], 6)


async def test_momentum_says_which_weights_moved_with_their_gradient() -> None:
    """'Every weight moved against its gradient' was printed under every momentum update."""
    st = five(0.1)
    st.run(20)
    st.run_until(Phase.UPDATE)
    s = snap(st)
    t = await explain(s, (1, 1, 3, "W"), (100, 30))
    against = total = 0
    for lay in s.layers:
        for u, g in ((kept(lay.uW), kept(lay.grad_W)), (kept(lay.ub), kept(lay.grad_b))):
            m = (u != 0) & (g != 0)
            total += int(m.sum())
            against += int((m & (np.sign(u) == -np.sign(g))).sum())
    assert against < total  # this step has weights that momentum carried along their gradient
    assert "Every weight moved against" not in t
    assert f"{against} of the {total} weights that moved went against their gradient" in t
    assert "momentum" in t


async def test_backward_at_80x24_keeps_the_weight_gradient() -> None:
    """At 80x24 Explain has six rows: backward L1 lost its ∂L/∂W lines below the edge."""
    s = snap(trained_five(30, 8))  # backward L1/3 just done
    assert s.progress.last_unit == "backward L1/3"
    lay = s.layers[0]
    app = PanelApp(ExplainPanel(), s)
    async with app.run_test(size=(80, 8)) as pilot:  # the panel at 80x24: 76x6 inside
        app.panel.follow_cursor(0, 1, 3, "W")
        await pilot.pause()
        assert app.panel.size.height == 6
        lines = shown(app.panel).splitlines()
        text = "\n".join(lines[:6])
        assert f"∂L/∂W[1,3] = {fmt(kept(lay.dW)[1, 3], 6)}" in text
        assert f"∂L/∂b[3] = Σ δ_j = {fmt(kept(lay.db)[3], 6)}" in text
        b_, f_, d_ = numbers(" ".join(lines[:2]).split("f'(z_j) =")[1])  # δ_j = b·f' = d
        assert fmt(b_ * f_, 6) == fmt(d_, 6)
