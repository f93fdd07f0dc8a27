"""The lessons: classic results as a bundled scenario plus a preset comparison, sweep or lr-find."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

from .schema import ScenarioError

# The config keys a lesson's runs change (scenarios.overrides' dotted keys) and the `train` flag
# that sets each one, so every run is also a command line anyone can paste.
TRAIN_FLAGS = {
    "training.lr": "--lr",
    "training.momentum": "--momentum",
    "training.batch_size": "--batch-size",
    "training.steps": "--steps",
    "training.epochs": "--epochs",
    "training.optimizer": "--optimizer",
    "training.l1": "--l1",
    "training.l2": "--l2",
    "training.schedule": "--schedule",
    "training.batch_schedule": "--batch-schedule",
    "network.hidden": "--hidden",
    "network.activation": "--activation",
    "network.init": "--init",
    "seed": "--seed",
}


def _flag_value(value: object) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) or "none"
    if value is None:
        return "full"
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Run:
    """One run of a comparison: the lesson's scenario with these config changes."""

    label: str
    changes: Mapping[str, object] = field(default_factory=dict)

    def train_args(self) -> list[str]:
        """The `train` flags that make this run (the keys' order)."""
        args: list[str] = []
        for key, value in self.changes.items():
            args += [TRAIN_FLAGS[key], _flag_value(value)]
        return args


