"""The scenario as frozen dataclasses, and the one error type every validation problem raises."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def printable(text: str, keep: str = "") -> str:
    """``text`` with control characters (but those in ``keep``) as escapes such as ``\\x1b``.

    A scenario's name, a file name or a found value goes to a terminal; an escape sequence in it
    must show as text, never move the cursor, retitle the window or hide the rest of the line.
    Bidirectional overrides and line/paragraph separators are escaped too.
    """
    out = []
    for ch in text:
        code = ord(ch)
        if ch in keep or not (
            code < 0x20 or 0x7F <= code < 0xA0 or code in _INVISIBLE or 0x202A <= code <= 0x202E
        ):
            out.append(ch)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


# line and paragraph separators, bidi isolates and marks: invisible, and they reorder a line
_INVISIBLE = frozenset({0x2028, 0x2029, 0x200E, 0x200F, 0x2066, 0x2067, 0x2068, 0x2069})


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
        super().__init__(printable(" ".join(msg.split("\n"))))


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
    # the lr schedule's canonical text (engine.schedules: str(parse_schedule(text)))
    schedule: str = "constant"
    # the batch-size schedule's canonical text (engine.schedules: parse_batch_schedule)
    batch_schedule: str = "constant"

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
