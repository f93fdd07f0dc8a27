"""Turn a validated Scenario into data, a network, an optimiser and a stepper."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from engine import SGD, Adam, Network, Optimizer, Stepper
from engine.schedules import parse_batch_schedule, parse_schedule

from .csvdata import load_csv, load_npz
from .datasets import GENERATORS, generate
from .schema import Scenario, ScenarioError
from .validate import check_memory


@dataclass(frozen=True)
class Dataset:
    """Split, scaled and loss-encoded data, ready for the Stepper."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    task: str
    n_inputs: int
    n_outputs: int
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]  # empty for regression
    mean: np.ndarray | None  # standardisation fitted on the training part (None if off)
    std: np.ndarray | None


class Built(NamedTuple):
    net: Network
    optimizer: Optimizer
    stepper: Stepper
    data: Dataset

    @property
    def feature_names(self) -> tuple[str, ...]:
        """One name per input: a CSV's column headers, an .npz's feature_names, or x1, x2..."""
        return self.data.feature_names


def _raw(scn: Scenario) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...]]:
    d = scn.data
    if d.generator is not None:
        X, y = generate(d.generator, d.samples, d.noise, d.seed)
        gen = GENERATORS[d.generator]
        feats = tuple(f"x{i + 1}" for i in range(X.shape[1]))
        if d.generator == "tanh-neuron":
            feats = ("a", "b", "c")
        classes: tuple[str, ...] = ()
        if d.task == "classification":
            k = int(y.max()) + 1 if y.ndim == 1 else (y.shape[1] if y.shape[1] > 1 else 2)
            classes = gen.class_names or tuple(str(i) for i in range(k))
        return X, y, feats, classes
    assert d.file is not None
    if d.file.suffix.lower() == ".csv":
        t = load_csv(d.file, d.target or "", d.task)
    else:
        t = load_npz(d.file, d.task)
    return t.X, t.y, t.feature_names, t.class_names


def _encode(y: np.ndarray, scn: Scenario, n_classes: int) -> np.ndarray:
    """Targets in the form the loss takes: int labels for cross-entropy, floats (n, k) otherwise."""
    net = scn.network
    if scn.data.task == "regression":
        return y.reshape(len(y), -1).astype(np.float64)
    if y.ndim == 2:  # pattern targets (symmetry, encoder): already per output unit
        return y.argmax(axis=1) if net.loss == "cross_entropy" else y.astype(np.float64)
    if net.loss == "cross_entropy":
        return y.astype(np.int64)
    # sigmoid/tanh/linear outputs: one unit for two classes, one-hot for more
    t = y[:, None].astype(np.float64) if n_classes == 2 else np.eye(n_classes)[y]
    if net.output == "tanh":
        t = 2 * t - 1  # tanh's range is (-1, 1); the engine thresholds it at 0
    return t


def build_data(scn: Scenario) -> Dataset:
    """Generate or read the samples, split them with data.seed, standardise on the train part."""
    d = scn.data
    X, y, feats, classes = _raw(scn)
    where = scn.source
    if d.task == "classification" and y.ndim == 1 and len(classes) < 2:
        raise ScenarioError(where, "data", f"found {len(classes)} class", "at least 2 classes")
    n = X.shape[0]
    n_test = round(n * d.test_fraction)
    if n - n_test < 1:
        raise ScenarioError(where, "data.test_fraction", "leaves no training samples", "< 1")
    order = np.random.default_rng(d.seed).permutation(n) if n_test else np.arange(n)
    tr, te = order[: n - n_test], order[n - n_test :]
    X_train, X_test = X[tr], (X[te] if n_test else None)
    mean = std = None
    if d.standardize:
        mean = X_train.mean(axis=0)
        std = X_train.std(axis=0)
        std[std == 0] = 1.0  # a constant feature (a digit's corner pixel) stays 0, not NaN
        X_train = (X_train - mean) / std
        X_test = None if X_test is None else (X_test - mean) / std
    enc = _encode(y, scn, len(classes))
    n_out = len(classes) if enc.ndim == 1 else enc.shape[1]
    return Dataset(
        X_train,
        enc[tr],
        X_test,
        (enc[te] if n_test else None),
        d.task,
        X.shape[1],
        n_out,
        feats,
        classes,
        mean,
        std,
    )


def sizes_of(scn: Scenario, data: Dataset) -> list[int]:
    return [data.n_inputs, *scn.network.hidden, data.n_outputs]


def build_network(scn: Scenario, data: Dataset, rng: np.random.Generator) -> Network:
    n = scn.network
    sizes = sizes_of(scn, data)
    check_memory(
        scn.source, "network.hidden", sizes, np.dtype(n.dtype).itemsize, f"layer sizes {sizes}"
    )
    return Network.from_sizes(
        sizes,
        hidden=n.activation,
        output=n.output,
        loss=n.loss,
        seed=rng,
        dtype=n.dtype,
        reduction=n.reduction,
        init=n.init,
        init_scale=n.init_scale,
    )


def build_optimizer(scn: Scenario) -> Optimizer:
    t = scn.training
    if t.optimizer == "adam":
        return Adam(lr=t.learning_rate, beta1=t.beta1, beta2=t.beta2, eps=t.eps, l1=t.l1, l2=t.l2)
    return SGD(lr=t.learning_rate, momentum=t.momentum, l1=t.l1, l2=t.l2)


def build(scn: Scenario, seed: int | None = None, undo_depth: int = 100) -> Built:
    """Everything a run needs; ``seed`` (default training.seed) drives init and shuffling.

    The data comes from data.seed alone, so runs with different seeds see the same samples.
    """
    data = build_data(scn)
    s = scn.training.seed if seed is None else seed
    init_rng, batch_rng = (np.random.default_rng(c) for c in np.random.SeedSequence(s).spawn(2))
    net = build_network(scn, data, init_rng)
    opt = build_optimizer(scn)
    t = scn.training
    stepper = Stepper(
        net,
        opt,
        data.X_train,
        data.y_train,
        batch_size=t.batch_size,
        seed=batch_rng,
        X_test=data.X_test,
        y_test=data.y_test,
        eval_every=t.eval_every,
        undo_depth=undo_depth,
        task=data.task,
        schedule=parse_schedule(t.schedule),
        batch_schedule=parse_batch_schedule(t.batch_schedule),
    )
    return Built(net, opt, stepper, data)
