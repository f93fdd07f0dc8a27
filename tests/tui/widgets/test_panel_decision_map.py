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


async def test_a_cut_legend_ends_with_an_ellipsis() -> None:
    """The x2 range used to be cut at the panel's edge with nothing to say so."""
    st = trained_five(30, 0)
    for size, cut in (((60, 18), True), ((140, 40), False)):
        for no_color in (False, True):
            app = PanelApp(DecisionMapPanel(), None, no_color=no_color)
            async with app.run_test(size=size) as pilot:
                await pilot.pause()
                p = app.panel
                p.show(snap(st, decision=(p.size.width, 2 * (p.size.height - 1))))
                await pilot.pause()
                legend = shown(p).split("\n")[0]
                assert len(legend) <= p.size.width
                assert legend.endswith("…") == cut, legend
                assert "x1" in legend
                if not cut:
                    assert "x2 " in legend and "east" in legend and "centre" in legend


async def test_axes_are_named_after_the_data_features() -> None:
    """A CSV's columns name the map's axes (they were always x1 and x2)."""
    import dataclasses

    st = trained_five(10, 0)
    app = PanelApp(DecisionMapPanel(), None)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        p = app.panel
        s = snap(st, decision=(p.size.width, 2 * (p.size.height - 1)))
        named = dataclasses.replace(
            s, model=dataclasses.replace(s.model, feature_names=("petal", "sepal"))
        )
        p.show(named)
        await pilot.pause()
        text = shown(p)
        assert "petal " in text and "sepal " in text and "x1 " not in text
