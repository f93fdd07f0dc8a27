"""Short headless runs of each scenario family reach the figures the README documents."""

import numpy as np

from scenarios import build, load_scenario
from scenarios.datasets import TANH_TEACHER


def run(name, steps=None, seed=None):
    scn = load_scenario(name)
    b = build(scn, seed=seed, undo_depth=0)
    st = b.stepper
    t = scn.training
    res = st.run(steps or t.steps or t.epochs * st.steps_per_epoch)
    assert res.diverged is None
    return b, st.evaluate()


def test_xor_and_circles_reach_100_percent():
    for name in ("xor", "circles"):
        _, ev = run(name)
        assert ev["train_accuracy"] == 1.0 and ev["test_accuracy"] == 1.0, name


def test_gaussian_and_five_classes():
    assert run("gaussian")[1]["test_accuracy"] == 1.0
    assert run("five-classes")[1]["test_accuracy"] >= 0.93


def test_spiral_seed_0_is_solved():
    assert run("spiral")[1]["test_accuracy"] >= 0.99


def test_digits_reaches_97_percent_test_accuracy():
    assert run("digits")[1]["test_accuracy"] >= 0.97


def test_iris():
    assert run("iris")[1]["test_accuracy"] >= 0.93


def test_regression_fits_down_to_the_noise():
    _, ev = run("tanh-neuron")
    assert ev["train_accuracy"] is None and ev["test_accuracy"] is None
    assert ev["test_loss"] < 1e-3  # noise sd 0.02: the floor is 1/2 * 0.02**2 = 2e-4
    assert run("sine")[1]["test_loss"] < 5e-3


def test_tanh_neuron_recovers_the_teacher_unit():
    b, _ = run("tanh-neuron")
    p = TANH_TEACHER
    w = b.net.layers[0].W[:, 0]
    assert np.allclose(w, [p["w_az"], p["w_bz"], p["w_cz"]], atol=0.05)
    assert abs(b.net.layers[0].b[0] - p["t"]) < 0.05
    assert abs(b.net.layers[1].W[0, 0] - p["v"]) < 0.05


def test_symmetry_1986_solves_with_antisymmetric_1_2_4_weights():
    b, _ = run("symmetry-1986", steps=7000)  # seed 0 solves at 6,875 sweeps
    out = b.net.forward(b.data.X_train)
    assert np.abs(out - b.data.y_train).max() < 0.5  # every pattern on the right side of 0.5
    W = b.net.layers[0].W  # (6 inputs, 2 hidden)
    for h in range(2):
        w = W[:, h]
        assert np.abs(w + w[::-1]).max() < 0.05 * np.abs(w).max()  # anti-symmetric
        mags = np.sort(np.abs(w[:3]))
        assert np.allclose(mags / mags[0], [1, 2, 4], rtol=0.1)


def test_encoder_8_3_8_distinct_near_binary_codes():
    b, ev = run("encoder-8-3-8")
    assert ev["train_accuracy"] == 1.0
    h = b.net.forward_all(b.data.X_train)[1][0]  # hidden activations, (8 patterns, 3 units)
    codes = {tuple(c) for c in np.round(h).astype(int)}
    assert len(codes) == 8  # all eight corners of the cube: distinct codes
    assert np.abs(h - np.round(h)).max() < 0.25  # near-binary
