"""A default scenario for a CSV file without a TOML wrapper: `--data FILE.csv --target COLUMN`."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from .csvdata import check_target, read_rows
from .files import regular_size
from .loader import parse
from .schema import Scenario, ScenarioError

# An integer column with at most this many distinct values is taken as class labels; more
# (an age, a count, a price in whole units) is a quantity to predict: regression.
MAX_INTEGER_CLASSES = 20
HIDDEN = [16]
ACTIVATION = "tanh"  # smooth and zero-centred: no dead units on a first look at unknown data


def infer_task(values: list[str]) -> str:
    """Classification for text labels or a few integers, regression for other numbers."""
    numbers: list[float] = []
    for v in values:
        try:
            numbers.append(float(v))
        except ValueError:
            return "classification"  # a label such as "setosa"
    if any(not math.isfinite(x) for x in numbers):
        return "classification"  # "nan"/"inf" read as text labels, not as a quantity
    integral = all(x.is_integer() for x in numbers)
    if integral and len(set(numbers)) <= MAX_INTEGER_CLASSES:
        return "classification"
    return "regression"


def scenario_from_data(
    path: str | os.PathLike[str],
    target: str,
    keys: tuple[str, str] = ("data.file", "data.target"),
) -> Scenario:
    """The scenario a CSV alone implies: every other column a feature, one hidden layer of 16 tanh.

    The task is inferred from the target column (``infer_task``); the output and loss are then the
    loader's defaults for it (softmax with cross-entropy, or linear with MSE), features are
    standardised on the training part, 20% of the rows are held out as the test set. Errors name
    the file and ``keys`` (the options the values came from) in one line.
    """
    file_key, target_key = keys
    p = Path(path)
    where = str(p)
    # by type before anything is read (a directory, a FIFO that would block, /dev/zero that
    # never ends): regular_size says "is a directory; allowed: a .csv file" itself
    regular_size(p, where, file_key, "a .csv file", missing="an existing .csv file")
    if p.suffix.lower() != ".csv":
        allowed = "a .csv file with a header row"
        if p.suffix.lower() == ".npz":
            allowed += '; a .npz needs a scenario .toml whose [data] has file = "...npz"'
        raise ScenarioError(where, file_key, f"a {p.suffix or 'suffix-less'} file", allowed)
    header, rows = read_rows(p)
    ti = check_target(where, header, target, target_key)
    values = [row[ti].strip() for row in rows if len(row) == len(header)]
    task = infer_task(values)
    features = [h for h in header if h != target]
    shown = ", ".join(features) if len(features) <= 4 else f"{len(features)} columns"
    raw: dict[str, Any] = {
        "name": p.stem,
        "description": f"{p.name}: {task} of {target} from {shown}",
        "data": {"file": str(p.resolve()), "target": target, "task": task},
        "network": {"hidden": HIDDEN, "activation": ACTIVATION},
        "training": {"eval_every": 100},
    }
    return parse(raw, where, default_name=p.stem, base_dir=p.resolve().parent)
