"""The subcommands' options and their parsing, without numpy (a fast `--help`, the app's start)."""

from __future__ import annotations

import argparse
from typing import Any

# numpy-free: the scenarios package loads its numpy modules only when they are used
from scenarios.schema import ScenarioError
from scenarios.validate import check_float, check_int

CMDLINE = "command line"  # where an option's error is, as a scenario file's path would be


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", metavar="SCENARIO|PATH", help="a bundled name or a .toml file")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", metavar="N", help="iterations to run")
    length.add_argument("--epochs", metavar="N", help="passes over the training set")
    p.add_argument("--lr", metavar="F", help="learning rate (> 0)")
    p.add_argument("--batch-size", metavar="N|full", help="samples per iteration, or full")
    p.add_argument("--momentum", metavar="F", help="SGD momentum in [0, 1)")
    p.add_argument("--seed", metavar="N", help="seed for weight init and shuffling")
    p.add_argument(
        "--target-accuracy", metavar="F", help="stop once training accuracy reaches F (0-1]"
    )
    p.add_argument("--eval-every", metavar="N", help="evaluate every N iterations")
    p.add_argument("--log", metavar="FILE.jsonl", help="one JSON line per evaluation")
    p.add_argument("--save", metavar="FILE.npz", help="write the final state as a checkpoint")
    p.add_argument("--json", action="store_true", help="last stdout line: one JSON summary")


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
