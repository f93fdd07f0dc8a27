"""Typed, checked reads of one TOML table, each failure a one-line ScenarioError."""

from __future__ import annotations

import difflib
import itertools
import math
from typing import Any, overload

from .schema import ScenarioError

# Parameters, gradient and up to two optimiser buffers live at once; the check is on their sum.
COPIES_PER_PARAM = 4
MEMORY_LIMIT_BYTES = 2 * 1024**3


def show(value: Any) -> str:
    """A found value as the message shows it: repr for strings, TOML-ish names for types."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= 60 else text[:56] + "...'"
    return repr(value)


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class TomlTable:
    """Checked reads of one TOML table's keys; unknown keys fail at once, with a suggestion."""

    def __init__(self, where: str, prefix: str, raw: dict[str, Any], allowed: tuple[str, ...]):
        self.where = where
        self.prefix = prefix
        self.raw = raw
        for key in raw:
            if key not in allowed:
                raise ScenarioError(
                    where,
                    self.path(key),
                    f"unknown key{suggest(key, allowed)}",
                    ", ".join(allowed),
                )

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def error(self, key: str, found: str, allowed: str) -> ScenarioError:
        return ScenarioError(self.where, self.path(key), found, allowed)

    def has(self, key: str) -> bool:
        return key in self.raw

    def table(self, key: str) -> dict[str, Any]:
        value = self.raw.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, f"found {show(value)}", f"a table [{self.path(key)}]")
        return value

    @overload
    def string(self, key: str, default: str, choices: tuple[str, ...] = ()) -> str: ...
    @overload
    def string(
        self, key: str, default: str | None, choices: tuple[str, ...] = ()
    ) -> str | None: ...
    def string(self, key: str, default: str | None, choices: tuple[str, ...] = ()) -> str | None:
        """A string (one of ``choices`` if given); ``default`` when the key is left out."""
        value = self.raw.get(key, default)
        allowed = ", ".join(choices) if choices else "a string"
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(key, f"found {show(value)}", allowed)
        if choices and value not in choices:
            raise self.error(key, f"found {show(value)}{suggest(value, choices)}", allowed)
        return value

    def integer(
        self, key: str, default: int | None, low: int = 0, high: int | None = None
    ) -> int | None:
        return check_int(self.where, self.path(key), self.raw.get(key, default), low, high)

    def number(
        self,
        key: str,
        default: float,
        low: float,
        high: float | None = None,
        *,
        low_open: bool = False,
        high_open: bool = False,
    ) -> float:
        return check_float(
            self.where,
            self.path(key),
            self.raw.get(key, default),
            low,
            high,
            low_open=low_open,
            high_open=high_open,
        )

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"found {show(value)}", "true or false")
        return value


def check_int(where: str, key: str, value: Any, low: int, high: int | None = None) -> int | None:
    """An integer in [low, high]; None passes through (an optional key left out)."""
    if value is None:
        return None
    allowed = f"an integer >= {low}" + (f" and <= {high:,}" if high is not None else "")
    # bool is an int subclass in Python; `steps = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(where, key, f"found {show(value)}", allowed)
    if value < low or (high is not None and value > high):
        raise ScenarioError(where, key, f"found {value}", allowed)
    return value


def check_float(
    where: str,
    key: str,
    value: Any,
    low: float,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite number in the interval; integers are accepted, NaN and infinities are not."""
    lo = f"> {low:g}" if low_open else f">= {low:g}"
    hi = "" if high is None else (f" and < {high:g}" if high_open else f" and <= {high:g}")
    allowed = f"a finite number {lo}{hi}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(where, key, f"found {show(value)}", allowed)
    x = float(value)
    bad = not math.isfinite(x) or x < low or (low_open and x == low)
    if high is not None:
        bad = bad or x > high or (high_open and x == high)
    if bad:
        raise ScenarioError(where, key, f"found {x:g}", allowed)
    return x


def check_batch_size(where: str, key: str, value: Any) -> int | None:
    """A positive integer or "full" (None in the result)."""
    allowed = 'an integer >= 1, or "full"'
    if value == "full":
        return None
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.isdigit():  # "²".isdigit() is true, int("²") fails
        value = int(text)  # from the command line every value is a string
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ScenarioError(where, key, f"found {show(value)}", allowed)
    return value


def check_memory(
    where: str, key: str, sizes: list[int], itemsize: int, shown: object = None
) -> None:
    """Refuse a network whose parameters (with gradient and optimiser state) would not fit."""
    params = sum(a * b + b for a, b in itertools.pairwise(sizes))
    need = params * itemsize * COPIES_PER_PARAM
    if need > MEMORY_LIMIT_BYTES:
        raise ScenarioError(
            where,
            key,
            f"found {shown or sizes}: {params:,} parameters, about {need / 1024**3:,.1f} GiB",
            f"networks needing at most {MEMORY_LIMIT_BYTES // 1024**3} GiB",
        )
