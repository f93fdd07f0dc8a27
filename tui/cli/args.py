"""The subcommands' options and their parsing, without numpy (a fast `--help`, the app's start)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

# numpy-free: the scenarios package loads its numpy modules only when they are used
from scenarios.schema import ScenarioError
from scenarios.validate import check_float, check_int

if TYPE_CHECKING:
    from scenarios.schema import Scenario

CMDLINE = "command line"  # where an option's error is, as a scenario file's path would be
HOME_ENV = "BACKPROP_TUI_HOME"  # engine.ledger.home.ENV, named here without importing numpy
# set by the app's --no-record for the process and what it starts (the sweep screen's sweeps)
NO_RECORD_ENV = "BACKPROP_TUI_NO_RECORD"


def recording(no_record_flag: bool) -> bool:
    """Whether a command records its runs: not with --no-record, nor under an app started so."""
    return not no_record_flag and os.environ.get(NO_RECORD_ENV) != "1"


def add_home_argument(p: argparse.ArgumentParser, default: object) -> None:
    """--home DIR: the data home (the run ledger and checkpoints) for this command."""
    p.add_argument(
        "--home",
        metavar="DIR",
        default=default,
        help=f"data home: the run ledger (default ${HOME_ENV}, else ~/.local/share/backprop-tui)",
    )


def add_source_arguments(p: argparse.ArgumentParser) -> None:
    """What to run: a scenario, or a CSV file and its target column (a default scenario)."""
    p.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO|PATH",
        help="a bundled name or a .toml file (or --data and --target)",
    )
    add_data_arguments(p)


def add_data_arguments(p: argparse.ArgumentParser, dest: str = "") -> None:
    """--data FILE.csv --target COLUMN; ``dest`` prefixes the names (the app's, beside train's)."""
    p.add_argument(
        "--data",
        dest=f"{dest}data",
        metavar="FILE.csv",
        help="a CSV file with a header row, run without a scenario file (needs --target)",
    )
    p.add_argument(
        "--target",
        dest=f"{dest}target",
        metavar="COLUMN",
        help="the CSV column to predict: labels or a few integers are classes, other numbers "
        "regression",
    )


def load_source(scenario: str | None, data: str | None, target: str | None) -> Scenario:
    """The scenario to run: loaded by name or path, or built from --data and --target."""
    from scenarios import load_scenario, scenario_from_data  # numpy: only when a command runs

    if data is None:
        if target is not None:
            raise ScenarioError(CMDLINE, "--target", f"found {target!r} without --data", "")
        if scenario is None:
            raise ScenarioError(
                CMDLINE,
                "SCENARIO",
                "missing",
                "a bundled name, a .toml file, or --data FILE.csv --target COLUMN",
            )
        return load_scenario(scenario)
    if scenario is not None:
        raise ScenarioError(
            CMDLINE, "--data", f"found both {scenario!r} and --data", "a scenario or --data"
        )
    if target is None:
        raise ScenarioError(data, "--target", "missing", "the CSV column to predict")
    return scenario_from_data(data, target, keys=("--data", "--target"))


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", metavar="N", help="iterations to run")
    length.add_argument("--epochs", metavar="N", help="passes over the training set")
    p.add_argument("--lr", metavar="F", help="learning rate (> 0)")
    p.add_argument("--batch-size", metavar="N|full", help="samples per iteration, or full")
    p.add_argument("--momentum", metavar="F", help="SGD momentum in [0, 1)")
    p.add_argument("--seed", metavar="N", help="seed for weight init and shuffling")
    p.add_argument("--optimizer", metavar="sgd|adam", help="the optimiser")
    p.add_argument("--l1", metavar="F", help="L1 penalty on the weights (>= 0)")
    p.add_argument("--l2", metavar="F", help="L2 penalty on the weights (>= 0)")
    p.add_argument("--hidden", metavar="N,N,...", help="hidden layer sizes, e.g. 16,16 (none: 0)")
    p.add_argument("--activation", metavar="NAME", help="hidden activation, e.g. relu, tanh")
    p.add_argument("--init", metavar="NAME", help="weight initialiser, e.g. he, xavier, auto")
    p.add_argument(
        "--schedule",
        metavar="TEXT",
        help="lr schedule: constant, step:every=N[,factor=F], cosine:steps=N[,min=F], "
        "warmup:steps=N[+step:...|+cosine:...]",
    )
    p.add_argument(
        "--batch-schedule",
        metavar="TEXT",
        help="batch-size schedule: constant, step:every=N,factor=F (x F every N steps) or "
        "step:epochs=E,factor=F (every E epochs), capped at the training set",
    )
    p.add_argument(
        "--target-accuracy", metavar="F", help="stop once training accuracy reaches F (0-1]"
    )
    p.add_argument("--eval-every", metavar="N", help="evaluate every N iterations")
    p.add_argument("--log", metavar="FILE.jsonl", help="one JSON line per evaluation")
    p.add_argument("--save", metavar="FILE.npz", help="write the final state as a checkpoint")
    p.add_argument(
        "--resume",
        metavar="ID|FILE.npz",
        help="continue a run (a ledger id or a checkpoint) bit for bit; --steps N: N more",
    )
    p.add_argument("--no-record", action="store_true", help="keep this run out of the run ledger")
    p.add_argument("--json", action="store_true", help="last stdout line: one JSON summary")
    from .diagnostics import add_arguments as add_diagnostic_arguments  # numpy-free too

    add_diagnostic_arguments(p)


def option_float(key: str, text: str | None, **bounds: Any) -> float | None:
    """``--key``'s text as a number within ``bounds``; None when the option is not given."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(CMDLINE, key, f"found {text!r}", "a number") from None
    return check_float(CMDLINE, key, value, **bounds)


def option_int(key: str, text: str | None, low: int) -> int | None:
    """``--key``'s text as an integer from ``low`` up; None when the option is not given."""
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ScenarioError(CMDLINE, key, f"found {text!r}", f"an integer >= {low}") from None
    return check_int(CMDLINE, key, value, low, 10**12)
