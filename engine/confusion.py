"""Confusion matrix and per-class accuracy of a classifier on a labelled set."""

from __future__ import annotations

import numpy as np

from .network import Network

Array = np.ndarray


def confusion_matrix(true: Array, predicted: Array, n_classes: int) -> Array:
    """Counts (n_classes, n_classes) int64: row = true class, column = predicted class.

    One bincount over true * k + predicted: a sample lands in exactly one cell, so the matrix
    sums to the number of samples and its trace is the number classified right.
    """
    t = np.asarray(true, dtype=np.int64).ravel()
    p = np.asarray(predicted, dtype=np.int64).ravel()
    if t.shape != p.shape:
        raise ValueError(f"true and predicted differ in length: {t.size} and {p.size}")
    k = int(n_classes)
    if k < 1:
        raise ValueError(f"n_classes must be >= 1, got {k}")
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= k):
        raise ValueError(f"class labels must lie in 0..{k - 1}")
    cm: Array = np.bincount(t * k + p, minlength=k * k).reshape(k, k)
    return cm


def per_class_accuracy(cm: Array) -> Array:
    """Each true class's share classified right (the recall): diagonal / row sum; NaN if empty."""
    cm = np.asarray(cm, dtype=np.float64)
    rows = cm.sum(axis=1)
    out: Array = np.full(rows.shape, np.nan)
    np.divide(np.diag(cm), rows, out=out, where=rows > 0)
    return out


def network_confusion(net: Network, X: Array, y: Array, n_classes: int) -> Array:
    """The net's confusion matrix on (X, y); y is int labels or targets (one-hot, one 0/1 column).

    Classes come from the net's own rules (argmax, or one output unit's threshold), the ones
    its accuracy uses, so trace / total equals ``net.accuracy(X, y)``.
    """
    k = max(int(n_classes), 2 if net.sizes[-1] == 1 else net.sizes[-1])
    return confusion_matrix(net.true_labels(y), net.predict(X), k)
