"""The scenario as frozen dataclasses, and the one error type every validation problem raises."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class ScenarioError(ValueError):
    """A problem in a scenario, its data or a command-line override; str() is one line.

    The line names where (a file, or the command line), the key path, what was found and what is
    allowed, e.g. ``xor.toml: training.learning_rate: found -0.1; allowed: a number > 0``.
    """

    def __init__(self, where: str, key: str, found: str, allowed: str) -> None:
        self.where = where
        self.key = key
        self.found = found
        self.allowed = allowed
        parts = [where] + ([key] if key else [])
        msg = f"{': '.join(parts)}: {found}" + (f"; allowed: {allowed}" if allowed else "")
        # One line, always: a newline from a parser or a file name must not split the message.
        super().__init__(" ".join(msg.split("\n")))


@dataclass(frozen=True)
class DataSpec:
    """Where the samples come from and how they are split and scaled."""

    generator: str | None  # a name in datasets.GENERATORS, or None when ``file`` is set
    file: Path | None  # a .csv or .npz file, resolved against the scenario file's folder
    target: str | None  # the CSV column holding the target
    samples: int
    noise: float
    test_fraction: float
    seed: int  # seeds the generator and the train/test split
    standardize: bool  # fit mean/std on the training part only, apply to both
    task: str  # "classification" or "regression"


@dataclass(frozen=True)
class NetworkSpec:
    """The architecture: hidden sizes (inputs and outputs come from the data) and functions."""

    hidden: tuple[int, ...]
    activation: str
    output: str
    loss: str
    reduction: str
    init: str
    init_scale: float
    dtype: str


@dataclass(frozen=True)
class TrainingSpec:
    """Optimiser and schedule; ``batch_size`` None means full batch."""

    optimizer: str  # "sgd" or "adam"
    learning_rate: float
    momentum: float
    beta1: float
    beta2: float
    eps: float
    batch_size: int | None
    l1: float
    l2: float
    steps: int | None  # exactly one of steps and epochs is set
    epochs: int | None
    eval_every: int
    seed: int  # seeds weight initialisation and batch shuffling

    def total_steps(self, steps_per_epoch: int) -> int:
        """The run's length in iterations: ``steps``, or ``epochs`` whole passes."""
        if self.steps is not None:
            return self.steps
        assert self.epochs is not None  # the loader sets exactly one of them
        return self.epochs * steps_per_epoch


@dataclass(frozen=True)
class Scenario:
    """A named, reproducible problem: data, network and training settings."""

    name: str
    description: str
    look_for: str
    source: str  # the file it was read from, for messages
    data: DataSpec
    network: NetworkSpec
    training: TrainingSpec

    @property
    def is_classification(self) -> bool:
        return self.data.task == "classification"
