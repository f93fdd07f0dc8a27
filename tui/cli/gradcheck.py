"""`backprop-tui gradcheck`: backprop against central finite differences, and what each costs."""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from .args import add_source_arguments, load_source, option_int
from .errors import EXIT_INTERRUPTED, PROG, fail

if TYPE_CHECKING:
    from engine.gradcheck import GradCheckReport
    from engine.network import Network
    from scenarios import Scenario

# Up to this many parameters a check is complete by default (a few seconds at most: the cost
# grows as P^2, P parameters times a forward pass that itself grows with P); bigger nets are
# sampled, PER_LAYER weights and PER_LAYER biases of every layer.
FULL_LIMIT = 10_000
PER_LAYER = 100
REDRAW_SECONDS = 0.1
EXIT_DISAGREE = 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument("--batch", metavar="N", help="samples in the checked batch (default 32)")
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--all",
        action="store_true",
        help=f"check every parameter (default only up to {FULL_LIMIT:,} parameters)",
    )
    which.add_argument(
        "--per-layer",
        metavar="N",
        help=f"check N weights and N biases of each layer (default {PER_LAYER} on big nets)",
    )
    which.add_argument(
        "--max-params", metavar="N", help="check a seeded random subset of at most N parameters"
    )
    p.add_argument("--seed", metavar="N", help="seed for the batch and the subset (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON line instead of the table")


class Bar:
    """A progress bar redrawn in place on a terminal (train's style); silent elsewhere."""

    def __init__(self, out: TextIO, n_params: int | None) -> None:
        """``n_params``: the net's parameter count when only a sample is checked, for the
        estimate of a full check at the rate measured so far."""
        self.out = out
        self.tty = out.isatty()
        self.n_params = n_params
        self.t0 = time.perf_counter()
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if not self.tty or (now - self._last < REDRAW_SECONDS and done < total):
            return
        self._last = now
        elapsed = now - self.t0
        left = elapsed * (total - done) / max(done, 1)
        width = shutil.get_terminal_size((80, 24)).columns
        status = f"{done:,}/{total:,} parameters, {duration(left)} left"
        if self.n_params is not None:
            full = elapsed * self.n_params / max(done, 1)
            status += f"; all {self.n_params:,} would take about {duration(full)} (--all)"
        bar_w = max(10, min(30, width - 8 - len(status)))
        filled = bar_w * done // max(total, 1)
        line = (
            f"[{'#' * filled}{'.' * (bar_w - filled)}] {100 * done // max(total, 1):3d}% {status}"
        )
        self.out.write("\r" + line[: width - 1] + "\x1b[K")
        self.out.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.out.write("\r\x1b[K")  # the bar goes; the report follows on a clean line
            self.out.flush()
            self._drawn = False


