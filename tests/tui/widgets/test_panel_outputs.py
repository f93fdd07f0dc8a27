"""OutputsPanel: bars, the true class Lc, the prediction, the loss; keys and SampleSelected."""

from __future__ import annotations

import numpy as np

from tests.tui.widgets.apps.panel_app import CLASS_NAMES, PanelApp, shown
from tui.messages import SampleSelected
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
        assert f"Lc {CLASS_NAMES[c]}" in text
        assert f"true Lc = {CLASS_NAMES[c]}, predicted {CLASS_NAMES[pred]}" in text
        assert f"{s.batch.outputs[1, pred]:.3f} ◀ predicted" in text
        assert f"-log {s.batch.outputs[1, c]:.4f}" in text


async def test_before_forward_and_regression(five_fresh, sine_loss) -> None:
    app = PanelApp(OutputsPanel(), five_fresh)
    async with app.run_test(size=(80, 16)) as pilot:
        await pilot.pause()
        assert "no batch yet" in shown(app.panel)
        app.panel.show(sine_loss)
        await pilot.pause()
        text = shown(app.panel)
        assert "target t =" in text and "●" in text and "|" in text


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
