"""DecisionMapPanel: half blocks, points, NO_COLOR letters."""

from __future__ import annotations

from tests.tui.widgets.apps.panel_app import PanelApp, shown, snap, trained_five
from tui.widgets.decision_map import DecisionMapPanel


async def test_half_blocks_points_and_no_color() -> None:
    st = trained_five(100, 0)
    app = PanelApp(DecisionMapPanel(), None)
    async with app.run_test(size=(50, 20)) as pilot:
        await pilot.pause()
        p = app.panel
        # one map cell per column and per half row, under the one-line legend
        p.show(snap(st, decision=(p.size.width, 2 * (p.size.height - 1))))
        await pilot.pause()
        text = shown(p)
        assert "▀" in text and "east" in text
        assert any(g in text for g in "ox+*#")
        p.no_color = True
        p.refresh()
        text = shown(p)
        assert "▀" not in text and "a/A east" in text
        assert any(ch in text for ch in "ABCDE")  # training points in upper case


async def test_not_2d(big_784) -> None:
    app = PanelApp(DecisionMapPanel(), big_784)
    async with app.run_test(size=(50, 20)) as pilot:
        await pilot.pause()
        assert "2-D classification" in shown(app.panel)