def duration(seconds: float) -> str:
    """'0.35 s', '42 s', '13 min', '2.1 h': a time estimate at the precision it has."""
    if seconds < 10:
        return f"{seconds:.2g} s" if seconds < 1 else f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _clean(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None  # JSON has no NaN or Infinity


def run_gradcheck(args: argparse.Namespace) -> int:
    import numpy as np

    from engine.gradcheck import gradient_check, per_layer_sample
    from scenarios import ScenarioError, build

    try:
        batch = option_int("--batch", args.batch, 1) or 32
        max_params = option_int("--max-params", args.max_params, 1)
        per_layer = option_int("--per-layer", args.per_layer, 1)
        seed = option_int("--seed", args.seed, 0) or 0
        scn = load_source(args.scenario, args.data, args.target)
        built = build(scn, undo_depth=0)
    except ScenarioError as exc:
        return fail(str(exc))
    except (ValueError, MemoryError) as exc:
        return fail(f"{args.scenario or args.data}: {exc}")
    st = built.stepper
    net = st.net
    rng = np.random.default_rng(seed)
    n = min(batch, st.X.shape[0])
    rows = rng.choice(st.X.shape[0], size=n, replace=False)
    X, y = net.as_inputs(st.X[rows]), net.as_targets(st.y[rows])
    P = net.n_params
    if per_layer is None and max_params is None and not args.all and P > FULL_LIMIT:
        per_layer = PER_LAYER
    indices = None if per_layer is None else per_layer_sample(net, per_layer, seed)
    n_checked = P if indices is None and max_params is None else (
        len(indices) if indices is not None else min(max_params or P, P)
    )  # fmt: skip
    out = sys.stdout
    pout = sys.stderr if args.json else out
    if not args.json:
        what = "all checked" if n_checked == P else _sampled(n_checked, per_layer)
        print(
            f"{scn.name}: {net.describe()}, batch {n}, {P:,} parameters ({what}), "
            f"central differences with h = {_h(net):g}",
            file=out,
            flush=True,  # before the check: a long one shows what it is doing
        )
    bar = Bar(pout, P if n_checked < P else None)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            rep = gradient_check(
                net, X, y, max_params=max_params, seed=seed, indices=indices, progress=bar
            )
    except KeyboardInterrupt:
        bar.close()
        print(f"{PROG}: gradcheck interrupted; nothing was changed", file=sys.stderr)
        return EXIT_INTERRUPTED
    bar.close()
    code = 0 if rep.agree else EXIT_DISAGREE
    if args.json:
        print(json.dumps(summary(scn, rep)), file=out, flush=True)
    else:
        report(rep, out)
    return code


def _h(net: Network) -> float:
    from engine.gradcheck import default_eps

    return default_eps(net.dtype)


def _sampled(n_checked: int, per_layer: int | None) -> str:
    if per_layer is not None:
        return f"{n_checked:,} checked: up to {per_layer} weights and {per_layer} biases per layer"
    return f"a random {n_checked:,} checked"


def _ratio(x: float) -> str:
    """err/tol: two decimals near 1, where the verdict turns; powers of ten far above it."""
    return f"{x:.2f}" if x < 1000 else f"{x:.1e}"


def measure(rep: GradCheckReport) -> str:
    """The agreement rule in one line, with its numbers."""
    return (
        f"agree when every |bp - fd| <= atol + rtol*|fd|, rtol = {rep.rtol:g}, "
        f"atol = 10*(eps_machine*|L|/h + h^2/6) = {rep.atol:.2g} "
        f"(finite differences' own rounding and truncation error, L = {rep.loss:.4g})"
    )


def report(rep: GradCheckReport, out: TextIO) -> None:
    head = ("layer", "checked", "max |fd|", "max |bp-fd|", "rel err", "err/tol")
    print(
        f"{head[0]:<7}{head[1]:>13}{head[2]:>11}{head[3]:>13}{head[4]:>10}{head[5]:>10}", file=out
    )
    floor_layers = []
    for lc in rep.layers:
        checked = f"{lc.checked_W:,}+{lc.checked_b:,}"
        near = lc.max_gradient < 100 * rep.atol
        if near:
            floor_layers.append(f"L{lc.layer + 1}")
        print(
            f"L{lc.layer + 1:<6}{checked:>13}{lc.max_gradient:>11.2e}{lc.max_abs_error:>13.2e}"
            f"{lc.max_rel_error:>10.2e}{_ratio(lc.worst_ratio):>10}"
            + ("  near the floor" if near else "")
            + (f"  {lc.at_kink:,} at a kink" if lc.at_kink else ""),
            file=out,
        )
    print(f"measure: {measure(rep)}", file=out)
    if rep.at_kink:
        print(
            f"at a kink: {rep.at_kink:,} of {rep.n_checked:,} checked parameters moved a ReLU "
            "input across 0 within +-h; the loss has no derivative there, so they are not compared",
            file=out,
        )
    if floor_layers:
        print(
            f"near the floor ({', '.join(floor_layers)}): gradients under 100x atol; their "
            "relative error is rounding, and only errors above atol could be seen there",
            file=out,
        )
    sampled = rep.n_checked < rep.n_params
    print(
        f"finite differences: {rep.fd_forward_passes:,} forward passes "
        f"(2 per parameter; one-sided differences would need P+1 = {rep.n_params + 1:,}, "
        f"less accurately), {rep.fd_seconds:.4f} s"
        + (f"; all {rep.n_params:,} would take about {duration(rep.fd_seconds_all_params)} "
           "(--all)" if sampled else ""),
        file=out,
    )  # fmt: skip
    print(
        f"backprop:           1 forward + 1 backward pass for all {rep.n_params:,} derivatives, "
        f"{rep.backprop_seconds:.6f} s: about {rep.speedup:,.0f}x faster",
        file=out,
    )
    verdict = "agree" if rep.agree else "DISAGREE"
    print(
        f"max relative error {rep.max_rel_error:.2e}, worst |bp - fd| {rep.worst_ratio:.2g}x "
        f"its tolerance: backprop and finite differences {verdict}",
        file=out,
    )


def summary(scn: Scenario, rep: GradCheckReport) -> dict[str, Any]:
    """The --json line: the keys docs/cli.md lists."""
    return {
        "scenario": scn.name,
        "agree": rep.agree,
        "max_relative_error": _clean(rep.max_rel_error),
        "worst_error_to_tolerance": _clean(rep.worst_ratio),
        "measure": "|bp - fd| <= atol + rtol*|fd|",
        "atol": rep.atol,
        "rtol": rep.rtol,
        "h": rep.eps,
        "loss": _clean(rep.loss),
        "parameters": rep.n_params,
        "checked": rep.n_checked,
        "at_kink": rep.at_kink,
        "fd_forward_passes": rep.fd_forward_passes,
        "backprop_passes": rep.backprop_forward_passes + rep.backprop_backward_passes,
        "fd_seconds": round(rep.fd_seconds, 6),
        "fd_seconds_all_parameters": round(rep.fd_seconds_all_params, 6),
        "backprop_seconds": round(rep.backprop_seconds, 9),
        "per_layer": [
            {
                "layer": lc.layer + 1,
                "parameters": lc.n_W + lc.n_b,
                "checked_W": lc.checked_W,
                "checked_b": lc.checked_b,
                "at_kink": lc.at_kink,
                "max_relative_error": _clean(lc.max_rel_error),
                "max_abs_error": _clean(lc.max_abs_error),
                "max_gradient": _clean(lc.max_gradient),
                "worst_error_to_tolerance": _clean(lc.worst_ratio),
                "agree": lc.agree,
            }
            for lc in rep.layers
        ],
    }
