"""A one-panel app over real engine snapshots, for the panel tests, snapshots and benchmarks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
from textual.app import App, ComposeResult
from textual.widget import Widget

from engine import SGD, Network, Stepper
from engine.snapshot import Snapshot, take_snapshot
from tui.widgets.base import SnapshotPanel

CLASS_NAMES = ("east", "north", "west", "south", "centre")
PANELS_TCSS = Path(__file__).resolve().parents[4] / "tui" / "widgets" / "panels.tcss"


def wedges_and_disc(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """2-D points in five classes: four wedges around a central disc (not the bundled
    five-classes scenario, which tuning may change: these tests need fixed data)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    ang = np.arctan2(X[:, 1], X[:, 0])
    y = (np.floor((ang + np.pi / 4) / (np.pi / 2)) % 4).astype(np.int64)
    y[np.hypot(X[:, 0], X[:, 1]) < 0.35] = 4
    return X, y


def five_stepper(l2: float = 0.0) -> Stepper:
    X, y = wedges_and_disc()
    net = Network.from_sizes([2, 8, 8, 5], hidden="relu", output="softmax", seed=0, init="he")
    opt = SGD(lr=0.1, momentum=0.9, l2=l2)
    return Stepper(
        net,
        opt,
        X[:160],
        y[:160],
        batch_size=16,
        seed=0,
        X_test=X[160:],
        y_test=y[160:],
        eval_every=10,
    )


def big_stepper(sizes: tuple[int, ...] = (784, 128, 10)) -> Stepper:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, sizes[0]))
    y = rng.integers(0, sizes[-1], size=64)
    net = Network.from_sizes(list(sizes), hidden="sigmoid", output="softmax", seed=0)
    return Stepper(net, SGD(lr=0.1), X, y, batch_size=32, seed=0)


def sine_stepper() -> Stepper:
    X = np.linspace(-3, 3, 64)[:, None]
    y = np.sin(X)
    net = Network.from_sizes([1, 8, 1], hidden="tanh", output="linear", loss="mse", seed=0)
    return Stepper(net, SGD(lr=0.05), X, y, batch_size=8, seed=0, task="regression")


def units(st: Stepper, n: int) -> Stepper:
    for _ in range(n):
        st.step_unit()
    return st


def snap(st: Stepper, decision: tuple[int, int] | None = (40, 20), rows: int = 64) -> Snapshot:
    names = CLASS_NAMES if st.net.sizes[-1] == 5 else None
    return take_snapshot(
        st, "wedges-and-disc", rows=rows, decision_size=decision, class_names=names
    )


def trained_five(iterations: int = 30, extra_units: int = 0) -> Stepper:
    st = five_stepper()
    st.run(iterations)
    return units(st, extra_units)


P = TypeVar("P", bound=SnapshotPanel)


def kept(x: np.ndarray | None) -> np.ndarray:
    """A snapshot array the unit under test must have produced."""
    assert x is not None
    return x


def shown(panel: Widget) -> str:
    """What the panel shows, as plain text (its render() is Lines or a rich Text)."""
    return str(panel.render())


class PanelApp(App[None], Generic[P]):
    """Mounts one panel full screen and shows ``snapshot`` on it."""

    CSS_PATH = str(PANELS_TCSS)

    def __init__(self, panel: P, snapshot: Snapshot | None, **attrs: object) -> None:
        super().__init__()
        self.panel = panel
        self.snapshot = snapshot
        for k, v in attrs.items():
            setattr(panel, k, v)

    def compose(self) -> ComposeResult:
        yield self.panel

    def on_mount(self) -> None:
        self.panel.focus()
        if self.snapshot is not None:
            self.panel.show(self.snapshot)


def make_app(which: str) -> PanelApp[SnapshotPanel]:
    """``which`` names a panel module: weights, outputs, gradients, loss_plot, explain, ..."""
    import importlib

    mod = importlib.import_module(f"tui.widgets.{which}")
    cls = next(
        v
        for k, v in vars(mod).items()
        if k.endswith(("Panel", "Plot"))
        and isinstance(v, type)
        and issubclass(v, SnapshotPanel)
        and v.__module__ == mod.__name__
    )
    return PanelApp(cls(), snap(trained_five(30, 5)))


if __name__ == "__main__":
    make_app(sys.argv[1] if len(sys.argv) > 1 else "weights").run()
