"""The sweep screen's fields: a scenario's defaults, per-field errors, the `sweep` argv."""

from __future__ import annotations

import math
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scenarios.schema import ScenarioError

from .cli.sweep import MAX_RUNS
from .cli.sweep_axes import parse_batches, parse_list

if TYPE_CHECKING:
    from scenarios.schema import Scenario

# the fields in screen order: (name, label, what it takes)
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("lr", "lr", "list or A:B:Nlog"),
    ("batch", "batch size", "list of integers or full"),
    ("momentum", "momentum", "list in [0, 1)"),
    ("l2", "L2", "list >= 0"),
    ("seeds", "seeds", "K seeds per cell (S, S+1, ...)"),
    ("length", "length", "N steps, or N epochs"),
)
# the app's sweeps stay interactive: a grid past this asks for the CLI (which has --yes)
APP_MAX_RUNS = min(MAX_RUNS, 1024)


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: the grid's axes and the argv of the `sweep` subprocess."""

    source: tuple[str, ...]  # the scenario as `sweep` takes it: a path/name, or --data/--target
    lrs: tuple[float, ...]
    batches: tuple[int | None, ...]
    momenta: tuple[float, ...]
    l2s: tuple[float, ...]
    seeds: tuple[int, ...]
    steps: int | None
    epochs: int | None
    sgd: bool = True  # Adam has no momentum: `sweep` refuses --momentum for it

    @property
    def n_runs(self) -> int:
        n = len(self.lrs) * len(self.batches) * len(self.momenta) * len(self.l2s)
        return n * len(self.seeds)

    @property
    def pairs(self) -> list[tuple[float, float]]:
        """The (momentum, l2) slices: one heatmap each."""
        return [(m, l2) for m in self.momenta for l2 in self.l2s]

    def argv(self) -> list[str]:
        """`sys.executable -m tui.cli sweep ... --json-lines`, niced when `nice` exists: the
        sweep takes what the interface leaves."""
        args = [
            *self.source,
            "--lr",
            ",".join(repr(v) for v in self.lrs),
            "--batch-size",
            ",".join("full" if b is None else str(b) for b in self.batches),
            "--l2",
            ",".join(repr(v) for v in self.l2s),
            "--seeds",
            str(len(self.seeds)),
            "--seed",
            str(self.seeds[0]),
            "--json-lines",
        ]
        if self.sgd:
            args += ["--momentum", ",".join(repr(v) for v in self.momenta)]
        if self.steps is not None:
            args += ["--steps", str(self.steps)]
        if self.epochs is not None:
            args += ["--epochs", str(self.epochs)]
        nice = shutil.which("nice")
        head = [nice, "-n", "5"] if nice else []
        return [*head, sys.executable, "-m", "tui.cli", "sweep", *args]


def sweep_source(scenario: Scenario) -> tuple[str, ...] | None:
    """How the `sweep` command finds ``scenario``: its .toml file, or its CSV and target."""
    src = Path(scenario.source)
    if src.suffix == ".toml" and src.is_file():
        return (str(src),)
    d = scenario.data
    if d.file is not None and d.target is not None and Path(d.file).is_file():
        return ("--data", str(d.file), "--target", d.target)
    return None


def _nice(v: float) -> str:
    return f"{float(f'{v:.3g}'):g}"


