"""The sweep's axes from the command line: lists, A:B:N / A:B:Nlog ranges, batch sizes."""

from __future__ import annotations

import math

from scenarios.schema import ScenarioError

from .args import CMDLINE

LIST_HELP = "comma-separated values, or A:B:N (N evenly spaced) or A:B:Nlog (N log-spaced)"


def _number(key: str, text: str, whole: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(CMDLINE, key, f"found {whole!r}", LIST_HELP) from None
    if not math.isfinite(value):
        raise ScenarioError(CMDLINE, key, f"found {whole!r}", "finite numbers")
    return value


def _round_unique(values: list[float]) -> list[float]:
    """Generated values to 3 significant digits (what a person types to `train --lr`), more
    where 3 would make two of them equal."""
    for digits in range(3, 18):
        out = [float(f"{v:.{digits}g}") for v in values]
        if len(set(out)) == len(out):
            return out
    return values


def parse_list(key: str, text: str | None) -> list[float] | None:
    """``--key``'s values: a list, A:B:N or A:B:Nlog; None when the option is not given."""
    if text is None:
        return None
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ScenarioError(CMDLINE, key, f"found {text!r}", LIST_HELP)
        a, b = _number(key, parts[0], text), _number(key, parts[1], text)
        count = parts[2].strip().lower()
        log = count.endswith("log")
        count = count.removesuffix("log")
        if not (count.isascii() and count.isdigit()):
            raise ScenarioError(CMDLINE, key, f"found {text!r}", "A:B:N with N an integer >= 2")
        n = int(count)
        if a >= b or n < 2:
            raise ScenarioError(CMDLINE, key, f"found {text!r}", "A:B:N with A < B and N >= 2")
        if log and a <= 0:
            raise ScenarioError(CMDLINE, key, f"found {text!r}", "A:B:Nlog with 0 < A < B")
        if log:
            la, lb = math.log10(a), math.log10(b)
            raw = [10 ** (la + (lb - la) * i / (n - 1)) for i in range(n)]
        else:
            raw = [a + (b - a) * i / (n - 1) for i in range(n)]
        return _round_unique(raw)
    items = [t.strip() for t in text.split(",")]
    if not items or any(not t for t in items):
        raise ScenarioError(CMDLINE, key, f"found {text!r}", f"a non-empty list: {LIST_HELP}")
    values = [_number(key, t, text) for t in items]
    return list(dict.fromkeys(values))  # a value given twice is one column, not two


def check_each(key: str, values: list[float], low: float, high: float | None) -> None:
    for v in values:
        if v < low or (high is not None and v >= high) or (key == "--lr" and v <= 0):
            allowed = {"--lr": "numbers > 0", "--momentum": "numbers in [0, 1)"}.get(
                key, "numbers >= 0"
            )
            raise ScenarioError(CMDLINE, key, f"found {v:g}", allowed)


def parse_batches(text: str | None, n_train: int) -> list[int | None] | None:
    """Batch sizes: integers from 1 to the training set's size, or full."""
    if text is None:
        return None
    items = [t.strip() for t in text.split(",")]
    if any(not t for t in items):
        raise ScenarioError(
            CMDLINE, "--batch-size", f"found {text!r}", "a list of integers or full"
        )
    out: list[int | None] = []
    for t in items:
        if t.lower() == "full":
            out.append(None)
            continue
        if not (t.isascii() and t.isdigit()) or int(t) < 1:
            raise ScenarioError(CMDLINE, "--batch-size", f"found {t!r}", "integers >= 1, or full")
        if int(t) > n_train:
            raise ScenarioError(
                CMDLINE,
                "--batch-size",
                f"found {t}",
                f"at most the training set's {n_train:,} samples (or full)",
            )
        out.append(int(t))
    return list(dict.fromkeys(out))
