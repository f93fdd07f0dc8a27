"""engine.probes: the app's diagnostics recorded per snapshot, frozen copies."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Stepper
from engine.confusion import network_confusion
from engine.probes import Prober
from engine.sharpness import sharpness
from scenarios import build, load_scenario

FIXTURES = "tests/fixtures/scenarios"


def stepper(name: str = "five-classes") -> Stepper:
    return build(load_scenario(f"{FIXTURES}/{name}.toml")).stepper


def test_histograms_record_each_layer_and_count_every_weight() -> None:
    st = stepper()
    pr = Prober(st.net.n_layers)
    for _ in range(5):
        st.step_iteration()
        p = pr.observe(st)
    h = p.histograms
    assert h is not None
    assert list(h.steps) == [1, 2, 3, 4, 5]
    assert h.weights.shape == (5, st.net.n_layers, h.edges.size - 1)
    sizes = [layer.W.size for layer in st.net.layers]
    assert (h.weights.sum(axis=2) == sizes).all() and (h.gradients.sum(axis=2) == sizes).all()
    assert p.sharpness_every is None and p.sharpness_steps.size == 0 and p.confusion is None


def test_sharpness_every_n_steps_matches_a_cold_measurement() -> None:
    st = stepper()
    pr = Prober(st.net.n_layers)
    for _ in range(12):
        st.step_iteration()
        p = pr.observe(st, sharpness_every=5)
    assert list(p.sharpness_steps) == [1, 6, 11]
    cold = sharpness(st.net, st.X, st.y, l2=st.opt.l2)
    assert abs(p.sharpness_values[-1] - cold.value) <= 1e-2 * abs(cold.value)
    assert p.momentum == 0.9  # the fixture's SGD momentum, for the limit 2(1+b)/lr


def test_confusion_on_the_test_set_and_a_rewind_starts_again() -> None:
    st = stepper()
    pr = Prober(st.net.n_layers)
    st.step_iteration()
    st.step_iteration()
    p = pr.observe(st, confusion=True)
    assert p.confusion is not None and p.confusion.on == "test" and p.confusion.step == 2
    assert st.X_test is not None and st.y_test is not None
    want = network_confusion(st.net, st.X_test, st.y_test, st.net.sizes[-1])
    assert np.array_equal(p.confusion.matrix, want)
    st.undo()
    p = pr.observe(st)
    assert p.confusion is None  # the step went back: the series start again
    assert p.histograms is not None and list(p.histograms.steps) == [1]


def test_observe_leaves_the_stepper_bit_identical() -> None:
    st = stepper()
    st.step_iteration()
    before = (st.net.params.copy(), st.net.grad.copy(), st.step, st.version)
    Prober(st.net.n_layers).observe(st, sharpness_every=1, confusion=True)
    assert np.array_equal(before[0], st.net.params) and np.array_equal(before[1], st.net.grad)
    assert (st.step, st.version) == before[2:]


def test_a_big_net_records_histograms_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.probes

    monkeypatch.setattr(engine.probes, "HISTOGRAMS_ALWAYS", 100)  # five-classes has 141
    st = stepper()
    pr = Prober(st.net.n_layers)
    st.step_iteration()
    p = pr.observe(st)
    assert p.histograms is not None and p.histograms.steps.size == 0
    st.step_iteration()
    p = pr.observe(st, histograms=True)
    assert p.histograms is not None and list(p.histograms.steps) == [2]
