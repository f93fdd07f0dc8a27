"""End-to-end: XOR converges; the engine never imports the terminal UI libraries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import SGD, Adam, Network, Stepper

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])
ROOT = Path(__file__).resolve().parents[2]


def test_xor_2_8_2_tanh_softmax_converges() -> None:
    net = Network.from_sizes([2, 8, 2], hidden="tanh", output="softmax", seed=0)
    st = Stepper(net, SGD(lr=0.5, momentum=0.9), XOR_X, XOR_Y, batch_size=None, seed=0)
    st.run(300)
    assert net.accuracy(XOR_X, XOR_Y) == 1.0
    assert net.loss(XOR_X, XOR_Y) < 0.05
    assert st.history.train_loss[-1] < st.history.train_loss[0] / 10


def test_xor_2_4_1_tanh_sigmoid_bce_converges_unit_by_unit() -> None:
    net = Network.from_sizes(
        [2, 4, 1], hidden="tanh", output="sigmoid", loss="binary_cross_entropy", seed=1
    )
    y = XOR_Y[:, None].astype(float)
    st = Stepper(net, Adam(lr=0.05), XOR_X, y, batch_size=2, seed=0)
    while st.step < 400:
        st.step_unit()
    assert net.accuracy(XOR_X, y) == 1.0
    np.testing.assert_array_equal(net.predict(XOR_X), XOR_Y)


def test_xor_1986_style_sigmoid_mse_sum() -> None:
    """The paper's setting: sigmoid units, E = 1/2 sum sum (y - d)^2, momentum 0.9."""
    net = Network.from_sizes(
        [2, 2, 1], hidden="sigmoid", output="sigmoid", loss="mse", reduction="sum",
        init="uniform", init_scale=1.0, seed=3,
    )  # fmt: skip
    y = XOR_Y[:, None].astype(float)
    st = Stepper(net, SGD(lr=0.5, momentum=0.9), XOR_X, y, seed=0)
    st.run(2000)
    assert net.accuracy(XOR_X, y) == 1.0


def test_sgd_step_public_api_trains_xor() -> None:
    net = Network.from_sizes([2, 8, 2], hidden="tanh", output="softmax", seed=0)
    opt = SGD(lr=0.5, momentum=0.9)
    first = opt.step(net, XOR_X, XOR_Y)
    for _ in range(300):
        last = opt.step(net, XOR_X, XOR_Y)
    assert last < first / 10
    assert net.accuracy(XOR_X, XOR_Y) == 1.0


@pytest.mark.parametrize("module", ["engine", "engine.snapshot"])
def test_engine_never_imports_textual_or_rich(module: str) -> None:
    code = (
        f"import {module}, engine, sys; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')); "
        "assert not bad, bad"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr


def test_every_engine_module_imports_without_the_ui() -> None:
    mods = sorted(p.stem for p in (ROOT / "engine").glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}: importlib.import_module('engine.' + m)\n"
        "ui = ('textual', 'rich', 'plotext')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ui)\n"
        "assert not bad, bad\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
