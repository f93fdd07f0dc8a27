"""The generators: deterministic per seed, the right shapes, and the fixed pattern sets exact."""

import numpy as np
import pytest

from scenarios.datasets import GENERATORS, generate


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_is_deterministic_and_finite(name):
    X1, y1 = generate(name, 50, 0.1, seed=3)
    X2, y2 = generate(name, 50, 0.1, seed=3)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert np.all(np.isfinite(X1)) and X1.dtype == np.float64
    assert X1.shape[0] == y1.shape[0]


@pytest.mark.parametrize("name", ["five-classes", "xor", "circles", "spiral", "gaussian", "sine"])
def test_seed_changes_the_samples(name):
    assert not np.array_equal(generate(name, 50, 0.1, 0)[0], generate(name, 50, 0.1, 1)[0])


def test_symmetry_has_all_64_patterns_and_8_symmetric():
    X, y = generate("symmetry-6bit", 0, 0.0, 0)
    assert X.shape == (64, 6) and len({tuple(r) for r in X}) == 64
    assert y.shape == (64, 1) and y.sum() == 8  # 2**3 mirror-symmetric patterns
    for row, t in zip(X, y[:, 0], strict=True):
        assert t == float(np.array_equal(row, row[::-1]))


def test_encoder_patterns_are_their_own_targets():
    X, y = generate("encoder-8", 0, 0.0, 0)
    assert np.array_equal(X, np.eye(8)) and np.array_equal(X, y)


def test_class_balance_of_five_classes():
    _, y = generate("five-classes", 500, 0.0, 0)
    assert np.bincount(y).tolist() == [100] * 5


def test_xor_labels_follow_the_quadrants_without_noise():
    X, y = generate("xor", 200, 0.0, 0)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))
    assert np.abs(X).min() >= 0.06  # the gap around the axes
