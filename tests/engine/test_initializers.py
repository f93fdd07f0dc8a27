"""Initialisers: glorot/xavier limits, he std, uniform W and b, zeros and the symmetry problem."""

from __future__ import annotations

import numpy as np
import pytest

from engine import SGD, Network, Stepper
from engine.initializers import initialize
from tests.engine.engine_helpers import make_data


@pytest.mark.parametrize("name", ["glorot", "xavier"])
def test_glorot_uniform_limits(name: str) -> None:
    fi, fo = 300, 200
    W, b = initialize(name, fi, fo, np.random.default_rng(0), np.dtype("float64"))
    limit = np.sqrt(6.0 / (fi + fo))
    assert W.shape == (fi, fo) and b.shape == (fo,)
    assert np.abs(W).max() <= limit and np.abs(W).max() > 0.99 * limit
    np.testing.assert_allclose(W.std(), limit / np.sqrt(3), rtol=0.01)
    np.testing.assert_array_equal(b, 0)


def test_he_normal_std() -> None:
    fi, fo = 400, 300
    W, b = initialize("he", fi, fo, np.random.default_rng(1), np.dtype("float64"))
    np.testing.assert_allclose(W.std(), np.sqrt(2.0 / fi), rtol=0.01)
    assert abs(W.mean()) < 0.01 * np.sqrt(2.0 / fi) * 10
    np.testing.assert_array_equal(b, 0)


def test_uniform_draws_weights_and_biases() -> None:
    W, b = initialize("uniform", 50, 400, np.random.default_rng(2), np.dtype("float32"), scale=0.3)
    assert W.dtype == b.dtype == np.float32
    for a in (W, b):
        assert np.abs(a).max() <= 0.3 and np.abs(a).max() > 0.29
        assert np.unique(a).size > 0.9 * a.size
    np.testing.assert_allclose(b.std(), 0.3 / np.sqrt(3), rtol=0.1)


def test_auto_picks_he_for_relu_and_glorot_otherwise() -> None:
    relu = Network.from_sizes([500, 400, 3], hidden="relu", seed=0)
    np.testing.assert_allclose(relu.layers[0].W.std(), np.sqrt(2 / 500), rtol=0.02)
    tanh = Network.from_sizes([500, 400, 3], hidden="tanh", seed=0)
    assert np.abs(tanh.layers[0].W).max() <= np.sqrt(6 / 900)


def test_unknown_initialiser() -> None:
    with pytest.raises(ValueError, match="unknown initialiser 'ones'"):
        Network.from_sizes([2, 3, 2], init="ones")


def test_seeded_initialisation() -> None:
    a = Network.from_sizes([4, 5, 3], seed=7, init="uniform")
    b = Network.from_sizes([4, 5, 3], seed=7, init="uniform")
    c = Network.from_sizes([4, 5, 3], seed=8, init="uniform")
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "relu"])
def test_zeros_keeps_hidden_units_identical(hidden: str) -> None:
    """The symmetry problem: with zero weights every hidden unit gets the same gradient forever."""
    net = Network.from_sizes([3, 6, 5, 2], hidden=hidden, init="zeros", seed=0)
    X, y = make_data(net, 20, seed=3)
    st = Stepper(net, SGD(lr=0.5, momentum=0.5), X, y, batch_size=5, seed=0)
    st.run(50)
    assert not np.array_equal(net.params, 0)  # it did learn something (the output biases)
    for layer in net.layers[:-1]:
        W, b = layer.W, layer.b
        np.testing.assert_allclose(W, np.repeat(W[:, :1], W.shape[1], axis=1), rtol=1e-12, atol=0)
        np.testing.assert_allclose(b, np.full_like(b, b[0]), rtol=1e-12, atol=0)
    # all rows of the output layer (one per hidden unit) are equal as well
    W = net.layers[-1].W
    np.testing.assert_allclose(W, np.repeat(W[:1], W.shape[0], axis=0), rtol=1e-12, atol=0)


def test_random_init_breaks_symmetry() -> None:
    net = Network.from_sizes([3, 6, 2], hidden="tanh", seed=0)
    X, y = make_data(net, 20, seed=3)
    Stepper(net, SGD(lr=0.5), X, y).run(20)
    W = net.layers[0].W
    assert np.abs(W - W[:, :1]).max() > 1e-3
