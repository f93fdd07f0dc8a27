"""Every bundled scenario loads, builds, and is wired as documented."""

import numpy as np
import pytest

import scenarios
from scenarios import build, bundled_names, load_scenario

EXPECTED = {
    "five-classes",
    "xor",
    "circles",
    "spiral",
    "gaussian",
    "tanh-neuron",
    "sine",
    "digits",
    "iris",
    "symmetry-1986",
    "encoder-8-3-8",
    "vanishing-gradients",
    "edge-of-stability",
}


def test_all_bundled_present_default_first():
    names = bundled_names()
    assert set(names) == EXPECTED
    assert names[0] == scenarios.DEFAULT_SCENARIO == "five-classes"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bundled_loads_and_builds(name):
    scn = load_scenario(name)
    assert scn.name == name and scn.description and scn.look_for
    b = build(scn)
    assert b.net.sizes[0] == b.data.X_train.shape[1]
    assert b.stepper.step == 0
    assert np.isfinite(b.net.loss(b.data.X_train, b.data.y_train))


def test_scenario_is_frozen() -> None:
    scn = load_scenario("xor")
    with pytest.raises(AttributeError):
        scn.name = "other"  # type: ignore[misc]


def test_symmetry_1986_is_the_papers_setup():
    scn = load_scenario("symmetry-1986")
    b = build(scn)
    assert b.net.sizes == [6, 2, 1] and b.net.activations == ["sigmoid", "sigmoid"]
    assert (b.net.loss_name, b.net.reduction) == ("mse", "sum")
    t = scn.training
    assert (t.learning_rate, t.momentum, t.batch_size) == (0.1, 0.9, None)
    assert (scn.network.init, scn.network.init_scale) == ("uniform", 0.3)
    assert np.abs(b.net.params).max() <= 0.3  # weights and biases in [-0.3, 0.3]
    assert b.data.X_train.shape == (64, 6) and b.data.X_test is None


def test_digits_is_64_32_10_and_standardised_on_train():
    b = build(load_scenario("digits"))
    assert b.net.sizes == [64, 32, 10]
    assert b.data.X_train.shape[0] + b.data.X_test.shape[0] == 1797
    assert np.allclose(b.data.X_train.mean(axis=0), 0, atol=1e-12)
    assert abs(b.data.X_test.mean()) > 1e-6  # the test part is scaled with train statistics
    assert b.data.class_names == tuple(str(i) for i in range(10))


def test_iris_data_and_names():
    b = build(load_scenario("iris"))
    assert b.net.sizes == [4, 8, 3]
    assert b.data.class_names == ("setosa", "versicolor", "virginica")
    assert len(b.data.X_train) + len(b.data.X_test) == 150


def test_tanh_neuron_is_one_tanh_unit_then_linear():
    b = build(load_scenario("tanh-neuron"))
    assert b.net.sizes == [3, 1, 1] and b.net.activations == ["tanh", "linear"]
    assert b.data.feature_names == ("a", "b", "c") and b.data.task == "regression"


def test_same_seed_same_initial_weights_other_seed_differs():
    scn = load_scenario("five-classes")
    assert np.array_equal(build(scn).net.params, build(scn).net.params)
    assert not np.array_equal(build(scn, seed=1).net.params, build(scn).net.params)
    # the data depends on data.seed only, so runs with different seeds compare on the same set
    assert np.array_equal(build(scn, seed=1).data.X_train, build(scn).data.X_train)


def test_vanishing_gradients_norms_shrink_toward_the_input():
    b = build(load_scenario("vanishing-gradients"))
    assert len(b.net.sizes) - 2 >= 6
    b.stepper.run(20)
    norms = b.stepper.history.grad_norms.mean(axis=0)
    assert np.all(np.diff(norms) > 0)  # every layer's gradient is smaller than the one above
    assert norms[-1] / norms[0] > 1e3
