"""OutputsPanel: bars, the true class y, the prediction, the loss; keys and SampleSelected."""

from __future__ import annotations

import math

import numpy as np

from engine import SGD, Network, Stepper
from engine.snapshot import Snapshot
from tests.tui.widgets.apps.panel_app import CLASS_NAMES, PanelApp, shown, snap, units
from tui.messages import SampleSelected
from tui.numbers import neg_log
from tui.widgets.outputs import OutputsPanel, bar


class Recorder(PanelApp):
    def __init__(self, *a, **k) -> None:
        super().__init__(*a, **k)
        self.picked: list[int] = []

    def on_sample_selected(self, m: SampleSelected) -> None:
        self.picked.append(m.index)


async def test_true_class_prediction_and_loss(five_after_loss) -> None:
    s = five_after_loss
    app = Recorder(OutputsPanel(), s)
    async with app.run_test(size=(80, 16)) as pilot:
        await pilot.press("down", "j", "k")
        await pilot.pause()
        assert app.picked == [1, 2, 1]
        text = shown(app.panel)
        c = int(s.batch.y[1])
        pred = int(np.argmax(s.batch.outputs[1]))
        assert f"y  {CLASS_NAMES[c]}" in text
        assert f"true class y = {CLASS_NAMES[c]}, predicted {CLASS_NAMES[pred]}" in text
        assert f"{s.batch.outputs[1, pred]:.3f} ◀ predicted" in text
        p, loss = neg_log(float(s.batch.outputs[1, c]), float(s.batch.per_sample_loss[1]))
        assert f"-log p_y = -log {p} = {loss}" in text
        assert "Lc" not in text  # never explained: the true class is y, as in Explain


async def test_before_forward_and_regression(five_fresh, sine_loss) -> None:
    app = PanelApp(OutputsPanel(), five_fresh)
    async with app.run_test(size=(80, 16)) as pilot:
        await pilot.pause()
        assert "no batch yet" in shown(app.panel)
        app.panel.show(sine_loss)
        await pilot.pause()
        text = shown(app.panel)
        assert "target y =" in text and "ŷ - y" in text and "●" in text and "|" in text


def test_bar_eighths() -> None:
    assert bar(0.5, 4) == "██  "
    assert bar(1 / 16, 2) == "▏ "
    assert bar(float("nan"), 3) == "   "


def test_labels_come_from_the_engine(five_after_loss, sine_loss) -> None:
    s = five_after_loss
    assert s.batch.labels is not None and s.batch.true_labels is not None
    assert np.array_equal(s.batch.labels, np.argmax(s.batch.outputs, axis=1))
    assert np.array_equal(s.batch.true_labels, s.batch.y)
    assert sine_loss.batch.labels is None and sine_loss.batch.true_labels is None  # regression


def one_unit_stepper(n: int = 40) -> Stepper:
    """One sigmoid output unit (binary cross-entropy): two classes from one number."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.float64)[:, None]
    net = Network.from_sizes(
        [2, 3, 1], hidden="tanh", output="sigmoid", loss="binary_cross_entropy", seed=0
    )
    return Stepper(net, SGD(lr=0.5), X, y, batch_size=n, seed=0)


async def test_one_unit_says_the_class_it_predicts() -> None:
    """The issue's 'one output unit ŷ = 0.49372: class 1' (cut from '... when ŷ > 0.5') beside a
    class-0 prediction: the line says the class the engine predicts, at every width."""
    s = snap(units(one_unit_stepper(), 5), decision=None)
    out, labels = s.batch.outputs, s.batch.labels
    assert out is not None and labels is not None
    for width in (32, 50, 90):
        app = PanelApp(OutputsPanel(), s)
        async with app.run_test(size=(width + 4, 16)) as pilot:
            for i in range(4):
                app.panel.sample = i
                app.panel.redraw()
                await pilot.pause()
                line = next(ln for ln in shown(app.panel).splitlines() if "ŷ =" in ln)
                pred = int(labels[i])
                op = ">" if pred == 1 else "≤"
                assert f"{op} 0.5" in line and f"class {pred}" in line, line
                assert len(line.rstrip()) <= width


async def test_a_sure_prediction_reads_true() -> None:
    """'loss = -log 1 = 1.8789e-06': p so near 1 prints as (1 - q)."""
    st = one_unit_stepper()
    s = snap(units(st, 5), decision=None)
    i = 0
    q = 1.8789e-06
    outputs = np.array(s.batch.outputs, copy=True)
    psl = np.array(s.batch.per_sample_loss, copy=True)
    true = int(kept_labels(s)[i])
    outputs[i, 0] = 1 - q if true == 1 else q
    psl[i] = -math.log1p(-q)
    from dataclasses import replace

    s = replace(
        s,
        batch=replace(
            s.batch, outputs=outputs, per_sample_loss=psl, labels=np.array([true] * len(psl))
        ),
    )
    app = PanelApp(OutputsPanel(), s)
    async with app.run_test(size=(84, 16)) as pilot:
        await pilot.pause()
        text = shown(app.panel)
        assert "-log (1 - 1.8789e-06) = 1.8789e-06" in text, text
        assert "-log 1 " not in text


def kept_labels(s: Snapshot) -> np.ndarray:
    assert s.batch.true_labels is not None
    return s.batch.true_labels


async def test_cut_names_end_in_an_ellipsis() -> None:
    """'predicted virgi': a name cut at the panel's edge ends in '…'."""
    from dataclasses import replace

    from tests.tui.widgets.apps.panel_app import trained_five

    s = snap(trained_five(30, 5), decision=None)
    long = tuple(n * 4 for n in CLASS_NAMES)
    s = replace(s, model=replace(s.model, class_names=long))
    app = PanelApp(OutputsPanel(), s)
    async with app.run_test(size=(38, 16)) as pilot:
        await pilot.pause()
        lines = shown(app.panel).splitlines()
        said = next(line for line in lines if line.startswith("y = "))
        assert "…" in said, lines
        for line in lines:
            assert len(line.rstrip()) <= 34


def digits_like_stepper() -> Stepper:
    """64 inputs (an 8x8 image): a bright vertical bar on a dark background."""
    rng = np.random.default_rng(0)
    X = rng.normal(scale=0.05, size=(20, 64)) - 1.0
    X.reshape(20, 8, 8)[:, :, 3:5] = 2.0
    y = np.arange(20) % 10
    net = Network.from_sizes([64, 16, 10], hidden="relu", output="softmax", seed=0)
    return Stepper(net, SGD(lr=0.1), X, y, batch_size=20, seed=0)


async def test_an_image_input_is_drawn() -> None:
    """digits: 64 inputs are drawn as the 8x8 image beside the bars (half blocks in colour,
    shade characters without)."""
    s = snap(units(digits_like_stepper(), 4), decision=None)
    app = PanelApp(OutputsPanel(), s, no_color=True)
    async with app.run_test(size=(44, 18)) as pilot:
        await pilot.pause()
        lines = shown(app.panel).splitlines()[1:9]
        assert all(line[:8] == "   ██   " for line in lines), lines
    app = PanelApp(OutputsPanel(), s)
    async with app.run_test(size=(44, 18)) as pilot:
        await pilot.pause()
        lines = shown(app.panel).splitlines()[1:5]
        assert all(line[:8] == "▀" * 8 for line in lines), lines
        assert "◀" in shown(app.panel)
