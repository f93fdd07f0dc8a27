"""WeightsPanel: heatmap text, exact values under the cursor, keys and CursorMoved."""

from __future__ import annotations

import numpy as np

from tests.tui.widgets.apps.panel_app import PanelApp, shown
from tui.messages import CursorMoved
from tui.numbers import fmt, fmt_exact
from tui.widgets.heatmap import block_reduce
from tui.widgets.weights import WeightsPanel


class Recorder(PanelApp):
    def __init__(self, *a, **k) -> None:
        super().__init__(*a, **k)
        self.moves: list[tuple] = []

    def on_cursor_moved(self, m: CursorMoved) -> None:
        self.moves.append((m.layer, m.row, m.col, m.kind))


async def test_exact_value_and_keys(five_updated) -> None:
    app = Recorder(WeightsPanel(), five_updated)
    async with app.run_test(size=(100, 30)) as pilot:
        p = app.panel
        await pilot.press("down", "right", "right")
        await pilot.pause()
        assert app.moves[-1] == (0, 1, 2, "W")
        text = shown(p)
        lay = five_updated.layers[0]
        assert f"W[1,2] (input 1 → unit 2) = {fmt_exact(lay.W[1, 2])}" in text
        assert f"∂L/∂W[1,2] = {fmt(lay.dW[1, 2], 6)}" in text
        assert f"Δ = {fmt(lay.uW[1, 2], 6)}" in text
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert app.moves[-1][0] == 1 and "[L2 8×8" in shown(p)
        await pilot.press("pagedown", "pagedown", "pagedown")  # clamps at the last layer
        await pilot.press("down", "down", "down", "down", "down", "down", "down", "down", "down")
        await pilot.pause()
        assert app.moves[-1] == (2, 0, 2, "b")
        assert "b[2] (bias of unit 2)" in shown(p)


async def test_values_printed_and_computing_layer(five_backward) -> None:
    app = PanelApp(WeightsPanel(), five_backward)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        p = app.panel
        p.follow_cursor(1, 0, 0)
        text = shown(p)
        assert "L2 8×8 ◀bwd" in text  # backward L2/3 was the last unit
        w = five_backward.layers[1].W
        assert f"{w[0, 1]:.3f}".replace("0.", ".", 1) in text


async def test_large_layer_blocks_and_no_color(big_784) -> None:
    app = PanelApp(WeightsPanel(), big_784, no_color=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = shown(app.panel)
        assert "784×128 in blocks" in text
        assert any(ch in text for ch in "░▒▓█")
        assert "-" in text and "+" in text


def test_block_reduce_matches_loops() -> None:
    a = np.random.default_rng(0).normal(size=(37, 11))
    r = block_reduce(a, 5, 4, "mean")
    assert r.shape == (5, 4)
    assert np.isclose(r[0, 0], a[0:7, 0:2].mean())
    m = block_reduce(a, 5, 4, "maxabs")
    blk = a[0:7, 0:2]
    assert m[0, 0] == blk.flat[np.argmax(np.abs(blk))]


async def test_small_layer_in_full_when_short(five_backward) -> None:
    """10 rows (the 80x24 layout): an 8x8 layer shows all 8 rows with values, not blocks; the
    strip moves to the title and the cursor's numbers fold into one line."""
    app = PanelApp(WeightsPanel(), five_backward)
    async with app.run_test(size=(80, 12)) as pilot:  # border 2 + 10 rows
        p = app.panel
        p.follow_cursor(1, 0, 0)
        await pilot.pause()
        text = shown(p)
        assert "blocks" not in text
        lay = five_backward.layers[1]
        rows = [line for line in text.splitlines() if line[:2].strip().isdigit()]
        assert len(rows) == 8
        assert f"W[0,0] = {fmt_exact(lay.W[0, 0])}" in text
        assert str(p.border_title).startswith("Weights L2/3 8×8")


def test_sixteen_colour_scale_is_symmetric() -> None:
    """With 16 colours, a weight and its negative get the same strength of blue and of red."""
    from rich.color import ColorType

    from tui.widgets.colours import STEPS, level_styles, use_standard_colours

    use_standard_colours(True)
    try:
        styles = level_styles()
        for k in range(1, STEPS + 1):
            neg, pos = styles[STEPS - k].bgcolor, styles[STEPS + k].bgcolor
            assert neg is not None and pos is not None
            nr, ng, nb = neg.get_truecolor()
            pr, pg, pb = pos.get_truecolor()
            assert (nr, ng, nb) == (pb, pg, pr), k  # the same colour with red and blue swapped
            for c in (neg, pos):  # each downgrades to one of the terminal's 16 colours
                assert c.downgrade(ColorType.STANDARD).type == ColorType.STANDARD
    finally:
        use_standard_colours(False)