@dataclass(frozen=True)
class Lesson:
    """A published claim, the scenario and preset that test it, and what to look for."""

    number: int
    id: str
    title: str
    source: str  # the publication the claim comes from
    claim: str
    look_for: str
    scenario: str  # a bundled scenario's name
    runs: tuple[Run, ...] = ()  # a comparison: start them from the same initial weights
    train_args: tuple[str, ...] = ()  # extra `train` flags for every run
    sweep: tuple[str, ...] = ()  # `backprop-tui sweep SCENARIO` arguments, if the preset sweeps
    lr_find: tuple[str, ...] | None = None  # `backprop-tui lr-find SCENARIO` arguments
    measured: str = ""  # the result measured here with the preset ("" until measured)
    note: str = ""  # what the preset cannot show yet, or a caveat

    def commands(self) -> list[str]:
        """Command lines that reproduce the preset, one per run / sweep / lr-find."""
        base = ["backprop-tui"]
        out: list[str] = []
        if self.lr_find is not None:
            out.append(shlex.join([*base, "lr-find", self.scenario, *self.lr_find]))
        for run in self.runs:
            argv = [*base, "train", self.scenario, *run.train_args(), *self.train_args]
            out.append(shlex.join(argv))
        if self.sweep:
            out.append(shlex.join([*base, "sweep", self.scenario, *self.sweep]))
        return out


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        1,
        "lr-range-test",
        "The learning-rate range test brackets the usable learning rates",
        "Smith (2015), Cyclical Learning Rates for Training Neural Networks; fastai's lr_find",
        "Raising the lr exponentially over one short run, the loss falls, bottoms out and blows "
        "up: the usable learning rates lie below the bottom, the best constant one near it.",
        "where the loss starts to fall, its lowest point and where it explodes; then which "
        "constant learning rates of the sweep train well and where they start to diverge",
        "circles",
        lr_find=("--start", "1e-7", "--end", "10", "--iterations", "100"),
        sweep=("--lr", "1e-3:10:9log", "--steps", "200"),
        measured="lr-find: lowest loss at lr 0.51, suggests 0.051, stops at 10; the sweep "
        "(momentum 0.9, 200 steps): best 0.1-0.32 (loss 0.131, 0.130), lr 1 fails (2.6), "
        "10 diverges",
    ),
    Lesson(
        2,
        "linear-scaling",
        "Linear scaling: a k times bigger batch wants a k times bigger learning rate",
        "Goyal et al. (2017), Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour",
        "When the batch grows k-fold, multiply the lr by k and the loss per epoch stays the same; "
        "it holds until the batch is a large part of the data.",
        "the curves per epoch lying on top of each other for batches 5-40 with lr = 0.01 x batch, "
        "and the full-batch-like run (100) falling behind",
        "circles",
        runs=tuple(
            Run(f"batch {b}, lr {0.01 * b:g}", {"training.batch_size": b, "training.lr": 0.01 * b})
            for b in (5, 10, 20, 40, 100)
        ),
        train_args=("--momentum", "0", "--epochs", "20"),
        sweep=(
            "--lr",
            "0.1",
            "--batch-size",
            "5,10,20,40,100",
            "--momentum",
            "0",
            "--epochs",
            "20",
        ),
        note="the sweep is the contrast: the same lr 0.1 for every batch",
        measured="final loss after 20 epochs, batch 5/10/20/40/100: 0.420/0.420/0.421/0.394/0.446 "
        "with lr = 0.01 x batch; 0.141/0.420/0.615/0.665/0.688 with lr 0.1 for all (the sweep)",
    ),
    Lesson(
        3,
        "momentum-effective-lr",
        "Momentum 0.9 at lr 0.05 moves like lr 0.5 without momentum",
        "Polyak (1964), heavy ball; the limit 2(1+b)/sharpness as in Cohen et al. (2021)",
        "With momentum b a steady gradient moves the weights lr/(1-b) per step, so lr 0.05 with "
        "momentum 0.9 learns like lr 0.5 without; divergence follows 2(1+b)/sharpness instead.",
        "the first two curves close together, the third (lr 0.05 alone) far slower",
        "circles",
        runs=(
            Run("lr 0.5", {"training.lr": 0.5, "training.momentum": 0.0}),
            Run("lr 0.05, momentum 0.9", {"training.lr": 0.05, "training.momentum": 0.9}),
            Run("lr 0.05", {"training.lr": 0.05, "training.momentum": 0.0}),
        ),
        train_args=("--steps", "1000", "--eval-every", "50"),
        measured="loss at steps 50/200/1000: 0.683/0.292/0.029 for lr 0.5, 0.679/0.331/0.027 for "
        "lr 0.05 with momentum 0.9, 0.710/0.679/0.487 for lr 0.05 alone",
    ),
    Lesson(
        4,
        "edge-of-stability",
        "Edge of stability: the sharpness rises to 2/lr and stays there",
        "Cohen et al. (2021), Gradient Descent on Neural Networks Typically Occurs at the Edge "
        "of Stability",
        "Full-batch gradient descent with squared error on a hard set: the sharpness (the loss "
        "Hessian's top eigenvalue) rises to 2/lr and hovers there while the loss keeps falling, "
        "not monotonically.",
        "the sharpness curve climbing to 2/lr (10, 5.71, 3.33) and staying; the loss falling with "
        "small rises once it is there",
        "edge-of-stability",
        runs=(
            Run("lr 0.2", {"training.lr": 0.2}),
            Run("lr 0.35", {"training.lr": 0.35}),
            Run("lr 0.6", {"training.lr": 0.6}),
        ),
        train_args=("--sharpness-every", "50", "--eval-every", "50"),
        measured="sharpness at step 8,000: 10.11 at lr 0.2 (2/lr = 10), 5.77 at 0.35 (5.71), "
        "3.53 at 0.6 (3.33), from 5.2 at the start; the loss rose at 13-21% of the evaluations",
    ),
    Lesson(
        5,
        "batch-instead-of-decay",
        "Increase the batch size instead of decaying the learning rate",
        "Smith, Kindermans, Ying & Le (2017), Don't Decay the Learning Rate, Increase the Batch "
        "Size",
        "Growing the batch by the factor the lr would have decayed by gives the same loss per "
        "epoch with fewer updates.",
        "the loss per epoch of the growing-batch run on top of the decaying-lr one, with 363 "
        "updates instead of 600; the constant lr at batch 10 for reference",
        "circles",
        runs=(
            Run(
                "batch 10, lr 1 halved at epochs 7 and 14",
                {
                    "training.batch_size": 10,
                    "training.lr": 1.0,
                    "training.schedule": "step:every=210,factor=0.5",
                },
            ),
            Run(
                "lr 1, batch 10 doubled at epochs 7 and 14",
                {
                    "training.batch_size": 10,
                    "training.lr": 1.0,
                    "training.batch_schedule": "step:epochs=7,factor=2",
                },
            ),
            Run("batch 10, lr 1", {"training.batch_size": 10, "training.lr": 1.0}),
        ),
        train_args=("--momentum", "0", "--epochs", "20"),
        note="circles has 300 training samples: 30 steps an epoch at batch 10, so the lr halves "
        "at steps 210 and 420, where the batch doubles to 20 and then 40",
        measured="final loss after 20 epochs, seed 0: 0.0460 for the decaying lr (600 updates), "
        "0.0460 for the growing batch (363 updates), 0.0283 for lr 1 at batch 10 (600); seeds "
        "1-4: 0.0523/0.0512/0.0515/0.0421 decaying, 0.0563/0.0507/0.0513/0.0421 growing",
    ),
    Lesson(
        6,
        "vanishing-gradients",
        "Vanishing gradients with sigmoid in depth, and what ReLU with He initialisation changes",
        "Hochreiter (1991); Glorot & Bengio (2010); He et al. (2015)",
        "Through many sigmoid layers the gradient shrinks by up to 4x per layer (sigmoid' <= 1/4), "
        "so the first layers barely learn; ReLU with He initialisation keeps its size.",
        "the per-layer gradient norms: decades apart with sigmoid, alike with ReLU; the loss stuck "
        "at log 2 with sigmoid, falling with ReLU",
        "vanishing-gradients",
        runs=(
            Run("sigmoid, glorot", {}),
            Run("relu, he", {"network.activation": "relu", "network.init": "he"}),
        ),
        measured="after 3,000 steps: sigmoid loss 0.693 (log 2), test accuracy 53%; relu + he loss "
        "0.0000, test 100%",
    ),
    Lesson(
        7,
        "symmetry-1986",
        "The 1986 symmetry solution, with its two hidden units",
        "Rumelhart, Hinton & Williams (1986), Learning representations by back-propagating "
        "errors, Nature 323",
        "A 6-2-1 net learns to detect mirror symmetry with two hidden units whose weights are "
        "anti-symmetric about the middle, magnitudes in the ratio 1:2:4 (1,425 sweeps in the "
        "paper).",
        "the hidden weights: w_i = -w_(7-i), magnitudes 1:2:4, the two units mirroring each other",
        "symmetry-1986",
        runs=(Run("the paper's settings", {}),),
        train_args=("--target-accuracy", "1"),
        measured="solved by 36 of 40 seeds within 20,000 sweeps, median 3,250 (paper: 1,425); "
        "the paper's anti-symmetric 1:2:4 solution in 24 of the 36 (docs/scenarios.md)",
    ),
    Lesson(
        8,
        "large-batch-gap",
        "The large-batch generalisation gap, tested on this data",
        "Keskar et al. (2016), On Large-Batch Training for Deep Learning: Generalization Gap and "
        "Sharp Minima",
        "Large batches converge to sharper minima and generalise worse than small ones at the "
        "same training loss.",
        "test accuracy and final sharpness per batch size, over several seeds; the result is "
        "reported either way",
        "spiral",
        runs=tuple(Run(f"batch {b}", {"training.batch_size": b}) for b in (8, 32, 128, None)),
        train_args=("--epochs", "300", "--sharpness-every", "500"),
        sweep=("--batch-size", "8,32,128,full", "--seeds", "3", "--epochs", "300"),
        measured="not conclusive here: with the spiral's Adam most runs stall near 60% training "
        "accuracy; of those that fit it (batch 32 seed 0, full batch seeds 0 and 2) every one "
        "reached 100% test accuracy, so no gap was seen",
    ),
)


def lessons() -> tuple[Lesson, ...]:
    return LESSONS


def find_lesson(key: str) -> Lesson:
    """A lesson by its id or number; ScenarioError (one line, with the valid ones) otherwise."""
    for lesson in LESSONS:
        if key in (lesson.id, str(lesson.number)):
            return lesson
    valid = ", ".join(f"{x.number} {x.id}" for x in LESSONS)
    raise ScenarioError("command line", "LESSON", f"found {key!r}", valid)


def check_lessons() -> None:
    """Every lesson's scenario loads and every run's changes validate (ScenarioError if not)."""
    from .loader import load_scenario
    from .overrides import with_changes

    for lesson in LESSONS:
        scn = load_scenario(lesson.scenario)
        for run in lesson.runs:
            unknown = set(run.changes) - set(TRAIN_FLAGS)
            if unknown:
                where = f"lesson {lesson.id}"
                raise ScenarioError(
                    where, sorted(unknown)[0], "no train flag", ", ".join(TRAIN_FLAGS)
                )
            with_changes(scn, dict(run.changes), where=f"lesson {lesson.id}, run {run.label!r}")
