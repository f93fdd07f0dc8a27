"""Whole-set evaluation: loss (data + regularisation) and accuracy on the train and test sets."""

from __future__ import annotations

import numpy as np

from .network import Network
from .optimizers import Optimizer


def evaluate_sets(
    net: Network,
    opt: Optimizer,
    X: np.ndarray,
    y: np.ndarray,
    X_test: np.ndarray | None,
    y_test: np.ndarray | None,
    task: str,
) -> dict[str, float | None]:
    """One forward pass per set; accuracies are None for regression, test figures without a test
    set."""
    reg = opt.reg_loss(net)
    cls = task == "classification"
    loss, acc = net.loss_and_accuracy(X, y, cls)
    res: dict[str, float | None] = {
        "train_loss": loss + reg,
        "train_accuracy": acc if cls else None,
        "test_loss": None,
        "test_accuracy": None,
    }
    if X_test is not None and y_test is not None and X_test.shape[0]:
        loss, acc = net.loss_and_accuracy(X_test, y_test, cls)
        res["test_loss"] = loss + reg
        res["test_accuracy"] = acc if cls else None
    return res
