"""Confusion matrix and per-class accuracy, against direct counting and the net's accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Network
from engine.confusion import confusion_matrix, network_confusion, per_class_accuracy


def test_counts_rows_true_columns_predicted() -> None:
    true = np.array([0, 0, 1, 2, 2, 2])
    pred = np.array([0, 1, 1, 2, 0, 2])
    cm = confusion_matrix(true, pred, 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert cm.dtype == np.int64
    acc = per_class_accuracy(cm)
    np.testing.assert_allclose(acc, [0.5, 1.0, 2 / 3])


def test_random_labels_match_a_loop_and_an_empty_class_is_nan() -> None:
    rng = np.random.default_rng(0)
    true = rng.integers(0, 4, 500)  # class 4 never occurs
    pred = rng.integers(0, 5, 500)
    cm = confusion_matrix(true, pred, 5)
    loop = np.zeros((5, 5), dtype=np.int64)
    for t, p in zip(true, pred, strict=True):
        loop[t, p] += 1
    np.testing.assert_array_equal(cm, loop)
    assert cm.sum() == 500
    acc = per_class_accuracy(cm)
    assert np.isnan(acc[4]) and np.all(np.isfinite(acc[:4]))


@pytest.mark.parametrize(
    ("true", "pred", "k"),
    [([0, 1], [0], 2), ([0, 2], [0, 1], 2), ([0, -1], [0, 1], 2), ([0], [0], 0)],
)
def test_bad_input_is_refused(true: list[int], pred: list[int], k: int) -> None:
    with pytest.raises(ValueError):
        confusion_matrix(np.array(true), np.array(pred), k)


@pytest.mark.parametrize(
    ("output", "loss", "n_out"),
    [("softmax", "cross_entropy", 3), ("sigmoid", "binary_cross_entropy", 1), ("tanh", "mse", 1)],
)
def test_network_confusion_agrees_with_accuracy(output: str, loss: str, n_out: int) -> None:
    net = Network.from_sizes([2, 5, n_out], "tanh", output, loss, seed=1, init_scale=1.0)
    rng = np.random.default_rng(2)
    X = rng.standard_normal((40, 2))
    labels = rng.integers(0, max(n_out, 2), 40)
    y: np.ndarray = labels
    if loss != "cross_entropy":  # one output unit: a 0/1 target, or -1/1 for tanh (threshold 0)
        y = labels[:, None].astype(np.float64)
        if output == "tanh":
            y = 2 * y - 1
    cm = network_confusion(net, X, y, max(n_out, 2))
    assert cm.shape == (max(n_out, 2),) * 2
    assert cm.sum() == 40
    assert np.trace(cm) / 40 == pytest.approx(net.accuracy(X, y))
    np.testing.assert_array_equal(cm.sum(axis=1), np.bincount(labels, minlength=cm.shape[0]))
