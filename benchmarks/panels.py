"""Time each data panel's render() at 120x36 and 200x60, big weight layers, a 1e6-step plot.

Run from the repository root (about a minute): python -m benchmarks.panels
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import time
from collections.abc import Callable

import numpy as np
from textual.visual import Visual, visualize

from engine.history import downsample
from engine.snapshot import Curves, Snapshot
from tests.tui.widgets.apps.panel_app import PanelApp, big_stepper, snap, trained_five, units
from tui.widgets.base import SnapshotPanel
from tui.widgets.decision_map import DecisionMapPanel
from tui.widgets.explain import ExplainPanel
from tui.widgets.gradients import GradientsPanel
from tui.widgets.loss_plot import LossPlot
from tui.widgets.outputs import OutputsPanel
from tui.widgets.weights import WeightsPanel

REPEAT = 15


def ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1e3:7.2f} ms"


def paint(p: SnapshotPanel) -> None:
    """build() plus Textual's own conversion of the result into screen lines."""
    w, h = p.size
    Visual.to_strips(p, visualize(p, p.build()), w, h, p.visual_style)


async def time_panel(
    make: Callable[[], SnapshotPanel], snapshots: list[Snapshot], size: tuple[int, int]
) -> tuple[list[float], list[float]]:
    """(cold, warm) times: cold = show() of a new snapshot, which builds the frame, converts
    it to screen lines and diffs them with the last (Redraw.redraw); warm = a cached build."""
    p = make()
    app = PanelApp(p, snapshots[0])
    cold: list[float] = []
    warm: list[float] = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for k in range(REPEAT):
            t = time.perf_counter()
            p.show(snapshots[(k + 1) % len(snapshots)])
            cold.append(time.perf_counter() - t)
            t = time.perf_counter()
            paint(p)
            warm.append(time.perf_counter() - t)
    return cold, warm


def million_step_snapshot(base: Snapshot) -> tuple[Snapshot, float]:
    rng = np.random.default_rng(0)
    n = 1_000_000
    loss = np.exp(-np.arange(n) / 2e5) + 0.05 * rng.random(n)
    t = time.perf_counter()
    x, y = downsample(loss, 200)
    dt = time.perf_counter() - t
    ev = np.arange(100, n + 1, 100)
    curves = dataclasses.replace(
        base.curves,
        loss_x=x + 1,
        loss_y=y,
        eval_steps=ev,
        test_loss=np.exp(-ev / 2e5) + 0.1,
        test_accuracy=1 - np.exp(-ev / 2e5),
        train_accuracy=1 - np.exp(-ev / 2e5),
    )
    return dataclasses.replace(base, curves=curves), dt


def more_loss(curves: Curves) -> Curves:
    return dataclasses.replace(curves, loss_y=curves.loss_y * 1.01)


async def main() -> None:
    five = [snap(trained_five(30, k), decision=(198, 116)) for k in (1, 3, 5, 7, 9)]
    big784 = [snap(units(big_stepper((784, 128, 10)), k), decision=None) for k in (2, 7, 9)]
    big512 = [snap(units(big_stepper((512, 512, 10)), k), decision=None) for k in (2, 7, 9)]
    m, dt = million_step_snapshot(five[0])
    print(f"engine downsample of 1e6 losses to 400 points: {dt * 1e3:.1f} ms (in the worker)")
    cases: list[tuple[str, Callable[[], SnapshotPanel], list[Snapshot]]] = [
        ("weights 2-8-8-5", WeightsPanel, five),
        ("weights 784x128 (L1)", WeightsPanel, big784),
        ("weights 512x512 (L1)", WeightsPanel, big512),
        ("gradients 784x128", GradientsPanel, big784),
        ("gradients 512x512", GradientsPanel, big512),
        ("outputs", OutputsPanel, five),
        ("explain", ExplainPanel, five),
        ("decision map", DecisionMapPanel, five),
        (
            "loss plot 1e6 steps",
            LossPlot,
            [m, dataclasses.replace(m, curves=more_loss(m.curves), version=m.version + 1)],
        ),
    ]
    print(f"{'panel':24} {'size':>7}  cold (new snapshot)  warm (cached)   [build() + to_strips]")
    for size in ((120, 36), (200, 60)):
        for name, make, snaps in cases:
            cold, warm = await time_panel(make, snaps, size)
            print(f"{name:24} {size[0]}x{size[1]:<3}  {ms(cold)}           {ms(warm)}")


if __name__ == "__main__":
    asyncio.run(main())
