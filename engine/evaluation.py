"""Whole-set evaluation: loss (data + regularisation) and accuracy on the train and test sets,
and the share of dead ReLU neurons over the training set."""

from __future__ import annotations

from dataclasses import dataclass

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
    dead: list[float | None] | None = None,
) -> dict[str, float | None]:
    """One forward pass per set; accuracies are None for regression, test figures without a test
    set. When ``dead`` is a list, it receives dead_fractions of the training set's pass."""
    reg = opt.reg_loss(net)
    cls = task == "classification"
    zs, acts = net.forward_all(X)
    loss, acc = net.loss_and_accuracy_of(zs, acts, y, cls)
    if dead is not None:
        dead[:] = dead_fractions(net, zs)
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


def dead_fractions(net: Network, zs: list[np.ndarray]) -> list[float | None]:
    """Per layer, the fraction of its ReLU neurons that are never active (z <= 0 for every row
    of the pass): such a neuron outputs 0 and passes no gradient, so it cannot recover. None for
    layers that are not ReLU (leaky ReLU, tanh, sigmoid and the output layer cannot die)."""
    out: list[float | None] = []
    for layer, z in zip(net.layers, zs, strict=True):
        if layer.activation != "relu" or layer.is_output or not z.shape[0]:
            out.append(None)
        else:
            out.append(float(np.mean(~(z > 0).any(axis=0))))
    return out


@dataclass(frozen=True)
class EvaluationJob:
    """A whole-set evaluation of the weights at ``step``, on a copy of the network, so that it
    can run without the engine lock (a big net's takes 100-200 ms) while the run goes on."""

    step: int
    net: Network  # a copy: training goes on with the original
    opt: Optimizer  # its L1/L2 for the regularisation term
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    task: str

    def run(self) -> tuple[dict[str, float | None], list[float | None]]:
        """The figures evaluate_sets gives, and the dead-ReLU fractions of the training set."""
        dead: list[float | None] = []
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            res = evaluate_sets(
                self.net, self.opt, self.X, self.y, self.X_test, self.y_test, self.task, dead
            )
        return res, dead
