"""The `lr-find` command: the learning-rate range test drawn in the terminal, with a suggestion."""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from scenarios.schema import ScenarioError

from .args import CMDLINE, add_source_arguments, load_source, option_float, option_int
from .errors import fail

if TYPE_CHECKING:
    from engine.lrfind import RangeTest

HEIGHT = 12  # plot rows


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument("--start", metavar="F", help="first learning rate (default 1e-7)")
    p.add_argument("--end", metavar="F", help="last learning rate (default 10)")
    p.add_argument("--iterations", metavar="N", help="iterations from start to end (default 200)")
    p.add_argument(
        "--json", action="store_true", help='last stdout line: {"lrs", "losses", "suggested_lr"}'
    )


def run_lr_find(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    from engine.lrfind import END_LR, ITERATIONS, START_LR, range_test
    from scenarios import build

    try:
        scn = load_source(args.scenario, args.data, args.target)
        start = option_float("--start", args.start, low=0.0, low_open=True) or START_LR
        end = option_float("--end", args.end, low=0.0, low_open=True) or END_LR
        if end <= start:
            raise ScenarioError(CMDLINE, "--end", f"found {end:g}", f"a number > --start {start:g}")
        iterations = option_int("--iterations", args.iterations, 2) or ITERATIONS
        built = build(scn, undo_depth=0)
        res = range_test(built.stepper, start, end, iterations)
    except ScenarioError as exc:
        return fail(str(exc))
    except (ValueError, MemoryError) as exc:
        return fail(f"{args.scenario or args.data}: {exc}")
    human = sys.stderr if args.json else out
    width = min(shutil.get_terminal_size((80, 24)).columns, 100)
    for line in plot_lines(res, start, end, width):
        print(line, file=human)
    lo, hi = res.suggested_range
    why = {
        "diverged": "stopped where the smoothed loss passed 4x its best",
        "not finite": "stopped at a non-finite loss",
        "end": "reached the last lr without passing 4x the best",
    }[res.stopped]
    print(
        f"{scn.name}: {len(res.lrs)} iterations, lr {res.lrs[0]:.3g} to {res.lrs[-1]:.3g} ({why}); "
        f"lowest smoothed loss {min(res.losses):.4g} at lr {res.min_lr:.3g}; "
        f"steepest fall at lr {res.steepest_lr:.3g}",
        file=human,
    )
    print(
        f"suggested lr {res.suggested_lr:.3g} (the minimum's lr / 10); "
        f"try constant lrs from {lo:.3g} to {hi:.3g}",
        file=human,
    )
    if args.json:
        data = {"lrs": res.lrs, "losses": _finite(res.losses), "suggested_lr": res.suggested_lr}
        print(json.dumps(data), file=out, flush=True)
    return 0


def _finite(xs: Sequence[float]) -> list[float | None]:
    return [x if math.isfinite(x) else None for x in xs]


def plot_lines(res: RangeTest, start: float, end: float, width: int = 80) -> list[str]:
    """The smoothed loss ('*') against lr on a log axis from ``start`` to ``end``; 'o' marks the
    minimum, a column of '|' the suggested lr. Plain ASCII: it goes to logs and pipes too."""
    label_w = 9
    cols = max(20, width - label_w - 2)
    ys = [y for y in res.losses if math.isfinite(y)]
    lo = min(ys)
    hi = max(ys)
    if hi <= lo:
        hi = lo + 1.0
    lx0, lx1 = math.log10(start), math.log10(end)

    def col(lr: float) -> int:
        return min(cols - 1, max(0, round((math.log10(lr) - lx0) / (lx1 - lx0) * (cols - 1))))

    def row(y: float) -> int:
        return min(HEIGHT - 1, max(0, round((hi - y) / (hi - lo) * (HEIGHT - 1))))

    grid = [[" "] * cols for _ in range(HEIGHT)]
    sug = col(res.suggested_lr)
    for r in range(HEIGHT):
        grid[r][sug] = "|"
    for lr, y in zip(res.lrs, res.losses, strict=True):
        if math.isfinite(y):
            grid[row(y)][col(lr)] = "*"
    grid[row(min(ys))][col(res.min_lr)] = "o"
    lines = ["smoothed loss vs learning rate (log scale); o lowest, | suggested"]
    for r, cells in enumerate(grid):
        label = f"{hi:.3g}" if r == 0 else f"{lo:.3g}" if r == HEIGHT - 1 else ""
        lines.append(f"{label:>{label_w}} |{''.join(cells).rstrip()}")
    lines.append(" " * label_w + " +" + "-" * cols)
    # a tick label at every decade that has room for it
    ticks = [" "] * (cols + 8)
    for d in range(math.ceil(lx0), math.floor(lx1) + 1):
        text = f"1e{d}" if d not in (0, 1) else ("1" if d == 0 else "10")
        c = col(10.0**d)
        if all(ch == " " for ch in ticks[max(0, c - 1) : c + len(text) + 1]):
            ticks[c : c + len(text)] = list(text)
    lines.append(" " * (label_w + 2) + "".join(ticks).rstrip())
    return lines