def defaults(scenario: Scenario, n_train: int) -> dict[str, str]:
    """Field texts around the scenario's own settings: 5 lrs over two decades centred on its lr,
    its batch size with a quarter, four times it and the full batch, its momentum and L2, 3
    seeds, its length."""
    t = scenario.training
    lr = t.learning_rate
    b = t.batch_size if t.batch_size is not None else n_train
    sizes = sorted({max(1, b // 4), b, min(n_train, 4 * b)} - {n_train})
    batch = ",".join([*(str(s) for s in sizes), "full"])
    momentum = _nice(t.momentum) if t.optimizer == "sgd" else "0"
    length = f"{t.epochs} epochs" if t.epochs is not None else f"{t.steps} steps"
    return {
        "lr": f"{_nice(lr / 10)}:{_nice(lr * 10)}:5log",
        "batch": batch,
        "momentum": momentum,
        "l2": _nice(t.l2),
        "seeds": "3",
        "length": length,
    }


def _length(text: str) -> tuple[int | None, int | None]:
    """'' (the scenario's), 'N' or 'N steps' (steps), 'N epochs' / 'Ne' (epochs)."""
    if not text.strip():
        return None, None
    m = re.fullmatch(r"\s*(\d+)\s*(steps?|epochs?|e)?\s*", text.lower())
    if m is None or int(m.group(1)) < 1:
        raise ValueError(f"found {text.strip()!r}; allowed: N steps or N epochs, N >= 1")
    n = int(m.group(1))
    return (None, n) if (m.group(2) or "s").startswith("e") else (n, None)


def _message(exc: ScenarioError) -> str:
    return exc.found + (f"; allowed: {exc.allowed}" if exc.allowed else "")


def parse(
    fields: dict[str, str], scenario: Scenario, n_train: int
) -> tuple[SweepPlan | None, dict[str, str]]:
    """The plan, or None and one line per field that is wrong (field name -> message)."""
    errors: dict[str, str] = {}
    t = scenario.training
    source = sweep_source(scenario)
    lrs: list[float] = []
    batches: list[int | None] = []
    momenta: list[float] = []
    l2s: list[float] = []
    bounds = {"lr": (0.0, math.inf, "numbers > 0"), "l2": (0.0, math.inf, "numbers >= 0")}
    bounds["momentum"] = (0.0, 1.0, "numbers in [0, 1)")
    for name, out in (("lr", lrs), ("momentum", momenta), ("l2", l2s)):
        text = fields.get(name, "").strip()
        try:
            values = parse_list(f"--{name}", text or "")
            if not values:
                raise ScenarioError("", "", f"found {text!r}", "a non-empty list")
        except ScenarioError as exc:
            errors[name] = _message(exc)
            continue
        low, high, allowed = bounds[name]
        bad = [v for v in values if v < low or v >= high or (name == "lr" and v <= 0)]
        if bad:
            errors[name] = f"found {bad[0]:g}; allowed: {allowed}"
        elif name == "momentum" and t.optimizer != "sgd" and values != [0.0]:
            errors[name] = f"found {text!r}; allowed: 0 ({t.optimizer} has no momentum)"
        else:
            out.extend(values)
    try:
        batches = parse_batches(fields.get("batch", "").strip() or "", n_train) or []
        if not batches:
            errors["batch"] = "found ''; allowed: a list of integers or full"
    except ScenarioError as exc:
        errors["batch"] = _message(exc)
    seeds_text = fields.get("seeds", "").strip()
    seeds_n = int(seeds_text) if seeds_text.isdigit() else 0
    if not 1 <= seeds_n <= 64:
        errors["seeds"] = f"found {seeds_text!r}; allowed: an integer from 1 to 64"
    steps = epochs = None
    try:
        steps, epochs = _length(fields.get("length", ""))
    except ValueError as exc:
        errors["length"] = str(exc)
    if source is None:
        errors["lr"] = "this scenario has no file the sweep command can read"
    if errors:
        return None, errors
    assert source is not None
    plan = SweepPlan(
        source,
        tuple(lrs),
        tuple(batches),
        tuple(momenta),
        tuple(l2s),
        tuple(t.seed + i for i in range(seeds_n)),
        steps,
        epochs,
        t.optimizer == "sgd",
    )
    if plan.n_runs > APP_MAX_RUNS:
        msg = f"{plan.n_runs:,} runs; allowed: at most {APP_MAX_RUNS:,} here (the CLI has --yes)"
        return None, {"lr": msg}
    return plan, {}
